//! `docker cp`'s wire types: the `X-Docker-Container-Path-Stat` header
//! (base64 of a JSON [`PathStat`]) and Go's `os.FileMode` bits it carries.

use serde::{Deserialize, Serialize};

/// The header `HEAD`/`GET /containers/{id}/archive` answer with.
pub const PATH_STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// What `HEAD /containers/{id}/archive?path=` tells about a path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    /// Go's `os.FileMode`: permission bits plus type bits ([`go_mode`]).
    pub mode: u32,
    /// RFC 3339 with nanoseconds.
    pub mtime: String,
    /// For a symlink, where it leads inside the container (absolute).
    #[serde(rename = "linkTarget", default)]
    pub link_target: String,
}

const GO_DIR: u32 = 1 << 31;
const GO_SYMLINK: u32 = 1 << 27;
const GO_DEVICE: u32 = 1 << 26;
const GO_PIPE: u32 = 1 << 25;
const GO_SOCKET: u32 = 1 << 24;
const GO_SETUID: u32 = 1 << 23;
const GO_SETGID: u32 = 1 << 22;
const GO_CHARDEV: u32 = 1 << 21;
const GO_STICKY: u32 = 1 << 20;

/// Converts a unix `st_mode` to Go's `os.FileMode`, as Docker sends it.
pub fn go_mode(st_mode: u32) -> u32 {
    let mut m = st_mode & 0o777;
    m |= match st_mode & 0o170000 {
        0o040000 => GO_DIR,
        0o120000 => GO_SYMLINK,
        0o060000 => GO_DEVICE,
        0o020000 => GO_DEVICE | GO_CHARDEV,
        0o010000 => GO_PIPE,
        0o140000 => GO_SOCKET,
        _ => 0,
    };
    if st_mode & 0o4000 != 0 {
        m |= GO_SETUID;
    }
    if st_mode & 0o2000 != 0 {
        m |= GO_SETGID;
    }
    if st_mode & 0o1000 != 0 {
        m |= GO_STICKY;
    }
    m
}

impl PathStat {
    pub fn is_dir(&self) -> bool {
        self.mode & GO_DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & GO_SYMLINK != 0
    }

    /// The header value: base64 (standard, padded) of the JSON.
    pub fn to_header(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64_encode(&json)
    }

    /// Parses a header value; `None` when it is not base64 JSON.
    pub fn from_header(v: &str) -> Option<PathStat> {
        serde_json::from_slice(&base64_decode(v.trim())?).ok()
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c == b'=' {
            break;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(
                base64_decode(&base64_encode(s.as_bytes())).unwrap(),
                s.as_bytes()
            );
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
    }

    #[test]
    fn go_modes() {
        assert_eq!(go_mode(0o040755), (1 << 31) | 0o755);
        assert_eq!(go_mode(0o120777), (1 << 27) | 0o777);
        assert_eq!(go_mode(0o104755), (1 << 23) | 0o755);
        let st = PathStat {
            name: "x".into(),
            mode: go_mode(0o040700),
            ..Default::default()
        };
        assert!(PathStat::from_header(&st.to_header()).unwrap().is_dir());
    }
}
