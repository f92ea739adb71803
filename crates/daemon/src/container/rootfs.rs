//! The container's root filesystem: an overlay of the image's unpacked
//! layers (read-only, shared) under the container's own writable layer.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use super::record::Paths;
use crate::error::{Error, Result};

/// Mounts the overlay at `paths.merged()`. `layers` are lowest first.
pub fn mount_rootfs(paths: &Paths, layers: &[PathBuf]) -> Result<PathBuf> {
    let merged = paths.merged();
    if is_mountpoint(&merged) {
        return Ok(merged);
    }
    std::fs::create_dir_all(&merged)?;
    std::fs::create_dir_all(paths.upper())?;
    std::fs::create_dir_all(paths.work())?;
    if layers.is_empty() {
        return Err(Error::internal("image has no layers"));
    }
    // overlayfs wants the topmost lower layer first.
    let lower: Vec<String> = layers
        .iter()
        .rev()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        paths.upper().display(),
        paths.work().display()
    );
    mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(opts.as_str()),
    )
    .map_err(|e| Error::internal(format!("mount overlay rootfs at {}: {e}", merged.display())))?;
    Ok(merged)
}

pub fn unmount_rootfs(paths: &Paths) {
    let merged = paths.merged();
    if is_mountpoint(&merged) {
        if let Err(e) = umount2(&merged, MntFlags::MNT_DETACH) {
            tracing::warn!(path = %merged.display(), error = %e, "unmount rootfs");
        }
    }
}

/// True when `path` is itself a mount point.
pub fn is_mountpoint(path: &Path) -> bool {
    wharf_sys::mount::is_mountpoint(path).unwrap_or(false)
}
