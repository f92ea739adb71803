//! The host's cgroup file systems: the one parser of their mounts
//! ([`mounts`]: v1 hierarchies with their controllers, and the cgroup2
//! mount), and the host-wide setting the daemon may apply at start-up
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

/// A cgroup hierarchy mounted on the host, as `/proc/self/mountinfo`
/// lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// Where it is mounted (mountinfo's `\ooo` escapes undone).
    pub mount_point: PathBuf,
    /// True for the cgroup2 (unified) mount, false for a v1 hierarchy.
    pub v2: bool,
    /// A v1 hierarchy's controllers (`cpu`, `cpuacct`, `memory`, …), in
    /// the order the mount lists them; empty for cgroup2 and for a named
    /// hierarchy without controllers.
    pub controllers: Vec<String>,
    /// A v1 named hierarchy's name (`systemd` for `name=systemd`).
    pub name: Option<String>,
    /// The super-block options as listed, e.g. `rw,nsdelegate` or
    /// `rw,cpu,cpuacct`.
    pub options: String,
}

impl CgroupMount {
    /// True when this v1 hierarchy carries `controller`.
    pub fn has_controller(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// v1 super-block options that are not controllers.
const V1_FLAGS: &[&str] = &[
    "rw",
    "ro",
    "none",
    "noprefix",
    "xattr",
    "clone_children",
    "cpuset_v2_mode",
    "favordynmods",
];

/// The cgroup mounts (v1 hierarchies and the cgroup2 mount) of a
/// mountinfo text, in its order. Lines that are not cgroup mounts, or are
/// malformed, are skipped.
pub fn parse_mounts(mountinfo: &str) -> Vec<CgroupMount> {
    mountinfo
        .lines()
        .filter_map(|l| {
            // optional fields sit between the mount options and " - "
            let (pre, post) = l.split_once(" - ")?;
            let mut f = post.split_whitespace();
            let v2 = match f.next()? {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            let _source = f.next()?;
            let options = f.next().unwrap_or("").to_string();
            let mount_point = PathBuf::from(crate::mount::unescape_mountinfo(
                pre.split_whitespace().nth(4)?,
            ));
            let (mut controllers, mut name) = (Vec::new(), None);
            if !v2 {
                for o in options.split(',').filter(|o| !o.is_empty()) {
                    if let Some(n) = o.strip_prefix("name=") {
                        name = Some(n.to_string());
                    } else if !V1_FLAGS.contains(&o) && !o.contains('=') {
                        controllers.push(o.to_string());
                    }
                }
            }
            Some(CgroupMount {
                mount_point,
                v2,
                controllers,
                name,
                options,
            })
        })
        .collect()
}

/// The host's cgroup mounts, read from `/proc/self/mountinfo` now. The
/// kernel writes that file out at each read, at a cost that grows with the
/// mount table (every running container adds mounts): long-lived callers
/// keep the answer, cgroup hierarchies do not change under them.
pub fn mounts() -> Result<Vec<CgroupMount>, CgroupFsError> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").map_err(CgroupFsError::MountInfo)?;
    Ok(parse_mounts(&info))
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
    let m = mounts()?
        .into_iter()
        .find(|m| m.v2)
        .ok_or(CgroupFsError::NoCgroup2)?;
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

    fn v1(
        mount_point: &str,
        controllers: &[&str],
        name: Option<&str>,
        options: &str,
    ) -> CgroupMount {
        CgroupMount {
            mount_point: PathBuf::from(mount_point),
            v2: false,
            controllers: controllers.iter().map(|c| c.to_string()).collect(),
            name: name.map(str::to_string),
            options: options.to_string(),
        }
    }

    #[test]
    fn parses_a_hybrid_host() {
        let info = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n\
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime shared:5 - cgroup cgroup rw,xattr,name=systemd\n\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n\
42 31 0:39 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children,release_agent=/x\n";
        let m = parse_mounts(info);
        assert_eq!(
            m,
            vec![
                v1(
                    "/sys/fs/cgroup/cpu,cpuacct",
                    &["cpu", "cpuacct"],
                    None,
                    "rw,cpu,cpuacct"
                ),
                v1(
                    "/sys/fs/cgroup/systemd",
                    &[],
                    Some("systemd"),
                    "rw,xattr,name=systemd"
                ),
                CgroupMount {
                    mount_point: PathBuf::from("/sys/fs/cgroup/unified"),
                    v2: true,
                    controllers: vec![],
                    name: None,
                    options: "rw,nsdelegate".into(),
                },
                v1(
                    "/sys/fs/cgroup/cpuset",
                    &["cpuset"],
                    None,
                    "rw,cpuset,clone_children,release_agent=/x"
                ),
            ]
        );
        assert!(m[0].has_controller("cpuacct") && !m[0].has_controller("cpu,cpuacct"));
        assert!(!m[2].has_controller("cpu"));
    }

    #[test]
    fn parses_a_pure_v2_host() {
        let info = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n\
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        let m = parse_mounts(info);
        assert_eq!(m.len(), 1);
        assert!(m[0].v2);
        assert_eq!(m[0].mount_point, PathBuf::from("/sys/fs/cgroup"));
        assert_eq!(m[0].options, "rw,nsdelegate,memory_recursiveprot");
        assert!(m[0].controllers.is_empty() && m[0].name.is_none());
        assert!(parse_mounts("1 2 0:1 / / rw - ext4 /dev/vda rw\n").is_empty());
    }

    #[test]
    fn named_hierarchies_and_escaped_mount_points() {
        let info = "50 31 0:40 / /tmp/my\\040cgroups/elogind rw,relatime - cgroup cgroup rw,none,name=elogind\n\
51 31 0:41 / /tmp/a\\011b rw,relatime - cgroup cgroup rw,memory,name=mixed\n\
garbage line without separator\n\
52 31 0:42 / /broken - cgroup\n";
        let m = parse_mounts(info);
        assert_eq!(
            m,
            vec![
                v1(
                    "/tmp/my cgroups/elogind",
                    &[],
                    Some("elogind"),
                    "rw,none,name=elogind"
                ),
                v1(
                    "/tmp/a\tb",
                    &["memory"],
                    Some("mixed"),
                    "rw,memory,name=mixed"
                ),
            ]
        );
    }

    #[test]
    fn the_real_mount_table_parses() {
        // whatever the host, reading it works and every entry has a path
        for m in mounts().unwrap() {
            assert!(m.mount_point.is_absolute(), "{m:?}");
        }
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
