//! Monitors a killed daemon spawned but never heard from: a monitor writes
//! `monitor.pid` only once it is set up, so a daemon killed in between
//! leaves a monitor its successor cannot find by pid file. Reconcile finds
//! them by command line (`wharf __monitor <exec-root>/containers/<id>/…`),
//! one /proc scan per reconcile and only when some run needs ending. The
//! scan also finds the runtime a monitor was running (`runc --root
//! <exec-root>/containers/<id>/runtime … create`): any process with an
//! argument inside a run directory belongs to that run. A warm monitor
//! (`__monitor --warm <exec-root>`, `wharf_runtime::warm`) names no
//! container in its arguments: once assigned, before it touches the disk,
//! it works in the container's bundle directory, and it is found by that
//! (`/proc/<pid>/cwd`); an idle one works in `/` and belongs to no run.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long an ended monitor may take to die before reconcile goes on.
const DEATH_WAIT: Duration = Duration::from_secs(2);

/// Monitor pids by container id, for one exec root.
#[derive(Debug, Default)]
pub struct MonitorScan {
    by_id: HashMap<String, Vec<i32>>,
}

impl MonitorScan {
    /// Every process with an argument inside a run directory under
    /// `exec_root` (this daemon's, not another daemon's on the host):
    /// monitors, their runtime helpers, a `runc` they ran.
    pub fn scan(exec_root: &Path) -> MonitorScan {
        let prefix = exec_root.join("containers");
        let mut by_id: HashMap<String, Vec<i32>> = HashMap::new();
        let me = std::process::id() as i32;
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            let warm_run = || {
                is_warm(&cmd)
                    .then(|| std::fs::read_link(format!("/proc/{pid}/cwd")).ok())
                    .flatten()
                    .and_then(|cwd| run_of_path(&cwd, &prefix))
            };
            if let Some(id) = run_of(&cmd, &prefix).or_else(warm_run) {
                by_id.entry(id).or_default().push(pid);
            }
        }
        MonitorScan { by_id }
    }

    /// The processes of container `id`'s run found by the scan.
    pub fn pids(&self, id: &str) -> &[i32] {
        self.by_id.get(id).map(Vec::as_slice).unwrap_or_default()
    }
}

/// The container id of the first argument (after the program) that is
/// `<prefix>/<id>` or inside it, `None` for a process with no such argument.
fn run_of(cmdline: &[u8], prefix: &Path) -> Option<String> {
    cmdline.split(|b| *b == 0).skip(1).find_map(|arg| {
        let arg = std::str::from_utf8(arg).ok()?;
        run_of_path(Path::new(arg), prefix)
    })
}

/// The container id of a path `<prefix>/<id>` or inside it (a deleted
/// working directory reads `… (deleted)`, past the id).
fn run_of_path(path: &Path, prefix: &Path) -> Option<String> {
    let rest = path.strip_prefix(prefix).ok()?;
    let id = rest.components().next()?.as_os_str().to_str()?;
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_string())
}

/// A warm monitor's command line: `… __monitor --warm <exec-root>`.
fn is_warm(cmdline: &[u8]) -> bool {
    let mut args = cmdline.split(|b| *b == 0).skip(1);
    args.any(|a| a == b"__monitor")
        && args.next() == Some(wharf_runtime::warm::WARM_FLAG.as_bytes())
}

/// SIGKILLs `pids` and waits (bounded) until each is dead, so nothing they
/// would still make (a directory, a container process) appears after the
/// clean-up that follows.
pub fn kill_and_wait(pids: &[i32]) {
    for pid in pids.iter().copied().filter(|p| *p > 1) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let deadline = Instant::now() + DEATH_WAIT;
    for pid in pids.iter().copied().filter(|p| *p > 1) {
        while !dead(pid) {
            if Instant::now() >= deadline {
                tracing::warn!(pid, "a killed monitor has not died yet");
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Gone, or a zombie (it runs no more code).
fn dead(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // `pid (comm) S …`: the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        .is_none_or(|s| s == 'Z' || s == 'X')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4cf12c91aa4cf12c91aa4cf12c91aa4cf12c91aa4cf12c91aa4cf12c91aa4cf1";

    #[test]
    fn finds_the_run_of_a_monitor_and_of_its_runc() {
        let prefix = Path::new("/run/wharf/containers");
        let monitor =
            format!("/usr/bin/wharf\0__monitor\0/run/wharf/containers/{ID}/bundle/monitor.json\0");
        let runc = format!(
            "runc\0--root\0/run/wharf/containers/{ID}/runtime\0create\0--bundle\0/run/wharf/containers/{ID}/bundle\0{ID}\0"
        );
        for cmd in [monitor, runc] {
            assert_eq!(
                run_of(cmd.as_bytes(), prefix).as_deref(),
                Some(ID),
                "{cmd:?}"
            );
        }
    }

    #[test]
    fn ignores_other_processes_and_other_roots() {
        let prefix = Path::new("/run/wharf/containers");
        for cmd in [
            format!("/usr/bin/wharf\0__monitor\0/run/other/containers/{ID}/bundle/monitor.json\0"),
            "/usr/bin/wharf\0daemon\0--exec-root\0/run/wharf\0".into(),
            format!("/run/wharf/containers/{ID}/bin\0"),
            "/usr/bin/wharf\0__monitor\0/run/wharf/containers/short/bundle/monitor.json\0".into(),
            "sleep\0x\0".into(),
            String::new(),
        ] {
            assert_eq!(run_of(cmd.as_bytes(), prefix), None, "{cmd:?}");
        }
    }

    #[test]
    fn an_assigned_warm_monitor_is_found_by_its_working_directory() {
        let prefix = Path::new("/run/wharf/containers");
        let warm = "/usr/bin/wharf-monitor\0__monitor\0--warm\0/run/wharf\0";
        assert!(is_warm(warm.as_bytes()));
        assert_eq!(run_of(warm.as_bytes(), prefix), None, "names no run");
        for cwd in [
            format!("/run/wharf/containers/{ID}/bundle"),
            format!("/run/wharf/containers/{ID}/bundle (deleted)"),
        ] {
            assert_eq!(
                run_of_path(Path::new(&cwd), prefix).as_deref(),
                Some(ID),
                "{cwd}"
            );
        }
        // an idle one works in `/`; another daemon's under its own root
        for cwd in ["/", "/run/other/containers/x"] {
            assert_eq!(run_of_path(Path::new(cwd), prefix), None, "{cwd}");
        }
        for cmd in [
            format!("/usr/bin/wharf\0__monitor\0/run/wharf/containers/{ID}/bundle/monitor.json\0"),
            "/usr/bin/wharf\0daemon\0--warm\0/run/wharf\0".into(),
            "sleep\0--warm\0".into(),
        ] {
            assert!(!is_warm(cmd.as_bytes()), "{cmd:?}");
        }
    }

    #[test]
    fn the_own_process_is_alive_and_a_missing_one_dead() {
        assert!(!dead(std::process::id() as i32));
        assert!(dead(i32::MAX));
    }
}
