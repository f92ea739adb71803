//! Removes a stopped container's cgroups (`wharf/<id>` in every mounted
//! hierarchy). runc leaves some behind on hybrid hosts, so the daemon makes
//! sure, whatever the runtime did.

use std::path::PathBuf;

/// Every cgroup v1 or v2 mount point of the host.
fn hierarchies() -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.lines()
        .filter_map(|l| {
            let (pre, post) = l.split_once(" - ")?;
            let fstype = post.split_whitespace().next()?;
            let mount_point = pre.split_whitespace().nth(4)?;
            (fstype == "cgroup" || fstype == "cgroup2").then(|| PathBuf::from(mount_point))
        })
        .collect()
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
