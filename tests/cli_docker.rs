//! Issue 10: the command line compared with the real `docker` CLI (docker
//! 28) talking to a real Docker engine (Debian's `dockerd`, started here on
//! its own data root and socket, with no bridge and no firewall rules, and
//! stopped by its pid at the end). Each case runs the same command through
//! `wharf` against a wharf daemon and through `docker` against dockerd, on
//! objects made the same way in both, and compares what a user sees.
mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::docker_engine::DockerEngine;
use common::{busybox_tar, run_cmd, Daemon, Output, WHARF};

const DOCKER: &str = "/usr/local/bin/docker";
const T: Duration = Duration::from_secs(60);

/// The same objects on both engines: the busybox image, a created
/// container, a labelled volume.
fn prepare(d: &Daemon, e: &DockerEngine) {
    let tar = busybox_tar().to_string_lossy().into_owned();
    e.docker(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"])
        .success();
    let create = [
        "create",
        "--name",
        "fmt1",
        "--network",
        "none",
        "-l",
        "b=2",
        "-l",
        "a=1",
        "-e",
        "A=1",
        "--restart",
        "no",
        "-w",
        "/tmp",
        "--expose",
        "80",
        "busybox",
        "sh",
        "-c",
        "echo hi",
    ];
    d.wharf(&create).success();
    e.docker(&create).success();
    let vol = [
        "volume", "create", "--label", "team=qa", "--label", "x=y", "vol1",
    ];
    d.wharf(&vol).success();
    e.docker(&vol).success();
}

/// Run `args` through both; `Err` with both outputs if they differ.
fn same(d: &Daemon, e: &DockerEngine, args: &[&str]) -> Result<(), String> {
    let w = d.wharf(args);
    let k = e.docker(args);
    let w_out = w.out().to_string();
    let k_out = k.out().to_string();
    if w_out == k_out && w.code == k.code {
        Ok(())
    } else {
        Err(format!(
            "{args:?}\n  wharf  ({:?}): {w_out:?} {:?}\n  docker ({:?}): {k_out:?} {:?}",
            w.code,
            w.err(),
            k.code,
            k.err()
        ))
    }
}

/// `--format`/`-f` templates, each compared with docker's output. (A list
/// row's `.Labels` is left out: docker joins it in Go's random map order.)
const TEMPLATES: &[&[&str]] = &[
    // inspect: Go's printing of slices, maps, structs, nil and missing keys
    &["inspect", "-f", "{{.Config.Cmd}}", "fmt1"],
    &["inspect", "-f", "{{.Config.Entrypoint}}", "fmt1"],
    &["inspect", "-f", "{{.Config.Labels}}", "fmt1"],
    &["inspect", "-f", "{{.Config.ExposedPorts}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{.Config.WorkingDir}} {{.Config.Tty}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{.HostConfig.RestartPolicy}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{.HostConfig.RestartPolicy.Name}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{.HostConfig.Binds}}", "fmt1"],
    &["inspect", "-f", "{{.HostConfig.NetworkMode}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{.State.Health}}", "fmt1"],
    &["inspect", "-f", "{{.NoSuchField}}", "fmt1"],
    &["inspect", "-f", "{{.Name}}", "fmt1"],
    &["inspect", "-f", "{{.Path}} {{.Args}}", "fmt1"],
    &["inspect", "-f", "{{.Config.Env}}", "fmt1"],
    &["inspect", "-f", "{{.Config.Volumes}}", "fmt1"],
    &["inspect", "-f", "{{.Mounts}}", "fmt1"],
    &["inspect", "-f", "{{.HostConfig.LogConfig}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{.HostConfig.Tmpfs}} {{.HostConfig.Sysctls}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{.GraphDriver.Name}} {{.Driver}}", "fmt1"],
    &[
        "image",
        "inspect",
        "-f",
        "{{.Config.Cmd}} {{.RootFS.Type}} {{len .RootFS.Layers}}",
        "busybox",
    ],
    &["version", "--format", "{{.Client.Os}}/{{.Client.Arch}}"],
    // docker's template functions
    &["inspect", "-f", "{{json .Config.Labels}}", "fmt1"],
    &["inspect", "-f", "{{json .Config.Cmd}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{json .HostConfig.RestartPolicy}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{join .Config.Cmd \",\"}}", "fmt1"],
    &["inspect", "-f", "{{split \"a,b,c\" \",\"}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{upper .Name}} {{lower \"ABC\"}} {{title \"hello world\"}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{truncate .Name 3}}|{{pad .Name 1 2}}|",
        "fmt1",
    ],
    &["inspect", "-f", "{{println .Name}}", "fmt1"],
    &[
        "inspect",
        "-f",
        "{{len .Config.Cmd}} {{index .Config.Cmd 1}} {{index .Config.Labels \"a\"}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{range .Config.Cmd}}<{{.}}>{{end}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{range $i, $c := .Config.Cmd}}{{$i}}={{$c}} {{end}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{if eq .State.Status \"created\"}}new{{else}}old{{end}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{if ne .State.Status \"created\"}}old{{else}}new{{end}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{with .Config}}{{.WorkingDir}}{{end}}",
        "fmt1",
    ],
    &["inspect", "-f", "{{- .Name -}}", "fmt1"],
    // a map ranges in sorted key order; a nil slice is `[]` printed, `null`
    // in JSON
    &[
        "inspect",
        "-f",
        "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}",
        "fmt1",
    ],
    &[
        "inspect",
        "-f",
        "{{.Config.Entrypoint}} {{json .Config.Entrypoint}} {{json .HostConfig.CapAdd}}",
        "fmt1",
    ],
    &[
        "volume",
        "inspect",
        "-f",
        "{{range $k, $v := .Labels}}{{$k}}:{{$v}} {{end}}",
        "vol1",
    ],
    // list commands
    &[
        "ps",
        "-a",
        "--format",
        "{{.Names}} {{.Image}} {{.Command}} {{.Label \"b\"}}",
    ],
    &[
        "ps",
        "-a",
        "--format",
        "{{.Names}}|{{.Label \"a\"}}|{{.State}}",
    ],
    &["ps", "-a", "--format", "table {{.Names}}\t{{.Image}}"],
    &["images", "--format", "{{.Repository}}:{{.Tag}}"],
    &["images", "--format", "table {{.Repository}}\t{{.Tag}}"],
    &[
        "volume",
        "ls",
        "--format",
        "{{.Name}} {{.Driver}} {{.Label \"team\"}} {{.Label \"x\"}}",
    ],
    &["volume", "ls", "--format", "table {{.Name}}\t{{.Driver}}"],
    &[
        "volume",
        "inspect",
        "-f",
        "{{.Labels}} {{.Driver}} {{json .Labels}}",
        "vol1",
    ],
    &[
        "info",
        "--format",
        "{{.Swarm.LocalNodeState}} {{json .Swarm.LocalNodeState}}",
    ],
];

#[test]
fn templates_print_as_docker() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let d = Daemon::start();
    prepare(&d, &e);
    let mut diffs = Vec::new();
    for args in TEMPLATES {
        if let Err(m) = same(&d, &e, args) {
            diffs.push(m);
        }
    }
    // events: replayed up to now, the volume's creation in both
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let until = until.to_string();
    for format in [
        "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Scope}}",
        "{{json .Type}} {{len .Actor.ID}} {{if .Time}}timed{{end}}",
    ] {
        let args = [
            "events",
            "--since",
            "0",
            "--until",
            &until,
            "--filter",
            "type=volume",
            "--format",
            format,
        ];
        if let Err(m) = same(&d, &e, &args) {
            diffs.push(m);
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} template cases differ from docker:\n{}",
        diffs.len(),
        TEMPLATES.len(),
        diffs.join("\n")
    );
}

