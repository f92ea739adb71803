//! The safe tar unpacker, for image layers and for any other crate that
//! extracts a user-supplied tar (volume import, `docker cp` uploads).
//!
//! Safety rule: nothing is ever written outside the root. Entry names and
//! hard-link targets are cleaned lexically: an absolute name and `..` that
//! climbs above the top are refused. Symlinks are stored as they are (their
//! target is never judged: `lib/up -> ../../../../etc` is what real images
//! carry, and it means `/etc` inside the container), because creating a
//! symlink is never the danger, writing through one is. So each entry's
//! parent directory is resolved *inside the root*, the way the kernel
//! resolves a path in a chroot ([`wharf_sys::inroot`]: `openat2` with
//! `RESOLVE_IN_ROOT`, or an `O_NOFOLLOW` component walk), and the entry is
//! created relative to that directory's fd without following its own name.
//! An entry under a symlinked parent (`a -> /etc`, then `a/passwd`) lands
//! at `<root>/etc/passwd`, where Docker puts it.
//!
//! Extended attributes (PAX `SCHILY.xattr.*`, e.g. `security.capability`)
//! are kept. GNU sparse entries keep their holes, and one archive may not
//! write more than [`UnpackOptions::max_alloc`] bytes.
//!
//! Atomicity ([`unpack_tar_with`]): the archive is unpacked into a fresh
//! temporary directory beside `dest`, renamed into place only when
//! complete; on any error the temporary directory is removed, so nothing
//! half-written is visible. [`unpack_in_root`] writes in place (`docker cp`).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::sys::stat::{makedev, SFlag};
use tar::{Archive, EntryType};
use wharf_api::error::ErrorKind;
use wharf_sys::inroot::{self, Root};

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
    /// The archive would write more than the allowed number of bytes.
    #[error("refusing tar entry {entry:?}: the archive would allocate more than {limit} bytes, the free space on its destination and the limit for one archive: no space left on device")]
    TooLarge { entry: String, limit: u64 },
    /// `noOverwriteDirNonDir`: a directory would replace a non-directory or back.
    #[error("{0}")]
    Overwrite(String),
    /// The disk filled up while unpacking (or while keeping a copy of the
    /// stream): not the archive's fault.
    #[error("unpacking tar archive: no space left on device")]
    NoSpace(#[source] io::Error),
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
            UnpackError::Unsafe { .. } | UnpackError::Malformed(_) | UnpackError::Overwrite(_) => {
                ErrorKind::InvalidArgument
            }
            // The limit is the destination's free space: a full disk, as
            // Docker reports ENOSPC.
            UnpackError::TooLarge { .. } => ErrorKind::Other,
            UnpackError::DestinationExists(_) => ErrorKind::Conflict,
            UnpackError::Io { .. } | UnpackError::NoSpace(_) => ErrorKind::Other,
        }
    }

    /// A read error: a broken archive, unless the disk is full (a reader
    /// that tees the stream to disk fails with ENOSPC).
    fn malformed(e: io::Error) -> Self {
        if is_no_space(&e) {
            UnpackError::NoSpace(e)
        } else {
            UnpackError::Malformed(e)
        }
    }
}

/// Whether `e` is a full disk or an exhausted quota.
pub fn is_no_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(122)) || e.kind() == io::ErrorKind::StorageFull
}

/// How to treat the archive's content.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnpackOptions {
    /// Convert OCI/Docker layer whiteouts into overlayfs ones:
    /// `.wh.<name>` becomes a 0:0 character device `<name>`, and
    /// `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory.
    /// Leave off for plain archives (volume import).
    pub overlay_whiteouts: bool,
    /// Refuse to replace a directory with a non-directory or a
    /// non-directory with a directory (Docker's `noOverwriteDirNonDir`).
    pub no_overwrite_dir_non_dir: bool,
    /// Own every entry by this uid/gid instead of the archive's
    /// (`docker cp --archive`'s `copyUIDGID`).
    pub chown: Option<(u32, u32)>,
    /// At most this many bytes of file content may be written (holes of
    /// sparse entries are not written, so they do not count).
    pub max_alloc: Option<u64>,
    /// Leave owners alone: files belong to the caller (the CLI's side of
    /// `docker cp`, as Docker's `NoLchown`).
    pub no_chown: bool,
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

