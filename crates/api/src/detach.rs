//! Docker's detach keys: the `--detach-keys`/`detachKeys` syntax
//! (`ctrl-p,ctrl-q`, `a,ctrl-@`) and a scanner that finds the sequence in an
//! input stream. Shared by the CLI (which detaches on its own input) and the
//! daemon (which detaches the docker CLI and SDKs).

/// Parse docker's `--detach-keys` (`ctrl-p,ctrl-q`, `a,ctrl-@`).
pub fn detach_keys(spec: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for k in spec.split(',') {
        let k = k.trim();
        let b = if let Some(c) = k.strip_prefix("ctrl-") {
            let c = c.as_bytes();
            if c.len() != 1 {
                return Err(format!("Unknown character: '{k}'"));
            }
            match c[0].to_ascii_lowercase() {
                x @ b'a'..=b'z' => x - b'a' + 1,
                b'@' => 0,
                b'[' => 27,
                b'\\' => 28,
                b']' => 29,
                b'^' => 30,
                b'_' => 31,
                _ => return Err(format!("Unknown character: '{k}'")),
            }
        } else if k.len() == 1 {
            k.as_bytes()[0]
        } else {
            return Err(format!("Unknown character: '{k}'"));
        };
        out.push(b);
    }
    Ok(out)
}

/// Ctrl-P Ctrl-Q, docker's default.
pub const DEFAULT_DETACH: &[u8] = &[0x10, 0x11];

/// Watches input for the detach sequence; bytes of a partial match are held
/// back and released if the sequence breaks.
#[derive(Debug)]
pub struct DetachScanner {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachScanner {
    pub fn new(keys: Vec<u8>) -> Self {
        DetachScanner { keys, matched: 0 }
    }

    /// Returns the bytes to forward and whether the sequence completed.
    pub fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(data.len());
        if self.keys.is_empty() {
            out.extend_from_slice(data);
            return (out, false);
        }
        for &b in data {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return (out, true);
                }
            } else {
                out.extend_from_slice(&self.keys[..self.matched]);
                self.matched = 0;
                if b == self.keys[0] {
                    self.matched = 1;
                    if self.keys.len() == 1 {
                        return (out, true);
                    }
                } else {
                    out.push(b);
                }
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_detach_keys() {
        assert_eq!(detach_keys("ctrl-p,ctrl-q").unwrap(), DEFAULT_DETACH);
        assert_eq!(detach_keys("a,ctrl-@").unwrap(), vec![b'a', 0]);
        assert!(detach_keys("ctrl-pp").is_err());
        assert!(detach_keys("abc").is_err());
    }

    #[test]
    fn scanner_detects_across_chunks() {
        let mut s = DetachScanner::new(DEFAULT_DETACH.to_vec());
        assert_eq!(s.feed(b"ls\x10"), (b"ls".to_vec(), false));
        assert_eq!(s.feed(b"\x11rest"), (Vec::new(), true));
    }

    #[test]
    fn scanner_releases_broken_sequence() {
        let mut s = DetachScanner::new(DEFAULT_DETACH.to_vec());
        assert_eq!(s.feed(b"\x10x"), (b"\x10x".to_vec(), false));
        assert_eq!(s.feed(b"\x10\x10\x11"), (b"\x10".to_vec(), true));
    }
}
