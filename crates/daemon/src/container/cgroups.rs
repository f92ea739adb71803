//! Removes a stopped container's cgroups (`wharf/<id>` in every mounted
//! hierarchy). runc leaves some behind on hybrid hosts, so the daemon makes
//! sure, whatever the runtime did.

use std::path::PathBuf;

use wharf_sys::cgroupfs::CgroupMount;

/// The host's cgroup mounts, read once per daemon: the mount table grows
/// with every running container (overlay and netns), so reading it at each
/// start and exit cost in proportion to the containers running, and the
/// cgroup hierarchies do not change under a running daemon.
fn cgroup_mounts() -> &'static [CgroupMount] {
    static MOUNTS: std::sync::OnceLock<Vec<CgroupMount>> = std::sync::OnceLock::new();
    MOUNTS.get_or_init(|| {
        wharf_sys::cgroupfs::mounts().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the cgroup mounts");
            Vec::new()
        })
    })
}

/// Every cgroup v1 or v2 mount point of the host.
fn hierarchies() -> impl Iterator<Item = &'static PathBuf> {
    cgroup_mounts().iter().map(|m| &m.mount_point)
}

/// `rmdir` of `<hierarchy>/wharf/<id>`; an empty cgroup goes, a missing
/// one is fine, one with processes left stays (and is logged).
pub fn remove(id: &str) {
    for h in hierarchies() {
        let dir = h.join("wharf").join(id);
        match std::fs::remove_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(cgroup = %dir.display(), error = %e, "cannot remove cgroup"),
        }
    }
}

/// The mount point of the v1 hierarchy with `controller`, if any.
fn v1_hierarchy(controller: &str) -> Option<PathBuf> {
    cgroup_mounts()
        .iter()
        .find(|m| !m.v2 && m.has_controller(controller))
        .map(|m| m.mount_point.clone())
}

/// How long a freeze may take to settle before it is reported as failed.
const FREEZE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Freezes (or thaws) every process of the container `id` through the
/// cgroup freezer: `cgroup.freeze` on a v2-only host, `freezer.state` on v1
/// and hybrid hosts (where the runtimes put containers in the v1
/// hierarchies). Returns once the kernel reports the new state.
pub fn freeze(id: &str, frozen: bool) -> std::io::Result<()> {
    let unified = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    let (file, value, settled): (PathBuf, &str, Box<dyn Fn() -> bool>) = if unified {
        let dir = PathBuf::from("/sys/fs/cgroup/wharf").join(id);
        let events = dir.join("cgroup.events");
        let want = if frozen { "frozen 1" } else { "frozen 0" };
        (
            dir.join("cgroup.freeze"),
            if frozen { "1" } else { "0" },
            Box::new(move || {
                std::fs::read_to_string(&events).is_ok_and(|s| s.lines().any(|l| l == want))
            }),
        )
    } else {
        let root = v1_hierarchy("freezer").ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "this host has no cgroup freezer",
            )
        })?;
        let state = root.join("wharf").join(id).join("freezer.state");
        let want = if frozen { "FROZEN" } else { "THAWED" };
        let check = state.clone();
        (
            state,
            want,
            Box::new(move || std::fs::read_to_string(&check).is_ok_and(|s| s.trim() == want)),
        )
    };
    std::fs::write(&file, value)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    let deadline = std::time::Instant::now() + FREEZE_TIMEOUT;
    // The freezer settles asynchronously (FREEZING on v1); it takes
    // microseconds for an idle container, so a short poll is enough.
    while !settled() {
        if std::time::Instant::now() > deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{} did not reach {value}", file.display()),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Ok(())
}

/// The directory of container `id`'s cgroup for `controller`: the v1
/// hierarchy carrying it, or the unified one on a v2-only host.
pub fn controller_dir(id: &str, controller: &str) -> Option<PathBuf> {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        return Some(PathBuf::from("/sys/fs/cgroup/wharf").join(id));
    }
    v1_hierarchy(controller).map(|h| h.join("wharf").join(id))
}

/// True on a cgroup v2-only host.
pub fn is_unified() -> bool {
    std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// Pids in `wharf/<id>` of every hierarchy.
fn pids(id: &str) -> std::collections::BTreeSet<i32> {
    hierarchies()
        .filter_map(|h| std::fs::read_to_string(h.join("wharf").join(id).join("cgroup.procs")).ok())
        .flat_map(|s| {
            s.lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// SIGKILLs every process of container `id` through its cgroups and waits
/// until they are gone; returns how many were killed. On v2 `cgroup.kill`
/// does it atomically; on v1 the freezer stops the processes first, so none
/// can fork a child the kill would miss.
pub fn kill_all(id: &str) -> std::io::Result<usize> {
    let found = pids(id);
    if found.is_empty() {
        return Ok(0);
    }
    let unified_kill = PathBuf::from("/sys/fs/cgroup/wharf")
        .join(id)
        .join("cgroup.kill");
    if is_unified() && unified_kill.exists() {
        std::fs::write(&unified_kill, "1")?;
    } else {
        let frozen = freeze(id, true).is_ok();
        for pid in pids(id) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if frozen {
            // A frozen task dies only once thawed.
            freeze(id, false)?;
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !pids(id).is_empty() {
        if std::time::Instant::now() > deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("processes of container {id} survived SIGKILL"),
            ));
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Ok(found.len())
}
