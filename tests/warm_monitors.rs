//! Warm monitors (`wharf daemon --warm-monitors N`, issue 13): monitors
//! started ahead of any container, so a start skips a monitor's process
//! start-up. A start takes an idle one, the pool is refilled off the
//! start's path, starts beyond the pool go cold, and neither a stopped nor
//! a killed daemon leaves an idle one behind. Both runtimes; the crash
//! cases are in `monitor_spawn_crash.rs`.
mod common;

use common::{monitors_of, process_line, wait_until, Daemon, Runtime};
use std::path::Path;
use std::time::Duration;

fn gone(pid: u32) -> bool {
    // a zombie (reaped later by whoever inherited it) has no command line
    !Path::new(&format!("/proc/{pid}")).exists() || process_line(pid).is_empty()
}

fn idle_after_start(d: &Daemon, n: usize) -> Vec<u32> {
    assert!(
        wait_until(Duration::from_secs(10), || d.idle_warm_monitors().len()
            == n),
        "expected {n} idle warm monitors, have {:?}",
        d.idle_warm_monitors()
    );
    d.idle_warm_monitors()
}

fn a_start_takes_a_warm_monitor_and_the_pool_refills(rt: Runtime) {
    let mut d = Daemon::start_with_args(rt, &["--warm-monitors", "2"]);
    let idle = idle_after_start(&d, 2);
    let name = format!("wm{}{}", std::process::id(), rt.name());
    let id = d
        .wharf(&["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .success()
        .out()
        .trim()
        .to_string();
    let mons = monitors_of(&id);
    assert_eq!(mons.len(), 1, "monitors of {id}: {mons:?}");
    assert!(idle.contains(&mons[0]), "the start took no warm monitor");
    let line = process_line(mons[0]);
    assert!(
        line.contains("--warm") && line.contains(&format!("containers/{id}/bundle")),
        "{line}"
    );
    // the container works as any: its monitor answers exec, logs, stop
    assert_eq!(
        d.wharf(&["exec", &name, "echo", "from-exec"])
            .success()
            .out(),
        "from-exec"
    );
    let refilled = idle_after_start(&d, 2);
    assert!(!refilled.contains(&mons[0]));

    // one by one, each start finds a warm monitor (the docker CLI too)
    assert_eq!(
        d.docker(&["run", "--rm", "busybox", "echo", "hello-warm"])
            .success()
            .out(),
        "hello-warm"
    );
    d.wharf(&["run", "--rm", "busybox", "sh", "-c", "exit 3"])
        .code_is(3);
    idle_after_start(&d, 2);

    // concurrent starts beyond the pool start cold, none fails
    let bg: Vec<_> = (0..4)
        .map(|i| {
            d.wharf_bg(
                &[
                    "run",
                    "-d",
                    "--name",
                    &format!("{name}c{i}"),
                    "busybox",
                    "sleep",
                    "600",
                ],
                false,
            )
        })
        .collect();
    for b in bg {
        b.wait(Duration::from_secs(60)).success();
    }
    for i in 0..4 {
        assert_eq!(d.status(&format!("{name}c{i}")).as_deref(), Some("running"));
    }
    idle_after_start(&d, 2);

    d.docker(&["stop", "-t", "1", &name]).success();
    assert_eq!(d.status(&name).as_deref(), Some("exited"));
    assert!(wait_until(Duration::from_secs(10), || monitors_of(&id).is_empty()));

    // SIGTERM: the idle ones go with the daemon, running containers stay
    let idle = d.idle_warm_monitors();
    d.stop();
    assert!(
        wait_until(Duration::from_secs(5), || idle.iter().all(|p| gone(*p))),
        "idle warm monitors {idle:?} outlived a stopped daemon"
    );
    assert_eq!(d.idle_warm_monitors(), Vec::<u32>::new());
}

fn a_killed_daemon_leaves_no_idle_warm_monitor(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    let idle = idle_after_start(&d, 1);
    d.kill9();
    assert!(
        wait_until(Duration::from_secs(5), || idle.iter().all(|p| gone(*p))),
        "idle warm monitors {idle:?} outlived a killed daemon"
    );
    d.restart();
    let idle2 = idle_after_start(&d, 1);
    assert!(!idle2.iter().any(|p| idle.contains(p)));
    assert_eq!(
        d.wharf(&["run", "--rm", "busybox", "echo", "again"])
            .success()
            .out(),
        "again"
    );
}

fn no_pool_with_zero(rt: Runtime) {
    let d = Daemon::start_with_args(rt, &["--warm-monitors", "0"]);
    let name = format!("wz{}{}", std::process::id(), rt.name());
    let id = d
        .wharf(&["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .success()
        .out()
        .trim()
        .to_string();
    assert_eq!(d.idle_warm_monitors(), Vec::<u32>::new());
    let mons = monitors_of(&id);
    assert_eq!(mons.len(), 1);
    assert!(!process_line(mons[0]).contains("--warm"));
    d.wharf(&["rm", "-f", &name]).success();
}

runtime_tests!(
    a_start_takes_a_warm_monitor_and_the_pool_refills,
    a_killed_daemon_leaves_no_idle_warm_monitor,
    no_pool_with_zero
);

#[test]
fn a_bad_pool_size_is_refused() {
    for bad in ["-1", "x", "65"] {
        let out = std::process::Command::new(common::WHARF)
            .arg("daemon")
            .arg(format!("--warm-monitors={bad}"))
            .args(["--data-root", "/nonexistent-wharf-test"])
            .output()
            .expect("run wharf daemon");
        assert!(!out.status.success(), "--warm-monitors {bad} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--warm-monitors"), "{bad}: {err}");
        assert!(!Path::new("/nonexistent-wharf-test").exists());
    }
}
