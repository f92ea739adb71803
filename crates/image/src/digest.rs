//! sha256 digests of bytes and of streams as they pass through.

use std::io::{self, Read, Write};

use sha2::{Digest, Sha256};

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The hex part of a `sha256:<hex>` digest, if it is one.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    is_full_hex(hex).then_some(hex)
}

/// True for exactly 64 lower-case hex characters.
pub fn is_full_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A reader that hashes, counts and optionally copies every byte read
/// through it, so a layer is digested and kept while it is unpacked.
pub struct TeeReader<R, W> {
    inner: R,
    copy: Option<W>,
    hasher: Sha256,
    count: u64,
}

impl<R: Read, W: Write> TeeReader<R, W> {
    pub fn new(inner: R, copy: Option<W>) -> Self {
        TeeReader {
            inner,
            copy,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Reads the rest of the stream (a tar reader stops before the
    /// trailing padding, but the digest covers the whole stream).
    pub fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }

    /// The `sha256:<hex>` digest of everything read, the byte count and the copy.
    pub fn finish(self) -> (String, u64, Option<W>) {
        (
            format!("sha256:{}", hex(&self.hasher.finalize())),
            self.count,
            self.copy,
        )
    }
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        if let Some(w) = self.copy.as_mut() {
            w.write_all(&buf[..n])?;
        }
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn tee_hashes_and_copies() {
        let mut t = TeeReader::new(&b"hello"[..], Some(Vec::new()));
        t.drain().unwrap();
        let (d, n, copy) = t.finish();
        assert_eq!(d, sha256_digest(b"hello"));
        assert_eq!(n, 5);
        assert_eq!(copy.unwrap(), b"hello");
    }
}
