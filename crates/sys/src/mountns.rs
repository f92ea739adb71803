//! Private mount namespaces on dedicated OS threads, for work that needs
//! mounts nobody else sees (a stopped container's filesystem with its
//! volumes for `docker cp`). The thread unshares its mount namespace (and
//! with it its fs context), makes every mount private so nothing
//! propagates back to the host, runs the work and exits: the namespace
//! and every mount made in it go away with the thread, also on a panic.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;

use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};

fn errno(e: nix::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::Error::from(e).kind(), format!("{what}: {e}"))
}

/// Runs `f` on a fresh thread in a private copy of the mount namespace.
pub fn run_private<R, F>(f: F) -> io::Result<R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    std::thread::scope(|s| {
        s.spawn(move || -> io::Result<R> {
            unshare(CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_FS)
                .map_err(|e| errno(e, "unshare mount namespace"))?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .map_err(|e| errno(e, "make mounts private"))?;
            Ok(f())
        })
        .join()
        .map_err(|_| io::Error::other("mount namespace thread panicked"))?
    })
}

/// Mounts an overlay at `at` with `options` (lowerdir/upperdir/workdir).
pub fn mount_overlay(at: &Path, options: &str) -> io::Result<()> {
    mount(
        Some("overlay"),
        at,
        Some("overlay"),
        MsFlags::empty(),
        Some(options),
    )
    .map_err(|e| errno(e, format!("mount overlay at {}", at.display())))
}

fn fd_path(fd: BorrowedFd<'_>) -> String {
    format!("/proc/thread-self/fd/{}", fd.as_raw_fd())
}

/// Bind-mounts `source` (a trusted host path) onto the object `target`
/// is open on, reached through its fd, never through a path string.
pub fn bind_onto_fd(source: &Path, target: BorrowedFd<'_>) -> io::Result<()> {
    mount(
        Some(source),
        fd_path(target).as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| errno(e, format!("bind {}", source.display())))
}

/// Makes the mount whose root `mount_root` is open on read-only.
pub fn remount_read_only(mount_root: BorrowedFd<'_>) -> io::Result<()> {
    mount(
        None::<&str>,
        fd_path(mount_root).as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    )
    .map_err(|e| errno(e, "remount read-only"))
}
