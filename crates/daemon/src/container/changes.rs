//! `GET /containers/{id}/changes` (`docker diff`): what the container's
//! writable layer changed against its image, read from the overlay's upper
//! directory: a whiteout (a 0/0 character device) is a deletion, an entry
//! the image also has is a change, anything else is an addition.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One change, as Docker encodes it: `Kind` 0 modified, 1 added, 2 deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    pub path: String,
    pub kind: u8,
}

const MODIFIED: u8 = 0;
const ADDED: u8 = 1;
const DELETED: u8 = 2;

fn is_whiteout(meta: &std::fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// The changes in `upper` against the image `layers` (lowest first),
/// sorted by path.
pub fn changes(upper: &Path, layers: &[PathBuf]) -> std::io::Result<Vec<Change>> {
    let in_image = |rel: &Path| {
        layers
            .iter()
            .rev()
            .any(|l| std::fs::symlink_metadata(l.join(rel)).is_ok())
    };
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = upper.join(&rel);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            // A container that never started has no upper directory yet.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && rel.as_os_str().is_empty() => {
                return Ok(out)
            }
            Err(e) => return Err(e),
        };
        for e in entries {
            let e = e?;
            let child = rel.join(e.file_name());
            let meta = e.metadata()?;
            let kind = if is_whiteout(&meta) {
                DELETED
            } else if in_image(&child) {
                MODIFIED
            } else {
                ADDED
            };
            out.push(Change {
                path: format!("/{}", child.display()),
                kind,
            });
            if meta.is_dir() {
                stack.push(child);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_modified_deleted() {
        let t = std::env::temp_dir().join(format!("wharf-changes-{}", std::process::id()));
        let (lower, upper) = (t.join("lower"), t.join("upper"));
        std::fs::create_dir_all(lower.join("etc")).unwrap();
        std::fs::write(lower.join("etc/passwd"), "x").unwrap();
        std::fs::write(lower.join("gone"), "x").unwrap();
        std::fs::create_dir_all(upper.join("etc")).unwrap();
        std::fs::write(upper.join("etc/passwd"), "y").unwrap();
        std::fs::write(upper.join("new"), "n").unwrap();
        let is_root = nix::unistd::geteuid().is_root();
        if is_root {
            nix::sys::stat::mknod(
                &upper.join("gone"),
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::empty(),
                0,
            )
            .unwrap();
        }
        let got = changes(&upper, &[lower]).unwrap();
        let mut want = vec![
            Change {
                path: "/etc".into(),
                kind: MODIFIED,
            },
            Change {
                path: "/etc/passwd".into(),
                kind: MODIFIED,
            },
            Change {
                path: "/new".into(),
                kind: ADDED,
            },
        ];
        if is_root {
            want.insert(
                2,
                Change {
                    path: "/gone".into(),
                    kind: DELETED,
                },
            );
        }
        assert_eq!(got, want);
        assert!(changes(&t.join("missing"), &[]).unwrap().is_empty());
        std::fs::remove_dir_all(&t).unwrap();
    }
}
