//! The safe tar unpacker, for image layers and for any other crate that
//! extracts a user-supplied tar (volume import).
//!
//! Safety rule: nothing is ever written outside the destination. Entry
//! names and hard-link targets are resolved lexically (an absolute name and
//! `..` that climbs above the root are refused); every parent directory on the way to an entry
//! is checked with `symlink_metadata` and a symlink there is refused, so a
//! symlink unpacked earlier (`a -> /etc`) can never redirect a later write
//! (`a/passwd`). Relative symlink targets that climb above the root are
//! refused like Docker does; absolute targets are kept (they mean the
//! container's root and are never followed here).
//!
//! Atomicity: the archive is unpacked into a fresh temporary directory
//! beside `dest`, renamed into place only when complete; on any error the
//! temporary directory is removed, so nothing half-written is visible.

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::stat::{makedev, mknod, utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use tar::{Archive, EntryType};
use wharf_api::error::ErrorKind;

/// Why an archive could not be unpacked.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    /// An entry that would escape the destination or is otherwise unsafe.
    #[error("refusing to unpack tar entry {entry:?}: {reason}")]
    Unsafe { entry: String, reason: String },
    /// The stream is not a readable tar archive (or its compression is broken).
    #[error("invalid tar archive: {0}")]
    Malformed(io::Error),
    /// The destination exists and is not an empty directory.
    #[error("unpack destination {0} exists and is not an empty directory")]
    DestinationExists(PathBuf),
    /// A filesystem operation failed while writing an entry.
    #[error("unpacking tar entry {entry:?}: {source}")]
    Io {
        entry: String,
        #[source]
        source: io::Error,
    },
}

impl UnpackError {
    /// The class of this error at the API edge.
    pub fn kind(&self) -> ErrorKind {
        match self {
            UnpackError::Unsafe { .. } | UnpackError::Malformed(_) => ErrorKind::InvalidArgument,
            UnpackError::DestinationExists(_) => ErrorKind::Conflict,
            UnpackError::Io { .. } => ErrorKind::Other,
        }
    }
}

/// How to treat the archive's content.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnpackOptions {
    /// Convert OCI/Docker layer whiteouts into overlayfs ones:
    /// `.wh.<name>` becomes a 0:0 character device `<name>`, and
    /// `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory.
    /// Leave off for plain archives (volume import).
    pub overlay_whiteouts: bool,
}

/// What was unpacked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnpackStats {
    /// Number of tar entries applied.
    pub entries: u64,
    /// Sum of the regular files' sizes (Docker's layer "size").
    pub size: u64,
    /// The tar had a root (`./`) directory entry, whose owner and mode the
    /// destination took; without one the destination is a fresh 0755 dir.
    pub root_entry: bool,
}

/// Unpacks a plain tar stream into `dest` (which must not exist, or be an
/// empty directory), keeping owners, modes, mtimes, xattrs, devices and fifos.
pub fn unpack_tar<R: Read>(reader: R, dest: &Path) -> Result<UnpackStats, UnpackError> {
    unpack_tar_with(reader, dest, UnpackOptions::default())
}

/// [`unpack_tar`] with options (overlay whiteout conversion for layers).
pub fn unpack_tar_with<R: Read>(
    reader: R,
    dest: &Path,
    opts: UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    let io_err = |source| UnpackError::Io {
        entry: dest.display().to_string(),
        source,
    };
    if let Ok(meta) = fs::symlink_metadata(dest) {
        let empty = meta.is_dir() && fs::read_dir(dest).map_err(io_err)?.next().is_none();
        if !empty {
            return Err(UnpackError::DestinationExists(dest.to_path_buf()));
        }
    }
    let tmp = temp_sibling(dest).map_err(io_err)?;
    fs::create_dir(&tmp).map_err(io_err)?;
    let result = Unpacker::new(&tmp, opts).run(reader).and_then(|stats| {
        fs::rename(&tmp, dest).map_err(io_err)?;
        if let Some(parent) = dest.parent() {
            wharf_sys::fs::sync_dir(parent).map_err(io_err)?;
        }
        Ok(stats)
    });
    if result.is_err() {
        if let Err(e) = fs::remove_dir_all(&tmp) {
            tracing::warn!(path = %tmp.display(), error = %e, "cannot remove partial unpack");
        }
    }
    result
}

