//! Docker's copy-up: the first time an empty volume is mounted over a
//! directory of the image, the image's files are copied into it, keeping
//! owners, modes, mtimes, symlinks, hard links and special files.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use wharf_api::error::ErrorKind;

use crate::fsutil;

#[derive(Debug, thiserror::Error)]
#[error("copy-up {path}: {source}")]
pub struct CopyError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl CopyError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

fn err(path: &Path) -> impl FnOnce(io::Error) -> CopyError + '_ {
    move |source| CopyError {
        path: path.to_path_buf(),
        source,
    }
}

/// Copies the content of `src_dir` into `volume_data` when `volume_data` is
/// empty (and gives it `src_dir`'s owner and mode, as Docker does). Nothing
/// happens when the volume already has content or `src_dir` is not a real
/// directory (a missing path in the image, or a symlink).
pub fn copy_up(src_dir: &Path, volume_data: &Path) -> Result<(), CopyError> {
    let src_meta = match fs::symlink_metadata(src_dir) {
        Ok(m) if m.is_dir() => m,
        Ok(_) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(err(src_dir)(e)),
    };
    if !fsutil::is_empty_dir(volume_data).map_err(err(volume_data))? {
        return Ok(());
    }
    let mut links = HashMap::new();
    copy_tree(src_dir, volume_data, &mut links)?;
    fsutil::apply_meta(
        volume_data,
        src_meta.uid(),
        src_meta.gid(),
        src_meta.mode(),
        Some((src_meta.mtime(), src_meta.mtime_nsec())),
        false,
    )
    .map_err(err(volume_data))
}

/// Copies extended attributes (e.g. `security.capability` of an image's
/// `ping`), without following symlinks. Filesystems without xattr support
/// are skipped: the copy is still useful without them.
fn copy_xattrs(from: &Path, to: &Path) -> Result<(), CopyError> {
    let names = match xattr::list(from) {
        Ok(n) => n,
        Err(e) if unsupported(&e) => return Ok(()),
        Err(e) => return Err(err(from)(e)),
    };
    for name in names {
        if let Some(value) = xattr::get(from, &name).map_err(err(from))? {
            match xattr::set(to, &name, &value) {
                Ok(()) => {}
                Err(e) if unsupported(&e) => {}
                Err(e) => return Err(err(to)(e)),
            }
        }
    }
    Ok(())
}

fn unsupported(e: &io::Error) -> bool {
    e.raw_os_error() == Some(nix::libc::ENOTSUP)
}