/// The exit code and first stderr line of a usage error, with `docker`
/// spelled `wharf`.
fn usage(o: &Output) -> (i32, String) {
    let first = o
        .err()
        .lines()
        .next()
        .unwrap_or("")
        .replace("docker", "wharf");
    (o.code, first)
}

#[test]
fn usage_errors_match_docker() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let d = Daemon::start();
    let cases: &[&[&str]] = &[
        &["run", "--rmm", "busybox", "true"],
        &["run", "--bogus", "busybox"],
        &["create", "--bogus", "busybox"],
        &["run", "-Z", "busybox"],
        &["ps", "--bogus"],
        &["exec", "--bogus", "x", "ls"],
        &["logs", "--bogus", "x"],
        &["volume", "create", "--bogus"],
        &["run"],
        &["logs"],
        &["exec", "x"],
        &["rm"],
        &["inspect"],
        &["stop", "-t", "x", "a"],
        &["frobnicate"],
    ];
    let mut diffs = Vec::new();
    for args in cases {
        let w = usage(&d.wharf(args));
        let k = usage(&e.docker(args));
        if w != k {
            diffs.push(format!("{args:?}: wharf {w:?}, docker {k:?}"));
        }
    }
    // Nothing reached the wharf daemon: no container was created.
    assert_eq!(d.wharf(&["ps", "-a", "-q"]).success().out(), "");
    assert!(
        diffs.is_empty(),
        "usage errors differ:\n{}",
        diffs.join("\n")
    );
}

