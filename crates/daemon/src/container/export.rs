//! `GET /containers/{id}/export`: the container's filesystem as a tar (the
//! image's layers with the writable layer on top; volumes, binds and the
//! generated /etc files are not part of it, as in Docker).
//!
//! A running container's overlay is already mounted at `merged`. For a
//! stopped one we mount a private read-only overlay whose lowest layers are
//! the image's and whose top lower layer is the container's upper directory
//! (overlayfs honours whiteouts in lower layers), so the export never
//! touches the container's own mount or work directory.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

/// A read-only view of a stopped container's filesystem, unmounted on drop.
pub struct ExportView {
    path: PathBuf,
}

impl ExportView {
    pub fn mount(at: &Path, upper: &Path, layers: &[PathBuf]) -> std::io::Result<ExportView> {
        std::fs::create_dir_all(at)?;
        let mut lower: Vec<String> = vec![upper.to_string_lossy().into_owned()];
        lower.extend(
            layers
                .iter()
                .rev()
                .map(|p| p.to_string_lossy().into_owned()),
        );
        let opts = format!("lowerdir={}", lower.join(":"));
        mount(
            Some("overlay"),
            at,
            Some("overlay"),
            MsFlags::MS_RDONLY,
            Some(opts.as_str()),
        )
        .map_err(|e| {
            let _ = std::fs::remove_dir(at);
            std::io::Error::other(format!("mount export view at {}: {e}", at.display()))
        })?;
        Ok(ExportView {
            path: at.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ExportView {
    fn drop(&mut self) {
        if let Err(e) = umount2(&self.path, MntFlags::MNT_DETACH) {
            tracing::warn!(path = %self.path.display(), error = %e, "unmount export view");
        }
        let _ = std::fs::remove_dir(&self.path);
    }
}
