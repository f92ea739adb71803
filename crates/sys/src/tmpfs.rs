//! A tmpfs of the daemon's own, for state that dies with the boot (the
//! exec root), on hosts whose `/run` is not one.

use std::io;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::statfs::{statfs, FsType, TMPFS_MAGIC};

/// ramfs (`RAMFS_MAGIC`, which nix does not name).
const RAMFS_MAGIC: FsType = FsType(0x8584_58f6);

/// The source name our tmpfs mounts carry in the mount table, so that only
/// a mount we made is ever unmounted by us.
pub const SOURCE: &str = "wharf-exec";

/// Whether `path` (or, when it does not exist yet, its nearest existing
/// ancestor) lives in memory: tmpfs or ramfs.
pub fn in_memory(path: &Path) -> io::Result<bool> {
    let mut p = path;
    loop {
        match statfs(p) {
            Ok(st) => {
                let t = st.filesystem_type();
                return Ok(t == TMPFS_MAGIC || t == RAMFS_MAGIC);
            }
            Err(nix::errno::Errno::ENOENT) => match p.parent() {
                Some(parent) => p = parent,
                None => return Ok(false),
            },
            Err(e) => return Err(e.into()),
        }
    }
}

/// Mounts a fresh tmpfs named [`SOURCE`] on `dir` (made when missing),
/// root-only (`mode`), no setuid programs or device files.
pub fn mount_private(dir: &Path, mode: u32) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    mount(
        Some(SOURCE),
        dir,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(format!("mode={mode:o}").as_str()),
    )
    .map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("mount tmpfs on {}: {e}", dir.display()),
        )
    })
}

/// Whether the mount on `dir` is a tmpfs that [`mount_private`] made.
pub fn is_ours(dir: &Path) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let want = dir.to_string_lossy();
    info.lines().any(|line| {
        let mut halves = line.splitn(2, " - ");
        let (Some(left), Some(right)) = (halves.next(), halves.next()) else {
            return false;
        };
        let at = left.split(' ').nth(4).map(crate::mount::unescape_mountinfo);
        let mut r = right.split(' ');
        at.as_deref() == Some(&*want) && r.next() == Some("tmpfs") && r.next() == Some(SOURCE)
    })
}

/// Detaches the tmpfs on `dir` (what is still open in it stays readable by
/// whoever holds it).
pub fn unmount(dir: &Path) -> io::Result<()> {
    umount2(dir, MntFlags::MNT_DETACH).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_recognise_unmount() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let base = std::env::temp_dir().join(format!("wharf-tmpfs-test-{}", std::process::id()));
        let dir = base.join("exec");
        let on_disk = !in_memory(&base).unwrap();
        mount_private(&dir, 0o700).unwrap();
        let mounted = (in_memory(&dir), is_ours(&dir), std::fs::metadata(&dir));
        unmount(&dir).unwrap();
        let after = is_ours(&dir);
        std::fs::remove_dir_all(&base).unwrap();
        assert!(mounted.0.unwrap());
        assert!(mounted.1);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mounted.2.unwrap().permissions().mode() & 0o7777, 0o700);
        assert!(!after);
        // a path that does not exist yet is judged by its ancestor
        if on_disk {
            assert!(!in_memory(&base.join("not/yet")).unwrap());
        }
    }
}
