//! Volume export/import as tar. Packing keeps owners, modes, mtimes,
//! symlinks and special files. Unpacking refuses anything that would write
//! outside the destination: `..`, absolute names, a path through a symlink
//! the archive itself created, a hard link to outside.
//!
//! wharf-image has its own `unpack::unpack_tar` with the same safety rules
//! (plus whiteouts and xattrs for layers); this compact copy exists so the
//! volume crate does not depend on the image crate. Merge them later.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use tar::EntryType;
use wharf_api::error::ErrorKind;

use crate::fsutil::{self, Special};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("refusing tar entry {path:?}: {reason}")]
    Unsafe { path: String, reason: String },
    #[error("unsupported tar entry {path:?} of type {kind}")]
    Unsupported { path: String, kind: String },
    #[error("malformed tar stream: {0}")]
    Tar(#[source] io::Error),
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl ArchiveError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ArchiveError::Unsafe { .. }
            | ArchiveError::Unsupported { .. }
            | ArchiveError::Tar(_) => ErrorKind::InvalidArgument,
            ArchiveError::Io { .. } => ErrorKind::Other,
        }
    }
}

type Result<T> = std::result::Result<T, ArchiveError>;

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ArchiveError + 'a {
    move |source| ArchiveError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `dir` and everything under it to `writer` as a tar whose root
/// entry is `.` (what `tar -C dir -cf - .` gives). Sockets are skipped.
pub fn pack_dir<W: Write>(dir: &Path, writer: W) -> Result<()> {
    let mut b = tar::Builder::new(writer);
    b.follow_symlinks(false);
    b.append_path_with_name(dir, ".")
        .map_err(io_err("archive", dir))?;
    let mut stack = vec![(dir.to_path_buf(), PathBuf::new())];
    while let Some((abs, rel)) = stack.pop() {
        let mut entries: Vec<_> = fs::read_dir(&abs)
            .map_err(io_err("read directory", &abs))?
            .collect::<io::Result<_>>()
            .map_err(io_err("read directory", &abs))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let (path, name) = (e.path(), rel.join(e.file_name()));
            let ft = e.file_type().map_err(io_err("stat", &path))?;
            if ft.is_socket() {
                continue;
            }
            if ft.is_fifo() || ft.is_char_device() || ft.is_block_device() {
                // tar's append_path_with_name names special files by their
                // host path (a bug in 0.4.46), so build their header here.
                let meta = fs::symlink_metadata(&path).map_err(io_err("stat", &path))?;
                append_special(&mut b, &meta, &name).map_err(io_err("archive", &path))?;
            } else {
                b.append_path_with_name(&path, &name)
                    .map_err(io_err("archive", &path))?;
            }
            if ft.is_dir() {
                stack.push((path, name));
            }
        }
    }
    b.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(io_err("write archive", dir))
}

fn append_special<W: Write>(
    b: &mut tar::Builder<W>,
    meta: &fs::Metadata,
    name: &Path,
) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_metadata(meta);
    h.set_size(0);
    let (kind, ma, mi) = match fsutil::special_of(meta) {
        Some(Special::Fifo) => (EntryType::Fifo, 0, 0),
        Some(Special::Char(ma, mi)) => (EntryType::Char, ma, mi),
        Some(Special::Block(ma, mi)) => (EntryType::Block, ma, mi),
        None => return Ok(()),
    };
    h.set_entry_type(kind);
    let dev = |v: u64| u32::try_from(v).map_err(|_| io::Error::other("device number too large"));
    h.set_device_major(dev(ma)?)?;
    h.set_device_minor(dev(mi)?)?;
    b.append_data(&mut h, name, io::empty())
}

/// Splits an archive path into checked components; `None` means the root.
fn components(raw: &[u8], what: &str) -> Result<Vec<String>> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let unsafe_err = |reason: &str| ArchiveError::Unsafe {
        path: shown.clone(),
        reason: format!("{what} {reason}"),
    };
    if raw.starts_with(b"/") {
        return Err(unsafe_err("is an absolute path"));
    }
    let text = std::str::from_utf8(raw).map_err(|_| unsafe_err("is not valid UTF-8"))?;
    let mut out = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_err("contains '..'")),
            p if p.contains('\0') => return Err(unsafe_err("contains a NUL byte")),
            p => out.push(p.to_string()),
        }
    }
    Ok(out)
}

/// Walks `parts` below `dest`, creating missing directories, and refuses to
/// go through anything that is not a real directory (a symlink planted by an
/// earlier entry would otherwise redirect the write outside `dest`).
fn safe_parent(dest: &Path, parts: &[String], shown: &str) -> Result<PathBuf> {
    let mut cur = dest.to_path_buf();
    for p in parts {
        cur.push(p);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(ArchiveError::Unsafe {
                    path: shown.to_string(),
                    reason: format!("its parent {p:?} is a symlink"),
                })
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(ArchiveError::Unsafe {
                    path: shown.to_string(),
                    reason: format!("its parent {p:?} is not a directory"),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&cur).map_err(io_err("create directory", &cur))?;
            }
            Err(e) => return Err(io_err("stat", &cur)(e)),
        }
    }
    Ok(cur)
}

