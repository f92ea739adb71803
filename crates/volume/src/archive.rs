//! Volume export/import as tar. Packing keeps owners, modes, mtimes,
//! symlinks and special files. Unpacking is wharf-archive's safe unpacker,
//! the one image layers go through too: nothing lands outside the
//! destination (`..`, absolute names, writes through symlinks and hard
//! links to outside are refused).

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use tar::EntryType;
use wharf_api::error::ErrorKind;
use wharf_archive::UnpackStats;

use crate::fsutil::{self, Special};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("refusing tar entry {path:?}: {reason}")]
    Unsafe { path: String, reason: String },
    #[error("unsupported tar entry {path:?} of type {kind}")]
    Unsupported { path: String, kind: String },
    #[error("malformed tar stream: {0}")]
    Tar(#[source] io::Error),
    #[error(transparent)]
    Unpack(#[from] wharf_archive::UnpackError),
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
            ArchiveError::Unpack(e) => e.kind(),
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
    append_xattrs(&mut b, dir).map_err(io_err("archive", dir))?;
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
            append_xattrs(&mut b, &path).map_err(io_err("archive", &path))?;
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

/// Writes a PAX header carrying `path`'s extended attributes
/// (`SCHILY.xattr.<name>`, e.g. `security.capability`) for the entry that
/// follows it. overlayfs' own `trusted.overlay.*` and SELinux labels stay
/// behind, as in Docker.
fn append_xattrs<W: Write>(b: &mut tar::Builder<W>, path: &Path) -> io::Result<()> {
    let Ok(names) = xattr::list(path) else {
        return Ok(());
    };
    let mut body = Vec::new();
    for name in names {
        let key = name.to_string_lossy();
        if key.starts_with("trusted.overlay.") || key == "security.selinux" {
            continue;
        }
        let Ok(Some(value)) = xattr::get(path, &name) else {
            continue;
        };
        pax_record(&mut body, &format!("SCHILY.xattr.{key}"), &value);
    }
    if body.is_empty() {
        return Ok(());
    }
    let mut h = tar::Header::new_ustar();
    h.set_path("PaxHeaders/xattrs")?;
    h.set_entry_type(EntryType::XHeader);
    h.set_mode(0o644);
    h.set_size(body.len() as u64);
    h.set_cksum();
    b.append(&h, &body[..])
}

/// Appends one PAX record, `"<len> <key>=<value>\n"`, whose length counts itself.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest != len {
        len += 1;
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
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

/// Unpacks a tar into `dest`, which must not exist or be an empty
/// directory; on error nothing is left at `dest`.
/// One archive may not write more than the space left on the filesystem.
pub fn unpack_into<R: Read>(reader: R, dest: &Path) -> Result<UnpackStats> {
    let opts = wharf_archive::UnpackOptions {
        max_alloc: dest.parent().and_then(wharf_archive::alloc_limit_for),
        ..Default::default()
    };
    Ok(wharf_archive::unpack_tar_with(reader, dest, opts)?)
}

#[cfg(test)]
#[path = "archive_tests.rs"]
pub(crate) mod tests;