/// Prefix of the temporary directories `unpack_tar` creates beside `dest`;
/// callers that own the parent may remove leftovers of a crash.
pub const TEMP_PREFIX: &str = ".unpacking-";

fn temp_sibling(dest: &Path) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = dest
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "destination has no parent"))?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = OsString::from(TEMP_PREFIX);
    name.push(format!("{}-{n}-", std::process::id()));
    name.push(dest.file_name().unwrap_or(OsStr::new("root")));
    Ok(parent.join(name))
}

/// Resolves an entry name (or hard-link target) to components below the
/// root: `.` is dropped, `..` pops; an absolute path and climbing above the
/// root are errors (an archive that names host paths is refused outright).
fn normalize(path: &Path) -> Result<Vec<OsString>, String> {
    let mut out: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(_) => return Err("path has a prefix".into()),
            Component::RootDir => return Err("absolute path".into()),
            Component::CurDir => {}
            Component::ParentDir => {
                if out.pop().is_none() {
                    return Err("path leads outside the destination".into());
                }
            }
            Component::Normal(n) => out.push(n.to_os_string()),
        }
    }
    Ok(out)
}

struct Unpacker<'a> {
    root: &'a Path,
    opts: UnpackOptions,
    stats: UnpackStats,
    /// Directory mtimes are set last: adding children changes them.
    dir_times: Vec<(PathBuf, u64)>,
}

/// Metadata of one entry, with PAX overrides applied.
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
    xattrs: Vec<(OsString, Vec<u8>)>,
}

impl<'a> Unpacker<'a> {
    fn new(root: &'a Path, opts: UnpackOptions) -> Self {
        Unpacker {
            root,
            opts,
            stats: UnpackStats::default(),
            dir_times: Vec::new(),
        }
    }

