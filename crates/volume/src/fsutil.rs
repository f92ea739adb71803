//! Small filesystem helpers shared by the local driver, the tar code and
//! copy-up: metadata that must not follow symlinks, special files, mount
//! point detection and sizes that stay on one filesystem.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::sys::stat::{makedev, mknod, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

fn errno(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Sets owner, permission bits and mtime of `path` without following a
/// final symlink (a symlink's own mode is meaningless and is left alone).
/// The owner goes first: chown clears set-id bits.
pub fn apply_meta(
    path: &Path,
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: Option<(i64, i64)>,
    is_symlink: bool,
) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if !is_symlink {
        fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o7777))?;
    }
    if let Some((secs, nsecs)) = mtime {
        set_mtime(path, secs, nsecs)?;
    }
    Ok(())
}

/// Sets atime and mtime of `path` (not following a final symlink).
pub fn set_mtime(path: &Path, secs: i64, nsecs: i64) -> io::Result<()> {
    let t = TimeSpec::new(secs, nsecs);
    nix::sys::stat::utimensat(None, path, &t, &t, UtimensatFlags::NoFollowSymlink).map_err(errno)
}

/// What kind of special file to create with [`make_special`].
#[derive(Debug, Clone, Copy)]
pub enum Special {
    Fifo,
    Char(u64, u64),
    Block(u64, u64),
}

/// Creates a fifo or device node (we run as root).
pub fn make_special(path: &Path, kind: Special, mode: u32) -> io::Result<()> {
    let perm = Mode::from_bits_truncate(mode & 0o7777);
    let (flag, dev) = match kind {
        Special::Fifo => (SFlag::S_IFIFO, 0),
        Special::Char(ma, mi) => (SFlag::S_IFCHR, makedev(ma, mi)),
        Special::Block(ma, mi) => (SFlag::S_IFBLK, makedev(ma, mi)),
    };
    mknod(path, flag, perm, dev).map_err(errno)
}

/// The special kind of an existing file, from its metadata.
pub fn special_of(meta: &fs::Metadata) -> Option<Special> {
    let ft = meta.file_type();
    let rdev = meta.rdev();
    let (ma, mi) = (nix::sys::stat::major(rdev), nix::sys::stat::minor(rdev));
    if ft.is_fifo() {
        Some(Special::Fifo)
    } else if ft.is_char_device() {
        Some(Special::Char(ma, mi))
    } else if ft.is_block_device() {
        Some(Special::Block(ma, mi))
    } else {
        None
    }
}

pub use wharf_sys::mount::is_mountpoint;

/// Bytes used under `dir`, as Docker's `directory.Size` counts them: the
/// sizes of non-directories, each hard-linked inode once, never crossing
/// into another filesystem (a mounted volume must not count its host data).
pub fn dir_size(dir: &Path) -> io::Result<u64> {
    let root = fs::symlink_metadata(dir)?;
    let mut seen = HashSet::new();
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let entry = entry?;
            let meta = match fs::symlink_metadata(entry.path()) {
                Ok(m) => m,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.dev() != root.dev() {
                continue;
            }
            if meta.is_dir() {
                stack.push(entry.path());
                continue;
            }
            if meta.nlink() > 1 && !seen.insert(meta.ino()) {
                continue;
            }
            total += meta.len();
        }
    }
    Ok(total)
}

/// Whether `dir` has no entries.
pub fn is_empty_dir(dir: &Path) -> io::Result<bool> {
    Ok(fs::read_dir(dir)?.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_a_mountpoint_and_tmp_subdir_is_not() {
        assert!(is_mountpoint(Path::new("/")).unwrap());
        let d = tempfile::tempdir().unwrap();
        assert!(!is_mountpoint(d.path()).unwrap());
    }

    #[test]
    fn size_counts_hardlinks_once() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a"), vec![0u8; 1000]).unwrap();
        fs::hard_link(d.path().join("a"), d.path().join("b")).unwrap();
        fs::create_dir(d.path().join("sub")).unwrap();
        fs::write(d.path().join("sub/c"), b"xyz").unwrap();
        std::os::unix::fs::symlink("a", d.path().join("l")).unwrap();
        assert_eq!(dir_size(d.path()).unwrap(), 1000 + 3 + 1);
    }
}
