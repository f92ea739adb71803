//! Whether the kernel's OOM killer killed a process of a container's
//! cgroup: the `oom_kill` counter of cgroup v2's `memory.events` or of
//! cgroup v1's `memory.oom_control` (hybrid hosts have both trees).

use std::path::Path;

/// The `oom_kill N` value of a `memory.events` or `memory.oom_control` text.
pub fn parse_oom_kill(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// OOM kills recorded for `cgroup_path` (e.g. `/wharf/<id>`) under the
/// cgroup mount `root` (`/sys/fs/cgroup`), in every place a v1, v2 or
/// hybrid host keeps them.
pub fn oom_kills_under(root: &Path, cgroup_path: &str) -> u64 {
    let rel = cgroup_path.trim_start_matches('/');
    [
        root.join("memory").join(rel).join("memory.oom_control"),
        root.join(rel).join("memory.events"),
        root.join("unified").join(rel).join("memory.events"),
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .map(|t| parse_oom_kill(&t))
    .max()
    .unwrap_or(0)
}

/// [`oom_kills_under`] the host's `/sys/fs/cgroup`.
pub fn oom_killed(cgroup_path: &str) -> bool {
    oom_kills_under(Path::new("/sys/fs/cgroup"), cgroup_path) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v1_and_v2_counters() {
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"),
            2
        );
        assert_eq!(
            parse_oom_kill("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n"),
            1
        );
        assert_eq!(parse_oom_kill("oom_kill_disable 0\nunder_oom 0\n"), 0);
        let root = std::env::temp_dir().join(format!("wharf-oom-{}", std::process::id()));
        let v1 = root.join("memory/wharf/c1");
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::write(v1.join("memory.oom_control"), "oom_kill 0\n").unwrap();
        assert_eq!(oom_kills_under(&root, "/wharf/c1"), 0);
        let v2 = root.join("unified/wharf/c1");
        std::fs::create_dir_all(&v2).unwrap();
        std::fs::write(v2.join("memory.events"), "oom 1\noom_kill 1\n").unwrap();
        assert_eq!(oom_kills_under(&root, "/wharf/c1"), 1);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
