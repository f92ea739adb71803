//! Issue 13: `run --rm` returns as soon as the exit code is known and the
//! container is logically gone; the host clean-up finishes in the
//! background, crash-safe. What a user observes right after the return:
//! the name is free, the published port can be published again, `ps -a`
//! and `inspect` no longer know it, die comes before destroy; and a short
//! bounded time later nothing is left on the host (mounts, namespaces,
//! cgroups, directories), also when the daemon was killed meanwhile.
mod common;

use common::{unique, wait_until, Cli, Daemon, Runtime};
use std::path::Path;
use std::time::Duration;

/// How long the background clean-up may take before a leftover counts.
const SETTLE: Duration = Duration::from_secs(5);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn dir_names(p: &Path) -> Vec<String> {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The ids of every container this daemon destroyed, with their events
/// in order (`die`, `destroy`, …), from the event log.
fn destroyed(d: &Daemon) -> Vec<(String, Vec<String>)> {
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let req = format!("GET /events?since=0&until={until} HTTP/1.0\r\nHost: x\r\n\r\n");
    let r = common::http(d.sock(), req.as_bytes(), Duration::from_secs(10)).unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in r.body.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            continue;
        };
        if v["Type"] != "container" {
            continue;
        }
        let id = v["Actor"]["ID"].as_str().unwrap_or_default().to_string();
        let action = v["Action"].as_str().unwrap_or_default().to_string();
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some((_, a)) => a.push(action),
            None => out.push((id, vec![action])),
        }
    }
    out.retain(|(_, a)| a.iter().any(|x| x == "destroy"));
    out
}

/// Nothing of `ids` left on the host, after at most [`SETTLE`].
fn assert_nothing_left(d: &Daemon, ids: &[String]) {
    let left = || {
        // the exec root's own tmpfs stays while the daemon runs
        let mut l: Vec<String> = common::mounts_under(d.tmp())
            .into_iter()
            .filter(|m| *m != d.exec_root())
            .map(|m| format!("mount {}", m.display()))
            .collect();
        for (what, dir) in [
            ("run directory", d.exec_root().join("containers")),
            ("container directory", d.data_root().join("containers")),
            ("pending clean-up", d.data_root().join("removing")),
            ("trash", d.data_root().join("trash")),
        ] {
            l.extend(dir_names(&dir).into_iter().map(|n| format!("{what} {n}")));
        }
        for id in ids {
            l.extend(
                common::cgroup_dirs_for(id)
                    .into_iter()
                    .map(|c| format!("cgroup {}", c.display())),
            );
        }
        let daemon = d.pid().unwrap_or(0);
        l.extend(
            d.processes()
                .into_iter()
                .filter(|p| *p != daemon)
                .map(|p| format!("process {p}")),
        );
        l
    };
    wait_until(SETTLE, || left().is_empty());
    let l = left();
    assert!(l.is_empty(), "left behind: {l:?}\n{}", d.log_text());
}

/// Back to back: the same name and the same published port, through
/// `wharf` and the docker CLI; `ps -a` and `inspect` no longer know it
/// the moment `run --rm` returned.
fn name_and_port_free_when_run_rm_returns(cli: Cli) {
    let d = Daemon::start();
    let name = unique("rmx");
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    for i in 0..4 {
        let o = d.cli(
            cli,
            &[
                "run", "--rm", "--name", &name, "-p", &publish, "busybox", "sh", "-c", "exit 3",
            ],
        );
        assert_eq!(o.code, 3, "run {i}: {o}");
        let ps = d.cli(cli, &["ps", "-a", "--format", "{{.Names}}"]);
        ps.success();
        assert!(
            !ps.stdout.contains(&name),
            "still listed after run {i}: {ps}"
        );
        let ins = d.cli(cli, &["inspect", &name]);
        assert_ne!(ins.code, 0, "{ins}");
        assert!(
            ins.stderr.to_lowercase().contains("no such"),
            "inspect after run {i}: {ins}"
        );
    }
    // The port works for the next container, really published.
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "-p",
            &publish,
            "busybox",
            "sh",
            "-c",
            "mkdir -p /www && echo again > /www/index.html && exec httpd -f -p 80 -h /www",
        ],
    )
    .success();
    let (ok, body) = common::http_get_until(port, "again", Duration::from_secs(5));
    assert!(ok, "port {port} not reachable after the --rm runs: {body}");
    d.cli(cli, &["rm", "-f", &name]).success();
    let gone = destroyed(&d);
    assert_eq!(gone.len(), 5, "{gone:?}");
    for (id, actions) in &gone {
        let die = actions.iter().position(|a| a == "die");
        let destroy = actions.iter().position(|a| a == "destroy");
        assert!(
            die.is_some() && die < destroy,
            "{id}: events out of Docker's order: {actions:?}"
        );
    }
    let ids: Vec<String> = gone.into_iter().map(|(id, _)| id).collect();
    assert_nothing_left(&d, &ids);
}

