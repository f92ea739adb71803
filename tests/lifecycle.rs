//! Detached containers and everything a user does with them: logs, exec,
//! stop/kill/wait, ps, inspect, rename, top, restart policies, events.
//! Every scenario runs under both runtimes.
mod common;

use common::{is_full_id, wait_until, Daemon, Runtime, Value};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);
const TICKER: &str = "echo start; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done";

fn detached_logs_follow_exec_stop_rm(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.wharf(&["run", "-d", "--name", "tick", "busybox", "sh", "-c", TICKER]);
    let id = o.success().out().to_string();
    assert!(is_full_id(&id), "{o}");
    assert_eq!(d.status("tick").as_deref(), Some("running"));

    // logs: what was written so far
    assert!(wait_until(T, || d
        .wharf(&["logs", "tick"])
        .stdout
        .contains("tick 2")));
    let logs = d.wharf(&["logs", "tick"]);
    assert_eq!(logs.success().lines()[0], "start");

    // logs -f keeps streaming new lines and ends when the container stops
    let follow = d.wharf_bg(&["logs", "-f", "tick"], false);
    follow.expect("start", T);
    let seen = follow.stdout.text().lines().count();
    assert!(
        wait_until(T, || follow.stdout.text().lines().count() > seen + 2),
        "logs -f did not follow"
    );

    // exec: another process in the same container
    let o = d.wharf(&[
        "exec",
        "tick",
        "sh",
        "-c",
        "echo exec-pid $$; cat /proc/1/cmdline",
    ]);
    let out = o.success().stdout.replace('\0', " ");
    assert!(out.contains("exec-pid"), "{out}");
    assert!(!out.contains("exec-pid 1\n"), "exec ran as pid 1: {out}");
    assert!(
        out.contains("sh -c"),
        "pid 1 of the exec's namespace is the container's: {out}"
    );
    d.wharf(&["exec", "tick", "sh", "-c", "exit 4"]).code_is(4);
    let o = d.wharf(&[
        "exec",
        "-e",
        "X=1",
        "-w",
        "/tmp",
        "-u",
        "1000",
        "tick",
        "sh",
        "-c",
        "echo $X $(pwd) $(id -u)",
    ]);
    assert_eq!(o.success().out(), "1 /tmp 1000");
    // Docker's exec reports a command that cannot start as 126 (run says 127)
    let o = d.wharf(&["exec", "tick", "nosuchcmd"]);
    assert!(o.code == 126 || o.code == 127, "{o}");
    assert!(o.stderr.contains("nosuchcmd"), "{o}");
    let o = d.wharf_stdin(&["exec", "-i", "tick", "cat"], b"through exec -i\n");
    assert_eq!(o.success().out(), "through exec -i");

    // rm of a running container is refused
    let o = d.wharf(&["rm", "tick"]);
    assert_ne!(o.code, 0, "{o}");
    assert!(o.stderr.contains("force"), "{o}");
    assert_eq!(d.status("tick").as_deref(), Some("running"));

    // stop: sh as pid 1 ignores SIGTERM, so SIGKILL after the timeout → 137
    let t0 = Instant::now();
    let o = d.wharf(&["stop", "-t", "1", "tick"]);
    assert_eq!(o.success().out(), "tick");
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "stop did not wait for the timeout"
    );
    assert_eq!(d.status("tick").as_deref(), Some("exited"));
    assert_eq!(d.inspect("tick")["State"]["ExitCode"], 137);
    let out = follow.wait(T);
    out.success();

    let o = d.wharf(&["rm", "tick"]);
    assert_eq!(o.success().out(), "tick");
    let (st, v) = d.api("GET", "/containers/tick/json", None);
    assert_eq!(st, 404);
    assert_eq!(v["message"], "No such container: tick");
}

fn stop_with_init_exits_143(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run", "-d", "--init", "--name", "st", "busybox", "sleep", "1000",
    ])
    .success();
    let t0 = Instant::now();
    d.wharf(&["stop", "st"]).success();
    assert!(
        t0.elapsed() < Duration::from_secs(8),
        "SIGTERM was not delivered: took {:?}",
        t0.elapsed()
    );
    assert_eq!(d.inspect("st")["State"]["ExitCode"], 143);
}

