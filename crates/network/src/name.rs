//! `NetworkName`: the one place a network name is checked (Docker's rule
//! for names, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).

use std::fmt;

use crate::error::NetworkError;

/// A validated network name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetworkName(String);

impl NetworkName {
    pub fn new(name: &str) -> Result<Self, NetworkError> {
        let bad = |reason: &str| NetworkError::InvalidName {
            name: name.to_string(),
            reason: reason.to_string(),
        };
        if name.is_empty() {
            return Err(bad("a network name is required"));
        }
        if name.len() > 128 {
            return Err(bad("longer than 128 characters"));
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok {
            return Err(bad("only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"));
        }
        Ok(NetworkName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NetworkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(NetworkName::new("front-end_1.x").is_ok());
        assert!(NetworkName::new("a").is_ok());
        for bad in ["", "-x", "a/b", "../x", "a b", "é"] {
            assert!(NetworkName::new(bad).is_err(), "{bad}");
        }
    }
}