/// A `--rm` container with an anonymous volume, a published port and the
/// default bridge: the volume is gone when `run` returns, and mounts,
/// namespace, cgroups and directories a short bounded time after.
fn run_rm_leaves_nothing(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let port = free_port();
    for _ in 0..3 {
        let o = d.wharf(&[
            "run",
            "--rm",
            "-v",
            "/anon",
            "-p",
            &format!("127.0.0.1:{port}:80"),
            "busybox",
            "sh",
            "-c",
            "echo hi > /anon/x; echo out",
        ]);
        o.success();
        assert_eq!(o.stdout.trim(), "out", "{o}");
        let v = d.wharf(&["volume", "ls", "-q"]);
        assert_eq!(v.stdout.trim(), "", "anonymous volume left: {v}");
    }
    // A user-defined network goes right after its last `--rm` container,
    // and its subnet can be made again at once.
    let subnet = common::unique_subnet();
    for _ in 0..2 {
        let net = unique("rmn");
        d.wharf(&["network", "create", "--subnet", &subnet, &net])
            .success();
        d.wharf(&["run", "--rm", "--network", &net, "busybox", "true"])
            .success();
        d.wharf(&["network", "rm", &net]).success();
    }
    // `rm -f` of a running --rm container, and `stop` of one: both answer
    // success, and the container is gone when they return.
    for how in ["rm", "stop"] {
        let name = unique("rmy");
        d.wharf(&[
            "run", "-d", "--rm", "--name", &name, "busybox", "sleep", "600",
        ])
        .success();
        match how {
            "rm" => d.wharf(&["rm", "-f", &name]).success(),
            _ => d.wharf(&["stop", "-t", "1", &name]).success(),
        };
        assert!(d.status(&name).is_none(), "{how}: {name} still there");
        d.wharf(&["run", "--rm", "--name", &name, "busybox", "true"])
            .success();
    }
    let ids: Vec<String> = destroyed(&d).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), 9, "{ids:?}");
    assert_nothing_left(&d, &ids);
}

/// The daemon killed after a `--rm` container left the table and its
/// directory moved to `removing/` (the durable intent), with its monitor
/// and process still there: the next start finishes the clean-up, and the
/// name is free.
fn killed_with_a_pending_clean_up(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    let name = unique("rmk");
    let id = d
        .wharf(&[
            "run", "-d", "--rm", "--name", &name, "busybox", "sleep", "600",
        ])
        .success()
        .stdout
        .trim()
        .to_string();
    d.kill9();
    // What the exit's first half leaves when the daemon dies right after
    // it: the record moved out of `containers/`.
    let removing = d.data_root().join("removing");
    std::fs::create_dir_all(&removing).unwrap();
    std::fs::rename(
        d.data_root().join("containers").join(&id),
        removing.join(&id),
    )
    .unwrap();
    d.restart();
    assert!(d.status(&name).is_none(), "{name} came back");
    d.wharf(&["run", "--rm", "--name", &name, "busybox", "true"])
        .success();
    let mut ids: Vec<String> = destroyed(&d).into_iter().map(|(id, _)| id).collect();
    ids.push(id);
    assert_nothing_left(&d, &ids);
}

/// Daemon shutdown right after `run --rm` returned: the pending clean-up
/// is waited for or left as an intent, and a new daemon leaves nothing.
fn shutdown_with_pending_clean_ups(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = d
            .wharf(&["run", "-d", "--rm", "busybox", "true"])
            .success()
            .stdout
            .trim()
            .to_string();
        ids.push(id);
    }
    wait_until(Duration::from_secs(10), || {
        d.wharf(&["ps", "-aq"]).stdout.trim().is_empty()
    });
    d.stop();
    d.restart();
    assert_nothing_left(&d, &ids);
}

/// `stop` answers once the exit is recorded; a `start` or `rm` right
/// after it waits for the clean-up still under way and works, and the
/// published port is free for the next container.
fn start_and_rm_right_after_stop(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let name = unique("stp");
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    let script = "trap 'exit 0' TERM; while true; do sleep 0.1; done";
    let id = d
        .wharf(&[
            "run", "-d", "--name", &name, "-p", &publish, "busybox", "sh", "-c", script,
        ])
        .success()
        .stdout
        .trim()
        .to_string();
    for i in 0..3 {
        d.wharf(&["stop", &name]).success();
        assert_eq!(d.status(&name).as_deref(), Some("exited"), "stop {i}");
        assert_eq!(d.inspect(&name)["State"]["ExitCode"], 0, "stop {i}");
        d.wharf(&["start", &name]).success();
        assert_eq!(d.status(&name).as_deref(), Some("running"), "start {i}");
    }
    d.wharf(&["stop", &name]).success();
    d.wharf(&["rm", &name]).success();
    d.wharf(&[
        "run", "-d", "--name", &name, "-p", &publish, "busybox", "sh", "-c", script,
    ])
    .success();
    d.wharf(&["rm", "-f", &name]).success();
    let mut ids: Vec<String> = destroyed(&d).into_iter().map(|(id, _)| id).collect();
    assert!(ids.contains(&id), "{ids:?}");
    ids.sort();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_nothing_left(&d, &ids);
}

cli_tests!(name_and_port_free_when_run_rm_returns);
runtime_tests!(
    start_and_rm_right_after_stop,
    run_rm_leaves_nothing,
    killed_with_a_pending_clean_up,
    shutdown_with_pending_clean_ups
);
