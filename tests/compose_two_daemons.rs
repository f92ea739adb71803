//! Issue 12, "the same project driven by `wharf compose` against a second
//! daemon and seen consistently": one project directory brought up on two
//! wharf daemons on the same host (own roots, sockets and bridges). Each
//! daemon's `compose ps` and `docker ps` show its own containers; the two
//! default networks get different subnets and bridges (the second skips
//! the first's host route, as Docker does), both projects answer, and
//! `down -v` on one leaves the other running with its volume.
mod common;

use common::{Daemon, Output, Runtime};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const YAML: &str = r#"
services:
  web:
    image: busybox
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /w && hostname > /w/index.html && echo ${WHO:?} >> /data/who && httpd -f -p 80 -h /w"]
    volumes: [data:/data]
    ports: ["127.0.0.1:${WPORT:?}:80"]
  client:
    image: busybox
    stop_grace_period: 1s
    depends_on: [web]
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
volumes:
  data:
"#;

const PROJECT: &str = "wctwo";

/// `wharf compose` in the shared project directory against `d`, with the
/// daemon's own host port and tag in the environment.
fn compose(d: &Daemon, dir: &Path, port: u16, who: &str, args: &[&str]) -> Output {
    let mut a = vec!["compose"];
    a.extend_from_slice(args);
    let mut c = d.wharf_cmd(&a);
    c.current_dir(dir)
        .env("WPORT", port.to_string())
        .env("WHO", who)
        .env_remove("COMPOSE_PROJECT_NAME");
    common::run_cmd(c, None, Duration::from_secs(120))
}

fn fetch(port: u16) -> String {
    let mut c = std::process::Command::new("curl");
    c.args(["-s", "-m", "2", &format!("http://127.0.0.1:{port}/")]);
    common::run_cmd(c, None, Duration::from_secs(5))
        .stdout
        .trim()
        .to_string()
}

