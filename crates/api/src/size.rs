//! Human sizes as Docker's CLI reads them (go-units `RAMInBytes`):
//! `64m`, `1.5G`, `512KiB`, `100` (bytes); binary multiples, case-insensitive.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid size: '{0}'")]
pub struct SizeError(pub String);

impl SizeError {
    pub fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::InvalidArgument
    }
}

/// Parses `s` with go-units `RAMInBytes` semantics: a non-negative decimal
/// number, an optional space, an optional unit `k|m|g|t|p`, an optional
/// `i` and an optional `b`. Multiples are powers of 1024.
pub fn parse_size(s: &str) -> Result<i64, SizeError> {
    let err = || SizeError(s.to_string());
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(digits_end);
    // The number is `\d+(\.\d+)*`: no leading, trailing or doubled dots.
    if num.is_empty() || num.split('.').any(|part| part.is_empty()) {
        return Err(err());
    }
    let value: f64 = num.parse().map_err(|_| err())?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let mut mult: f64 = 1.0;
    if let Some(c) = chars.peek().copied() {
        let m = match c.to_ascii_lowercase() {
            'k' => Some(1u64 << 10),
            'm' => Some(1 << 20),
            'g' => Some(1 << 30),
            't' => Some(1 << 40),
            'p' => Some(1 << 50),
            _ => None,
        };
        if let Some(m) = m {
            mult = m as f64;
            chars.next();
        }
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(err());
    }
    let bytes = value * mult;
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(err());
    }
    Ok(bytes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        let cases = [
            ("0", 0),
            ("100", 100),
            ("100b", 100),
            ("64m", 64 << 20),
            ("64M", 64 << 20),
            ("64MB", 64 << 20),
            ("64MiB", 64 << 20),
            ("64mib", 64 << 20),
            ("1k", 1024),
            ("1 k", 1024),
            ("2g", 2 << 30),
            ("1t", 1 << 40),
            ("1.5k", 1536),
            ("800000000", 800_000_000),
        ];
        for (s, want) in cases {
            assert_eq!(parse_size(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn refuses_garbage() {
        for s in [
            "", "-1", "m", "1x", "1.", ".5", "1..2", "1kk", "64m ", " 64m", "1e3",
        ] {
            assert!(parse_size(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_size("-1").unwrap_err().to_string(),
            "invalid size: '-1'"
        );
    }
}
