//! The local driver's options (`-o` of `volume create`), as Docker's local
//! driver reads them: `type`, `device`, `o` for a filesystem mounted on the
//! volume's `_data` while a container uses it (`type=tmpfs device=tmpfs
//! o=size=64m,uid=1000`, `type=none o=bind device=/path`), and, beyond
//! Docker, `uid`/`gid` (or `o=uid=..,gid=..` without a type) to give a plain
//! volume's `_data` to the container's user.

use std::collections::BTreeMap;

use nix::mount::MsFlags;

use crate::error::{Result, VolumeError};

/// What a volume's options ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalKind {
    /// A directory under the root, optionally chowned at creation.
    Plain { uid: Option<u32>, gid: Option<u32> },
    /// A filesystem mounted on `_data` while in use.
    Device {
        fstype: String,
        device: String,
        flags: MsFlags,
        data: String,
    },
}

impl LocalKind {
    pub fn is_device(&self) -> bool {
        matches!(self, LocalKind::Device { .. })
    }
}

const VALID: [&str; 6] = ["type", "device", "o", "uid", "gid", "size"];

fn bad(key: &str, reason: impl Into<String>) -> VolumeError {
    VolumeError::InvalidOptionValue {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn parse_id(key: &str, v: &str) -> Result<u32> {
    v.parse::<u32>()
        .map_err(|_| bad(key, format!("{v:?} is not a numeric id")))
}

/// Reads `uid=N`/`gid=N` pairs from a comma list (the value of `o`, or the
/// tail of `-o uid=1000,gid=1000`, which the CLI sends as key `uid`).
fn read_ids(list: &str, uid: &mut Option<u32>, gid: &mut Option<u32>) -> Result<bool> {
    for item in list.split(',').filter(|s| !s.is_empty()) {
        match item.split_once('=') {
            Some(("uid", v)) => *uid = Some(parse_id("uid", v)?),
            Some(("gid", v)) => *gid = Some(parse_id("gid", v)?),
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Splits an `o=` list into mount flags and the data string for the kernel.
fn split_o(o: &str) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for item in o.split(',').filter(|s| !s.is_empty()) {
        let (set, clear) = match item {
            "ro" => (MsFlags::MS_RDONLY, MsFlags::empty()),
            "rw" => (MsFlags::empty(), MsFlags::MS_RDONLY),
            "bind" => (MsFlags::MS_BIND, MsFlags::empty()),
            "rbind" => (MsFlags::MS_BIND | MsFlags::MS_REC, MsFlags::empty()),
            "nosuid" => (MsFlags::MS_NOSUID, MsFlags::empty()),
            "suid" => (MsFlags::empty(), MsFlags::MS_NOSUID),
            "nodev" => (MsFlags::MS_NODEV, MsFlags::empty()),
            "dev" => (MsFlags::empty(), MsFlags::MS_NODEV),
            "noexec" => (MsFlags::MS_NOEXEC, MsFlags::empty()),
            "exec" => (MsFlags::empty(), MsFlags::MS_NOEXEC),
            "sync" => (MsFlags::MS_SYNCHRONOUS, MsFlags::empty()),
            "async" => (MsFlags::empty(), MsFlags::MS_SYNCHRONOUS),
            "noatime" => (MsFlags::MS_NOATIME, MsFlags::empty()),
            "atime" => (MsFlags::empty(), MsFlags::MS_NOATIME),
            "nodiratime" => (MsFlags::MS_NODIRATIME, MsFlags::empty()),
            "relatime" => (MsFlags::MS_RELATIME, MsFlags::empty()),
            "strictatime" => (MsFlags::MS_STRICTATIME, MsFlags::empty()),
            other => {
                data.push(other.to_string());
                continue;
            }
        };
        flags = (flags | set) & !clear;
    }
    (flags, data.join(","))
}

/// Validates `options` and says what they ask for.
pub fn parse(options: &BTreeMap<String, String>) -> Result<LocalKind> {
    if let Some(k) = options.keys().find(|k| !VALID.contains(&k.as_str())) {
        return Err(VolumeError::InvalidOption(k.clone()));
    }
    if options.contains_key("size") {
        return Err(bad("size", "quota size requested but no quota support"));
    }
    let get = |k: &str| options.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (typ, device, o) = (get("type"), get("device"), get("o"));
    let Some(fstype) = typ else {
        if device.is_some() {
            return Err(VolumeError::MissingOption("type".into()));
        }
        let (mut uid, mut gid) = (None, None);
        if let Some(o) = o {
            if !read_ids(o, &mut uid, &mut gid)? {
                return Err(VolumeError::MissingOption("type".into()));
            }
        }
        for key in ["uid", "gid"] {
            if let Some(v) = get(key) {
                // `-o uid=1000,gid=1000` arrives as uid => "1000,gid=1000".
                let (first, rest) = v.split_once(',').unwrap_or((v, ""));
                let id = parse_id(key, first)?;
                if key == "uid" {
                    uid = Some(id);
                } else {
                    gid = Some(id);
                }
                if !read_ids(rest, &mut uid, &mut gid)? {
                    return Err(bad(key, format!("unexpected {rest:?}")));
                }
            }
        }
        return Ok(LocalKind::Plain { uid, gid });
    };
    if get("uid").is_some() || get("gid").is_some() {
        return Err(bad(
            "uid",
            "uid/gid apply to volumes without a type; with a type pass them in o= if the filesystem takes them",
        ));
    }
    if !fstype
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(bad("type", format!("{fstype:?} is not a filesystem type")));
    }
    let Some(device) = device else {
        return Err(VolumeError::MissingOption("device".into()));
    };
    let (flags, data) = split_o(o.unwrap_or(""));
    if flags.contains(MsFlags::MS_BIND) {
        if !device.starts_with('/') {
            return Err(bad(
                "device",
                format!("bind device {device:?} must be an absolute path"),
            ));
        }
    } else if fstype == "none" {
        return Err(bad("o", "type=none needs o=bind"));
    }
    Ok(LocalKind::Device {
        fstype: fstype.to_string(),
        device: device.to_string(),
        flags,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plain_and_ids() {
        assert_eq!(
            parse(&opts(&[])).unwrap(),
            LocalKind::Plain {
                uid: None,
                gid: None
            }
        );
        let want = LocalKind::Plain {
            uid: Some(1000),
            gid: Some(1001),
        };
        assert_eq!(
            parse(&opts(&[("uid", "1000"), ("gid", "1001")])).unwrap(),
            want
        );
        assert_eq!(parse(&opts(&[("uid", "1000,gid=1001")])).unwrap(), want);
        assert_eq!(parse(&opts(&[("o", "uid=1000,gid=1001")])).unwrap(), want);
        assert!(parse(&opts(&[("uid", "bob")])).is_err());
    }

    #[test]
    fn tmpfs_and_bind() {
        let k = parse(&opts(&[
            ("type", "tmpfs"),
            ("device", "tmpfs"),
            ("o", "size=64m,uid=1000,noexec"),
        ]))
        .unwrap();
        assert_eq!(
            k,
            LocalKind::Device {
                fstype: "tmpfs".into(),
                device: "tmpfs".into(),
                flags: MsFlags::MS_NOEXEC,
                data: "size=64m,uid=1000".into(),
            }
        );
        let k = parse(&opts(&[
            ("type", "none"),
            ("o", "bind,ro"),
            ("device", "/srv"),
        ]))
        .unwrap();
        assert!(
            matches!(k, LocalKind::Device { flags, .. } if flags == MsFlags::MS_BIND | MsFlags::MS_RDONLY)
        );
    }

    #[test]
    fn refusals_match_docker() {
        let e = |p: &[(&str, &str)]| parse(&opts(p)).unwrap_err().to_string();
        assert_eq!(e(&[("foo", "bar")]), "invalid option: \"foo\"");
        assert_eq!(e(&[("device", "/x")]), "missing required option: \"type\"");
        assert_eq!(
            e(&[("type", "tmpfs")]),
            "missing required option: \"device\""
        );
        assert_eq!(e(&[("o", "size=1m")]), "missing required option: \"type\"");
        assert!(e(&[("type", "none"), ("device", "rel"), ("o", "bind")]).contains("absolute"));
        assert!(e(&[("type", "none"), ("device", "/x")]).contains("o=bind"));
        assert!(e(&[("size", "1g")]).contains("quota"));
        assert!(e(&[("type", "tmpfs"), ("device", "tmpfs"), ("uid", "1")]).contains("uid/gid"));
        for p in [&[("foo", "bar")][..], &[("device", "/x")][..]] {
            assert_eq!(
                parse(&opts(p)).unwrap_err().kind(),
                wharf_api::error::ErrorKind::InvalidArgument
            );
        }
    }
}
