//! `wharf compose` against a real daemon: the seed's two-service shape
//! (busybox stand-ins), lifecycle commands, a `service_healthy` wait,
//! convergence that recreates only what changed, a project shared with
//! the real Docker Compose v2, `config` output, and bad inputs that
//! change nothing.
mod common;

use common::{Daemon, Output, Runtime};
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Proj<'a> {
    d: &'a Daemon,
    dir: PathBuf,
    name: String,
}

impl<'a> Proj<'a> {
    fn new(d: &'a Daemon, name: &str, yaml: &str) -> Proj<'a> {
        let dir = d.tmp().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("compose.yaml"), yaml).unwrap();
        Proj {
            d,
            dir,
            name: name.to_string(),
        }
    }
    fn file(&self) -> String {
        self.dir.join("compose.yaml").to_string_lossy().to_string()
    }
    fn write(&self, yaml: &str) {
        std::fs::write(self.dir.join("compose.yaml"), yaml).unwrap();
    }
    fn wharf(&self, args: &[&str]) -> Output {
        let f = self.file();
        let mut a = vec!["compose", "-f", f.as_str(), "-p", self.name.as_str()];
        a.extend_from_slice(args);
        self.d.wharf_timeout(&a, Duration::from_secs(120))
    }
    fn docker(&self, args: &[&str]) -> Output {
        let f = self.file();
        let mut a = vec!["compose", "-f", f.as_str(), "-p", self.name.as_str()];
        a.extend_from_slice(args);
        self.d.docker(&a)
    }
    fn id(&self, ctr: &str) -> String {
        self.d.inspect(ctr)["Id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn port() -> u16 {
    (21000 + (std::process::id() % 20000)) as u16
}

fn fetch(port: u16) -> String {
    let mut c = std::process::Command::new("curl");
    c.args(["-s", "-m", "2", &format!("http://127.0.0.1:{port}/")]);
    common::run_cmd(c, None, Duration::from_secs(5)).stdout
}

fn seed_yaml(port: u16) -> String {
    format!(
        r#"
version: '3'
services:
  db:
    image: busybox
    stop_grace_period: 1s
    command: sh -c 'mkdir -p /w && echo db-page > /w/index.html && httpd -f -p 80 -h /w'
    volumes:
      - data:/data
  web:
    build: .
    stop_grace_period: 1s
    command:
      - sh
      - -c
      - |
        mkdir -p /w
        cat /baked.txt
        until printf 'GET / HTTP/1.0\r\n\r\n' | nc db 80 > /w/raw 2>/dev/null && grep -q db-page /w/raw; do sleep 0.2; done
        (cat /app/hello.txt /baked.txt; grep db-page /w/raw) > /w/index.html
        httpd -f -p 8000 -h /w
    volumes:
      - .:/app
    ports:
      - "127.0.0.1:{port}:8000"
    depends_on:
      - db
volumes:
  data:
"#
    )
}

/// The services of `yaml` run under `rt` (`runtime: runc` for runc).
fn with_runtime(yaml: &str, rt: Runtime) -> String {
    match rt {
        Runtime::Default => yaml.to_string(),
        Runtime::Runc => yaml
            .replace(
                "    image: busybox\n",
                "    image: busybox\n    runtime: runc\n",
            )
            .replace("    build: .\n", "    build: .\n    runtime: runc\n"),
    }
}

runtime_tests!(
    compose_seed_shape_up_ps_run_stop_start_down,
    compose_healthy_wait_and_recreate_only_changed
);

fn compose_seed_shape_up_ps_run_stop_start_down(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let port = port();
    let p = Proj::new(&d, "wcseed", &with_runtime(&seed_yaml(port), rt));
    std::fs::write(p.dir.join("hello.txt"), "hello-from-bind\n").unwrap();
    std::fs::write(
        p.dir.join("Dockerfile"),
        "FROM busybox\nRUN echo baked > /baked.txt\n",
    )
    .unwrap();
    let up = p.wharf(&["up", "-d"]);
    up.success();
    assert!(up.err().contains("Built"), "{up}");
    let imgs = d.wharf(&["images", "--format", "{{.Repository}}"]);
    assert!(imgs.success().out().contains("wcseed-web"), "{imgs}");
    assert!(
        common::wait_until(Duration::from_secs(20), || fetch(port)
            == "hello-from-bind\nbaked\ndb-page\n"),
        "{:?}\n{}",
        fetch(port),
        p.wharf(&["logs"])
    );
    // names, labels, the default network
    if rt == Runtime::Runc {
        assert_eq!(d.inspect("wcseed-web-1")["HostConfig"]["Runtime"], "runc");
    }
    let labels = d.inspect("wcseed-web-1")["Config"]["Labels"].clone();
    assert_eq!(labels["com.docker.compose.project"], "wcseed");
    assert_eq!(labels["com.docker.compose.service"], "web");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["com.docker.compose.oneoff"], "False");
    assert_eq!(
        labels["com.docker.compose.config-hash"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(nets.success().out().contains("wcseed_default"), "{nets}");
    let ps = p.wharf(&["ps", "--format", "{{.Name}} {{.Service}} {{.State}}"]);
    let mut lines = ps.success().lines();
    lines.sort();
    assert_eq!(
        lines,
        ["wcseed-db-1 db running", "wcseed-web-1 web running"],
        "{ps}"
    );
    let table = p.wharf(&["ps"]);
    assert!(table.success().out().starts_with("NAME"), "{table}");
    assert!(
        table.out().contains(&format!("127.0.0.1:{port}->8000/tcp")),
        "{table}"
    );
    assert_eq!(
        p.wharf(&["ps", "--services"]).success().lines(),
        ["db", "web"]
    );
    // run: a one-off container with the service's config, removed by --rm
    let r = p.wharf(&["run", "--rm", "--no-deps", "web", "cat", "/app/hello.txt"]);
    assert_eq!(r.success().out(), "hello-from-bind", "{r}");
    let r = p.wharf(&[
        "run",
        "--rm",
        "-e",
        "X=42",
        "web",
        "sh",
        "-c",
        "echo $X; exit 3",
    ]);
    r.code_is(3);
    assert_eq!(r.out(), "42");
    assert_eq!(d.wharf(&["ps", "-aq"]).success().lines().len(), 2);
    let top = p.wharf(&["top", "db"]);
    assert!(top.success().out().contains("httpd"), "{top}");
    let imgs = p.wharf(&["images"]);
    assert!(imgs.success().out().contains("wcseed-web"), "{imgs}");
    // exec into the running service
    let e = p.wharf(&["exec", "-T", "db", "cat", "/w/index.html"]);
    assert_eq!(e.success().out(), "db-page");
    // stop / start
    p.wharf(&["stop"]).success();
    let ps = p.wharf(&["ps", "-a", "--format", "{{.Service}} {{.State}}"]);
    let mut lines = ps.success().lines();
    lines.sort();
    assert_eq!(lines, ["db exited", "web exited"], "{ps}");
    assert_eq!(p.wharf(&["ps", "-q"]).success().out(), "");
    p.wharf(&["start"]).success();
    assert!(
        common::wait_until(Duration::from_secs(20), || fetch(port)
            == "hello-from-bind\nbaked\ndb-page\n"),
        "{}",
        p.wharf(&["logs"])
    );
    // down keeps the volume, down -v removes it
    p.wharf(&["down"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.success().out().contains("wcseed_default"), "{nets}");
    let vols = d.wharf(&["volume", "ls", "-q"]);
    assert!(vols.success().out().contains("wcseed_data"), "{vols}");
    p.wharf(&["up", "-d"]).success();
    p.wharf(&["down", "-v", "--rmi", "local"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    let vols = d.wharf(&["volume", "ls", "-q"]);
    assert!(!vols.success().out().contains("wcseed_data"), "{vols}");
    let imgs = d.wharf(&["images", "--format", "{{.Repository}}"]);
    assert!(!imgs.success().out().contains("wcseed-web"), "{imgs}");
}

const HEALTHY: &str = r#"
services:
  db:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    command: sh -c 'sleep 1; touch /ready; sleep 1000'
    healthcheck:
      test: ["CMD-SHELL", "test -e /ready"]
      interval: 200ms
      retries: 20
  web:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    depends_on:
      db:
        condition: service_healthy
    environment:
      V: "1"
    command: sleep 1000
"#;

fn compose_healthy_wait_and_recreate_only_changed(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let yaml = with_runtime(HEALTHY, rt);
    let p = Proj::new(&d, "wchealth", &yaml);
    let up = p.wharf(&["up", "-d"]);
    up.success();
    assert!(up.err().contains("Healthy"), "{up}");
    let db = d.inspect("wchealth-db-1");
    assert_eq!(
        db["State"]["Health"]["Status"], "healthy",
        "{}",
        db["State"]
    );
    let web = d.inspect("wchealth-web-1");
    assert!(
        web["State"]["StartedAt"].as_str().unwrap() > db["State"]["StartedAt"].as_str().unwrap()
    );
    let (db1, web1) = (p.id("wchealth-db-1"), p.id("wchealth-web-1"));
    // up again with nothing changed: nothing recreated or restarted
    let again = p.wharf(&["up", "-d"]);
    again.success();
    assert_eq!(
        (p.id("wchealth-db-1"), p.id("wchealth-web-1")),
        (db1.clone(), web1.clone())
    );
    assert!(again.err().contains("Running"), "{again}");
    // change web only: web recreated, db untouched
    p.write(&yaml.replace("V: \"1\"", "V: \"2\""));
    p.wharf(&["up", "-d"]).success();
    assert_eq!(p.id("wchealth-db-1"), db1);
    let web2 = p.id("wchealth-web-1");
    assert_ne!(web2, web1);
    let env = d.inspect("wchealth-web-1")["Config"]["Env"].to_string();
    assert!(env.contains("V=2"), "{env}");
    // --wait returns once every service is running (and healthy)
    let w = p.wharf(&["up", "--wait"]);
    assert!(w.success().err().contains("Healthy"), "{w}");
    // --force-recreate recreates both; --scale adds replicas
    p.wharf(&["up", "-d", "--force-recreate"]).success();
    assert_ne!(p.id("wchealth-db-1"), db1);
    p.wharf(&["up", "-d", "--scale", "web=2"]).success();
    assert_eq!(d.inspect("wchealth-web-2")["State"]["Status"], "running");
    p.wharf(&["down", "-t", "1"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
}

const SHARED: &str = r#"
services:
  a:
    image: busybox
    stop_grace_period: 1s
    command: sleep 1000
  b:
    image: busybox
    stop_grace_period: 1s
    depends_on: [a]
    command: sleep 1000
"#;

/// The real Docker Compose v2 and `wharf compose` see and manage the same
/// project, both ways.
#[test]
fn compose_shared_with_docker_compose_v2() {
    let d = Daemon::start();
    let p = Proj::new(&d, "wcshare", SHARED);
    p.wharf(&["up", "-d"]).success();
    let ps = p.docker(&["ps", "--format", "{{.Name}} {{.Service}} {{.State}}"]);
    let mut lines = ps.success().lines();
    lines.sort();
    assert_eq!(
        lines,
        ["wcshare-a-1 a running", "wcshare-b-1 b running"],
        "{ps}"
    );
    let ls = p.docker(&["ls", "--format", "json"]);
    assert!(ls.success().out().contains("wcshare"), "{ls}");
    p.docker(&["down"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    p.docker(&["up", "-d"]).success();
    let ps = p.wharf(&["ps", "--format", "{{.Name}} {{.Service}} {{.State}}"]);
    let mut lines = ps.success().lines();
    lines.sort();
    assert_eq!(
        lines,
        ["wcshare-a-1 a running", "wcshare-b-1 b running"],
        "{ps}"
    );
    let ls = d.wharf(&["compose", "ls"]);
    assert!(ls.success().out().contains("wcshare"), "{ls}");
    p.wharf(&["down"]).success();
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.success().out().contains("wcshare"), "{nets}");
}

/// A project with most kinds of field (ports, named, bind and tmpfs
/// volumes, healthcheck, environment list, labels, replicas, depends_on,
/// durations, restart) for the config-hash check.
fn hash_yaml(port: u16) -> String {
    format!(
        r#"
services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 1000"]
    stop_grace_period: 1500ms
    environment: [B=2, C]
    labels: {{x: "1<&>"}}
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 90s
      retries: 3
    ports:
      - "127.0.0.1:{port}:8080"
    volumes:
      - data:/data
      - ./d:/d:ro
      - type: tmpfs
        target: /t
  web:
    image: busybox
    command: httpd -f -p 8080
    stop_grace_period: 1s
    restart: unless-stopped
    depends_on: [db]
    deploy:
      replicas: 2
volumes:
  data: {{}}
"#
    )
}

fn ids(p: &Proj) -> Vec<String> {
    let mut v: Vec<String> = ["db-1", "web-1", "web-2"]
        .iter()
        .map(|c| p.id(&format!("{}-{c}", p.name)))
        .collect();
    v.sort();
    v
}

/// `com.docker.compose.config-hash` is Docker Compose's own: `docker
/// compose up` after `wharf compose up`, and the other way, recreates
/// nothing (the container ids stay).
#[test]
fn compose_config_hash_matches_docker_compose() {
    let d = Daemon::start();
    let p = Proj::new(&d, "wchash", &hash_yaml(port()));
    std::fs::create_dir_all(p.dir.join("d")).unwrap();
    p.wharf(&["up", "-d"]).success();
    let first = ids(&p);
    assert!(first.iter().all(|i| !i.is_empty()), "{first:?}");
    let up = p.docker(&["up", "-d"]);
    up.success();
    assert_eq!(ids(&p), first, "docker compose recreated: {up}");
    p.wharf(&["down", "-v"]).success();
    p.docker(&["up", "-d"]).success();
    let second = ids(&p);
    let up = p.wharf(&["up", "-d"]);
    up.success();
    assert_eq!(ids(&p), second, "wharf compose recreated: {up}");
    p.wharf(&["down", "-v"]).success();
}

/// `config` prints the normalized model: interpolation from the
/// environment and `.env`, anchors and merge keys, `extends`, several
/// `-f` merged, profiles, `x-` kept, short syntax expanded.
#[test]
fn compose_config_normalizes() {
    let d = Daemon::start_bare();
    let dir = d.tmp().join("My.Cfg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "TAG=1.36\nWHO=env-file\n").unwrap();
    std::fs::write(dir.join("app.env"), "FROM_FILE=yes\n").unwrap();
    std::fs::write(
        dir.join("compose.yaml"),
        r#"
version: "3.9"
x-base: &base
  restart: unless-stopped
  labels: {tier: back}
services:
  db:
    <<: *base
    image: "busybox:${TAG}"
    command: echo ${WHO} ${UNSET:-dflt} ${UNSET-d2} ${WHO:+set} $$LIT
    env_file: app.env
    environment: [A=1, B]
    ports: ["127.0.0.1:5432:5432", {target: 9, published: 19}]
    x-note: kept
  web:
    extends: db
    profiles: [dev]
    depends_on: [db]
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("override.yaml"),
        "services:\n  db:\n    environment:\n      A: \"2\"\n",
    )
    .unwrap();
    let f1 = dir.join("compose.yaml").to_string_lossy().to_string();
    let f2 = dir.join("override.yaml").to_string_lossy().to_string();
    let mut c = d.wharf_cmd(&[
        "compose", "-f", &f1, "-f", &f2, "config", "--format", "json",
    ]);
    c.current_dir(&dir);
    let o = common::run_cmd(c, None, Duration::from_secs(20));
    o.success();
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["name"], "mycfg", "{v}");
    let db = &v["services"]["db"];
    assert_eq!(db["image"], "busybox:1.36");
    assert_eq!(
        db["command"],
        serde_json::json!(["echo", "env-file", "dflt", "d2", "set", "$$LIT"])
    );
    assert_eq!(db["environment"]["A"], "2");
    assert_eq!(db["environment"]["FROM_FILE"], "yes");
    assert_eq!(db["restart"], "unless-stopped");
    assert_eq!(db["labels"]["tier"], "back");
    // a service's x- keys are YAML-only, as in Docker Compose (`json:"-"`)
    assert!(db.get("x-note").is_none(), "{db}");
    assert_eq!(db["ports"][0]["published"], "5432");
    assert_eq!(db["ports"][0]["host_ip"], "127.0.0.1");
    assert_eq!(db["ports"][1]["target"], 9);
    assert_eq!(db["networks"], serde_json::json!({"default": null}));
    assert!(
        v["services"].get("web").is_none(),
        "profile dev is off: {v}"
    );
    assert_eq!(v["networks"]["default"]["name"], "mycfg_default");
    assert!(v["x-base"].is_object());
    // --profile turns web on; it extends db
    let mut c = d.wharf_cmd(&["compose", "--profile", "dev", "config", "--services"]);
    c.current_dir(&dir);
    let o = common::run_cmd(c, None, Duration::from_secs(20));
    assert_eq!(o.success().lines(), ["db", "web"]);
    // invoked as docker-compose (argv[0]) it is `wharf compose`
    let link = d.tmp().join("docker-compose");
    std::os::unix::fs::symlink(common::WHARF, &link).unwrap();
    let mut c = std::process::Command::new(&link);
    c.args(["config", "--services"]).current_dir(&dir);
    let o = common::run_cmd(c, None, Duration::from_secs(20));
    assert_eq!(o.success().lines(), ["db"]);
    // file discovery walks up from a subdirectory
    let sub = dir.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    let mut c = d.wharf_cmd(&["compose", "config", "-q"]);
    c.current_dir(&sub);
    common::run_cmd(c, None, Duration::from_secs(20)).success();
    // the same file through docker compose: same service set and image
    let mut c = d.docker_cmd(&[
        "compose", "-f", &f1, "-f", &f2, "config", "--format", "json",
    ]);
    c.current_dir(&dir);
    let o = common::run_cmd(c, None, Duration::from_secs(20));
    let dv: serde_json::Value = serde_json::from_str(&o.success().stdout).unwrap();
    assert_eq!(dv["name"], v["name"]);
    assert_eq!(dv["services"]["db"]["image"], db["image"]);
    assert_eq!(dv["services"]["db"]["command"], db["command"]);
    assert_eq!(dv["services"]["db"]["environment"], db["environment"]);
}

fn bad(d: &Daemon, name: &str, yaml: &str, extra: &[(&str, &str)]) -> Output {
    let dir = d.tmp().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("compose.yaml");
    std::fs::write(&file, yaml).unwrap();
    let f = file.to_string_lossy().to_string();
    let mut c = d.wharf_cmd(&["compose", "-f", &f, "-p", name, "up", "-d"]);
    for (k, v) in extra {
        c.env(k, v);
    }
    let o = common::run_cmd(c, None, Duration::from_secs(30));
    o.code_is(1);
    assert!(
        o.err().contains(&f),
        "{name}: error does not name the file: {o}"
    );
    o
}

#[test]
fn compose_bad_inputs_change_nothing() {
    let d = Daemon::start();
    let o = bad(
        &d,
        "wcb1",
        "services:\n  web:\n    image: busybox\n   bad: [\n",
        &[],
    );
    assert!(o.err().contains("yaml"), "{o}");
    let o = bad(
        &d,
        "wcb2",
        "services:\n  web:\n    image: busybox\n    ports: [\"80:80\", \"x:y\"]\n",
        &[],
    );
    assert!(o.err().contains("services.web.ports[1]"), "{o}");
    let o = bad(
        &d,
        "wcb3",
        "services:\n  web:\n    image: busybox\n    bogus: 1\n",
        &[],
    );
    assert!(
        o.err().contains("services.web") && o.err().contains("bogus"),
        "{o}"
    );
    let o = bad(
        &d,
        "wcb3b",
        "services:\n  web:\n    image: busybox\n    healthcheck: {tst: x}\n",
        &[],
    );
    assert!(
        o.err().contains("services.web.healthcheck") && o.err().contains("tst"),
        "{o}"
    );
    let o = bad(
        &d,
        "wcb4",
        "services:\n  web:\n    image: \"busybox:${WCB_TAG:?the tag is needed}\"\n",
        &[],
    );
    assert!(
        o.err().contains("services.web.image") && o.err().contains("the tag is needed"),
        "{o}"
    );
    let o = bad(&d, "wcb5", "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n", &[]);
    assert!(o.err().contains("cycle"), "{o}");
    let o = bad(
        &d,
        "wcb6",
        "services:\n  a:\n    image: busybox\n    depends_on: [nope]\n",
        &[],
    );
    assert!(
        o.err().contains("services.a.depends_on.nope") && o.err().contains("undefined service"),
        "{o}"
    );
    let o = bad(&d, "wcb7", "services:\n  a:\n    build: ./missing\n", &[]);
    assert!(
        o.err().contains("services.a.build.context") && o.err().contains("does not exist"),
        "{o}"
    );
    let o = bad(
        &d,
        "wcb8",
        "services:\n  a:\n    image: busybox\n    gpus: all\n",
        &[],
    );
    assert!(
        o.err().contains("services.a.gpus") && o.err().contains("not supported"),
        "{o}"
    );
    let o = bad(&d, "wcb9", "services:\n  a:\n    image: busybox\n    profiles: [x]\n  b:\n    image: busybox\n    depends_on: [a]\n", &[]);
    assert!(o.err().contains("disabled"), "{o}");
    // nothing was created
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
    let nets = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.success().out().contains("wcb"), "{nets}");
    let vols = d.wharf(&["volume", "ls", "-q"]);
    assert_eq!(vols.success().out(), "");
    let _ = Path::new("/");
}

/// Attached `up`: prefixed logs of every container; the first to exit
/// stops the rest, and `--exit-code-from` gives its code.
#[test]
fn compose_attached_up_prefixes_and_exit_code() {
    let d = Daemon::start();
    let p = Proj::new(
        &d,
        "wcatt",
        r#"
services:
  srv:
    image: busybox
    network_mode: none
    stop_grace_period: 1s
    command: sh -c 'echo serving; sleep 1000'
  t:
    image: busybox
    network_mode: none
    depends_on: [srv]
    command: sh -c 'sleep 1; echo tested; exit 3'
"#,
    );
    let o = p.wharf(&["up", "--exit-code-from", "t"]);
    o.code_is(3);
    assert!(o.out().contains("wcatt-t-1    | tested"), "{o}");
    assert!(o.out().contains("wcatt-srv-1  | serving"), "{o}");
    assert_eq!(d.inspect("wcatt-srv-1")["State"]["Status"], "exited");
    p.wharf(&["down"]).success();
}
