//! The container's root filesystem: an overlay of the image's unpacked
//! layers (read-only, shared) under the container's own writable layer.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use super::record::Paths;
use crate::error::{Error, Result};

/// Mounts the overlay at `paths.merged()`. `layers` are lowest first.
///
/// `volatile` (for `--rm` containers, whose writable layer is deleted when
/// they exit) mounts with overlayfs' `volatile`: the unmount then skips the
/// `syncfs` of the whole upper file system, which on a busy host was most
/// of the clean-up after exit (60–70 ms). What a crash could lose is a
/// layer that is thrown away anyway.
pub fn mount_rootfs(paths: &Paths, layers: &[PathBuf], volatile: bool) -> Result<PathBuf> {
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
    clear_volatile_marker(paths);
    let mut opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        paths.upper().display(),
        paths.work().display()
    );
    if volatile {
        opts.push_str(",volatile");
    }
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

/// overlayfs leaves `work/work/incompat/volatile` after a `volatile` mount
/// and refuses the next mount while it is there. Only `--rm` containers are
/// mounted so; their layer is disposable, so the marker simply goes (a
/// `restart` of one, a `cp` out of one that just exited).
pub fn clear_volatile_marker(paths: &Paths) {
    let marker = paths.work().join("work").join("incompat").join("volatile");
    if std::fs::symlink_metadata(&marker).is_ok() {
        let _ = std::fs::remove_dir_all(paths.work().join("work").join("incompat"));
    }
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
