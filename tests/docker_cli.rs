//! The real `docker` CLI (28.x) as a client of wharf: DOCKER_HOST points at a
//! test daemon's socket. Each test prints a notice and returns when no docker
//! CLI is installed (scripts/setup.sh installs one).
mod common;

use common::{has_docker, is_full_id, wait_until, Daemon};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(30);

#[test]
fn version_negotiates_1_44() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    let o = d.docker(&[
        "version",
        "--format",
        "{{.Server.APIVersion}} {{.Server.Os}}",
    ]);
    assert_eq!(o.success().out(), "1.44 linux");
    let o = d.docker(&["info", "--format", "{{.Images}} {{.OSType}}"]);
    assert_eq!(o.success().out(), "1 linux");
}

#[test]
fn run_rm_prints_pid_1_and_exit_codes() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    let o = d.docker(&["run", "--rm", "busybox", "sh", "-c", "echo $$"]);
    assert_eq!(o.success().out(), "1", "{o}");
    d.docker(&["run", "--rm", "busybox", "sh", "-c", "exit 3"])
        .code_is(3);
    let o = d.docker(&["run", "--rm", "busybox", "nosuchcmd"]);
    o.code_is(127);
    assert!(o.stderr.contains("executable file not found"), "{o}");
    d.docker(&["run", "--rm", "busybox", "/etc/passwd"])
        .code_is(126);
    let o = d.docker(&["run", "--rm", "--pull", "never", "nosuchimage:1", "true"]);
    o.code_is(125);
    assert!(o.stderr.contains("No such image"), "{o}");
    let o = d.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!((o.out(), o.err()), ("out", "err"));
    let o = d.docker_stdin(
        &["run", "-i", "--rm", "busybox", "tr", "a-z", "A-Z"],
        b"piped\n",
    );
    assert_eq!(o.success().out(), "PIPED");
    assert_eq!(
        d.docker(&["ps", "-aq"]).success().out(),
        "",
        "--rm left a container"
    );
}

#[test]
fn run_it_under_a_pty() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    let o = d.docker_pty(
        &["run", "-it", "--rm", "busybox", "sh", "-c", "tty; echo hi"],
        &[],
        T,
    );
    o.success();
    assert!(o.stdout.contains("/dev/pts/"), "{o}");
    assert!(o.stdout.contains("hi"), "{o}");
    let o = d.docker_pty(
        &["run", "-it", "--rm", "busybox", "sh"],
        &[("#", "echo $((7*6))\n"), ("42", "exit 4\n")],
        T,
    );
    o.code_is(4);
}

#[test]
fn run_d_ps_logs_f_exec_stop_rm() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    let o = d.docker(&[
        "run",
        "-d",
        "--name",
        "web",
        "-l",
        "app=demo",
        "busybox",
        "sh",
        "-c",
        "echo start; while true; do echo tick; sleep 0.2; done",
    ]);
    let id = o.success().out().to_string();
    assert!(is_full_id(&id), "{o}");

    let ps = d.docker(&["ps"]);
    let lines = ps.success().lines();
    assert!(lines[0].starts_with("CONTAINER ID"), "{ps}");
    assert!(
        lines[1].starts_with(&id[..12]) && lines[1].ends_with("web"),
        "{ps}"
    );
    assert!(lines[1].contains("Up "), "{ps}");
    let o = d.docker(&[
        "ps",
        "--filter",
        "label=app=demo",
        "--format",
        "{{.Names}} {{.Image}} {{.State}}",
    ]);
    assert_eq!(o.success().out(), "web busybox running");
    let o = d.docker(&["ps", "--format", "{{json .}}"]);
    let v: common::Value = serde_json::from_str(o.success().out()).expect("ps json");
    assert_eq!(v["ID"], &id[..12]);

    let follow = d.docker_bg(&["logs", "-f", "web"]);
    follow.expect("start", T);
    let n = follow.stdout.text().lines().count();
    assert!(
        wait_until(T, || follow.stdout.text().lines().count() > n + 2),
        "docker logs -f does not follow"
    );
    let o = d.docker(&["logs", "--tail", "1", "web"]);
    assert_eq!(o.success().out(), "tick");

    let o = d.docker(&["exec", "web", "sh", "-c", "echo in-exec; exit 2"]);
    o.code_is(2);
    assert_eq!(o.out(), "in-exec");
    let o = d.docker(&[
        "exec",
        "-u",
        "app",
        "-w",
        "/tmp",
        "-e",
        "Z=9",
        "web",
        "sh",
        "-c",
        "echo $(id -un) $(pwd) $Z",
    ]);
    assert_eq!(o.success().out(), "app /tmp 9");
    let o = d.docker_pty(&["exec", "-it", "web", "sh", "-c", "tty"], &[], T);
    assert!(o.success().stdout.contains("/dev/pts/"), "{o}");

    let o = d.docker(&["rm", "web"]);
    assert_ne!(o.code, 0, "rm of a running container: {o}");
    let t0 = Instant::now();
    let o = d.docker(&["stop", "-t", "1", "web"]);
    assert_eq!(o.success().out(), "web");
    assert!(t0.elapsed() >= Duration::from_millis(900));
    follow.wait(T).success();
    let o = d.docker(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.ExitCode}}",
        "web",
    ]);
    assert_eq!(o.success().out(), "exited 137");
    let o = d.docker(&["ps", "-a", "--format", "{{.Status}}"]);
    assert!(o.success().out().starts_with("Exited (137)"), "{o}");
    let o = d.docker(&["rm", "web"]);
    assert_eq!(o.success().out(), "web");
    assert_eq!(d.docker(&["ps", "-aq"]).success().out(), "");
}

