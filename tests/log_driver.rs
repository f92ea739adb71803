//! `--log-driver json-file|local|none` and `--log-opt max-size/max-file`:
//! rotation on disk, `logs` reading across rotated files (also while
//! following), and Docker's errors for unknown drivers and options.
mod common;

use common::{wait_until, Cli, Daemon};
use std::time::Duration;

fn wait_exit(d: &Daemon, name: &str) {
    assert!(
        wait_until(Duration::from_secs(30), || d.status(name).as_deref()
            == Some("exited")),
        "{name} did not exit"
    );
}

fn log_files(d: &Daemon, name: &str) -> Vec<String> {
    let id = d.inspect(name)["Id"].as_str().unwrap().to_string();
    let dir = d.data_root().join("containers").join(&id);
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().replace(&id, "ID"))
        .filter(|n| n.contains("json.log"))
        .collect();
    v.sort();
    v
}

fn rotation_keeps_max_file(cli: Cli) {
    let d = Daemon::start();
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            "rot",
            "--log-opt",
            "max-size=1k",
            "--log-opt",
            "max-file=3",
            "busybox",
            "sh",
            "-c",
            "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done",
        ],
    )
    .success();
    wait_exit(&d, "rot");
    assert_eq!(
        log_files(&d, "rot"),
        vec!["ID-json.log", "ID-json.log.1", "ID-json.log.2"]
    );
    let o = d.cli(cli, &["logs", "rot"]);
    let lines = o.success().lines();
    assert!(
        lines.len() < 300 && lines.len() > 20,
        "{} lines",
        lines.len()
    );
    assert_eq!(*lines.last().unwrap(), "line-299");
    // What is kept is the newest output, whole and in order.
    let first: usize = lines[0].trim_start_matches("line-").parse().unwrap();
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(*l, format!("line-{}", first + i));
    }
    let o = d.cli(cli, &["logs", "--tail", "2", "rot"]);
    assert_eq!(o.success().lines(), vec!["line-298", "line-299"]);
    let v = d.inspect("rot");
    assert_eq!(v["HostConfig"]["LogConfig"]["Type"], "json-file");
    assert_eq!(v["HostConfig"]["LogConfig"]["Config"]["max-size"], "1k");
}

fn drivers_and_errors(cli: Cli) {
    let d = Daemon::start();
    let o = d.cli(cli, &["run", "--log-driver", "bogus", "busybox", "true"]);
    o.code_is(125);
    assert!(
        o.stderr
            .contains("logger: no log driver named 'bogus' is registered"),
        "{o}"
    );
    let o = d.cli(cli, &["create", "--log-opt", "foo=bar", "busybox", "true"]);
    assert_ne!(o.code, 0, "{o}");
    assert!(
        o.stderr
            .contains("unknown log opt 'foo' for json-file log driver"),
        "{o}"
    );
    let o = d.cli(
        cli,
        &[
            "create",
            "--log-opt",
            "max-size=1m",
            "--log-opt",
            "max-file=0",
            "busybox",
            "true",
        ],
    );
    assert!(o.stderr.contains("max-file cannot be less than 1"), "{o}");

    d.cli(
        cli,
        &[
            "run",
            "--name",
            "quiet",
            "--log-driver",
            "none",
            "busybox",
            "echo",
            "hi",
        ],
    )
    .success();
    wait_exit(&d, "quiet");
    let o = d.cli(cli, &["logs", "quiet"]);
    assert_ne!(o.code, 0);
    assert!(
        o.stderr
            .contains("configured logging driver does not support reading"),
        "{o}"
    );
    assert!(
        log_files(&d, "quiet").is_empty(),
        "{:?}",
        log_files(&d, "quiet")
    );

    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            "loc",
            "--log-driver",
            "local",
            "busybox",
            "echo",
            "local-line",
        ],
    )
    .success();
    wait_exit(&d, "loc");
    assert_eq!(d.cli(cli, &["logs", "loc"]).success().out(), "local-line");
    assert_eq!(d.inspect("loc")["HostConfig"]["LogConfig"]["Type"], "local");
}

cli_tests!(rotation_keeps_max_file, drivers_and_errors);

/// A follower sees every line, in order, while the files rotate under it.
#[test]
fn follow_across_rotation() {
    let d = Daemon::start();
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "fol",
        "--log-opt",
        "max-size=512",
        "--log-opt",
        "max-file=4",
        "busybox",
        "sh",
        "-c",
        "sleep 1; i=0; while [ $i -lt 150 ]; do echo follow-$i; i=$((i+1)); usleep 20000; done",
    ])
    .success();
    let o = d.wharf_timeout(&["logs", "-f", "fol"], Duration::from_secs(60));
    let lines = o.success().lines();
    let want: Vec<String> = (0..150).map(|i| format!("follow-{i}")).collect();
    assert_eq!(lines, want);
}
