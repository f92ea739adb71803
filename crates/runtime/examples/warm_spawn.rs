//! Spawn to readiness of one monitor, cold (`__monitor <config>`) against
//! warm (`__monitor --warm`, assigned), alternated, on a scratch root of
//! its own (issue 13's `monitor_spawn`, without the bundle write):
//!
//!   cargo run --example warm_spawn -- target/release/wharf-monitor 40
//!
//! Each monitor is given a bundle with no `config.json`: it answers ready
//! (socket bound, pid file written), its create fails, and it is killed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wharf_runtime::warm::{Assigned, WarmMonitor};
use wharf_runtime::MonitorConfig;

fn config(root: &std::path::Path, i: usize) -> MonitorConfig {
    let id = format!("{:064x}", i + 1);
    let run = root.join("containers").join(&id);
    MonitorConfig {
        id: id.clone(),
        bundle: run.join("bundle"),
        runtime: "runc".into(),
        runtime_root: run.join("runtime"),
        log_path: run.join("log.json"),
        state_dir: run.join("state"),
        socket_path: run.join("monitor.sock"),
        pid_file: run.join("monitor.pid"),
        terminal: false,
        open_stdin: false,
        stdin_once: false,
        cgroup_path: None,
        log: wharf_runtime::config::LogRotation {
            disabled: true,
            ..Default::default()
        },
    }
}

fn kill(pid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}

fn median(v: &mut [u128]) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let exe = std::fs::canonicalize(args.next().expect("usage: warm_spawn <monitor exe> [n]"))
        .expect("monitor executable");
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let root = PathBuf::from(format!("/tmp/wsb{}", std::process::id()));
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for i in 0..n {
        let c = config(&root, 2 * i);
        let t = Instant::now();
        let pid = wharf_runtime::spawn_monitor(&exe, &c).expect("cold monitor");
        cold.push(t.elapsed().as_micros());
        kill(pid);

        let m = WarmMonitor::spawn(&exe, &["__monitor"], &root).expect("warm monitor");
        std::thread::sleep(Duration::from_millis(30));
        let c = config(&root, 2 * i + 1);
        let t = Instant::now();
        match m.assign(&c).expect("warm monitor") {
            Assigned::Ready(pid) => {
                warm.push(t.elapsed().as_micros());
                kill(pid);
            }
            Assigned::Stale => panic!("stale warm monitor"),
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(200));
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "spawn to ready, median of {n} (µs): cold {} warm {}",
        median(&mut cold),
        median(&mut warm)
    );
}