#[test]
fn rm_f_kill_wait_restart() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    d.docker(&["run", "-d", "--name", "aa", "busybox", "sleep", "1000"])
        .success();
    let o = d.docker(&["rm", "-f", "aa"]);
    assert_eq!(o.success().out(), "aa");
    assert_eq!(d.api("GET", "/containers/aa/json", None).0, 404);

    d.docker(&[
        "run",
        "-d",
        "--name",
        "ww",
        "busybox",
        "sh",
        "-c",
        "sleep 1; exit 42",
    ])
    .success();
    assert_eq!(d.docker(&["wait", "ww"]).success().out(), "42");

    d.docker(&[
        "run",
        "-d",
        "--name",
        "kk",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 12' USR1; echo traps-set; while true; do sleep 0.1; done",
    ])
    .success();
    // signalled once the trap is set (`run -d` returns before that)
    assert!(wait_until(T, || d
        .docker(&["logs", "kk"])
        .stdout
        .contains("traps-set")));
    d.docker(&["kill", "-s", "USR1", "kk"]).success();
    assert_eq!(d.docker(&["wait", "kk"]).success().out(), "12");
    d.docker(&["restart", "-t", "1", "kk"]).success();
    d.wait_status("kk", "running", T);
    d.docker(&["rename", "kk", "k2"]).success();
    let o = d.docker(&["top", "k2"]);
    assert!(o.success().stdout.contains("PID"), "{o}");
    let o = d.docker(&["run", "-d", "--name", "k2", "busybox", "true"]);
    o.code_is(125);
    assert!(o.stderr.contains("is already in use by container"), "{o}");
}

#[test]
fn images_inspect_import_save_load() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start_bare();
    let tar = common::busybox_tar().to_str().unwrap().to_string();
    let o = d.docker(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"]);
    assert!(o.success().out().starts_with("sha256:"), "{o}");
    let o = d.docker(&["images"]);
    let lines = o.success().lines();
    assert!(lines[0].starts_with("REPOSITORY"), "{o}");
    assert!(
        lines[1].starts_with("busybox") && lines[1].contains("latest"),
        "{o}"
    );
    let o = d.docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Os}} {{json .Config.Cmd}}",
        "busybox",
    ]);
    assert_eq!(o.success().out(), r#"linux ["sh"]"#);
    d.docker(&["run", "--name", "cc", "busybox", "true"])
        .success();
    let o = d.docker(&["inspect", "cc"]);
    let v: common::Value = serde_json::from_str(o.success().out()).expect("inspect JSON");
    assert_eq!(v[0]["Name"], "/cc");
    assert_eq!(v[0]["State"]["ExitCode"], 0);
    let o = d.docker(&["inspect", "-f", "{{.Config.Image}}", "cc"]);
    assert_eq!(o.success().out(), "busybox");

    let saved = d.tmp().join("bb.tar");
    d.docker(&["save", "-o", saved.to_str().unwrap(), "busybox"])
        .success();
    d.docker(&["rm", "cc"]).success();
    let o = d.docker(&["rmi", "busybox"]);
    assert!(
        o.success().stdout.contains("Untagged: busybox:latest"),
        "{o}"
    );
    let o = d.docker(&["load", "-i", saved.to_str().unwrap()]);
    assert!(
        o.success().stdout.contains("Loaded image: busybox:latest"),
        "{o}"
    );
    let o = d.docker(&["run", "--rm", "busybox", "cat", "/etc/wharf-base"]);
    assert!(o.success().out().starts_with("BusyBox"));
    let o = d.docker(&["history", "busybox"]);
    assert!(o.success().lines().len() >= 2, "{o}");
    d.docker(&["tag", "busybox", "other:2"]).success();
    assert_eq!(d.docker(&["images", "-q"]).success().lines().len(), 2);
}

#[test]
fn events_stream_through_docker() {
    if !has_docker() {
        return;
    }
    let d = Daemon::start();
    let ev = d.docker_bg(&[
        "events",
        "--filter",
        "type=container",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]);
    std::thread::sleep(Duration::from_millis(500));
    d.docker(&["run", "--rm", "--name", "e1", "busybox", "true"])
        .success();
    ev.expect("start e1", T);
    ev.expect("die e1", T);
}