fn stop_signal_and_timeout(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "st",
        "--stop-signal",
        "USR1",
        "--stop-timeout",
        "30",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 9' USR1; echo traps-set; while true; do sleep 0.1; done",
    ])
    .success();
    assert!(wait_until(T, || d
        .wharf(&["logs", "st"])
        .stdout
        .contains("traps-set")));
    let t0 = Instant::now();
    d.wharf(&["stop", "st"]).success();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(d.inspect("st")["State"]["ExitCode"], 9);
    assert_eq!(d.inspect("st")["Config"]["StopSignal"], "USR1");
}

fn kill_with_signal(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "kk",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got-hup' HUP; trap 'exit 11' USR2; echo traps-set; while true; do sleep 0.1; done",
    ])
    .success();
    // `run -d` returns once the shell runs, maybe before its traps are set
    // (a HUP then ends it): signal once they are.
    assert!(wait_until(T, || d
        .wharf(&["logs", "kk"])
        .stdout
        .contains("traps-set")));
    d.wharf(&["kill", "-s", "HUP", "kk"]).success();
    assert!(wait_until(T, || d
        .wharf(&["logs", "kk"])
        .stdout
        .contains("got-hup")));
    assert_eq!(d.status("kk").as_deref(), Some("running"));
    d.wharf(&["kill", "--signal", "SIGUSR2", "kk"]).success();
    d.wait_status("kk", "exited", T);
    assert_eq!(d.inspect("kk")["State"]["ExitCode"], 11);

    d.wharf(&["run", "-d", "--name", "k9", "busybox", "sleep", "1000"])
        .success();
    let o = d.wharf(&["kill", "k9"]);
    assert_eq!(o.success().out(), "k9");
    // SIGKILL returns once the container has stopped, as Docker's does: an
    // inspect right after (no waiting) shows the exit.
    let i = d.inspect("k9");
    assert_eq!(i["State"]["Status"], "exited", "{i}");
    assert_eq!(i["State"]["ExitCode"], 137);
    d.wharf(&["run", "-d", "--name", "k9d", "busybox", "sleep", "1000"])
        .success();
    d.docker(&["kill", "k9d"]).success();
    assert_eq!(d.inspect("k9d")["State"]["ExitCode"], 137);
    // killing a stopped container is an error (409 in Docker)
    let o = d.wharf(&["kill", "k9"]);
    assert_ne!(o.code, 0, "{o}");
    assert!(o.stderr.contains("is not running"), "{o}");
}

fn wait_prints_exit_code(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "ww",
        "busybox",
        "sh",
        "-c",
        "sleep 1; exit 5",
    ])
    .success();
    let o = d.wharf(&["wait", "ww"]);
    assert_eq!(o.success().out(), "5");
    // waiting on an exited container answers at once
    assert_eq!(d.wharf(&["wait", "ww"]).success().out(), "5");
    let (st, v) = d.api("POST", "/containers/ww/wait?condition=not-running", None);
    assert_eq!(st, 200);
    assert_eq!(v["StatusCode"], 5);
}