#[test]
fn unreachable_daemon_exit_codes_match_docker() {
    // No engine needed: both clients point at a socket nobody serves.
    let dir = PathBuf::from(format!("/tmp/wun{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = format!("unix://{}", dir.join("none.sock").display());
    for (args, code) in [
        (&["ps"][..], 1),
        (&["run", "busybox", "true"][..], 125),
        (&["create", "busybox", "true"][..], 1),
        (&["images"][..], 1),
        (&["logs", "x"][..], 1),
    ] {
        let mut w = Command::new(WHARF);
        w.arg("-H").arg(&host).args(args);
        let w = run_cmd(w, None, T);
        let mut k = Command::new(DOCKER);
        k.env("DOCKER_CONFIG", dir.join("cfg"))
            .arg("-H")
            .arg(&host)
            .args(args);
        let k = run_cmd(k, None, T);
        assert_eq!(k.code, code, "docker {args:?}: {}", k.err());
        assert_eq!(w.code, code, "wharf {args:?}: {}", w.err());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `wharf` as a client of an older engine: Debian's dockerd 20.10 speaks
/// API 1.41 at most, and wharf agrees on it through `/_ping` (issue 8).
#[test]
fn wharf_speaks_an_older_engines_api_version() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let host = e.host();
    let wharf = |args: &[&str]| {
        let mut c = Command::new(WHARF);
        c.env_remove("DOCKER_API_VERSION")
            .args(["-H", &host])
            .args(args);
        run_cmd(c, None, T)
    };
    let server = e.docker(&["version", "--format", "{{.Server.APIVersion}}"]);
    server.success();
    let server = server.out().trim().to_string();
    let v = wharf(&["version", "--format", "{{.Server.APIVersion}}"]);
    v.success();
    assert_eq!(v.out().trim(), server, "{v}");
    let tar = busybox_tar().to_string_lossy().into_owned();
    wharf(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"]).success();
    let run = wharf(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "echo",
        "hello from 20.10",
    ]);
    run.success();
    assert_eq!(run.out().trim(), "hello from 20.10", "{run}");
    wharf(&["volume", "create", "oldapi"]).success();
    let ls = wharf(&["volume", "ls", "--format", "{{.Name}}"]);
    assert!(ls.out().lines().any(|l| l == "oldapi"), "{ls}");
    let d = wharf(&[
        "run",
        "-d",
        "--name",
        "old1",
        "--network",
        "none",
        "busybox",
        "sleep",
        "30",
    ]);
    d.success();
    let ps = wharf(&["ps", "--format", "{{.Names}} {{.State}}"]);
    assert!(ps.out().contains("old1 running"), "{ps}");
    // the same objects through docker's own CLI
    let dps = e.docker(&["ps", "--format", "{{.Names}}"]);
    assert!(dps.out().contains("old1"), "{dps}");
    wharf(&["rm", "-f", "old1"]).success();
    wharf(&["volume", "rm", "oldapi"]).success();
    // A version forced with DOCKER_API_VERSION is used as given; the engine
    // refuses one newer than its own, in its words.
    let mut c = Command::new(WHARF);
    c.env("DOCKER_API_VERSION", "1.44")
        .args(["-H", &host, "ps"]);
    let forced = run_cmd(c, None, T);
    assert_ne!(forced.code, 0, "{forced}");
    assert!(forced.err().contains("1.44"), "{forced}");
}

/// `create` failing in the engine exits 1 with the daemon's bare message,
/// a bad flag value 125 (docker 28); `run` exits 125 for both.
#[test]
fn create_error_exit_codes_match_docker() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let d = Daemon::start();
    let tar = busybox_tar().to_string_lossy().into_owned();
    e.docker(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"])
        .success();
    let dir = PathBuf::from(format!("/tmp/wcx{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cid = dir.join("cid");
    std::fs::write(&cid, "x").unwrap();
    let cid = cid.to_string_lossy().into_owned();
    let net = ["--network", "none"];
    for args in [
        &["create", "--name", "dup1"][..],
        &["create", "--name", "dup2"],
    ] {
        let args: Vec<&str> = args
            .iter()
            .chain(&net)
            .chain(&["busybox"])
            .copied()
            .collect();
        d.wharf(&args).success();
        e.docker(&args).success();
    }
    let cases: &[(&[&str], i32)] = &[
        // engine errors
        (&["create", "--name", "bad/name", "busybox"], 1),
        (&["create", "--name", "dup1", "busybox"], 1),
        (&["create", "-m", "1k", "busybox"], 1),
        (&["create", "--restart", "bogus", "busybox"], 1),
        (&["create", "--restart", "always:3", "busybox"], 1),
        (&["run", "--restart", "bogus", "busybox"], 125),
        (&["create", "--cidfile", &cid, "busybox"], 1),
        (&["run", "--name", "dup1", "busybox"], 125),
        (&["run", "--cidfile", &cid, "busybox"], 125),
        // flag errors
        (&["create", "-m", "abc", "busybox"], 125),
        (&["run", "-m", "abc", "busybox"], 125),
        (&["create", "--restart", "on-failure:x", "busybox"], 125),
        (&["create", "--restart", ":3", "busybox"], 125),
        (&["create", "--bogus", "busybox"], 125),
    ];
    let mut diffs = Vec::new();
    for (args, code) in cases {
        let w = d.wharf(args);
        let k = e.docker(args);
        let first = |o: &Output| o.err().lines().next().unwrap_or("").to_string();
        let (wf, kf) = (first(&w), first(&k));
        // The same shape of message: bare for create's engine errors,
        // `docker: `-prefixed for run's.
        let shape = |l: &str| {
            (
                l.starts_with("docker: ") || l.starts_with("wharf: "),
                l.contains("Error response from daemon:"),
            )
        };
        if k.code != *code || w.code != *code || shape(&wf) != shape(&kf) {
            diffs.push(format!(
                "{args:?} (want {code}): wharf {} {wf:?}, docker {} {kf:?}",
                w.code, k.code
            ));
        }
    }
    // A missing image: wharf alone, from a registry on loopback's discard
    // port (never one outside), which refuses: docker's "Unable to find
    // image" line, then the pull's error.
    let w = d.wharf(&["create", "127.0.0.1:9/nosuch-image-wcx"]);
    assert_eq!(w.code, 1, "{w}");
    assert!(
        w.err()
            .starts_with("Unable to find image '127.0.0.1:9/nosuch-image-wcx:latest' locally"),
        "{w}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    // Nothing was created by the failed calls.
    let ps = d.wharf(&["ps", "-a", "--format", "{{.Names}}"]);
    let mut names: Vec<&str> = ps.out().lines().collect();
    names.sort();
    assert_eq!(names, ["dup1", "dup2"], "{ps}");
    assert!(
        diffs.is_empty(),
        "create errors differ:\n{}",
        diffs.join("\n")
    );
}

/// Volume events carry the `driver` attribute as Docker's do: named and
/// anonymous volumes, created and destroyed, and the prune event.
#[test]
fn volume_events_match_docker() {
    let Some(e) = DockerEngine::start() else {
        return;
    };
    let d = Daemon::start();
    let tar = busybox_tar().to_string_lossy().into_owned();
    e.docker(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"])
        .success();
    let steps: &[&[&str]] = &[
        &["volume", "create", "wev1"],
        &["volume", "rm", "wev1"],
        &["volume", "rm", "-f", "wev-missing"],
        &[
            "create",
            "--name",
            "wevc",
            "--network",
            "none",
            "-v",
            "/data",
            "busybox",
        ],
        &["rm", "-v", "wevc"],
        &["volume", "prune", "-f"],
    ];
    for args in steps {
        d.wharf(args).success();
        e.docker(args).success();
    }
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let until = until.to_string();
    let args = [
        "events",
        "--since",
        "0",
        "--until",
        &until,
        "--filter",
        "type=volume",
        "--format",
        "{{.Action}} {{json .Actor.Attributes}}",
    ];
    let w = d.wharf(&args);
    let k = e.docker(&args);
    assert_eq!(
        k.success().out(),
        w.success().out(),
        "wharf {w}\ndocker {k}"
    );
    assert!(w.out().contains(r#"create {"driver":"local"}"#), "{w}");
}
