//! Snapshots: an overlay upper directory (what a build step or a
//! container changed) packed as an OCI layer tar, and the public write
//! transaction through which builds (and later pulls and commits) feed the
//! store: stage a layer → commit it (pinned until the transaction ends) →
//! commit an image config that lists it.
//!
//! Overlay whiteouts become OCI ones: a 0/0 character device is
//! `.wh.<name>`, a directory marked opaque (`trusted.overlay.opaque=y`) is
//! followed by `<dir>/.wh..wh..opq`. Entries are packed sorted by name so
//! the same tree packs to the same digest.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::config::ImageConfig;
use crate::error::Result;
use crate::layer::stage_layer;
use crate::store::{Image, ImageStore, Pins};

/// Packs `upper` (an overlay upper directory) into `out` as a layer tar
/// with OCI whiteouts.
pub fn pack_upper<W: Write>(upper: &Path, out: W) -> io::Result<W> {
    let mut b = tar::Builder::new(out);
    b.follow_symlinks(false);
    b.mode(tar::HeaderMode::Complete);
    walk(&mut b, upper, "")?;
    b.into_inner()
}

fn walk<W: Write>(b: &mut tar::Builder<W>, dir: &Path, rel: &str) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let name_s = name.to_string_lossy().into_owned();
        let path = dir.join(&name);
        let child = if rel.is_empty() {
            name_s.clone()
        } else {
            format!("{rel}/{name_s}")
        };
        let meta = fs::symlink_metadata(&path)?;
        let ft = meta.file_type();
        if ft.is_char_device() && meta.rdev() == 0 {
            let wh = match rel {
                "" => format!(".wh.{name_s}"),
                r => format!("{r}/.wh.{name_s}"),
            };
            append_empty(b, &wh, &meta)?;
            continue;
        }
        if ft.is_socket() {
            // Sockets cannot be stored in a layer (Docker skips them too).
            continue;
        }
        b.append_path_with_name(&path, &child)?;
        if ft.is_dir() {
            let opaque = xattr::get(&path, "trusted.overlay.opaque")
                .ok()
                .flatten()
                .is_some_and(|v| v == b"y");
            if opaque {
                append_empty(b, &format!("{child}/.wh..wh..opq"), &meta)?;
            }
            walk(b, &path, &child)?;
        }
    }
    Ok(())
}

fn append_empty<W: Write>(
    b: &mut tar::Builder<W>,
    name: &str,
    meta: &fs::Metadata,
) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(0);
    h.set_mode(0o644);
    h.set_mtime(meta.mtime().max(0) as u64);
    h.set_uid(0);
    h.set_gid(0);
    b.append_data(&mut h, name, io::empty())
}

/// A write transaction on the store: the layers it adds or holds stay
/// pinned (no concurrent removal deletes them) until it is dropped.
pub struct Transaction<'a> {
    store: &'a ImageStore,
    pins: Pins<'a>,
}

impl ImageStore {
    /// Starts a write transaction.
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction {
            store: self,
            pins: self.pins(),
        }
    }
}

impl<'a> Transaction<'a> {
    /// Stores a layer tar (plain or gzip) and returns its diff ID.
    pub fn add_layer<R: Read>(&mut self, reader: R) -> Result<String> {
        let staged = stage_layer(&self.store.tmp_dir(), reader, None)?;
        self.store.commit_layer(&mut self.pins, staged)
    }

    /// Pins the layers of an existing image so they outlive a concurrent
    /// removal of that image; false if one is gone.
    pub fn hold(&mut self, image: &Image) -> bool {
        let diff_ids = image.config.rootfs.diff_ids.clone();
        diff_ids
            .iter()
            .all(|d| self.store.pin_existing(&mut self.pins, d))
    }

    /// Stores `config` (all its layers present) and points `tags` at it.
    pub fn commit_image(&self, config: &ImageConfig, tags: &[String]) -> Result<Image> {
        let bytes = serde_json::to_vec(config).unwrap_or_default();
        let (image, _) = self.store.commit_image(&bytes, tags)?;
        Ok(image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_become_oci_entries() {
        let t = tempfile::tempdir().unwrap();
        let up = t.path().join("upper");
        fs::create_dir_all(up.join("etc/sub")).unwrap();
        fs::write(up.join("etc/new"), "x").unwrap();
        let root = nix::unistd::geteuid().is_root();
        if root {
            nix::sys::stat::mknod(
                &up.join("etc/gone"),
                nix::sys::stat::SFlag::S_IFCHR,
                nix::sys::stat::Mode::empty(),
                0,
            )
            .unwrap();
            xattr::set(up.join("etc/sub"), "trusted.overlay.opaque", b"y").unwrap();
        }
        let bytes = pack_upper(&up, Vec::new()).unwrap();
        let mut ar = tar::Archive::new(&bytes[..]);
        let names: Vec<String> = ar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        let mut want = vec![
            "etc",
            "etc/.wh.gone",
            "etc/new",
            "etc/sub",
            "etc/sub/.wh..wh..opq",
        ];
        if !root {
            want.retain(|n| !n.contains(".wh."));
        }
        let names: Vec<&str> = names.iter().map(|n| n.trim_end_matches('/')).collect();
        assert_eq!(names, want);
    }
}
