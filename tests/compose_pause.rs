//! `wharf compose pause|unpause`: freezes and thaws a project's running
//! containers (all of them, or the named services), as Docker Compose does (the
//! engine's error for one already in that state);
//! an unknown service is an error that changes nothing.
mod common;

use common::{Daemon, Output, Runtime};
use std::time::Duration;

fn compose(d: &Daemon, file: &str, proj: &str, args: &[&str]) -> Output {
    let mut a = vec!["compose", "-f", file, "-p", proj];
    a.extend_from_slice(args);
    d.wharf_timeout(&a, Duration::from_secs(120))
}

fn status(d: &Daemon, name: &str) -> String {
    d.inspect(name)["State"]["Status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

runtime_tests!(compose_pause_unpause);

fn compose_pause_unpause(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let dir = d.tmp().join("wcpause");
    std::fs::create_dir_all(&dir).unwrap();
    let runtime = match rt {
        Runtime::Default => "",
        Runtime::Runc => "    runtime: runc\n",
    };
    let yaml = format!(
        "services:\n  a:\n    image: busybox\n{runtime}    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]\n  b:\n    image: busybox\n{runtime}    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 100000 & wait\"]\n    depends_on: [a]\n"
    );
    let file = dir.join("compose.yaml");
    std::fs::write(&file, yaml).unwrap();
    let f = file.to_string_lossy().to_string();
    let p = "wcpause";
    compose(&d, &f, p, &["up", "-d"]).success();
    let (a, b) = ("wcpause-a-1", "wcpause-b-1");

    // one service
    let out = compose(&d, &f, p, &["pause", "b"]);
    out.success();
    assert!(out.err().contains("Paused"), "{out}");
    assert_eq!(status(&d, b), "paused");
    assert_eq!(status(&d, a), "running");

    // an unknown service: an error naming it, nothing changes
    let out = compose(&d, &f, p, &["pause", "nosuch"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.err().contains("nosuch"), "{out}");
    assert_eq!(status(&d, a), "running");

    // as with Docker Compose, unpausing a running container is the
    // engine's error (exit 1); the paused one is still thawed
    let out = compose(&d, &f, p, &["unpause"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.err().contains("not paused"), "{out}");
    assert_eq!(status(&d, a), "running");
    assert_eq!(status(&d, b), "running");
    // all of them
    compose(&d, &f, p, &["pause"]).success();
    assert_eq!(status(&d, a), "paused");
    assert_eq!(status(&d, b), "paused");
    let ps = compose(&d, &f, p, &["ps", "--format", "json"]);
    ps.success();
    assert!(ps.out().contains("paused"), "{ps}");
    compose(&d, &f, p, &["unpause"]).success();
    assert_eq!(status(&d, a), "running");
    assert_eq!(status(&d, b), "running");

    // the real Docker Compose sees the same project and does the same
    if common::has_docker() {
        let out = d.docker(&["compose", "-f", &f, "-p", p, "pause", "a"]);
        out.success();
        assert_eq!(status(&d, a), "paused");
        compose(&d, &f, p, &["unpause", "a"]).success();
        assert_eq!(status(&d, a), "running");
    }

    compose(&d, &f, p, &["down", "-t", "1"]).success();
    assert!(d.wharf(&["ps", "-aq"]).out().is_empty());
}