fn ps_columns_filters_format(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run", "-d", "--name", "up1", "-l", "tier=web", "busybox", "sleep", "1000",
    ])
    .success();
    d.wharf(&["run", "-d", "--name", "up2", "busybox", "sleep", "1000"])
        .success();
    d.wharf(&["run", "--name", "done3", "busybox", "sh", "-c", "exit 3"])
        .code_is(3);

    let ps = d.wharf(&["ps"]);
    let lines = ps.success().lines();
    let header = lines[0];
    let cols = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ];
    let mut at = 0;
    for c in cols {
        let pos = header[at..]
            .find(c)
            .unwrap_or_else(|| panic!("column {c} missing: {header}"));
        at += pos + c.len();
    }
    assert_eq!(lines.len(), 3, "ps shows running containers only: {ps}");
    assert!(ps.stdout.contains("up1") && ps.stdout.contains("up2") && !ps.stdout.contains("done3"));
    assert!(ps.stdout.contains("Up "), "{ps}");
    assert!(ps.stdout.contains("busybox"), "{ps}");

    let all = d.wharf(&["ps", "-a"]);
    assert!(all.success().stdout.contains("Exited (3)"), "{all}");

    let q = d.wharf(&["ps", "-q"]);
    let ids = q.success().lines();
    assert_eq!(ids.len(), 2);
    assert!(
        ids.iter()
            .all(|i| i.len() == 12 && i.bytes().all(|b| b.is_ascii_hexdigit())),
        "{q}"
    );
    let q = d.wharf(&["ps", "-aq", "--no-trunc"]);
    assert_eq!(q.success().lines().len(), 3);
    assert!(q.lines().iter().all(|i| is_full_id(i)));

    let names = |args: &[&str]| {
        let mut a = vec!["ps", "--format", "{{.Names}}"];
        a.extend_from_slice(args);
        let mut v: Vec<String> = d
            .wharf(&a)
            .success()
            .lines()
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&["-f", "name=up1"]), vec!["up1"]);
    assert_eq!(names(&["-a", "-f", "status=exited"]), vec!["done3"]);
    assert_eq!(names(&["-f", "label=tier=web"]), vec!["up1"]);
    assert_eq!(names(&["-f", "label=tier"]), vec!["up1"]);
    assert_eq!(
        names(&["-a", "-f", "ancestor=busybox"]),
        vec!["done3", "up1", "up2"]
    );
    let id1 = d.inspect("up1")["Id"].as_str().unwrap().to_string();
    assert_eq!(names(&["-f", &format!("id={}", &id1[..10])]), vec!["up1"]);
    assert_eq!(
        names(&["-f", "name=up", "-f", "label=tier=web"]),
        vec!["up1"]
    );

    let o = d.wharf(&["ps", "-f", "name=up1", "--format", "{{json .}}"]);
    let v: Value = serde_json::from_str(o.success().out()).unwrap_or_else(|e| panic!("{e}: {o}"));
    assert_eq!(v["Names"], "up1");
    assert_eq!(v["Image"], "busybox");
    assert_eq!(v["State"], "running");

    let o = d.wharf(&[
        "ps",
        "-a",
        "-f",
        "name=done3",
        "--format",
        "table {{.ID}}\t{{.Status}}",
    ]);
    let lines = o.success().lines();
    assert!(
        lines[0].starts_with("CONTAINER ID") && lines[0].contains("STATUS"),
        "{o}"
    );
    assert!(lines[1].contains("Exited (3)"), "{o}");

    let o = d.wharf(&["ps", "-f", "status=bogus"]);
    assert_ne!(o.code, 0, "an invalid filter value is an error: {o}");
}

fn inspect_format_rename_top(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run", "-d", "--name", "old", "-l", "a=b", "busybox", "sleep", "1000",
    ])
    .success();
    let f = |fmt: &str, name: &str| {
        d.wharf(&["inspect", "-f", fmt, name])
            .success()
            .out()
            .to_string()
    };
    assert_eq!(f("{{.State.Running}}", "old"), "true");
    assert_eq!(f("{{.Name}}", "old"), "/old");
    assert_eq!(f("{{.Config.Image}}", "old"), "busybox");
    assert_eq!(f("{{json .Config.Labels}}", "old"), r#"{"a":"b"}"#);
    assert_eq!(f("{{index .Config.Cmd 0}}", "old"), "sleep");
    let full = d.wharf(&["inspect", "old"]);
    let v: Value = serde_json::from_str(full.success().out()).expect("inspect prints a JSON array");
    assert!(v.is_array() && v[0]["Id"].is_string());
    assert!(v[0]["State"]["Pid"].as_u64().unwrap_or(0) > 0);
    assert!(v[0]["Created"].as_str().unwrap_or("").contains('T'));
    let o = d.wharf(&["inspect", "nosuch"]);
    o.code_is(1);
    assert!(
        o.stderr.contains("No such object: nosuch") || o.stderr.contains("No such container"),
        "{o}"
    );

    d.wharf(&["rename", "old", "new"]).success();
    assert_eq!(f("{{.Name}}", "new"), "/new");
    assert_eq!(d.api("GET", "/containers/old/json", None).0, 404);
    d.wharf(&["run", "-d", "--name", "other", "busybox", "sleep", "1000"])
        .success();
    let o = d.wharf(&["rename", "new", "other"]);
    assert_ne!(o.code, 0, "rename onto a used name: {o}");
    assert!(o.stderr.contains("already in use"), "{o}");

    let top = d.wharf(&["top", "new"]);
    let lines = top.success().lines();
    assert!(
        lines[0].contains("PID") && lines[0].contains("CMD"),
        "{top}"
    );
    assert!(lines.iter().any(|l| l.contains("sleep 1000")), "{top}");
    let pid = d.container_pid("new");
    assert!(
        lines[1..]
            .iter()
            .any(|l| l.split_whitespace().any(|w| w == pid.to_string())),
        "top shows host pids: {top}"
    );
}