/// The allocation limit for an archive unpacked under `dir`: what is left
/// on its filesystem for unprivileged writers. An import never fills the disk.
pub fn alloc_limit_for(dir: &Path) -> Option<u64> {
    let mut probe = dir;
    loop {
        if let Ok(st) = nix::sys::statvfs::statvfs(probe) {
            return Some(st.blocks_available().saturating_mul(st.fragment_size()));
        }
        probe = probe.parent()?;
    }
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
    let result = Root::open(&tmp)
        .map_err(io_err)
        .and_then(|root| Unpacker::new(&root, Vec::new(), opts).run(reader))
        .and_then(|stats| {
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

/// Unpacks a tar in place into directory `at` of `root` (resolved inside
/// the root; every entry lands inside the root). For `docker cp` uploads:
/// nothing is staged, entries already written stay on error, as in Docker.
pub fn unpack_in_root<R: Read>(
    reader: R,
    root: &Root,
    at: &Path,
    opts: UnpackOptions,
) -> Result<UnpackStats, UnpackError> {
    Unpacker::new(root, inroot::clean(at), opts).run(reader)
}

/// [`unpack_in_root`], renaming the archive's top entry `from` to `to`
/// on the way (Docker's `RebaseArchiveEntries`: an entry `from/x` lands
/// as `to/x`; `to` = "." puts the content right into `at`).
pub fn unpack_in_root_rebased<R: Read>(
    reader: R,
    root: &Root,
    at: &Path,
    opts: UnpackOptions,
    from: &str,
    to: &str,
) -> Result<UnpackStats, UnpackError> {
    let mut u = Unpacker::new(root, inroot::clean(at), opts);
    u.rebase = Some((normalize_top(from), normalize_top(to)));
    u.run(reader)
}

/// The one component a rebase name stands for ("" for `.`).
fn normalize_top(name: &str) -> OsString {
    inroot::clean(Path::new(name))
        .into_iter()
        .next_back()
        .unwrap_or_default()
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
/// top: `.` is dropped, `..` pops; an absolute path and climbing above the
/// top are errors (an archive that names host paths is refused outright).
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
    root: &'a Root,
    /// Where in the root the archive's top is (empty: the root itself).
    base: Vec<OsString>,
    opts: UnpackOptions,
    stats: UnpackStats,
    written: u64,
    /// Rename the first component `.0` to `.1` ("" means `.`).
    rebase: Option<(OsString, OsString)>,
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
    fn new(root: &'a Root, base: Vec<OsString>, opts: UnpackOptions) -> Self {
        Unpacker {
            root,
            base,
            opts,
            stats: UnpackStats::default(),
            written: 0,
            rebase: None,
            dir_times: Vec::new(),
        }
    }

    /// Applies the rebase to an entry's components.
    fn rebased(&self, mut rel: Vec<OsString>) -> Vec<OsString> {
        if let Some((from, to)) = &self.rebase {
            let first_matches = if from.is_empty() {
                true
            } else {
                rel.first() == Some(from)
            };
            if first_matches {
                if !from.is_empty() {
                    rel.remove(0);
                }
                if !to.is_empty() {
                    rel.insert(0, to.clone());
                }
            }
        }
        rel
    }

    fn in_root(&self, rel: &[OsString]) -> PathBuf {
        self.base.iter().chain(rel).collect()
    }

    fn run<R: Read>(mut self, reader: R) -> Result<UnpackStats, UnpackError> {
        let mut archive = Archive::new(reader);
        let entries = archive.entries().map_err(UnpackError::malformed)?;
        for entry in entries {
            let mut entry = entry.map_err(UnpackError::malformed)?;
            self.entry(&mut entry)?;
        }
        // Deepest directories first, so a parent's time is set after its children.
        for (path, mtime) in self.dir_times.iter().rev() {
            let io = |source| UnpackError::Io {
                entry: path.display().to_string(),
                source,
            };
            let (dir, name) = self.root.open_parent(path).map_err(io)?;
            let name = name.unwrap_or_else(|| OsString::from("."));
            inroot::set_mtime_at(dir.as_fd(), &name, clamp(*mtime), 0).map_err(io)?;
        }
        Ok(self.stats)
    }

    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), UnpackError> {
        let raw = entry.path().map_err(UnpackError::malformed)?.into_owned();
        let name = raw.display().to_string();
        let unsafe_entry = |reason: String| UnpackError::Unsafe {
            entry: name.clone(),
            reason,
        };
        let io = |source| UnpackError::Io {
            entry: name.clone(),
            source,
        };
        let rel = self.rebased(normalize(&raw).map_err(unsafe_entry)?);
        let meta = read_meta(entry, self.opts.chown).map_err(UnpackError::malformed)?;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            return Ok(());
        }
        self.stats.entries += 1;

        let Some((last, parents)) = rel.split_last() else {
            // The top itself ("./"): only its metadata applies.
            if kind == EntryType::Directory {
                let at = self.in_root(&[]);
                let (dir, name) = self.root.open_parent(&at).map_err(io)?;
                let name = name.unwrap_or_else(|| OsString::from("."));
                self.apply_meta(dir.as_fd(), &name, &at, &meta, true)
                    .map_err(io)?;
                self.stats.root_entry = true;
            }
            return Ok(());
        };
        // The parent, resolved (and created, 0755) inside the root: a
        // symlink on the way is followed there, never out of it.
        let parent_path = self.in_root(parents);
        let parent = self.root.mkdir_all(&parent_path).map_err(|e| {
            if matches!(
                e.raw_os_error(),
                Some(nix::libc::ENOTDIR | nix::libc::ELOOP)
            ) {
                unsafe_entry(format!(
                    "parent {:?} is not a directory inside the root",
                    PathBuf::from_iter(parents).display().to_string()
                ))
            } else {
                io(e)
            }
        })?;
        let dir = parent.as_fd();

        if self.opts.overlay_whiteouts {
            let bytes = last.as_bytes();
            if bytes == b".wh..wh..opq" {
                inroot::set_xattr_at(
                    dir,
                    OsStr::new("."),
                    OsStr::new("trusted.overlay.opaque"),
                    b"y",
                )
                .map_err(io)?;
                return Ok(());
            }
            if bytes.starts_with(b".wh..wh.") {
                // aufs metadata (hard-link dirs): meaningless for overlay.
                return Ok(());
            }
            if let Some(hidden) = bytes.strip_prefix(b".wh.") {
                let hidden = OsStr::from_bytes(hidden);
                inroot::remove_all_at(dir, hidden).map_err(io)?;
                inroot::mknod_at(dir, hidden, SFlag::S_IFCHR, 0, makedev(0, 0)).map_err(io)?;
                inroot::chown_at(dir, hidden, meta.uid, meta.gid).map_err(io)?;
                return Ok(());
            }
        }

        let is_dir = kind == EntryType::Directory;
        let path = self.in_root(&rel);
        self.clear(dir, last, is_dir, &name).map_err(|e| match e {
            Cleared::Refused(m) => UnpackError::Overwrite(m),
            Cleared::Io(e) => io(e),
        })?;
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut file = inroot::create_file_at(dir, last, 0o600).map_err(io)?;
                let sparse = kind == EntryType::GNUSparse;
                let n = self.copy(entry, &mut file, sparse, &name)?;
                self.stats.size += n;
            }
            EntryType::Directory => match inroot::lstat_at(dir, last).map_err(io)? {
                Some(st) if st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR => {}
                _ => inroot::mkdir_at(dir, last, 0o755).map_err(io)?,
            },
            EntryType::Symlink => {
                // Stored as it is: the target is never followed here.
                let target = entry
                    .link_name()
                    .map_err(UnpackError::malformed)?
                    .ok_or_else(|| unsafe_entry("symlink without a target".into()))?
                    .into_owned();
                inroot::symlink_at(dir, last, &target).map_err(io)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(UnpackError::malformed)?
                    .ok_or_else(|| unsafe_entry("hard link without a target".into()))?
                    .into_owned();
                let shown = target.display().to_string();
                let trel = self.rebased(normalize(&target).map_err(|_| {
                    unsafe_entry(format!(
                        "hard link target {shown:?} leads outside the destination"
                    ))
                })?);
                if trel.is_empty() {
                    return Err(unsafe_entry("hard link to the root directory".into()));
                }
                let tpath = self.in_root(&trel);
                let (tdir, tname) = self.root.open_parent(&tpath).map_err(|_| {
                    unsafe_entry(format!(
                        "hard link target {shown:?} does not exist in the archive"
                    ))
                })?;
                let tname = tname.unwrap_or_default();
                match inroot::lstat_at(tdir.as_fd(), &tname).map_err(io)? {
                    Some(st) if st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR => {
                        return Err(unsafe_entry(format!(
                            "hard link target {shown:?} is a directory"
                        )))
                    }
                    Some(_) => {}
                    None => {
                        return Err(unsafe_entry(format!(
                            "hard link target {shown:?} does not exist in the archive"
                        )))
                    }
                }
                // linkat without AT_SYMLINK_FOLLOW: a symlink target is linked, not followed.
                inroot::link_at(tdir.as_fd(), &tname, dir, last).map_err(io)?;
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
                inroot::mknod_at(
                    dir,
                    last,
                    sflag,
                    meta.mode,
                    makedev(major.into(), minor.into()),
                )
                .map_err(io)?;
            }
            other => {
                tracing::debug!(entry = %name, kind = ?other, "skipping unsupported tar entry type");
                return Ok(());
            }
        }
        self.apply_meta(dir, last, &path, &meta, is_dir)
            .map_err(io)?;
        Ok(())
    }

    /// Removes whatever is at `dir/name` (never following a symlink),
    /// unless both it and the new entry are directories, which merge.
    fn clear(
        &self,
        dir: std::os::fd::BorrowedFd<'_>,
        name: &OsStr,
        new_is_dir: bool,
        shown: &str,
    ) -> Result<(), Cleared> {
        let Some(st) = inroot::lstat_at(dir, name).map_err(Cleared::Io)? else {
            return Ok(());
        };
        let old_is_dir = st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFDIR;
        if old_is_dir && new_is_dir {
            return Ok(());
        }
        if self.opts.no_overwrite_dir_non_dir {
            if old_is_dir {
                return Err(Cleared::Refused(format!(
                    "cannot overwrite directory {:?} with non-directory {shown:?}",
                    self.shown(name)
                )));
            }
            if new_is_dir {
                return Err(Cleared::Refused(format!(
                    "cannot overwrite non-directory {:?} with directory {shown:?}",
                    self.shown(name)
                )));
            }
        }
        inroot::remove_all_at(dir, name).map_err(Cleared::Io)
    }

    fn shown(&self, name: &OsStr) -> String {
        let mut p = PathBuf::from("/");
        p.extend(&self.base);
        p.push(name);
        p.display().to_string()
    }

    /// Copies an entry's content; for a sparse entry, runs of zeros become
    /// holes. Counts what is written against `max_alloc`.
    fn copy<R: Read>(
        &mut self,
        entry: &mut R,
        file: &mut fs::File,
        sparse: bool,
        name: &str,
    ) -> Result<u64, UnpackError> {
        let io = |source: io::Error| {
            if is_no_space(&source) {
                UnpackError::NoSpace(source)
            } else {
                UnpackError::Io {
                    entry: name.to_string(),
                    source,
                }
            }
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(UnpackError::malformed(e)),
            };
            total += n as u64;
            if sparse && buf[..n].iter().all(|b| *b == 0) {
                file.seek(SeekFrom::Current(n as i64)).map_err(io)?;
                continue;
            }
            self.written += n as u64;
            if let Some(limit) = self.opts.max_alloc {
                if self.written > limit {
                    return Err(UnpackError::TooLarge {
                        entry: name.to_string(),
                        limit,
                    });
                }
            }
            file.write_all(&buf[..n]).map_err(io)?;
        }
        if sparse {
            // A trailing hole: the size comes from the length, not from data.
            file.set_len(total).map_err(io)?;
        }
        Ok(total)
    }

    fn apply_meta(
        &mut self,
        dir: std::os::fd::BorrowedFd<'_>,
        name: &OsStr,
        path: &Path,
        meta: &Meta,
        is_dir: bool,
    ) -> io::Result<()> {
        if !self.opts.no_chown {
            inroot::chown_at(dir, name, meta.uid, meta.gid)?;
        }
        // After chown, which clears set-id bits; symlinks are left alone.
        inroot::chmod_at(dir, name, meta.mode)?;
        for (key, value) in &meta.xattrs {
            if let Err(e) = inroot::set_xattr_at(dir, name, key, value) {
                // Some filesystems refuse some namespaces; the content still counts.
                tracing::debug!(path = %path.display(), xattr = ?key, error = %e, "cannot set xattr");
            }
        }
        if is_dir {
            self.dir_times.push((path.to_path_buf(), meta.mtime));
        } else {
            inroot::set_mtime_at(dir, name, clamp(meta.mtime), 0)?;
        }
        Ok(())
    }
}

enum Cleared {
    Refused(String),
    Io(io::Error),
}

fn clamp(mtime: u64) -> i64 {
    i64::try_from(mtime).unwrap_or(i64::MAX)
}

fn read_meta<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    chown: Option<(u32, u32)>,
) -> io::Result<Meta> {
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
    if let Some((uid, gid)) = chown {
        meta.uid = uid;
        meta.gid = gid;
    }
    Ok(meta)
}

#[cfg(test)]
#[path = "unpack_tests.rs"]
pub(crate) mod tests;