/// Removes whatever sits at `path` (never following a symlink), unless both
/// it and the new entry are directories.
fn clear_target(path: &Path, new_is_dir: bool) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() && new_is_dir => Ok(()),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(io_err("remove", path)),
        Ok(_) => fs::remove_file(path).map_err(io_err("remove", path)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("stat", path)(e)),
    }
}

/// Extracts the tar in `reader` into the existing directory `dest`, keeping
/// owners, modes and mtimes. On error `dest` may hold part of the archive:
/// callers extract into a scratch directory and swap it in on success.
pub fn unpack_into<R: Read>(reader: R, dest: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let mut dir_times: Vec<(PathBuf, i64)> = Vec::new();
    for entry in archive.entries().map_err(ArchiveError::Tar)? {
        let mut entry = entry.map_err(ArchiveError::Tar)?;
        let raw_path = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let parts = components(&raw_path, "path")?;
        let h = entry.header();
        let kind = h.entry_type();
        let mode = h.mode().map_err(ArchiveError::Tar)?;
        let uid = u32::try_from(h.uid().map_err(ArchiveError::Tar)?).unwrap_or(0);
        let gid = u32::try_from(h.gid().map_err(ArchiveError::Tar)?).unwrap_or(0);
        let mtime = i64::try_from(h.mtime().map_err(ArchiveError::Tar)?).unwrap_or(0);
        let Some((last, parents)) = parts.split_last() else {
            // The root entry (`.`): its metadata becomes the volume root's.
            if kind.is_dir() {
                fsutil::apply_meta(dest, uid, gid, mode, None, false)
                    .map_err(io_err("set metadata", dest))?;
                dir_times.push((dest.to_path_buf(), mtime));
            }
            continue;
        };
        let parent = match kind {
            EntryType::XGlobalHeader | EntryType::XHeader => continue,
            _ => safe_parent(dest, parents, &shown)?,
        };
        let path = parent.join(last);
        clear_target(&path, kind.is_dir())?;
        let mut is_symlink = false;
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(io_err("create", &path))?;
                io::copy(&mut entry, &mut f).map_err(io_err("write", &path))?;
            }
            EntryType::Directory => {
                if !path.is_dir() {
                    fs::create_dir(&path).map_err(io_err("create directory", &path))?;
                }
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let target = std::ffi::OsStr::from_bytes(&target);
                std::os::unix::fs::symlink(target, &path).map_err(io_err("symlink", &path))?;
                is_symlink = true;
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let tparts = components(&target, "hard link target")?;
                let Some((tlast, tparents)) = tparts.split_last() else {
                    return Err(ArchiveError::Unsafe {
                        path: shown,
                        reason: "hard link to the archive root".into(),
                    });
                };
                let tpath = safe_existing(dest, tparents, &shown)?.join(tlast);
                match fs::symlink_metadata(&tpath) {
                    Ok(m) if !m.is_dir() => {}
                    _ => {
                        return Err(ArchiveError::Unsafe {
                            path: shown,
                            reason: format!(
                                "hard link target {:?} is not a file earlier in the archive",
                                String::from_utf8_lossy(&target)
                            ),
                        })
                    }
                }
                fs::hard_link(&tpath, &path).map_err(io_err("hard link", &path))?;
                // A hard link shares the target's inode and metadata.
                continue;
            }
            EntryType::Fifo | EntryType::Char | EntryType::Block => {
                let ma = u64::from(h.device_major().ok().flatten().unwrap_or(0));
                let mi = u64::from(h.device_minor().ok().flatten().unwrap_or(0));
                let special = match kind {
                    EntryType::Fifo => Special::Fifo,
                    EntryType::Char => Special::Char(ma, mi),
                    _ => Special::Block(ma, mi),
                };
                fsutil::make_special(&path, special, mode).map_err(io_err("mknod", &path))?;
            }
            other => {
                return Err(ArchiveError::Unsupported {
                    path: shown,
                    kind: format!("{other:?}"),
                })
            }
        }
        if kind.is_dir() {
            fsutil::apply_meta(&path, uid, gid, mode, None, false)
                .map_err(io_err("set metadata", &path))?;
            dir_times.push((path, mtime));
        } else {
            fsutil::apply_meta(&path, uid, gid, mode, Some((mtime, 0)), is_symlink)
                .map_err(io_err("set metadata", &path))?;
        }
    }
    // Directory mtimes last: creating their children changed them.
    for (dir, mtime) in dir_times.iter().rev() {
        fsutil::set_mtime(dir, *mtime, 0).map_err(io_err("set mtime", dir))?;
    }
    Ok(())
}

/// Like [`safe_parent`] but for a path that must already exist.
fn safe_existing(dest: &Path, parts: &[String], shown: &str) -> Result<PathBuf> {
    let mut cur = dest.to_path_buf();
    for p in parts {
        cur.push(p);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.is_dir() => {}
            _ => {
                return Err(ArchiveError::Unsafe {
                    path: shown.to_string(),
                    reason: format!("hard link target goes through {p:?}, not a real directory"),
                })
            }
        }
    }
    Ok(cur)
}

#[cfg(test)]
#[path = "archive_tests.rs"]
pub(crate) mod tests;
