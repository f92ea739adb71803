//! Dockerfile builds through a real daemon: the seed's shape built and
//! run, multi-stage `COPY --from`, the layer cache (a rebuild runs no
//! `RUN`; one changed file reruns from its `COPY`), `.dockerignore`,
//! `ADD` of a local tar, heredocs, `docker build` with the classic
//! builder, and the bad inputs.
mod common;

use common::Daemon;
use std::fs;
use std::path::{Path, PathBuf};

fn ctx(d: &Daemon, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = d.tmp().join(name);
    let _ = fs::remove_dir_all(&dir);
    for (p, content) in files {
        let f = dir.join(p);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(&f, content).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const SEED: &str = "FROM busybox
ENV APP_HOME=/app GREETING=\"hello world\"
RUN mkdir -p $APP_HOME/data && echo built > $APP_HOME/data/stamp
WORKDIR $APP_HOME
COPY app.sh ./
COPY conf/ conf/
CMD [\"sh\", \"app.sh\"]
";

#[test]
fn seed_shape_builds_and_runs() {
    let d = Daemon::start();
    let dir = ctx(
        &d,
        "seed",
        &[
            ("Dockerfile", SEED),
            (
                "app.sh",
                "echo \"$GREETING from $(pwd): $(cat data/stamp) $(cat conf/a.conf)\"\n",
            ),
            ("conf/a.conf", "conf-a"),
        ],
    );
    let o = d.wharf(&["build", "-t", "seed:1", s(&dir)]);
    o.success();
    assert!(o.out().contains("Step 1/7 : FROM busybox"), "{o}");
    assert!(o.out().contains(" ---> Running in "), "{o}");
    assert!(o.out().contains("Successfully built "), "{o}");
    assert!(o.out().contains("Successfully tagged seed:1"), "{o}");
    let o = d.wharf(&["run", "--rm", "seed:1"]);
    assert_eq!(
        o.success().out(),
        "hello world from /app: built conf-a",
        "{o}"
    );
    if common::Runtime::Runc.enabled() {
        let o = d.wharf(&["run", "--rm", "--runtime", "runc", "seed:1"]);
        assert_eq!(
            o.success().out(),
            "hello world from /app: built conf-a",
            "{o}"
        );
    }
    let v = d.api("GET", "/images/seed:1/json", None).1;
    assert_eq!(v["Config"]["WorkingDir"], "/app");
    assert_eq!(v["Config"]["Cmd"], common::json!(["sh", "app.sh"]));
    // busybox's layer, the RUN (which made /app: WORKDIR adds none), two COPYs.
    let layers = v["RootFS"]["Layers"].as_array().unwrap().len();
    assert_eq!(layers, 4, "{v}");
    let h = d.wharf(&["history", "seed:1"]);
    assert!(h.success().out().contains("mkdir -p $APP_HOME/data"), "{h}");
    let (_, hist) = d.api("GET", "/images/seed:1/history", None);
    let steps = hist.as_array().unwrap();
    assert_eq!(steps.len(), 7, "{hist}");
    assert!(steps.iter().all(|s| s["Id"] != "<missing>"), "{hist}");
    assert_eq!(steps[0]["Tags"], common::json!(["seed:1"]));
    assert_eq!(steps[6]["Tags"], common::json!(["busybox:latest"]));
    // Build containers are gone.
    assert_eq!(d.wharf(&["ps", "-aq"]).success().out(), "");
}

#[test]
fn cache_hit_runs_nothing_and_a_changed_file_reruns_from_its_copy() {
    let d = Daemon::start();
    let marks = d.tmp().join("marks");
    fs::create_dir_all(&marks).unwrap();
    let df = "FROM busybox
RUN echo step1 >> /first
COPY a.txt /a.txt
RUN cat /a.txt > /copied
COPY b.txt /b.txt
";
    let dir = ctx(
        &d,
        "cache",
        &[("Dockerfile", df), ("a.txt", "A1"), ("b.txt", "B1")],
    );
    let first = d.wharf(&["build", "-t", "cache:1", s(&dir)]);
    assert_eq!(
        first.success().out().matches("Running in").count(),
        2,
        "{first}"
    );
    assert_eq!(first.out().matches("Using cache").count(), 0, "{first}");
    let id1 = d
        .wharf(&["image", "inspect", "-f", "{{.Id}}", "cache:1"])
        .success()
        .out()
        .to_string();

    // Unchanged: every step from the cache, no container run, same image.
    let again = d.wharf(&["build", "-t", "cache:2", s(&dir)]);
    assert_eq!(
        again.success().out().matches("Using cache").count(),
        4,
        "{again}"
    );
    assert!(!again.out().contains("Running in"), "{again}");
    let id2 = d
        .wharf(&["image", "inspect", "-f", "{{.Id}}", "cache:2"])
        .success()
        .out()
        .to_string();
    assert_eq!(id1, id2);

    // b.txt changed: only its COPY (the last step) misses.
    fs::write(dir.join("b.txt"), "B2").unwrap();
    let b = d.wharf(&["build", "-t", "cache:3", s(&dir)]);
    assert_eq!(b.success().out().matches("Using cache").count(), 3, "{b}");
    assert!(!b.out().contains("Running in"), "{b}");

    // a.txt changed: its COPY and the RUN after it rerun, the first RUN not.
    fs::write(dir.join("a.txt"), "A2").unwrap();
    let a = d.wharf(&["build", "-t", "cache:4", s(&dir)]);
    assert_eq!(a.success().out().matches("Using cache").count(), 1, "{a}");
    assert_eq!(a.out().matches("Running in").count(), 1, "{a}");
    let o = d.wharf(&["run", "--rm", "cache:4", "cat", "/copied", "/b.txt"]);
    assert_eq!(o.success().out(), "A2B2");

    // --no-cache runs everything again.
    let n = d.wharf(&["build", "--no-cache", s(&dir)]);
    assert_eq!(n.success().out().matches("Running in").count(), 2, "{n}");
}

#[test]
fn multi_stage_copy_from_and_target() {
    let d = Daemon::start();
    let df = "ARG BASE=busybox
FROM $BASE AS builder
ARG WHAT=default
RUN mkdir /out && echo \"made $WHAT\" > /out/artifact && echo junk > /junk
FROM builder AS unused
RUN echo never > /x
FROM scratch AS bare
COPY --from=builder /out/artifact /artifact
FROM busybox
COPY --from=builder /out /opt/
COPY --from=bare /artifact /again
CMD cat /opt/artifact /again
";
    let dir = ctx(&d, "multi", &[("Dockerfile", df)]);
    let o = d.wharf(&["build", "--build-arg", "WHAT=thing", "-t", "multi", s(&dir)]);
    o.success();
    let r = d.wharf(&["run", "--rm", "multi"]);
    assert_eq!(r.success().out(), "made thing\nmade thing", "{r}");
    let r = d.wharf(&["run", "--rm", "multi", "ls", "/junk"]);
    assert_ne!(r.code, 0, "{r}");
    // --target stops at a stage.
    let o = d.wharf(&[
        "build",
        "--target",
        "builder",
        "-t",
        "multi:builder",
        s(&dir),
    ]);
    o.success();
    assert!(!o.out().contains("never"), "{o}");
    let r = d.wharf(&["run", "--rm", "multi:builder", "cat", "/junk"]);
    assert_eq!(r.success().out(), "junk");
    let o = d.wharf(&["build", "--target", "nope", s(&dir)]);
    assert_ne!(o.code, 0);
    assert!(o.err().contains("failed to reach build target nope"), "{o}");
}

#[test]
fn dockerignore_add_tar_heredocs_and_metadata() {
    let d = Daemon::start();
    // A tar to ADD, made with the host's tar.
    let src = d.tmp().join("tarsrc");
    fs::create_dir_all(src.join("pkg")).unwrap();
    fs::write(src.join("pkg/lib.txt"), "from tar").unwrap();
    let df = "FROM busybox
COPY . /ctx/
ADD bundle.tar.gz /opt/
COPY <<EOF /etc/motd
hello heredoc
EOF
RUN <<EOF
echo one > /h1
echo two >> /h1
EOF
USER 1000:1000
EXPOSE 8080/tcp 53/udp
LABEL org.example.k=v
STOPSIGNAL SIGQUIT
VOLUME /data
ENTRYPOINT [\"/bin/sh\", \"-c\"]
CMD [\"id -u\"]
";
    let dir = ctx(
        &d,
        "misc",
        &[
            ("Dockerfile", df),
            (".dockerignore", "*.log\nsecret/\n!secret/public\n"),
            ("keep.txt", "k"),
            ("debug.log", "no"),
            ("secret/key", "no"),
            ("secret/public", "yes"),
        ],
    );
    let t = std::process::Command::new("tar")
        .args(["-czf", s(&dir.join("bundle.tar.gz")), "-C", s(&src), "pkg"])
        .status()
        .unwrap();
    assert!(t.success());
    d.wharf(&["build", "-t", "misc", s(&dir)]).success();
    let o = d.wharf(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        "misc",
        "-c",
        "ls /ctx | sort | tr '\\n' ' '; ls /ctx/secret; cat /opt/pkg/lib.txt /etc/motd /h1",
    ]);
    let out = o.success().out().to_string();
    assert!(
        out.contains("Dockerfile") && out.contains("keep.txt"),
        "{out}"
    );
    assert!(!out.contains("debug.log"), "{out}");
    assert!(out.contains("public") && !out.contains("key"), "{out}");
    assert!(out.contains("from tarhello heredoc\none\ntwo"), "{out}");
    assert_eq!(d.wharf(&["run", "--rm", "misc"]).success().out(), "1000");
    let v = d.api("GET", "/images/misc/json", None).1;
    let c = &v["Config"];
    assert_eq!(c["User"], "1000:1000");
    assert!(c["ExposedPorts"]["8080/tcp"].is_object() && c["ExposedPorts"]["53/udp"].is_object());
    assert_eq!(c["Labels"]["org.example.k"], "v");
    assert_eq!(c["StopSignal"], "SIGQUIT");
    assert!(c["Volumes"]["/data"].is_object());
}

#[test]
fn bad_inputs_are_clear_errors() {
    let d = Daemon::start();
    let cases: &[(&str, &str)] = &[
        (
            "FROM busybox\nRUN true\n\n\n\n\nRUNN x\n",
            "Dockerfile:7: unknown instruction: RUNN",
        ),
        (
            "FROM busybox\nCOPY missing.txt /x\n",
            "file not found in build context",
        ),
        (
            "FROM busybox\nCOPY ../../etc/passwd /x\n",
            "file not found in build context",
        ),
        (
            "FROM busybox\nRUN exit 3\n",
            "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
        ),
        ("FROM 127.0.0.1:9/nosuchimage:1\n", "nosuchimage"),
        (
            "FROM busybox\nCOPY a b /notadir\n",
            "must be a directory and end with a /",
        ),
        (
            "FROM busybox\nADD http://127.0.0.1:9/x /x\n",
            "cannot download http://127.0.0.1:9/x",
        ),
        ("", "cannot be empty"),
    ];
    for (i, (df, want)) in cases.iter().enumerate() {
        let dir = ctx(
            &d,
            &format!("bad{i}"),
            &[("Dockerfile", df), ("a", "a"), ("b", "b")],
        );
        let o = d.wharf(&["build", "-t", "bad:x", s(&dir)]);
        assert_eq!(o.code, 1, "{df}: {o}");
        assert!(o.err().contains(want), "{df}: want {want:?}: {o}");
    }
    assert!(d.wharf(&["image", "inspect", "bad:x"]).code != 0);
    let o = d.wharf(&["build", "-t", "Bad Name", s(&d.tmp().join("bad0"))]);
    assert_ne!(o.code, 0, "{o}");
    let o = d.wharf(&["build", "-f", "Nope", s(&d.tmp().join("bad0"))]);
    assert_ne!(o.code, 0, "{o}");
}

#[test]
fn docker_cli_classic_builder() {
    let d = Daemon::start();
    let dir = ctx(
        &d,
        "dockercli",
        &[
            (
                "Dockerfile",
                "FROM busybox\nRUN echo from-docker > /f\nCOPY x /x\n",
            ),
            ("x", "X"),
        ],
    );
    let mut cmd = d.docker_cmd(&["build", "-t", "viadocker", s(&dir)]);
    cmd.env("DOCKER_BUILDKIT", "0");
    let o = common::run_cmd(cmd, None, std::time::Duration::from_secs(120));
    o.success();
    assert!(
        o.out().contains("Successfully tagged viadocker:latest"),
        "{o}"
    );
    let r = d.docker(&["run", "--rm", "viadocker", "cat", "/f", "/x"]);
    assert_eq!(r.success().out(), "from-docker\nX");
    let mut cmd = d.docker_cmd(&["build", "-q", s(&dir)]);
    cmd.env("DOCKER_BUILDKIT", "0");
    let o = common::run_cmd(cmd, None, std::time::Duration::from_secs(120));
    assert!(o.success().out().starts_with("sha256:"), "{o}");
}

#[test]
fn housekeeping_intermediates_prune_and_commit() {
    let d = Daemon::start();
    let dir = ctx(
        &d,
        "house",
        &[
            (
                "Dockerfile",
                "FROM busybox\nENV A=1\nRUN echo x > /x\nCOPY f /f\n",
            ),
            ("f", "F"),
        ],
    );
    d.wharf(&["build", "-t", "house", s(&dir)]).success();
    // Intermediate steps only show with -a.
    let shown = d.wharf(&["images", "-q"]).success().lines().len();
    assert_eq!(shown, 2, "busybox and house");
    let all = d.wharf(&["images", "-a", "-q"]).success().lines().len();
    assert_eq!(all, 4, "busybox, the ENV and RUN steps, house");
    // rmi takes the untagged parents along, and the cache with them.
    let o = d.wharf(&["rmi", "house"]);
    assert!(
        o.success().out().matches("Deleted: sha256:").count() >= 4,
        "{o}"
    );
    assert_eq!(d.wharf(&["images", "-a", "-q"]).success().lines().len(), 1);
    let o = d.wharf(&["build", "-t", "house", s(&dir)]);
    assert!(!o.success().out().contains("Using cache"), "{o}");
    // A rebuild with a changed file leaves the old image dangling; prune
    // removes it (and its own steps), not the tagged one.
    fs::write(dir.join("f"), "G").unwrap();
    d.wharf(&["build", "-t", "house", s(&dir)]).success();
    assert!(
        d.wharf(&["images", "-f", "dangling=true", "-q"])
            .success()
            .lines()
            .len()
            == 1
    );
    let o = d.wharf(&["image", "prune", "-f"]);
    assert!(o.success().out().contains("deleted: sha256:"), "{o}");
    assert_eq!(
        d.wharf(&["images", "-f", "dangling=true", "-q"])
            .success()
            .out(),
        ""
    );
    assert_eq!(
        d.wharf(&["run", "--rm", "house", "cat", "/f"])
            .success()
            .out(),
        "G"
    );
    // builder prune forgets the cache: the next build runs again.
    d.wharf(&["builder", "prune", "-f"]).success();
    let o = d.wharf(&["build", "-t", "house", s(&dir)]);
    assert!(o.success().out().contains("Running in"), "{o}");

    // commit: a container's changes and --change lines.
    d.wharf(&[
        "run",
        "--name",
        "c1",
        "busybox",
        "sh",
        "-c",
        "echo made > /made; rm /bin/true",
    ])
    .success();
    let o = d.wharf(&["commit", "-m", "msg", "-c", "ENV Z=9", "c1", "committed:v1"]);
    assert!(o.success().out().starts_with("sha256:"), "{o}");
    let o = d.wharf(&[
        "run",
        "--rm",
        "committed:v1",
        "sh",
        "-c",
        "cat /made; echo $Z; ls /bin/true || echo gone",
    ]);
    assert_eq!(o.success().out(), "made\n9\ngone", "{o}");
    let o = d.docker(&["commit", "c1", "viadocker:commit"]);
    o.success();
    d.wharf(&["rm", "c1"]).success();
    // -a removes every image no container uses.
    let o = d.wharf(&["image", "prune", "-a", "-f"]);
    o.success();
    assert_eq!(d.wharf(&["images", "-a", "-q"]).success().out(), "", "{o}");
}

#[test]
fn add_downloads_from_a_loopback_url() {
    use std::io::{Read, Write};
    let d = Daemon::start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = listener.accept().unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match c.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let body = "downloaded body\n";
        let _ = write!(
            c,
            "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
    });
    let df = format!("FROM busybox\nADD http://127.0.0.1:{port}/files/data.txt /srv/\n");
    let dir = ctx(&d, "url", &[("Dockerfile", &df)]);
    d.wharf(&["build", "-t", "url", s(&dir)]).success();
    server.join().unwrap();
    let o = d.wharf(&[
        "run",
        "--rm",
        "url",
        "sh",
        "-c",
        "cat /srv/data.txt; stat -c %a /srv/data.txt",
    ]);
    assert_eq!(o.success().out(), "downloaded body\n600");
}

#[test]
fn system_df_counts_images_containers_volumes_and_cache() {
    let d = Daemon::start();
    let dir = ctx(
        &d,
        "df",
        &[(
            "Dockerfile",
            "FROM busybox\nRUN head -c 300000 /dev/zero > /z\n",
        )],
    );
    d.wharf(&["build", "-t", "df", s(&dir)]).success();
    d.wharf(&["volume", "create", "dfvol"]).success();
    d.wharf(&[
        "run",
        "--name",
        "dfc",
        "-v",
        "dfvol:/v",
        "df",
        "sh",
        "-c",
        "head -c 100000 /dev/zero > /w; head -c 50000 /dev/zero > /v/x",
    ])
    .success();
    let (code, v) = d.api("GET", "/system/df", None);
    assert_eq!(code, 200, "{v}");
    assert!(v["LayersSize"].as_u64().unwrap() > 1_300_000, "{v}");
    let c = &v["Containers"][0];
    assert!(c["SizeRw"].as_i64().unwrap() >= 100_000, "{c}");
    let vol = v["Volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["Name"] == "dfvol")
        .unwrap();
    assert_eq!(vol["UsageData"]["Size"], 50_000);
    assert_eq!(vol["UsageData"]["RefCount"], 1);
    assert!(!v["BuildCache"].as_array().unwrap().is_empty());
    let o = d.docker(&["system", "df"]);
    let out = o.success().out().to_string();
    for kind in ["Images", "Containers", "Local Volumes", "Build Cache"] {
        assert!(out.contains(kind), "{out}");
    }
    d.wharf(&["rm", "dfc"]).success();
}
