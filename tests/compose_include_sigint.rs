//! `include:` of another compose file, with its own project directory and
//! `.env`, driven through `up`/`down`; and an attached `up` stopped by
//! SIGINT sent to the real process, as Docker Compose: the first one stops
//! the services gracefully, a second one kills them.
mod common;

use common::{Background, Daemon};
use std::time::Duration;

fn sigint(pid: u32) {
    let st = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill -INT {pid}");
}

fn state(d: &Daemon, name: &str) -> String {
    d.inspect(name)["State"]["Status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The included file's relative paths resolve from its own directory and
/// its variables from its own `.env`; `down` removes what it brought.
#[test]
fn compose_include_up_down() {
    let d = Daemon::start();
    let dir = d.tmp().join("incproj");
    let sub = dir.join("db");
    std::fs::create_dir_all(sub.join("seed")).unwrap();
    std::fs::write(sub.join("seed/hello.txt"), "from-the-included-dir\n").unwrap();
    std::fs::write(sub.join(".env"), "DB_GREETING=hello-from-included-env\n").unwrap();
    std::fs::write(
        sub.join("compose.yaml"),
        r#"
services:
  db:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    environment:
      GREETING: ${DB_GREETING:-unset}
    volumes:
      - ./seed:/seed:ro
      - dbdata:/data
volumes:
  dbdata:
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        r#"
include:
  - db/compose.yaml
services:
  app:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    depends_on: [db]
"#,
    )
    .unwrap();
    let f = dir.join("compose.yaml").to_string_lossy().to_string();
    let compose = |args: &[&str]| {
        let mut a = vec!["compose", "-f", f.as_str(), "-p", "wcinc"];
        a.extend_from_slice(args);
        d.wharf_timeout(&a, Duration::from_secs(120))
    };
    compose(&["up", "-d"]).success();
    assert_eq!(state(&d, "wcinc-db-1"), "running");
    assert_eq!(state(&d, "wcinc-app-1"), "running");
    let o = d.wharf(&["exec", "wcinc-db-1", "cat", "/seed/hello.txt"]);
    assert_eq!(o.success().out(), "from-the-included-dir");
    let o = d.wharf(&["exec", "wcinc-db-1", "sh", "-c", "echo $GREETING"]);
    assert_eq!(o.success().out(), "hello-from-included-env");
    let ps = compose(&["ps", "--services"]);
    let mut svcs = ps.success().lines();
    svcs.sort();
    assert_eq!(svcs, ["app", "db"], "{ps}");
    // the included volume carries the project's name
    d.wharf(&["volume", "inspect", "wcinc_dbdata"]).success();
    compose(&["down", "-v"]).success();
    let left = d.wharf(&[
        "ps",
        "-aq",
        "--filter",
        "label=com.docker.compose.project=wcinc",
    ]);
    assert_eq!(left.success().out(), "", "containers left: {left}");
    assert!(
        d.wharf(&["volume", "inspect", "wcinc_dbdata"]).code != 0,
        "down -v left the included volume"
    );
}

/// Ctrl-C in an attached `up`: "Gracefully stopping...", the services
/// stop (they end on SIGTERM) and `up` exits; `down` cleans up.
#[test]
fn compose_attached_up_sigint_stops_services() {
    let d = Daemon::start();
    let dir = d.tmp().join("sigproj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        r#"
services:
  one:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo one-ready; sleep 100000 & wait"]
  two:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "trap 'exit 0' TERM; echo two-ready; sleep 100000 & wait"]
"#,
    )
    .unwrap();
    let f = dir.join("compose.yaml").to_string_lossy().to_string();
    let up = Background::spawn(
        d.wharf_cmd(&["compose", "-f", &f, "-p", "wcsig", "up", "--no-color"]),
        false,
    );
    up.expect("one-ready", Duration::from_secs(60));
    up.expect("two-ready", Duration::from_secs(30));
    sigint(up.pid());
    let o = up.wait(Duration::from_secs(60));
    let all = format!("{}{}", o.stdout, o.stderr);
    assert!(all.contains("Gracefully stopping..."), "{o}");
    assert!(
        o.stdout.contains("got-term"),
        "the service saw SIGTERM: {o}"
    );
    assert_eq!(state(&d, "wcsig-one-1"), "exited");
    assert_eq!(state(&d, "wcsig-two-1"), "exited");
    assert_eq!(d.inspect("wcsig-one-1")["State"]["ExitCode"], 0);
    d.wharf(&["compose", "-f", &f, "-p", "wcsig", "down"])
        .success();
}

/// A second Ctrl-C while the graceful stop waits (the service ignores
/// SIGTERM, its grace period is long) kills the services at once.
#[test]
fn compose_attached_up_second_sigint_kills() {
    let d = Daemon::start();
    let dir = d.tmp().join("sig2proj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        r#"
services:
  stubborn:
    image: busybox
    network_mode: none
    stop_grace_period: 120s
    command: ["sh", "-c", "trap '' TERM; echo stubborn-ready; while :; do sleep 1; done"]
"#,
    )
    .unwrap();
    let f = dir.join("compose.yaml").to_string_lossy().to_string();
    let up = Background::spawn(
        d.wharf_cmd(&["compose", "-f", &f, "-p", "wcsig2", "up", "--no-color"]),
        false,
    );
    up.expect("stubborn-ready", Duration::from_secs(60));
    sigint(up.pid());
    assert!(
        common::wait_until(Duration::from_secs(20), || {
            format!("{}{}", up.stdout.text(), up.stderr.text()).contains("Gracefully stopping")
        }),
        "no graceful stop: {} {}",
        up.stdout.text(),
        up.stderr.text()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(state(&d, "wcsig2-stubborn-1"), "running", "TERM is ignored");
    let t0 = std::time::Instant::now();
    sigint(up.pid());
    let o = up.wait(Duration::from_secs(30));
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "the second SIGINT did not cut the 120 s grace period: {o}"
    );
    assert_eq!(state(&d, "wcsig2-stubborn-1"), "exited", "{o}");
    assert_eq!(d.inspect("wcsig2-stubborn-1")["State"]["ExitCode"], 137);
    d.wharf(&["compose", "-f", &f, "-p", "wcsig2", "down", "-t", "0"])
        .success();
}
