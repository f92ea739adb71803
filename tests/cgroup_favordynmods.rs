//! `wharf daemon --cgroup-favordynmods` (issue 13): the daemon remounts
//! the host's cgroup2 mount with `favordynmods` at start-up, keeping the
//! mount's other options, and goes on serving; a host that cannot take the
//! option gets a warning in the log, not a failed daemon. Host-wide and
//! sticky (on recent kernels until reboot), as the flag documents: this
//! test opts the test host in.
mod common;

use common::Daemon;

/// The options of the first cgroup2 mount, when there is one.
fn cgroup2_options() -> Option<String> {
    cgroup2_mount().map(|(_, opts)| opts)
}

/// The first cgroup2 mount: its mount point and its super-block options.
fn cgroup2_mount() -> Option<(String, String)> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut f = post.split_whitespace();
        if f.next()? != "cgroup2" {
            return None;
        }
        let opts = f.nth(1).unwrap_or("").to_string();
        Some((pre.split_whitespace().nth(4)?.to_string(), opts))
    })
}

/// Puts the host's cgroup2 mount options back as the test found them
/// (the kernel may keep the cheaper migrations until reboot, but the mount
/// no longer asks for them), also when the test fails.
struct Restore(Option<(String, String)>);
impl Drop for Restore {
    fn drop(&mut self) {
        let Some((point, opts)) = &self.0 else { return };
        if opts.split(',').any(|o| o == "favordynmods") {
            return;
        }
        let _ = std::process::Command::new("mount")
            .args([
                "-t",
                "cgroup2",
                "-o",
                &format!("remount,{opts}"),
                "none",
                point,
            ])
            .status();
    }
}

#[test]
fn favordynmods_is_applied_and_the_daemon_serves() {
    let before = cgroup2_options();
    let _restore = Restore(cgroup2_mount());
    let d = Daemon::start_bare_with_args(&["--cgroup-favordynmods"]);
    assert!(d.ping());
    let log = d.log_text();
    match &before {
        Some(opts) => {
            let after = cgroup2_options().expect("the cgroup2 mount is still there");
            if log.contains("remounted with favordynmods") {
                assert!(
                    after.split(',').any(|o| o == "favordynmods"),
                    "cgroup2 options after: {after}"
                );
                // The mount's other flags are kept.
                for o in opts.split(',').filter(|o| *o != "rw" && *o != "ro") {
                    assert!(after.split(',').any(|a| a == o), "lost {o}: {after}");
                }
            } else if log.contains("has favordynmods already") {
                assert!(opts.split(',').any(|o| o == "favordynmods"), "{opts}");
            } else {
                // An older kernel refuses the option: said, not fatal.
                assert!(log.contains("--cgroup-favordynmods not applied"), "{log}");
            }
        }
        None => assert!(log.contains("no cgroup2 mount"), "{log}"),
    }
    // Containers still start and exit normally.
    d.import_busybox();
    let o = d.wharf(&["run", "--rm", "--network", "none", "busybox", "true"]);
    o.success();
}
