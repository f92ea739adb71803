//! Host-wide cgroup file system settings the daemon may apply at start-up
//! (`wharf daemon --cgroup-favordynmods`).
//!
//! Moving a process into a cgroup takes the kernel's global
//! `cgroup_threadgroup_rwsem` for writing. In its default mode that
//! per-cpu semaphore makes every writer wait for an RCU grace period
//! (several milliseconds, up to tens on a busy host) so that fork and exit
//! stay cheap: on a cgroup v1 host the runtime's first `cgroup.procs` write
//! of each start pays it. The cgroup2 mount option `favordynmods` (Linux
//! 6.0+) keeps the semaphore in its slow-reader mode instead: migrations
//! (every container start, every exec) no longer wait, and fork and exit
//! become slightly dearer, for the whole host. The option applies to the
//! semaphore every hierarchy shares, so setting it on the cgroup2 mount of a
//! hybrid host lifts the wait for v1 writes too (v1 mounts refuse it).

use std::io;
use std::path::{Path, PathBuf};

/// What [`favor_dynmods`] found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FavorDynmods {
    /// The option was set now on this cgroup2 mount.
    Set(PathBuf),
    /// The mount had it already.
    AlreadySet(PathBuf),
}

/// Errors applying `favordynmods`.
#[derive(Debug, thiserror::Error)]
pub enum CgroupFsError {
    #[error("no cgroup2 mount in /proc/self/mountinfo: favordynmods needs one (a cgroup v2 or hybrid host)")]
    NoCgroup2,
    #[error("reading /proc/self/mountinfo: {0}")]
    MountInfo(io::Error),
    #[error("remount of the cgroup2 mount {path:?} with favordynmods failed (it needs Linux 6.0 or later): {source}")]
    Remount { path: PathBuf, source: io::Error },
}

impl CgroupFsError {
    /// A host that cannot take the option is a host condition, not bad input.
    pub fn kind(&self) -> &'static str {
        match self {
            CgroupFsError::NoCgroup2 => "not_found",
            _ => "other",
        }
    }
}

/// A cgroup2 mount: its mount point and its super-block options.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cgroup2Mount {
    mount_point: PathBuf,
    /// Super options, e.g. `rw,nsdelegate,memory_recursiveprot`.
    options: String,
}

/// The first cgroup2 mount listed in a mountinfo text.
fn find_cgroup2(mountinfo: &str) -> Option<Cgroup2Mount> {
    mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut f = post.split_whitespace();
        if f.next()? != "cgroup2" {
            return None;
        }
        let _source = f.next()?;
        let options = f.next().unwrap_or("").to_string();
        let mount_point = PathBuf::from(crate::mount::unescape_mountinfo(
            pre.split_whitespace().nth(4)?,
        ));
        Some(Cgroup2Mount {
            mount_point,
            options,
        })
    })
}

/// The options to pass on remount: a cgroup2 remount sets every root flag
/// from the options it is given and clears the others, so the mount's own
/// flags (`nsdelegate`, `memory_recursiveprot`, …) are given again, with
/// `favordynmods` added. `rw`/`ro` are per-mount flags, not data.
fn remount_data(options: &str) -> String {
    let mut opts: Vec<&str> = options
        .split(',')
        .filter(|o| !o.is_empty() && *o != "rw" && *o != "ro")
        .collect();
    if !opts.contains(&"favordynmods") {
        opts.push("favordynmods");
    }
    opts.join(",")
}

/// Sets `favordynmods` on the host's cgroup2 mount, keeping its other
/// options. Host-wide and, on recent kernels, kept until reboot.
pub fn favor_dynmods() -> Result<FavorDynmods, CgroupFsError> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").map_err(CgroupFsError::MountInfo)?;
    let m = find_cgroup2(&info).ok_or(CgroupFsError::NoCgroup2)?;
    if m.options.split(',').any(|o| o == "favordynmods") {
        return Ok(FavorDynmods::AlreadySet(m.mount_point));
    }
    remount(&m.mount_point, &remount_data(&m.options)).map_err(|source| {
        CgroupFsError::Remount {
            path: m.mount_point.clone(),
            source,
        }
    })?;
    Ok(FavorDynmods::Set(m.mount_point))
}

fn remount(target: &Path, data: &str) -> io::Result<()> {
    nix::mount::mount(
        Some("none"),
        target,
        Some("cgroup2"),
        nix::mount::MsFlags::MS_REMOUNT,
        Some(data),
    )
    .map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

    #[test]
    fn finds_the_cgroup2_mount_of_a_hybrid_host() {
        let m = find_cgroup2(HYBRID).unwrap();
        assert_eq!(m.mount_point, PathBuf::from("/sys/fs/cgroup/unified"));
        assert_eq!(m.options, "rw,nsdelegate");
        assert_eq!(find_cgroup2("1 2 0:1 / / rw - ext4 /dev/vda rw\n"), None);
    }

    #[test]
    fn remount_keeps_the_mount_flags() {
        assert_eq!(remount_data("rw"), "favordynmods");
        assert_eq!(
            remount_data("rw,nsdelegate,memory_recursiveprot"),
            "nsdelegate,memory_recursiveprot,favordynmods"
        );
        assert_eq!(remount_data("rw,favordynmods"), "favordynmods");
    }
}
