//! `VolumeName`: the one place a volume name is checked. Because the name
//! becomes a directory under the volume root, the rule (Docker's
//! `[a-zA-Z0-9][a-zA-Z0-9_.-]+`) is also what keeps `../x` or `a/b` from
//! escaping it.

use std::fmt;
use std::io::Read;

use crate::error::ErrorKind;

/// Docker's allowed characters, quoted in its error message.
pub const RESTRICTED_NAME_CHARS: &str = "[a-zA-Z0-9][a-zA-Z0-9_.-]";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    /// Docker refuses one-character names with its own message.
    #[error("volume name is too short, names should be at least two alphanumeric characters")]
    TooShort,
    #[error("{name:?} includes invalid characters for a local volume name, only {RESTRICTED_NAME_CHARS:?} are allowed. If you intended to pass a host directory, use absolute path")]
    InvalidChars { name: String },
    #[error("cannot generate a random volume name: {0}")]
    Random(String),
}

impl NameError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NameError::Random(_) => ErrorKind::Other,
            _ => ErrorKind::InvalidArgument,
        }
    }
}

/// A validated volume name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VolumeName(String);

impl VolumeName {
    /// Validates `name` with Docker's rule.
    pub fn new(name: &str) -> Result<Self, NameError> {
        if name.len() == 1 {
            return Err(NameError::TooShort);
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok {
            return Err(NameError::InvalidChars {
                name: name.to_string(),
            });
        }
        Ok(VolumeName(name.to_string()))
    }

    /// A random 64-hex name, as Docker gives unnamed volumes.
    pub fn random() -> Result<Self, NameError> {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| NameError::Random(e.to_string()))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(VolumeName(hex))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VolumeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for VolumeName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for VolumeName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VolumeName::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_docker_names() {
        for n in ["ab", "data", "my_vol.1-x", "0abc", "A.B", "x-", "a..b"] {
            assert!(VolumeName::new(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn refuses_bad_names() {
        for n in [
            "", "../x", "a/b", ".hidden", "-x", "_x", "a b", "a:b", "é1", "/abs", "..",
        ] {
            let e = VolumeName::new(n).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{n}");
        }
        assert_eq!(VolumeName::new("a").unwrap_err(), NameError::TooShort);
    }

    #[test]
    fn message_matches_docker() {
        let e = VolumeName::new("a/b").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#""a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path"#
        );
    }

    #[test]
    fn random_names_are_64_hex_and_differ() {
        let a = VolumeName::random().unwrap();
        let b = VolumeName::random().unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(VolumeName::new(a.as_str()).is_ok());
    }
}