fn name_conflict_is_409(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let id = d
        .wharf(&["run", "-d", "--name", "dup", "busybox", "sleep", "1000"])
        .success()
        .out()
        .to_string();
    let o = d.wharf(&["run", "-d", "--name", "dup", "busybox", "sleep", "1000"]);
    o.code_is(125);
    let msg = format!(
        "Conflict. The container name \"/dup\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    );
    assert!(
        o.stderr.contains(&msg),
        "expected Docker's message {msg:?}: {o}"
    );
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=dup",
        Some(&serde_json::json!({"Image": "busybox", "Cmd": ["true"]})),
    );
    assert_eq!(st, 409);
    assert_eq!(v["message"], msg);
    assert_eq!(d.wharf(&["ps", "-aq"]).success().lines().len(), 1);
}

fn restart_policies(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "onfail",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "exit 1",
    ])
    .success();
    assert!(
        wait_until(T, || d.inspect("onfail")["RestartCount"] == 2
            && d.status("onfail").as_deref() == Some("exited")),
        "on-failure:2 → 2 restarts then exited: {}",
        d.inspect("onfail")
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        d.inspect("onfail")["RestartCount"],
        2,
        "restarted more than 2 times"
    );
    assert_eq!(
        d.inspect("onfail")["HostConfig"]["RestartPolicy"]["Name"],
        "on-failure"
    );
    assert_eq!(
        d.inspect("onfail")["HostConfig"]["RestartPolicy"]["MaximumRetryCount"],
        2
    );

    // on-failure does not restart a clean exit
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "clean",
        "--restart",
        "on-failure",
        "busybox",
        "true",
    ])
    .success();
    d.wait_status("clean", "exited", T);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(d.inspect("clean")["RestartCount"], 0);

    // always restarts a clean exit; the first run leaves a mark in the layer
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "always",
        "--restart",
        "always",
        "busybox",
        "sh",
        "-c",
        "if [ -f /ran ]; then sleep 1000; else touch /ran; exit 0; fi",
    ])
    .success();
    assert!(wait_until(T, || d.inspect("always")["RestartCount"]
        .as_u64()
        .unwrap_or(0)
        >= 1
        && d.status("always").as_deref() == Some("running")));
    // an explicit stop is not undone by the policy
    d.wharf(&["stop", "-t", "1", "always"]).success();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(d.status("always").as_deref(), Some("exited"));

    // unless-stopped behaves the same while running
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "us",
        "--restart",
        "unless-stopped",
        "busybox",
        "sleep",
        "1000",
    ])
    .success();
    d.wharf(&["stop", "-t", "1", "us"]).success();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(d.status("us").as_deref(), Some("exited"));

    // --restart with --rm is refused, as Docker does
    let o = d.wharf(&["run", "--rm", "--restart", "always", "busybox", "true"]);
    o.code_is(125);
}

fn restart_command(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&["run", "-d", "--name", "rr", "busybox", "sleep", "1000"])
        .success();
    let pid1 = d.container_pid("rr");
    let o = d.wharf(&["restart", "-t", "1", "rr"]);
    assert_eq!(o.success().out(), "rr");
    d.wait_status("rr", "running", T);
    let pid2 = d.container_pid("rr");
    assert_ne!(pid1, pid2, "restart must start a new process");
    // a stopped container is started by restart
    d.wharf(&["stop", "-t", "1", "rr"]).success();
    d.wharf(&["restart", "rr"]).success();
    d.wait_status("rr", "running", T);
}