    fn run<R: Read>(mut self, reader: R) -> Result<UnpackStats, UnpackError> {
        let mut archive = Archive::new(reader);
        let entries = archive.entries().map_err(UnpackError::Malformed)?;
        for entry in entries {
            let mut entry = entry.map_err(UnpackError::Malformed)?;
            self.entry(&mut entry)?;
        }
        // Deepest directories first, so a parent's time is set after its children.
        for (path, mtime) in self.dir_times.iter().rev() {
            set_mtime(path, *mtime).map_err(|source| UnpackError::Io {
                entry: path.display().to_string(),
                source,
            })?;
        }
        Ok(self.stats)
    }

    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), UnpackError> {
        let raw = entry.path().map_err(UnpackError::Malformed)?.into_owned();
        let name = raw.display().to_string();
        let unsafe_entry = |reason: String| UnpackError::Unsafe {
            entry: name.clone(),
            reason,
        };
        let io = |source| UnpackError::Io {
            entry: name.clone(),
            source,
        };
        let rel = normalize(&raw).map_err(unsafe_entry)?;
        let meta = read_meta(entry).map_err(UnpackError::Malformed)?;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            return Ok(());
        }
        self.stats.entries += 1;

        let Some((last, parents)) = rel.split_last() else {
            // The root itself ("./"): only its metadata applies.
            if kind == EntryType::Directory {
                self.apply_meta(self.root, &meta, true).map_err(io)?;
                self.stats.root_entry = true;
            }
            return Ok(());
        };
        let parent = self.ensure_parents(parents).map_err(unsafe_entry)?;
        let parent = match parent {
            Ok(p) => p,
            Err(e) => return Err(io(e)),
        };

        if self.opts.overlay_whiteouts {
            let bytes = last.as_bytes();
            if bytes == b".wh..wh..opq" {
                xattr::set(&parent, "trusted.overlay.opaque", b"y").map_err(io)?;
                return Ok(());
            }
            if bytes.starts_with(b".wh..wh.") {
                // aufs metadata (hard-link dirs): meaningless for overlay.
                return Ok(());
            }
            if let Some(hidden) = bytes.strip_prefix(b".wh.") {
                let path = parent.join(OsStr::from_bytes(hidden));
                remove_existing(&path, false).map_err(io)?;
                mknod(&path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0))
                    .map_err(|e| io(e.into()))?;
                std::os::unix::fs::lchown(&path, Some(meta.uid), Some(meta.gid)).map_err(io)?;
                return Ok(());
            }
        }

        let path = parent.join(last);
        let is_dir = kind == EntryType::Directory;
        remove_existing(&path, is_dir).map_err(io)?;
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(nix::libc::O_NOFOLLOW)
                    .open(&path)
                    .map_err(io)?;
                let n = io::copy(entry, &mut file).map_err(UnpackError::Malformed)?;
                self.stats.size += n;
            }
            EntryType::Directory => {
                if !path.is_dir() {
                    fs::create_dir(&path).map_err(io)?;
                }
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(UnpackError::Malformed)?
                    .ok_or_else(|| unsafe_entry("symlink without a target".into()))?
                    .into_owned();
                if target.is_relative() {
                    let mut joined = PathBuf::from_iter(parents);
                    joined.push(&target);
                    normalize(&joined).map_err(|_| {
                        unsafe_entry(format!(
                            "symlink target {:?} leads outside the destination",
                            target.display().to_string()
                        ))
                    })?;
                }
                std::os::unix::fs::symlink(&target, &path).map_err(io)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(UnpackError::Malformed)?
                    .ok_or_else(|| unsafe_entry("hard link without a target".into()))?
                    .into_owned();
                let shown = target.display().to_string();
                let trel = normalize(&target).map_err(|_| {
                    unsafe_entry(format!(
                        "hard link target {shown:?} leads outside the destination"
                    ))
                })?;
                let Some((tlast, tparents)) = trel.split_last() else {
                    return Err(unsafe_entry("hard link to the root directory".into()));
                };
                let tparent = self
                    .check_parents(tparents)
                    .map_err(|r| unsafe_entry(format!("hard link target {shown:?}: {r}")))?;
                let tpath = tparent.join(tlast);
                match fs::symlink_metadata(&tpath) {
                    Ok(m) if m.is_dir() => {
                        return Err(unsafe_entry(format!(
                            "hard link target {shown:?} is a directory"
                        )))
                    }
                    Ok(_) => {}
                    Err(_) => {
                        return Err(unsafe_entry(format!(
                            "hard link target {shown:?} does not exist in the archive"
                        )))
                    }
                }
                // linkat without AT_SYMLINK_FOLLOW: a symlink target is linked, not followed.
                fs::hard_link(&tpath, &path).map_err(io)?;
                // A hard link shares the target's metadata; nothing more to apply.
                return Ok(());
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let sflag = match kind {
                    EntryType::Char => SFlag::S_IFCHR,
                    EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                let hdr = entry.header();
                let major = hdr.device_major().ok().flatten().unwrap_or(0);
                let minor = hdr.device_minor().ok().flatten().unwrap_or(0);
                mknod(
                    &path,
                    sflag,
                    Mode::from_bits_truncate(meta.mode),
                    makedev(major.into(), minor.into()),
                )
                .map_err(|e| io(e.into()))?;
            }
            other => {
                tracing::debug!(entry = %name, kind = ?other, "skipping unsupported tar entry type");
                return Ok(());
            }
        }
        self.apply_meta(&path, &meta, is_dir).map_err(io)?;
        Ok(())
    }

    /// Walks (and creates, 0755 root-owned like Docker) the parent
    /// directories of an entry; a symlink or non-directory on the way is
    /// refused. The outer error is the refusal reason, the inner an I/O error.
    fn ensure_parents(&self, parents: &[OsString]) -> Result<io::Result<PathBuf>, String> {
        let mut dir = self.root.to_path_buf();
        for (i, c) in parents.iter().enumerate() {
            dir.push(c);
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(format!(
                        "parent {:?} is a symlink",
                        PathBuf::from_iter(&parents[..=i]).display().to_string()
                    ))
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(format!(
                        "parent {:?} is not a directory",
                        PathBuf::from_iter(&parents[..=i]).display().to_string()
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if let Err(e) = fs::create_dir(&dir) {
                        return Ok(Err(e));
                    }
                }
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(dir))
    }

    /// Like `ensure_parents` but creates nothing: every parent must be a real directory.
    fn check_parents(&self, parents: &[OsString]) -> Result<PathBuf, String> {
        let mut dir = self.root.to_path_buf();
        for c in parents {
            dir.push(c);
            match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => return Err("a parent is a symlink".into()),
                Ok(_) => return Err("a parent is not a directory".into()),
                Err(_) => return Err("does not exist in the archive".into()),
            }
        }
        Ok(dir)
    }

    fn apply_meta(&mut self, path: &Path, meta: &Meta, is_dir: bool) -> io::Result<()> {
        std::os::unix::fs::lchown(path, Some(meta.uid), Some(meta.gid))?;
        let is_symlink = fs::symlink_metadata(path)?.file_type().is_symlink();
        if !is_symlink {
            // After chown, which clears set-id bits.
            fs::set_permissions(path, fs::Permissions::from_mode(meta.mode))?;
        }
        for (name, value) in &meta.xattrs {
            if let Err(e) = xattr::set(path, name, value) {
                // Some filesystems refuse some namespaces; the content still counts.
                tracing::debug!(path = %path.display(), xattr = ?name, error = %e, "cannot set xattr");
            }
        }
        if is_dir {
            self.dir_times.push((path.to_path_buf(), meta.mtime));
        } else {
            set_mtime(path, meta.mtime)?;
        }
        Ok(())
    }
}

