//! The container's network namespace, made by the daemon and handed to the
//! runtime by path (the OCI namespace `path`), so later networking can
//! configure it before the container starts. Made on a dedicated OS thread:
//! `unshare` changes the calling thread, which must never be a tokio one.

use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::error::{Error, Result};

/// Creates a new network namespace with `lo` up, pinned by a bind mount at
/// `path`.
pub fn create(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, b"")?;
    let target = path.to_path_buf();
    let made = std::thread::spawn(move || -> std::result::Result<(), String> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| format!("unshare network namespace: {e}"))?;
        let ns = format!("/proc/self/task/{}/ns/net", nix::unistd::gettid());
        mount(
            Some(ns.as_str()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("pin network namespace at {}: {e}", target.display()))?;
        wharf_sys::net::loopback_up().map_err(|e| format!("bring up loopback: {e}"))
    })
    .join()
    .map_err(|_| Error::internal("network namespace thread panicked"))?;
    if let Err(e) = made {
        remove(path);
        return Err(Error::internal(e));
    }
    Ok(())
}

/// Releases the namespace (it lives on while a process is still in it).
pub fn remove(path: &Path) {
    if super::rootfs::is_mountpoint(path) {
        let _ = umount2(path, MntFlags::MNT_DETACH);
    }
    let _ = std::fs::remove_file(path);
}