fn logs_tail_timestamps_since_streams(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "--name",
        "ll",
        "busybox",
        "sh",
        "-c",
        // stderr first, well apart: the two pipes race, and --tail counts both
        "echo e1 >&2; sleep 0.3; echo a; echo b; echo c",
    ])
    .success();
    let o = d.wharf(&["logs", "ll"]);
    assert_eq!(o.success().lines(), vec!["a", "b", "c"]);
    assert_eq!(o.err(), "e1", "stderr lines go to stderr: {o}");
    let o = d.wharf(&["logs", "--tail", "1", "ll"]);
    assert_eq!(o.success().out(), "c");
    let o = d.wharf(&["logs", "--tail", "0", "ll"]);
    assert_eq!(o.success().out(), "");
    let o = d.wharf(&["logs", "-t", "ll"]);
    for line in o.success().lines() {
        let ts = line.split(' ').next().unwrap_or("");
        assert!(
            ts.len() >= 20 && ts.contains('T') && ts.ends_with('Z'),
            "no RFC3339 timestamp: {line}"
        );
    }
    let o = d.wharf(&["logs", "--since", "2099-01-01T00:00:00Z", "ll"]);
    assert_eq!(o.success().out(), "");
    let o = d.wharf(&["logs", "--since", "2000-01-01T00:00:00Z", "ll"]);
    assert_eq!(o.success().lines().len(), 3);

    // the json-file log on disk has Docker's format
    let id = d.inspect("ll")["Id"].as_str().unwrap().to_string();
    let path = d.inspect("ll")["LogPath"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(path.contains(&id), "LogPath: {path}");
    let text = std::fs::read_to_string(&path).expect("read LogPath");
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json-file line"))
        .collect();
    // stdout and stderr are separate pipes: their relative order is a race
    let logs: Vec<(&str, &str)> = entries
        .iter()
        .map(|v| {
            (
                v["stream"].as_str().unwrap_or(""),
                v["log"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let stdout: Vec<&str> = logs
        .iter()
        .filter(|(s, _)| *s == "stdout")
        .map(|(_, l)| *l)
        .collect();
    assert_eq!(stdout, vec!["a\n", "b\n", "c\n"], "{text}");
    assert!(logs.contains(&("stderr", "e1\n")), "{text}");
    assert!(
        entries
            .iter()
            .all(|v| v["time"].as_str().unwrap_or("").ends_with('Z')),
        "{text}"
    );
}

fn events_stream(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let ev = d.wharf_bg(
        &[
            "events",
            "--filter",
            "type=container",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        ],
        false,
    );
    std::thread::sleep(Duration::from_millis(500));
    d.wharf(&["run", "--name", "evt", "busybox", "true"])
        .success();
    ev.expect("container create evt", T);
    ev.expect("container start evt", T);
    ev.expect("container die evt", T);
    d.wharf(&["rm", "evt"]).success();
    ev.expect("container destroy evt", T);
    assert!(!ev.stdout.text().contains("image "), "type filter ignored");
}

/// `pause` freezes every process (the ticker stops ticking), `ps` shows
/// `(Paused)`, exec is refused, `unpause` lets it go on; kill and `rm -f` of
/// a paused container work, as in Docker.
fn pause_unpause(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&["run", "-d", "--name", "pz", "busybox", "sh", "-c", TICKER])
        .success();
    assert!(wait_until(T, || d
        .wharf(&["logs", "pz"])
        .stdout
        .contains("tick 2")));
    d.docker(&["pause", "pz"]).success();
    let i = d.inspect("pz");
    assert_eq!(i["State"]["Status"], "paused", "{i}");
    assert_eq!(i["State"]["Paused"], true);
    let o = d.docker(&["ps", "--format", "{{.Status}}"]);
    assert!(o.success().out().ends_with("(Paused)"), "{o}");
    let before = d.wharf(&["logs", "pz"]).stdout.lines().count();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        d.wharf(&["logs", "pz"]).stdout.lines().count(),
        before,
        "a paused container kept printing"
    );
    let o = d.docker(&["exec", "pz", "true"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("is paused"), "{o}");
    let o = d.wharf(&["pause", "pz"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("already paused"), "{o}");
    d.wharf(&["unpause", "pz"]).success();
    assert_eq!(d.status("pz").as_deref(), Some("running"));
    assert!(wait_until(T, || d
        .wharf(&["logs", "pz"])
        .stdout
        .lines()
        .count()
        > before));
    let o = d.wharf(&["unpause", "pz"]);
    assert!(o.stderr.contains("is not paused"), "{o}");
    // kill and rm -f of a paused container
    d.wharf(&["pause", "pz"]).success();
    d.docker(&["kill", "pz"]).success();
    let i = d.inspect("pz");
    assert_eq!(
        (
            i["State"]["Status"].as_str(),
            i["State"]["ExitCode"].as_i64()
        ),
        (Some("exited"), Some(137)),
        "{i}"
    );
    d.wharf(&["start", "pz"]).success();
    d.wharf(&["pause", "pz"]).success();
    d.docker(&["rm", "-f", "pz"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    let o = d.wharf(&["pause", "pz"]);
    assert_ne!(o.code, 0);
}

/// `container prune` removes stopped containers only, honouring label
/// filters, through both CLIs.
fn container_prune(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&["run", "-d", "--name", "up", "busybox", "sleep", "1000"])
        .success();
    d.wharf(&["create", "--name", "made", "busybox", "true"])
        .success();
    d.wharf(&["run", "--name", "done", "-l", "keep=yes", "busybox", "true"])
        .success();
    d.wharf(&[
        "run",
        "--name",
        "gone",
        "busybox",
        "sh",
        "-c",
        "echo x > /f",
    ])
    .success();
    let o = d.docker(&["container", "prune", "-f", "--filter", "label!=keep"]);
    let out = o.success().stdout.clone();
    assert!(
        out.contains("Deleted Containers:") && out.contains("Total reclaimed space:"),
        "{o}"
    );
    let mut left = d
        .wharf(&["ps", "-a", "--format", "{{.Names}}"])
        .success()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    left.sort();
    assert_eq!(left, ["done", "up"]);
    d.wharf(&["container", "prune", "-f"]).success();
    assert_eq!(
        d.wharf(&["ps", "-a", "--format", "{{.Names}}"])
            .success()
            .out(),
        "up"
    );
    let (st, v) = d.api(
        "POST",
        "/containers/prune?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D",
        None,
    );
    assert_eq!(st, 400, "{v}");
}

/// `diff` lists what the writable layer changed (A/C/D) and `export`
/// writes the container's filesystem as a tar, running or stopped.
fn diff_and_export(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let script = "echo hi > /new-file; echo x >> /etc/passwd; rm /etc/group; sleep 1000";
    d.wharf(&["run", "-d", "--name", "dx", "busybox", "sh", "-c", script])
        .success();
    assert!(wait_until(T, || d
        .docker(&["diff", "dx"])
        .stdout
        .contains("D /etc/group")));
    let o = d.docker(&["diff", "dx"]);
    let lines = o.success().lines();
    for want in ["A /new-file", "C /etc", "C /etc/passwd", "D /etc/group"] {
        assert!(lines.contains(&want), "{want} missing: {o}");
    }
    let list = |o: &common::Output| o.stdout.clone();
    for state in ["running", "stopped"] {
        if state == "stopped" {
            d.wharf(&["kill", "dx"]).success();
        }
        let tar = d.tmp().join(format!("dx-{state}.tar"));
        d.sh(
            common::Cli::Docker,
            &format!("export dx > {}", tar.display()),
        )
        .success();
        let mut cmd = std::process::Command::new("tar");
        cmd.arg("-tf").arg(&tar);
        let o = common::run_cmd(cmd, None, T);
        let names = list(&o);
        let has = |n: &str| names.lines().any(|l| l.trim_end_matches('/') == n);
        assert!(
            has("new-file") && has("bin/busybox") && has("etc/passwd"),
            "{state}: {o}"
        );
        assert!(
            !has("etc/group"),
            "{state}: a deleted file was exported: {o}"
        );
    }
    // wharf's own commands give the same
    let o = d.wharf(&["diff", "dx"]);
    assert!(o.success().lines().contains(&"D /etc/group"), "{o}");
    let tar = d.tmp().join("dx-wharf.tar");
    d.wharf(&["export", "-o", &tar.to_string_lossy(), "dx"])
        .success();
    assert!(std::fs::metadata(&tar).unwrap().len() > 100_000);
    // no export view left mounted
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&d.exec_root().join("export").to_string_lossy().to_string()));
}

/// `update` changes a running container's limits live (seen in its
/// cgroup from inside) and in the record; bad values change nothing.
fn update_resources(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run", "-d", "--name", "upd", "-m", "64m", "busybox", "sleep", "1000",
    ])
    .success();
    let mem_limit = || {
        let o = d.wharf(&[
            "exec", "upd", "sh", "-c",
            "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
        ]);
        o.success().out().to_string()
    };
    assert_eq!(mem_limit(), (64u64 << 20).to_string());
    d.docker(&[
        "update",
        "-m",
        "128m",
        "--memory-swap",
        "256m",
        "--pids-limit",
        "77",
        "--restart",
        "on-failure:3",
        "upd",
    ])
    .success();
    assert_eq!(mem_limit(), (128u64 << 20).to_string());
    let pids = d.wharf(&[
        "exec",
        "upd",
        "sh",
        "-c",
        "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
    ]);
    assert_eq!(pids.success().out(), "77");
    let h = d.inspect("upd")["HostConfig"].clone();
    assert_eq!(h["Memory"], 128 << 20);
    assert_eq!(h["MemorySwap"], 256 << 20);
    assert_eq!(h["PidsLimit"], 77);
    assert_eq!(h["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(h["RestartPolicy"]["MaximumRetryCount"], 3);
    d.wharf(&["update", "--cpus", "0.5", "upd"]).success();
    assert_eq!(d.inspect("upd")["HostConfig"]["NanoCpus"], 500_000_000i64);
    // Refused, and nothing changed.
    for bad in [
        vec!["update", "-m", "1m", "upd"],
        vec!["update", "-m", "200m", "--memory-swap", "100m", "upd"],
        vec!["update", "--restart", "sometimes", "upd"],
        vec!["update", "--cpuset-cpus", "0", "upd"],
    ] {
        let o = d.wharf(&bad);
        assert_ne!(o.code, 0, "{o}");
    }
    assert_eq!(mem_limit(), (128u64 << 20).to_string());
    assert_eq!(d.inspect("upd")["HostConfig"]["Memory"], 128 << 20);
    let o = d.wharf(&["update", "upd"]);
    assert!(o.stderr.contains("one or more flags"), "{o}");
    // A restart keeps the new limit.
    d.wharf(&["restart", "-t", "0", "upd"]).success();
    assert_eq!(mem_limit(), (128u64 << 20).to_string());
}

/// `stats`: a busy container shows CPU, a memory limit shows as the
/// limit, streamed samples chain precpu to the previous sample.
fn stats_one_shot_and_streamed(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "hot",
        "-m",
        "100m",
        "busybox",
        "sh",
        "-c",
        "while true; do :; done",
    ])
    .success();
    d.wharf(&["run", "-d", "--name", "cold", "busybox", "sleep", "1000"])
        .success();
    let (st, v) = d.api("GET", "/containers/hot/stats?stream=false", None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["memory_stats"]["limit"], 100 << 20, "{v}");
    assert!(v["memory_stats"]["usage"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(v["pids_stats"]["current"], 1, "{v}");
    let cpu = v["cpu_stats"]["cpu_usage"]["total_usage"].as_u64().unwrap();
    let pre = v["precpu_stats"]["cpu_usage"]["total_usage"]
        .as_u64()
        .unwrap();
    assert!(cpu > pre && pre > 0, "a second sample fills precpu: {v}");
    let (_, one) = d.api(
        "GET",
        "/containers/hot/stats?stream=false&one-shot=true",
        None,
    );
    assert_eq!(one["precpu_stats"]["cpu_usage"]["total_usage"], 0, "{one}");
    // Streamed: newline-delimited samples, each chained to the previous.
    let mut curl = std::process::Command::new("curl");
    curl.args(["-s", "-m", "2.5", "--unix-socket"])
        .arg(d.sock())
        .arg("http://localhost/containers/cold/stats");
    let body = common::run_cmd(curl, None, T).stdout;
    let samples: Vec<Value> = body
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(samples.len() >= 2, "{body}");
    assert_eq!(samples[1]["preread"], samples[0]["read"]);
    // docker stats shows the hot one busy and the limit.
    let o = d.docker(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.CPUPerc}} {{.MemUsage}}",
        "hot",
    ]);
    let line = o.success().out().to_string();
    let perc: f64 = line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    // A busy loop on a machine shared with the rest of the suite may get
    // a small share of a core; what matters is that the share is computed.
    assert!(perc > 1.0, "{line}");
    assert!(line.ends_with("/ 100MiB"), "{line}");
    let o = d.wharf(&["stats", "--no-stream"]);
    assert!(
        o.success().out().contains("hot") && o.out().contains("cold"),
        "{o}"
    );
}

