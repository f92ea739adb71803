//! The per-container monitor under a healthcheck and user execs: the
//! runtime's create and every exec run in a short-lived helper (as
//! containerd's shim runs runc), so what the user sees must be unchanged,
//! and no helper, zombie or extra process may stay behind the monitor.
//! Every scenario runs under both runtimes, through wharf and docker.
mod common;

use common::{wait_until, Daemon, Runtime};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// Parent pid and state letter of a process, from /proc.
fn ppid_state(pid: u32) -> Option<(u32, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    Some((f.next()?.parse().ok()?, state))
}

/// The processes whose parent is `parent`, with their state letters.
fn children(parent: u32) -> Vec<(u32, char)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Some((pp, st)) = ppid_state(pid) {
            if pp == parent {
                out.push((pid, st));
            }
        }
    }
    out
}

fn pid_of(d: &Daemon, name: &str) -> u32 {
    d.inspect(name)["State"]["Pid"].as_u64().unwrap() as u32
}

/// Many probes later the container is healthy, its monitor is the parent
/// of the container's init and of nothing else (every probe's helper and
/// process reaped), and a failing probe's exit code and output still
/// arrive whole.
fn probes_leave_nothing_behind(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let run = |name: &str, cmd: &str| {
        d.docker(&[
            "run",
            "-d",
            "--name",
            name,
            "--health-cmd",
            cmd,
            "--health-interval",
            "100ms",
            "--health-retries",
            "1",
            "busybox",
            "sleep",
            "1000",
        ])
        .success();
    };
    run("fine", "echo probed");
    run("failing", "echo no-good >&2; exit 3");
    let health = |n: &str| d.inspect(n)["State"]["Health"].clone();
    assert!(
        wait_until(T, || health("fine")["Status"] == "healthy"
            && health("fine")["Log"].as_array().map_or(0, Vec::len) == 5),
        "{}",
        health("fine")
    );
    assert!(
        wait_until(T, || health("failing")["Status"] == "unhealthy"),
        "{}",
        health("failing")
    );
    let last = health("fine")["Log"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["ExitCode"], 0, "{last}");
    assert_eq!(last["Output"], "probed\n", "{last}");
    let last = health("failing")["Log"]
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last["ExitCode"], 3, "{last}");
    assert_eq!(last["Output"], "no-good\n", "{last}");
    // Probes keep coming every 100 ms: between two of them, the monitor
    // holds the init alone (a probe in flight may show for a moment).
    for name in ["fine", "failing"] {
        let init = pid_of(&d, name);
        let (monitor, _) = ppid_state(init).unwrap();
        assert!(
            wait_until(T, || children(monitor) == vec![(init, 'S')]),
            "{name}: monitor {monitor} has {:?}, init {init}",
            children(monitor)
        );
    }
    d.wharf(&["rm", "-f", "fine", "failing"]).success();
}

/// A user's execs, with and without a tty, after many probes: output,
/// exit codes and `exec inspect` as before; a detached exec's process is
/// the monitor's child (re-parented from the helper that started it) and
/// is reaped when it ends.
fn user_execs_beside_probes(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.docker(&[
        "run",
        "-d",
        "--name",
        "box",
        "--health-cmd",
        "true",
        "--health-interval",
        "100ms",
        "busybox",
        "sleep",
        "1000",
    ])
    .success();
    assert!(wait_until(T, || d.inspect("box")["State"]["Health"]
        ["Status"]
        == "healthy"));
    let o = d.docker(&["exec", "box", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!(o.code, 7, "{o}");
    assert_eq!(o.stdout, "out\n", "{o}");
    assert!(o.stderr.contains("err"), "{o}");
    let o = d.wharf(&["exec", "-t", "box", "sh", "-c", "echo tty; tty"]);
    assert!(o.success().stdout.contains("tty\r\n/dev/pts/"), "{o}");
    // A command that cannot start: Docker's exec says 126 and names it.
    let o = d.docker(&["exec", "box", "nosuchcommand"]);
    assert_eq!(o.code, 126, "{o}");
    assert!(o.stderr.contains("nosuchcommand"), "{o}");
    // Detached: the process belongs to the monitor, then is reaped.
    d.docker(&["exec", "-d", "box", "sleep", "1"]).success();
    let init = pid_of(&d, "box");
    let (monitor, _) = ppid_state(init).unwrap();
    assert!(
        wait_until(T, || children(monitor).len() >= 2
            && children(monitor).iter().all(|(_, s)| *s != 'Z')),
        "{:?}",
        children(monitor)
    );
    assert!(
        wait_until(T, || children(monitor) == vec![(init, 'S')]),
        "{:?}",
        children(monitor)
    );
    d.wharf(&["rm", "-f", "box"]).success();
}

/// A container created in a helper (`create`, then `start` later) starts,
/// runs, and reports its exit code, with and without a tty.
fn create_then_start(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.docker(&[
        "create",
        "--name",
        "later",
        "busybox",
        "sh",
        "-c",
        "echo hi; exit 5",
    ])
    .success();
    d.docker(&[
        "create",
        "-t",
        "--name",
        "later-tty",
        "busybox",
        "sh",
        "-c",
        "tty; exit 6",
    ])
    .success();
    d.docker(&["start", "later", "later-tty"]).success();
    assert_eq!(d.docker(&["wait", "later"]).success().out(), "5");
    assert_eq!(d.docker(&["wait", "later-tty"]).success().out(), "6");
    assert_eq!(d.docker(&["logs", "later"]).success().out(), "hi");
    assert!(
        d.docker(&["logs", "later-tty"])
            .success()
            .out()
            .starts_with("/dev/pts/"),
        "{}",
        d.docker(&["logs", "later-tty"])
    );
    // A bad command fails at start, as before.
    let o = d.docker(&["run", "--name", "bad", "busybox", "/nonexistent"]);
    assert_eq!(o.code, 127, "{o}");
    d.wharf(&["rm", "-f", "later", "later-tty", "bad"])
        .success();
}

/// `(Rss, Anonymous)` KiB summed over the read-only mappings of the file
/// `exe` in process `pid` (its code, constants and RELRO data).
fn read_only_image_kib(pid: u32, exe: &str) -> (u64, u64) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let (mut rss, mut anon, mut inside) = (0, 0, false);
    for line in smaps.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first()
            .is_some_and(|a| a.contains('-') && !a.ends_with(':'))
        {
            inside = f.get(1).is_some_and(|p| p.starts_with("r-")) && f.get(5) == Some(&exe);
        } else if inside && f.len() >= 2 {
            let kib: u64 = f[1].parse().unwrap_or(0);
            match f[0] {
                "Rss:" => rss += kib,
                "Anonymous:" => anon += kib,
                _ => {}
            }
        }
    }
    (rss, anon)
}

