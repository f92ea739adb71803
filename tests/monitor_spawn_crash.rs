//! The daemon SIGKILLed after spawning a container's monitor but before the
//! monitor wrote its pid file (the window the kill-point soak hit under
//! load: "is created with pid 0 monitor=true"). The restarted daemon must
//! end that monitor at once, leave no run directory behind, and the
//! container must start normally afterwards. Both runtimes.
//!
//! The window is widened by the monitor's test hook
//! `WHARF_TEST_MONITOR_START_DELAY_MS` (a sleep before it sets anything
//! up), inherited from this test process by the daemon and its monitors;
//! every test in this file wants the same value.
//!
//! Twice: the start given to a warm monitor (the default pool of one),
//! whose command line names no container (found by its working
//! directory), and to a cold one (`--warm-monitors 0`).
mod common;

use common::{monitor_processes, monitors_of, wait_until, Daemon, Runtime};
use std::time::Duration;

const DELAY_MS: u64 = 3000;

fn killed_before_the_monitor_pid_file(rt: Runtime) {
    killed_in_the_window(rt, true);
}

fn cold_monitor_killed_before_its_pid_file(rt: Runtime) {
    killed_in_the_window(rt, false);
}

fn killed_in_the_window(rt: Runtime, warm: bool) {
    std::env::set_var("WHARF_TEST_MONITOR_START_DELAY_MS", DELAY_MS.to_string());
    let pool = if warm { "1" } else { "0" };
    let mut d = Daemon::start_with_args(rt, &["--warm-monitors", pool]);
    let name = format!("msc{}{}{pool}", std::process::id(), rt.name());
    let id = d
        .wharf(&["create", "--name", &name, "busybox", "sleep", "600"])
        .success()
        .out()
        .trim()
        .to_string();
    let idle = d.idle_warm_monitors();
    if warm {
        assert!(
            wait_until(Duration::from_secs(10), || !d
                .idle_warm_monitors()
                .is_empty()),
            "no idle warm monitor"
        );
    } else {
        assert_eq!(
            idle,
            Vec::<u32>::new(),
            "warm monitors with --warm-monitors 0"
        );
    }
    let idle = d.idle_warm_monitors();
    // The start blocks while the monitor sleeps before its set-up.
    let start = d.wharf_bg(&["start", &name], false);
    assert!(
        wait_until(Duration::from_secs(20), || !monitors_of(&id).is_empty()),
        "no monitor was spawned for {id}"
    );
    let mon = monitors_of(&id)[0];
    let line = monitor_processes()
        .into_iter()
        .find(|(p, _)| *p == mon)
        .map(|(_, l)| l)
        .unwrap_or_default();
    assert_eq!(line.contains("--warm"), warm, "monitor {mon}: {line}");
    if warm {
        assert!(
            idle.contains(&mon),
            "the start took no idle warm monitor: {line}"
        );
        // the pool is refilled off the start's path
        assert!(
            wait_until(Duration::from_secs(10), || !d
                .idle_warm_monitors()
                .is_empty()),
            "the pool was not refilled"
        );
    }
    let refilled = d.idle_warm_monitors();
    let run_dir = d.exec_root().join("containers").join(&id);
    assert!(run_dir.exists());
    assert!(
        !run_dir.join("monitor.pid").exists(),
        "the monitor wrote its pid file inside the delay"
    );
    d.kill9();
    drop(start);
    // The killed daemon's idle warm monitors exit by themselves (EOF).
    assert!(
        wait_until(Duration::from_secs(5), || refilled
            .iter()
            .all(|p| !std::path::Path::new(&format!("/proc/{p}")).exists()
                || common::process_line(*p).is_empty())),
        "idle warm monitors {refilled:?} outlived their daemon"
    );
    d.restart();

    // Right after the restart: the engine knows no process, and none runs.
    assert_eq!(d.status(&name).as_deref(), Some("created"));
    assert_eq!(d.inspect(&name)["State"]["Pid"], 0);
    let left = monitors_of(&id);
    assert!(
        left.is_empty(),
        "monitor {left:?} of a created container outlived the restart"
    );
    assert!(!run_dir.exists(), "run directory left behind");
    let daemon = d.pid().unwrap_or(0);
    let procs: Vec<u32> = d.processes().into_iter().filter(|p| *p != daemon).collect();
    assert!(procs.is_empty(), "processes left: {procs:?}");

    // Past the monitor's delay: nothing came back.
    std::thread::sleep(Duration::from_millis(DELAY_MS + 500));
    assert!(monitors_of(&id).is_empty());
    assert!(!run_dir.exists(), "run directory made again");
    assert_eq!(d.status(&name).as_deref(), Some("created"));

    // The container starts as any other (the docker CLI, as a user would).
    d.docker(&["start", &name]).success();
    assert_eq!(d.status(&name).as_deref(), Some("running"));
    assert!(!monitors_of(&id).is_empty());
    d.docker(&["rm", "-f", &name]).success();
    assert!(wait_until(Duration::from_secs(10), || monitors_of(&id).is_empty()));
    assert!(!run_dir.exists());
}

runtime_tests!(
    killed_before_the_monitor_pid_file,
    cold_monitor_killed_before_its_pid_file
);
