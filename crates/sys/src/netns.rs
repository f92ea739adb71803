//! Network namespaces: made, entered and released on dedicated OS threads.
//!
//! `unshare` and `setns` change the calling *thread*, so they never run on a
//! tokio worker or any thread that outlives the call: each function here
//! spawns a short-lived thread, does its work there and joins it.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

use crate::mount::is_mountpoint;

fn thread_error() -> io::Error {
    io::Error::other("network namespace thread panicked")
}

/// Creates a new network namespace with `lo` up, pinned by a bind mount at
/// `path` (its parent directory is created). On failure nothing is left.
pub fn create(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    File::create(path)?;
    let target = path.to_path_buf();
    let made = std::thread::spawn(move || -> io::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("unshare network namespace: {e}"),
            )
        })?;
        let ns = format!("/proc/self/task/{}/ns/net", nix::unistd::gettid());
        mount(
            Some(ns.as_str()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("pin network namespace at {}: {e}", target.display()),
            )
        })?;
        crate::net::loopback_up()
            .map_err(|e| io::Error::new(e.kind(), format!("bring up loopback: {e}")))
    })
    .join()
    .map_err(|_| thread_error())?;
    if let Err(e) = made {
        remove(path);
        return Err(e);
    }
    Ok(())
}

/// A network namespace made ahead of need, `lo` up, held only by an open
/// file: nothing on disk, and it goes with the process that holds it.
pub struct Spare(File);

/// Makes a [`Spare`] on a short-lived thread (unshare changes the calling
/// thread, which then exits, so no other thread ever runs inside it).
pub fn make_spare() -> io::Result<Spare> {
    std::thread::spawn(|| -> io::Result<Spare> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("unshare network namespace: {e}"),
            )
        })?;
        let ns = File::open(format!("/proc/self/task/{}/ns/net", nix::unistd::gettid()))?;
        crate::net::loopback_up()
            .map_err(|e| io::Error::new(e.kind(), format!("bring up loopback: {e}")))?;
        Ok(Spare(ns))
    })
    .join()
    .map_err(|_| thread_error())?
}

/// Pins `spare` at `path` (its parent directory is created), as
/// [`create`] pins a new one; one bind mount instead of a namespace's
/// creation. On failure nothing is left at `path`.
pub fn pin(spare: Spare, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    File::create(path)?;
    let src = format!("/proc/self/fd/{}", spare.0.as_raw_fd());
    let pinned = mount(
        Some(src.as_str()),
        path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    );
    if let Err(e) = pinned {
        let _ = std::fs::remove_file(path);
        return Err(io::Error::new(
            io::Error::from(e).kind(),
            format!("pin network namespace at {}: {e}", path.display()),
        ));
    }
    Ok(())
}

/// Releases a pinned namespace (it lives on while a process is still in it).
/// Missing or already-released paths are fine.
pub fn remove(path: &Path) {
    if is_mountpoint(path).unwrap_or(false) {
        let _ = umount2(path, MntFlags::MNT_DETACH);
    }
    let _ = std::fs::remove_file(path);
}

/// Runs `f` on a fresh thread that has entered the network namespace pinned
/// at `path`, and returns its result. Sockets `f` opens belong to that
/// namespace and stay there when handed back to other threads.
pub fn run_in<R, F>(path: &Path, f: F) -> io::Result<R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    let ns = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open netns {}: {e}", path.display())))?;
    let path: PathBuf = path.to_path_buf();
    std::thread::scope(|s| {
        s.spawn(move || -> io::Result<R> {
            setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| {
                io::Error::new(
                    io::Error::from(e).kind(),
                    format!("enter netns {}: {e}", path.display()),
                )
            })?;
            Ok(f())
        })
        .join()
        .map_err(|_| thread_error())?
    })
}

/// Like [`run_in`], in two halves on one fresh thread: `host` runs in the
/// caller's namespace, then the thread enters the namespace at `path` and
/// `inside` gets what `host` returned. Sockets opened by `host` stay in the
/// host's namespace, so one thread can drive both sides (the start path
/// makes a veth and configures its peer without a second thread).
pub fn run_host_then_in<A, R, H, F>(path: &Path, host: H, inside: F) -> io::Result<R>
where
    H: FnOnce() -> A + Send,
    F: FnOnce(A) -> R + Send,
    R: Send,
{
    let ns = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("open netns {}: {e}", path.display())))?;
    let path: PathBuf = path.to_path_buf();
    std::thread::scope(|s| {
        s.spawn(move || -> io::Result<R> {
            let a = host();
            setns(&ns, CloneFlags::CLONE_NEWNET).map_err(|e| {
                io::Error::new(
                    io::Error::from(e).kind(),
                    format!("enter netns {}: {e}", path.display()),
                )
            })?;
            Ok(inside(a))
        })
        .join()
        .map_err(|_| thread_error())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn netns_inode(p: &str) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().ino()
    }

    #[test]
    fn create_enter_remove() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let dir = std::env::temp_dir().join(format!("wharf-netns-test-{}", std::process::id()));
        let path = dir.join("ns");
        create(&path).unwrap();
        let host = netns_inode("/proc/self/ns/net");
        let inside = run_in(&path, || netns_inode("/proc/thread-self/ns/net")).unwrap();
        assert_ne!(host, inside, "run_in must execute in the other namespace");
        // The calling thread is untouched.
        assert_eq!(host, netns_inode("/proc/thread-self/ns/net"));
        remove(&path);
        assert!(!path.exists());
        let _ = std::fs::remove_dir(&dir);
        assert!(run_in(&path, || ()).is_err());
    }

    #[test]
    fn a_spare_pinned_is_a_namespace_of_its_own_with_lo_up() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let dir = std::env::temp_dir().join(format!("wharf-spare-test-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b"));
        pin(make_spare().unwrap(), &a).unwrap();
        pin(make_spare().unwrap(), &b).unwrap();
        let host = netns_inode("/proc/self/ns/net");
        let ia = run_in(&a, || netns_inode("/proc/thread-self/ns/net")).unwrap();
        let ib = run_in(&b, || netns_inode("/proc/thread-self/ns/net")).unwrap();
        // `ip` forked from the thread inside runs in the namespace too
        let up = run_in(&a, || {
            std::process::Command::new("ip")
                .args(["-o", "link", "show", "lo"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains(",UP"))
                .unwrap_or(false)
        })
        .unwrap();
        remove(&a);
        remove(&b);
        let _ = std::fs::remove_dir(&dir);
        assert_ne!(ia, host);
        assert_ne!(ib, host);
        assert_ne!(ia, ib);
        assert!(up, "lo is not up in the spare namespace");
    }
}