fn sorted(o: &Output) -> Vec<String> {
    let mut v: Vec<String> = o.success().lines().iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn subnet(d: &Daemon, net: &str) -> String {
    let (st, v): (u16, Value) = d.api("GET", &format!("/networks/{net}"), None);
    assert_eq!(st, 200, "{v}");
    v["IPAM"]["Config"][0]["Subnet"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

runtime_tests!(compose_same_project_on_two_daemons);

fn compose_same_project_on_two_daemons(rt: Runtime) {
    let d1 = Daemon::start_with(rt);
    let d2 = Daemon::start_with(rt);
    let runtime_line = match rt {
        Runtime::Default => String::new(),
        Runtime::Runc => "    runtime: runc\n".to_string(),
    };
    let yaml = YAML.replace(
        "    image: busybox\n",
        &format!("    image: busybox\n{runtime_line}"),
    );
    // one project directory, named after the project (no -p, no -f: both
    // daemons find the same compose.yaml and the same project name)
    let dir = d1.tmp().join(PROJECT);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("compose.yaml"), yaml).unwrap();
    // own ports per process and runtime (both runtimes' tests run at once)
    let rt_offset = match rt {
        Runtime::Default => 0,
        Runtime::Runc => 2,
    };
    let base = 23000 + (std::process::id() % 9000) as u16 * 4 + rt_offset;
    let (p1, p2) = (base, base + 1);

    compose(&d1, &dir, p1, "one", &["up", "-d"]).success();
    compose(&d2, &dir, p2, "two", &["up", "-d"]).success();

    // each daemon shows its own set, through wharf compose and docker
    let want = [
        format!("{PROJECT}-client-1 client running"),
        format!("{PROJECT}-web-1 web running"),
    ];
    for (d, port, who) in [(&d1, p1, "one"), (&d2, p2, "two")] {
        let ps = compose(
            d,
            &dir,
            port,
            who,
            &["ps", "--format", "{{.Name}} {{.Service}} {{.State}}"],
        );
        assert_eq!(sorted(&ps), want, "{ps}");
        if common::has_docker() {
            let ps = d.docker(&[
                "ps",
                "--filter",
                &format!("label=com.docker.compose.project={PROJECT}"),
                "--format",
                "{{.Names}}",
            ]);
            assert_eq!(
                sorted(&ps),
                [format!("{PROJECT}-client-1"), format!("{PROJECT}-web-1")],
                "{ps}"
            );
        }
    }
    let id1 = d1.inspect(&format!("{PROJECT}-web-1"))["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let id2 = d2.inspect(&format!("{PROJECT}-web-1"))["Id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(id1, id2);
    // the default networks do not collide: own subnet, own bridge
    let net = format!("{PROJECT}_default");
    let (s1, s2) = (subnet(&d1, &net), subnet(&d2, &net));
    assert!(!s1.is_empty() && !s2.is_empty(), "{s1:?} {s2:?}");
    assert_ne!(s1, s2, "both daemons took the same subnet for {net}");
    let b1 = d1.network_bridges();
    let b2 = d2.network_bridges();
    assert!(b1.len() >= 2 && b2.len() >= 2, "{b1:?} {b2:?}");
    assert!(b1.iter().all(|b| !b2.contains(b)), "{b1:?} {b2:?}");

    // both answer: published port and service-name resolution
    for (d, port, who, id) in [(&d1, p1, "one", &id1), (&d2, p2, "two", &id2)] {
        assert!(
            common::wait_until(Duration::from_secs(10), || id.starts_with(&fetch(port))
                && !fetch(port).is_empty()),
            "127.0.0.1:{port} does not answer with {id}: {:?}",
            fetch(port)
        );
        let got = compose(
            d,
            &dir,
            port,
            who,
            &["exec", "-T", "client", "wget", "-qO-", "http://web/"],
        );
        assert!(id.starts_with(got.success().out().trim()), "{got}");
        // each daemon's volume holds what its own container wrote
        let got = compose(
            d,
            &dir,
            port,
            who,
            &["exec", "-T", "web", "cat", "/data/who"],
        );
        assert_eq!(got.success().out().trim(), who, "{got}");
    }

    // down -v on the first leaves the second running with its volume
    compose(&d1, &dir, p1, "one", &["down", "-v"]).success();
    assert_eq!(d1.wharf(&["ps", "-aq"]).success().out(), "");
    let vols = d1.wharf(&["volume", "ls", "-q"]);
    assert!(!vols.success().out().contains(PROJECT), "{vols}");
    let nets = d1.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.success().out().contains(PROJECT), "{nets}");
    assert_eq!(fetch(p1), "");

    let ps = compose(
        &d2,
        &dir,
        p2,
        "two",
        &["ps", "--format", "{{.Name}} {{.Service}} {{.State}}"],
    );
    assert_eq!(sorted(&ps), want, "{ps}");
    assert!(id2.starts_with(&fetch(p2)) && !fetch(p2).is_empty());
    let got = compose(
        &d2,
        &dir,
        p2,
        "two",
        &["exec", "-T", "client", "wget", "-qO-", "http://web/"],
    );
    assert!(id2.starts_with(got.success().out().trim()), "{got}");
    let vols = d2.wharf(&["volume", "ls", "-q"]);
    assert!(
        vols.success().out().contains(&format!("{PROJECT}_data")),
        "{vols}"
    );
    // the real Docker Compose v2 against the second daemon sees the project
    if common::has_docker() {
        let mut c = d2.docker_cmd(&[
            "compose",
            "ps",
            "--format",
            "{{.Name}} {{.Service}} {{.State}}",
        ]);
        c.current_dir(&dir)
            .env("WPORT", p2.to_string())
            .env("WHO", "two");
        let ps = common::run_cmd(c, None, Duration::from_secs(60));
        assert_eq!(sorted(&ps), want, "{ps}");
    }

    compose(&d2, &dir, p2, "two", &["down", "-v"]).success();
    assert_eq!(d2.wharf(&["ps", "-aq"]).success().out(), "");
    let vols = d2.wharf(&["volume", "ls", "-q"]);
    assert!(!vols.success().out().contains(PROJECT), "{vols}");
}
