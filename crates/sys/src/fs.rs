//! Crash-safe file writes: temp file, fsync, rename, fsync of the directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of the data root and of `containers/` under it, as Docker's
/// (`rwx--x---`): root's group may traverse, nobody else may enter.
pub const MODE_TRAVERSE: u32 = 0o710;
/// Mode of every other directory wharf keeps private to root.
pub const MODE_PRIVATE_DIR: u32 = 0o700;
/// Mode of private files (records, bundles, logs).
pub const MODE_PRIVATE_FILE: u32 = 0o600;

/// Writes `data` to `path` so that a crash at any point leaves either the
/// old content or the new one, never a torn file.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_mode(path, data, 0o644)
}

/// [`write_atomic`] with the file created with `mode` (the umask aside),
/// so a private file is never readable by others, not even for a moment.
pub fn write_atomic_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    write_replacing(path, data, mode, true)
}

/// Replaces `path` with `data` through a rename, so readers never see a
/// torn file, but without fsync: for derived files that are made again
/// from the record on every use (a container's `hosts`, `hostname` and
/// `resolv.conf`, rewritten at each start), where durability buys nothing
/// and two fsyncs per file cost milliseconds of every start.
pub fn write_replace(path: &Path, data: &[u8]) -> io::Result<()> {
    write_replacing(path, data, 0o644, false)
}

/// [`write_replace`] with the file created with `mode`.
pub fn write_replace_mode(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    write_replacing(path, data, mode, false)
}

fn write_replacing(path: &Path, data: &[u8], mode: u32, durable: bool) -> io::Result<()> {
    let dir = path.parent().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "path has no parent directory")
    })?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    // Unique per writer: two threads saving the same file must not share
    // (and rename away) each other's half-written temp file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tmp_name.push(format!(".tmp{}-{n}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        // An older temp file of the same name keeps its mode: set it.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(data)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if durable {
            sync_dir(dir)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Makes a file written with [`write_replace`] durable after the fact:
/// its data, then its directory entry. For a record that readers need at
/// once but whose fsync can wait until they have it (a monitor's exit
/// record): until then it is whole or absent, never torn.
pub fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()?;
    match path.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Flushes a directory's entries (a rename or create inside it) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `path` (and any missing parent) with `mode`, and sets `mode` on
/// `path` when it already existed, so a directory made by an older version
/// with a wider mode is closed at start-up.
pub fn ensure_dir_mode(path: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)?;
    set_mode(path, mode)
}

/// Sets `path`'s permission bits to `mode` unless they already are, never
/// following a symlink (a symlink is left alone).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() || meta.permissions().mode() & 0o7777 == mode {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// Less than 5% (or 64 MiB) free on the file system of `root`, counting
/// the blocks kept for root (the daemon runs as root and may use them);
/// true when it cannot be read. Deferred deletions are done at once then.
pub fn nearly_full(root: &Path) -> bool {
    match nix::sys::statvfs::statvfs(root) {
        Ok(st) => {
            let bsize = st.fragment_size().max(1);
            let free = st.blocks_free().saturating_mul(bsize);
            let total = st.blocks().saturating_mul(bsize);
            free < 64 << 20 || free < total / 20
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_content_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("wharf-sys-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "temp files left: {names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn private_modes_are_set_at_creation_and_fixed() {
        let dir = std::env::temp_dir().join(format!("wharf-sys-mode-{}", std::process::id()));
        let sub = dir.join("a").join("b");
        ensure_dir_mode(&sub, MODE_PRIVATE_DIR).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&dir.join("a")), 0o700);
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        ensure_dir_mode(&sub, MODE_TRAVERSE).unwrap();
        assert_eq!(mode(&sub), 0o710);
        let f = sub.join("secret.json");
        write_atomic_mode(&f, b"x", MODE_PRIVATE_FILE).unwrap();
        assert_eq!(mode(&f), 0o600);
        fs::remove_dir_all(&dir).unwrap();
    }
}
