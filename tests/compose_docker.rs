//! Issue 12: `wharf compose` is a plain Engine API client. It drives
//! Debian's Docker 20.10 engine (API 1.41, started here on its own root and
//! socket, with no bridge and no firewall rules) through a project's life,
//! and Docker Compose v2 sees the same project in that engine.
mod common;

use std::process::Command;
use std::time::Duration;

use common::docker_engine::DockerEngine;
use common::{busybox_tar, run_cmd, unique, Output, WHARF};

const T: Duration = Duration::from_secs(120);

const PROJECT: &str = r#"
services:
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    network_mode: none
    volumes:
      - data:/data
  web:
    image: busybox
    command: ["sh", "-c", "echo from-web > /data/x; trap 'exit 0' TERM; while true; do sleep 1; done"]
    network_mode: none
    volumes:
      - data:/data
    depends_on: [db]
volumes:
  data:
"#;

#[test]
fn wharf_compose_drives_docker_20_10() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let dir = std::env::temp_dir().join(unique("wcd"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("compose.yaml"), PROJECT).unwrap();
    let project = unique("wcd").replace('-', "");
    let host = e.host();
    let compose = |args: &[&str]| -> Output {
        let mut c = Command::new(WHARF);
        c.current_dir(&dir)
            .env_remove("DOCKER_API_VERSION")
            .args(["-H", &host, "compose", "-p", &project])
            .args(args);
        run_cmd(c, None, T)
    };
    let tar = busybox_tar().to_string_lossy().into_owned();
    e.docker(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"])
        .success();

    compose(&["up", "-d"]).success();
    let ps = compose(&["ps", "--format", "{{.Service}} {{.State}}"]);
    ps.success();
    assert!(ps.out().contains("db running"), "{ps}");
    assert!(ps.out().contains("web running"), "{ps}");
    // the named volume is shared: what web wrote, db reads
    let mut read = String::new();
    for _ in 0..50 {
        let x = compose(&["exec", "-T", "db", "cat", "/data/x"]);
        read = x.out().trim().to_string();
        if read == "from-web" {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(read, "from-web");
    // Docker's own CLI and Docker Compose v2 see the same project.
    let dps = e.docker(&[
        "ps",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(dps.out().lines().count(), 2, "{dps}");
    let v2 = e.docker(&["compose", "-p", &project, "ps", "--format", "{{.Service}}"]);
    if std::path::Path::new("/usr/local/lib/docker/cli-plugins/docker-compose").exists() {
        v2.success();
        assert!(v2.out().contains("db") && v2.out().contains("web"), "{v2}");
    }
    compose(&["stop"]).success();
    let stopped = compose(&["ps", "-a", "--format", "{{.Service}} {{.State}}"]);
    assert!(stopped.out().contains("db exited"), "{stopped}");
    compose(&["start"]).success();
    let again = compose(&["ps", "--format", "{{.Service}} {{.State}}"]);
    assert!(again.out().contains("web running"), "{again}");
    compose(&["down", "-v"]).success();
    let left = e.docker(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={project}"),
    ]);
    assert_eq!(left.out().trim(), "", "{left}");
    let vols = e.docker(&["volume", "ls", "-q"]);
    assert!(
        !vols.out().contains(&project),
        "down -v removes the volume: {vols}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