fn read_meta<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Meta> {
    let hdr = entry.header();
    let mut meta = Meta {
        mode: hdr.mode().unwrap_or(0o644) & 0o7777,
        uid: hdr.uid().unwrap_or(0).try_into().unwrap_or(0),
        gid: hdr.gid().unwrap_or(0).try_into().unwrap_or(0),
        mtime: hdr.mtime().unwrap_or(0),
        xattrs: Vec::new(),
    };
    if let Some(exts) = entry.pax_extensions()? {
        for ext in exts {
            let ext = ext?;
            let Ok(key) = ext.key() else { continue };
            if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                meta.xattrs
                    .push((OsString::from(name), ext.value_bytes().to_vec()));
                continue;
            }
            // PAX numbers may carry a fraction ("1700000000.123"); keep the seconds.
            let value = ext.value().unwrap_or("");
            let Ok(n) = value.split('.').next().unwrap_or("").parse::<u64>() else {
                continue;
            };
            match key {
                "uid" => meta.uid = n.try_into().unwrap_or(meta.uid),
                "gid" => meta.gid = n.try_into().unwrap_or(meta.gid),
                "mtime" => meta.mtime = n,
                _ => {}
            }
        }
    }
    Ok(meta)
}

/// Removes whatever is at `path` (never following a symlink), unless both
/// it and the new entry are directories, which merge.
fn remove_existing(path: &Path, new_is_dir: bool) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() && new_is_dir => Ok(()),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_mtime(path: &Path, mtime: u64) -> io::Result<()> {
    let secs = i64::try_from(mtime).unwrap_or(i64::MAX);
    let ts = TimeSpec::new(secs, 0);
    utimensat(None, path, &ts, &ts, UtimensatFlags::NoFollowSymlink).map_err(io::Error::from)
}

#[cfg(test)]
#[path = "unpack_tests.rs"]
pub(crate) mod tests;