/// Copies the children of `src` into the existing directory `dst`.
fn copy_tree(
    src: &Path,
    dst: &Path,
    links: &mut HashMap<(u64, u64), PathBuf>,
) -> Result<(), CopyError> {
    for entry in fs::read_dir(src).map_err(err(src))? {
        let entry = entry.map_err(err(src))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta = fs::symlink_metadata(&from).map_err(err(&from))?;
        let ft = meta.file_type();
        let mtime = Some((meta.mtime(), meta.mtime_nsec()));
        if ft.is_dir() {
            fs::create_dir(&to).map_err(err(&to))?;
            copy_tree(&from, &to, links)?;
            fsutil::apply_meta(&to, meta.uid(), meta.gid(), meta.mode(), mtime, false)
                .map_err(err(&to))?;
            copy_xattrs(&from, &to)?;
            continue;
        }
        if meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = links.get(&key) {
                fs::hard_link(first, &to).map_err(err(&to))?;
                continue;
            }
            links.insert(key, to.clone());
        }
        if ft.is_symlink() {
            let target = fs::read_link(&from).map_err(err(&from))?;
            std::os::unix::fs::symlink(&target, &to).map_err(err(&to))?;
            fsutil::apply_meta(&to, meta.uid(), meta.gid(), 0, mtime, true).map_err(err(&to))?;
        } else if ft.is_file() {
            fs::copy(&from, &to).map_err(err(&from))?;
            fsutil::apply_meta(&to, meta.uid(), meta.gid(), meta.mode(), mtime, false)
                .map_err(err(&to))?;
            // After chown, which would drop a file capability.
            copy_xattrs(&from, &to)?;
        } else if let Some(kind) = fsutil::special_of(&meta) {
            fsutil::make_special(&to, kind, meta.mode()).map_err(err(&to))?;
            fsutil::apply_meta(&to, meta.uid(), meta.gid(), meta.mode(), mtime, false)
                .map_err(err(&to))?;
        }
        // Sockets are not copied: they are meaningless without their server.
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copies_into_empty_volume_keeping_metadata() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path();
        fs::create_dir(s.join("conf.d")).unwrap();
        fs::write(s.join("conf.d/app.conf"), b"x=1").unwrap();
        fs::set_permissions(
            s.join("conf.d/app.conf"),
            fs::Permissions::from_mode(0o4750),
        )
        .unwrap();
        std::os::unix::fs::lchown(s.join("conf.d/app.conf"), Some(101), Some(102)).unwrap();
        // chown clears set-id bits; set them again like an image would have.
        fs::set_permissions(
            s.join("conf.d/app.conf"),
            fs::Permissions::from_mode(0o4750),
        )
        .unwrap();
        std::os::unix::fs::symlink("conf.d/app.conf", s.join("link")).unwrap();
        std::os::unix::fs::lchown(s.join("link"), Some(7), Some(8)).unwrap();
        fs::hard_link(s.join("conf.d/app.conf"), s.join("hard")).unwrap();
        fsutil::set_mtime(&s.join("conf.d"), 1_234_567, 0).unwrap();
        std::os::unix::fs::lchown(s, Some(33), Some(33)).unwrap();
        fs::set_permissions(s, fs::Permissions::from_mode(0o1777)).unwrap();

        let vol = tempfile::tempdir().unwrap();
        let v = vol.path();
        copy_up(s, v).unwrap();

        let m = fs::metadata(v.join("conf.d/app.conf")).unwrap();
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (101, 102, 0o4750));
        assert_eq!(fs::read(v.join("conf.d/app.conf")).unwrap(), b"x=1");
        let l = fs::symlink_metadata(v.join("link")).unwrap();
        assert!(l.file_type().is_symlink());
        assert_eq!((l.uid(), l.gid()), (7, 8));
        assert_eq!(
            fs::read_link(v.join("link")).unwrap(),
            Path::new("conf.d/app.conf")
        );
        assert_eq!(fs::metadata(v.join("hard")).unwrap().ino(), m.ino());
        assert_eq!(fs::metadata(v.join("conf.d")).unwrap().mtime(), 1_234_567);
        let root = fs::metadata(v).unwrap();
        assert_eq!((root.uid(), root.mode() & 0o7777), (33, 0o1777));
    }

    #[test]
    fn keeps_xattrs() {
        let src = tempfile::tempdir().unwrap();
        let f = src.path().join("bin");
        fs::write(&f, b"x").unwrap();
        if xattr::set(&f, "user.wharf", b"yes").is_err() {
            return; // filesystem without user xattrs
        }
        let vol = tempfile::tempdir().unwrap();
        copy_up(src.path(), vol.path()).unwrap();
        assert_eq!(
            xattr::get(vol.path().join("bin"), "user.wharf").unwrap(),
            Some(b"yes".to_vec())
        );
    }

    #[test]
    fn no_copy_into_non_empty_volume() {
        let src = tempfile::tempdir().unwrap();
        fs::write(src.path().join("image-file"), b"i").unwrap();
        let vol = tempfile::tempdir().unwrap();
        fs::write(vol.path().join("mine"), b"m").unwrap();
        copy_up(src.path(), vol.path()).unwrap();
        assert!(!vol.path().join("image-file").exists());
    }

    #[test]
    fn missing_or_symlinked_source_is_a_no_op() {
        let vol = tempfile::tempdir().unwrap();
        copy_up(Path::new("/nonexistent/wharf"), vol.path()).unwrap();
        let src = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc", src.path().join("l")).unwrap();
        copy_up(&src.path().join("l"), vol.path()).unwrap();
        assert!(fsutil::is_empty_dir(vol.path()).unwrap());
    }
}
