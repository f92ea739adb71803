//! The exec root (bundles, monitor sockets and pid files, the runtime's
//! state, pinned network namespaces) holds only what dies with the boot,
//! which is why it lives under `/run`, a tmpfs on most hosts. Where `/run`
//! is on disk, every start and exit would pay for journaled metadata
//! updates (a dozen mkdir, create, rename and unlink calls, each waiting
//! on the journal behind any fsync in flight): measured on such a host,
//! `run --rm` took a fifth longer under load. So the daemon mounts a tmpfs
//! of its own there. It stays mounted across daemon restarts, as the
//! monitors living in it outlive the daemon, and goes when a daemon stops
//! with no container left running.

use std::path::Path;

use wharf_sys::fs::MODE_PRIVATE_DIR;
use wharf_sys::tmpfs;

/// Mounts the tmpfs on `exec_root` unless it is already in memory, or
/// unless the directory holds state a tmpfs would hide: the run directory
/// of a container (one started by a wharf that kept it on disk, whose
/// monitor still answers there), a mount (a `cp` or `export` view), or the
/// socket systemd made for us (`activated`).
pub fn prepare(exec_root: &Path, enabled: bool, activated: bool) {
    if !enabled || activated {
        return;
    }
    match tmpfs::in_memory(exec_root) {
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(exec_root = %exec_root.display(), error = %e, "exec root kept on disk: cannot tell its file system");
            return;
        }
    }
    // nothing readable there yet: nothing to hide
    if holds_runs(exec_root).unwrap_or(false) || has_mounts_under(exec_root) {
        tracing::info!(exec_root = %exec_root.display(), "exec root kept on disk: it holds the state of containers started before");
        return;
    }
    match tmpfs::mount_private(exec_root, MODE_PRIVATE_DIR) {
        Ok(()) => {
            tracing::info!(exec_root = %exec_root.display(), "exec root on a tmpfs of its own")
        }
        Err(e) => {
            tracing::warn!(exec_root = %exec_root.display(), error = %e, "exec root kept on disk")
        }
    }
}

/// At shutdown: unmounts our tmpfs when nothing in it is alive any more
/// (no container's run directory, no view mounted), so a stopped daemon
/// leaves no mount behind. With containers running it stays, for them and
/// for the next daemon.
pub fn release_if_idle(exec_root: &Path) {
    if !tmpfs::is_ours(exec_root) {
        return;
    }
    // unreadable: keep it, something may still live there
    if holds_runs(exec_root).unwrap_or(true) || has_mounts_under(exec_root) {
        return;
    }
    if let Err(e) = tmpfs::unmount(exec_root) {
        tracing::warn!(exec_root = %exec_root.display(), error = %e, "cannot unmount the exec root's tmpfs");
    }
}

/// Whether the exec root holds a container's run directory; `None` when
/// that cannot be read.
fn holds_runs(exec_root: &Path) -> Option<bool> {
    std::fs::read_dir(exec_root.join("containers"))
        .ok()
        .map(|mut d| d.next().is_some())
}

/// Whether anything is mounted strictly below `dir`.
fn has_mounts_under(dir: &Path) -> bool {
    let Ok(points) = wharf_sys::mount::mount_points() else {
        return true;
    };
    points.iter().any(|m| m.starts_with(dir) && m != dir)
}