/// The monitor is the small `wharf-monitor` beside `wharf`, linked
/// position-dependent (issue 13): its read-only data needs no relocation,
/// so the loader dirties none of it and an idle monitor keeps almost none
/// of its image resident, while the daemon (`wharf`) stays a PIE.
fn monitor_is_its_own_small_binary(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.docker(&[
        "run",
        "-d",
        "--name",
        "idle",
        "--network",
        "none",
        "busybox",
        "sleep",
        "600",
    ])
    .success();
    let init = pid_of(&d, "idle");
    let mon = ppid_state(init).unwrap().0;
    let exe = std::fs::read_link(format!("/proc/{mon}/exe")).unwrap();
    assert_eq!(exe.file_name().unwrap(), "wharf-monitor", "{exe:?}");
    let cmd = std::fs::read(format!("/proc/{mon}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmd).contains("__monitor"));
    // ELF e_type at offset 16: 2 is a position-dependent executable, 3 a
    // PIE (or shared object).
    let e_type = |p: &std::path::Path| std::fs::read(p).unwrap()[16];
    assert_eq!(e_type(&exe), 2, "wharf-monitor is not position-dependent");
    assert_eq!(
        e_type(std::path::Path::new(common::WHARF)),
        3,
        "wharf is not a PIE"
    );
    // Its read-only data (RELRO) is the file's own: only the few GOT
    // pages of library symbols are private, where a PIE's loader writes
    // every page holding a pointer (0.7 MiB in release, 2 MiB in debug).
    let exe_s = exe.to_str().unwrap().to_string();
    let mut last = (0, 0);
    let small = wait_until(T, || {
        last = read_only_image_kib(mon, &exe_s);
        last.1 <= 128
    });
    assert!(
        small,
        "monitor image read-only (Rss, Anonymous) KiB: {last:?}"
    );
    // And it still works: exec, logs, stop.
    assert_eq!(
        d.docker(&["exec", "idle", "echo", "ok"]).success().out(),
        "ok"
    );
    d.wharf(&["rm", "-f", "idle"]).success();
}

/// Removes a test's directory when the test ends, also on failure.
struct DirGuard(std::path::PathBuf);

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `wharf-monitor` of another build beside `wharf` (an old one left
/// behind by an upgrade: it does not know `--build-id`) is not used: the
/// daemon says so in its log and runs monitors as `wharf __monitor`, and
/// containers run as usual.
#[test]
fn a_monitor_of_another_build_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let dir = DirGuard(std::path::PathBuf::from(format!(
        "/tmp/wms{}",
        std::process::id()
    )));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    let exe = dir.0.join("wharf");
    if std::fs::hard_link(common::WHARF, &exe).is_err() {
        std::fs::copy(common::WHARF, &exe).unwrap();
    }
    let old = dir.0.join("wharf-monitor");
    std::fs::write(
        &old,
        "#!/bin/sh\necho \"wharf monitor: reading config \\\"$1\\\": No such file\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
    let d = Daemon::start_bare_exe(&exe);
    d.import_busybox();
    let log = d.log_text();
    assert!(
        log.contains("wharf-monitor is from another build"),
        "no warning in the daemon log:\n{log}"
    );
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "oldmon",
        "--network",
        "none",
        "busybox",
        "sleep",
        "600",
    ])
    .success();
    let mon = ppid_state(pid_of(&d, "oldmon")).unwrap().0;
    let mon_exe = std::fs::read_link(format!("/proc/{mon}/exe")).unwrap();
    assert_eq!(mon_exe, exe, "the monitor is not `wharf __monitor`");
    let cmd = std::fs::read(format!("/proc/{mon}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmd).contains("__monitor"));
    assert_eq!(
        d.wharf(&["exec", "oldmon", "echo", "ok"]).success().out(),
        "ok"
    );
    d.wharf(&["rm", "-f", "oldmon"]).success();
    drop(d);
}

runtime_tests!(
    probes_leave_nothing_behind,
    user_execs_beside_probes,
    create_then_start,
    monitor_is_its_own_small_binary,
);