/// Healthchecks: `--health-cmd` (and the image's HEALTHCHECK) run at
/// their interval; State.Health, `ps` and `health=` filters follow; events
/// report each change; `--no-healthcheck` turns the image's off.
fn healthchecks(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let args = |name: &'static str, cmd: &'static str| {
        vec![
            "run",
            "-d",
            "--name",
            name,
            "--health-cmd",
            cmd,
            "--health-interval",
            "200ms",
            "--health-retries",
            "2",
            "--health-timeout",
            "2s",
            "busybox",
            "sleep",
            "1000",
        ]
    };
    d.docker(&args("good", "test -d /etc")).success();
    d.docker(&args("bad", "echo failing-probe; exit 1"))
        .success();
    let health = |n: &str| {
        d.inspect(n)["State"]["Health"]["Status"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        wait_until(T, || health("good") == "healthy"),
        "{}",
        d.inspect("good")["State"]
    );
    assert!(
        wait_until(T, || health("bad") == "unhealthy"),
        "{}",
        d.inspect("bad")["State"]
    );
    let st = d.inspect("bad")["State"].clone();
    let log = st["Health"]["Log"].as_array().unwrap();
    assert!(!log.is_empty() && log.len() <= 5, "{st}");
    assert_eq!(log.last().unwrap()["ExitCode"], 1);
    assert!(
        log.last().unwrap()["Output"]
            .as_str()
            .unwrap()
            .contains("failing-probe"),
        "{st}"
    );
    assert!(st["Health"]["FailingStreak"].as_i64().unwrap() >= 2);
    let o = d.docker(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    let out = o.success().stdout.clone();
    assert!(
        out.lines()
            .any(|l| l.starts_with("good Up") && l.ends_with("(healthy)")),
        "{o}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("bad Up") && l.ends_with("(unhealthy)")),
        "{o}"
    );
    let o = d.docker(&["ps", "--filter", "health=healthy", "--format", "{{.Names}}"]);
    assert_eq!(o.success().out(), "good");
    // Healthcheck execs are not the user's.
    assert!(
        d.inspect("good")["ExecIDs"].is_null(),
        "{}",
        d.inspect("good")["ExecIDs"]
    );
    // `--until 0s` is "now" in whole seconds: let the second of the change pass.
    std::thread::sleep(Duration::from_millis(1100));
    let o = d.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        "0s",
        "--filter",
        "container=good",
    ]);
    assert!(o.success().stdout.contains("health_status: healthy"), "{o}");
    // A stopped container has no running probe, and a restart starts over.
    d.wharf(&["stop", "-t", "0", "good"]).success();
    d.wharf(&["start", "good"]).success();
    let h = d.inspect("good")["State"]["Health"]["Status"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(h == "starting" || h == "healthy", "{h}");
    // --no-healthcheck / a bad duration
    let o = d.wharf(&[
        "run",
        "-d",
        "--name",
        "nohc",
        "--no-healthcheck",
        "busybox",
        "sleep",
        "10",
    ]);
    o.success();
    assert_eq!(
        d.inspect("nohc")["Config"]["Healthcheck"]["Test"][0],
        "NONE"
    );
    assert!(d.inspect("nohc")["State"]["Health"].is_null());
    let o = d.wharf(&["run", "-d", "--health-interval", "soon", "busybox", "true"]);
    assert_eq!(o.code, 125, "{o}");
}

runtime_tests!(
    healthchecks,
    stats_one_shot_and_streamed,
    update_resources,
    diff_and_export,
    container_prune,
    pause_unpause,
    detached_logs_follow_exec_stop_rm,
    stop_with_init_exits_143,
    stop_signal_and_timeout,
    kill_with_signal,
    wait_prints_exit_code,
    ps_columns_filters_format,
    inspect_format_rename_top,
    name_conflict_is_409,
    restart_policies,
    restart_command,
    logs_tail_timestamps_since_streams,
    events_stream,
);
