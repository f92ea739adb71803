//! `docker cp` (`HEAD`/`GET`/`PUT /containers/{id}/archive`) through
//! `wharf`, the `docker` CLI and the raw API: both ways, running and
//! stopped containers, volumes, Docker's `cp SRC DEST` rules, and paths
//! that try to leave the container (symlinks to `/`, crafted tars).
mod common;

use common::{Cli, Daemon};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tar built by python's tarfile from a small script (entries the
/// `tar` tool will not write: `../x`, absolute names).
fn py_tar(script: &str) -> Vec<u8> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let out = std::env::temp_dir().join(format!(
        "wharf-cp-tar-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(format!(
        "import io, sys, tarfile\nbuf = io.BytesIO()\nt = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)\n\
         def f(name, data=b'x', **kw):\n    i = tarfile.TarInfo(name); i.size = len(data)\n    for k, v in kw.items(): setattr(i, k, v)\n    t.addfile(i, io.BytesIO(data))\n\
         def l(name, target, kind=tarfile.SYMTYPE):\n    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n\
         {script}\nt.close()\nopen(sys.argv[1], 'wb').write(buf.getvalue())\n"
    ))
    .arg(&out);
    let o = common::run_cmd(cmd, None, Duration::from_secs(30));
    assert_eq!(o.code, 0, "python tar: {o}");
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    bytes
}

fn scratch(d: &Daemon, name: &str) -> PathBuf {
    let p = d.tmp().join(name);
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn cp_both_ways_running(cli: Cli) {
    let d = Daemon::start();
    d.cli(
        cli,
        &["run", "-d", "--name", "box", "busybox", "sleep", "1000"],
    )
    .success();
    let local = scratch(&d, "local");
    std::fs::write(local.join("hello.txt"), b"hello\n").unwrap();
    std::fs::create_dir_all(local.join("tree/sub")).unwrap();
    std::fs::write(local.join("tree/sub/deep"), b"deep\n").unwrap();

    // A file into an existing directory keeps its name.
    // Without a terminal nothing is printed (docker prints its progress
    // and "Successfully copied" to a terminal only).
    let o = d.cli(cli, &["cp", &s(&local.join("hello.txt")), "box:/tmp"]);
    assert_eq!(o.success().err(), "", "{o}");
    let o = d.cli(cli, &["exec", "box", "cat", "/tmp/hello.txt"]);
    assert_eq!(o.success().out(), "hello");
    // -q says nothing.
    let o = d.cli(
        cli,
        &["cp", "-q", &s(&local.join("hello.txt")), "box:/tmp/renamed"],
    );
    assert_eq!(o.success().err(), "", "{o}");
    assert_eq!(
        d.cli(cli, &["exec", "box", "cat", "/tmp/renamed"])
            .success()
            .out(),
        "hello"
    );
    // A directory, and a directory's content with `/.`.
    d.cli(cli, &["cp", &s(&local.join("tree")), "box:/tmp"])
        .success();
    d.cli(cli, &["exec", "box", "mkdir", "/tmp/into"]).success();
    d.cli(
        cli,
        &[
            "cp",
            &format!("{}/.", s(&local.join("tree"))),
            "box:/tmp/into",
        ],
    )
    .success();
    let o = d.cli(
        cli,
        &[
            "exec",
            "box",
            "cat",
            "/tmp/tree/sub/deep",
            "/tmp/into/sub/deep",
        ],
    );
    assert_eq!(o.success().out(), "deep\ndeep");
    // Missing parent: an error, nothing created.
    let o = d.cli(
        cli,
        &["cp", &s(&local.join("hello.txt")), "box:/nonexistent/x"],
    );
    assert_ne!(o.code, 0, "{o}");
    assert!(
        o.stderr.contains("Could not find the file /nonexistent"),
        "{o}"
    );
    // A file onto a path that asserts a directory: an error.
    let o = d.cli(
        cli,
        &["cp", &s(&local.join("hello.txt")), "box:/tmp/nodir/"],
    );
    assert_ne!(o.code, 0, "{o}");

    // Out of the container: a file to a new name, a directory, `/.`.
    let out = scratch(&d, "out");
    d.cli(
        cli,
        &[
            "exec",
            "box",
            "sh",
            "-c",
            "mkdir -p /srv/d/e && echo inner > /srv/d/e/f && echo top > /srv/top",
        ],
    )
    .success();
    d.cli(cli, &["cp", "box:/srv/top", &s(&out.join("copy"))])
        .success();
    assert_eq!(std::fs::read(out.join("copy")).unwrap(), b"top\n");
    d.cli(cli, &["cp", "box:/srv/d", &s(&out)]).success();
    assert_eq!(std::fs::read(out.join("d/e/f")).unwrap(), b"inner\n");
    std::fs::create_dir(out.join("content")).unwrap();
    d.cli(cli, &["cp", "box:/srv/d/.", &s(&out.join("content"))])
        .success();
    assert_eq!(std::fs::read(out.join("content/e/f")).unwrap(), b"inner\n");
    // A missing source: docker's message, exit 1.
    let o = d.cli(cli, &["cp", "box:/nope", &s(&out)]);
    o.code_is(1);
    assert!(
        o.stderr
            .contains("Error response from daemon: Could not find the file /nope in container box"),
        "{o}"
    );
    let o = d.cli(cli, &["cp", "nosuchbox:/etc", &s(&out)]);
    o.code_is(1);
    assert!(o.stderr.contains("No such container: nosuchbox"), "{o}");
    // `-` streams a tar to stdout and reads one from stdin.
    let o = d.sh(cli, "cp box:/srv/top - | tar -tf -");
    assert_eq!(o.success().out(), "top");
    let tar = py_tar("f('fromstdin', b'piped')");
    let o = match cli {
        Cli::Wharf => d.wharf_stdin(&["cp", "-", "box:/tmp"], &tar),
        Cli::Docker => d.docker_stdin(&["cp", "-", "box:/tmp"], &tar),
    };
    o.success();
    assert_eq!(
        d.cli(cli, &["exec", "box", "cat", "/tmp/fromstdin"])
            .success()
            .out(),
        "piped"
    );
    // -L follows a symlink source; without it the link itself is copied.
    d.cli(cli, &["exec", "box", "ln", "-s", "/srv/top", "/srv/link"])
        .success();
    d.cli(cli, &["cp", "box:/srv/link", &s(&out.join("asis"))])
        .success();
    assert_eq!(
        std::fs::read_link(out.join("asis")).unwrap(),
        Path::new("/srv/top")
    );
    d.cli(
        cli,
        &["cp", "-L", "box:/srv/link", &s(&out.join("followed"))],
    )
    .success();
    assert_eq!(std::fs::read(out.join("followed")).unwrap(), b"top\n");
    d.cli(cli, &["rm", "-f", "box"]).success();
}

/// Symlinks in the container that point at `/` or out of it are resolved
/// inside the container's root: nothing on the host is read or written.
fn cp_symlinks_stay_in_the_container(cli: Cli) {
    let d = Daemon::start();
    let marker = format!(
        "wharf-cp-escape-{}-{}",
        std::process::id(),
        matches!(cli, Cli::Docker)
    );
    let host_marker = Path::new("/tmp").join(&marker);
    let _ = std::fs::remove_file(&host_marker);
    d.cli(cli, &["run", "-d", "--name", "evil", "busybox", "sh", "-c",
        "ln -s / /out && ln -s /etc /etcl && ln -s ../../../../../../tmp /up && echo container > /etc/wharf-id && sleep 1000"])
        .success();
    let local = scratch(&d, "local");
    std::fs::write(local.join(&marker), b"payload").unwrap();
    for dest in ["evil:/out/tmp", "evil:/up", "evil:/up/"] {
        let o = d.cli(cli, &["cp", &s(&local.join(&marker)), dest]);
        o.success();
        assert!(
            !host_marker.exists(),
            "cp to {dest} wrote {} on the host",
            host_marker.display()
        );
    }
    let o = d.cli(cli, &["exec", "evil", "cat", &format!("/tmp/{marker}")]);
    assert_eq!(o.success().out(), "payload");
    // Reading through them reads the container's files.
    let out = scratch(&d, "out");
    d.cli(cli, &["cp", "evil:/out/etc/wharf-id", &s(&out.join("a"))])
        .success();
    d.cli(cli, &["cp", "evil:/etcl/wharf-id", &s(&out.join("b"))])
        .success();
    d.cli(cli, &["cp", "-L", "evil:/etcl", &s(&out.join("c"))])
        .success();
    assert_eq!(std::fs::read(out.join("a")).unwrap(), b"container\n");
    assert_eq!(std::fs::read(out.join("b")).unwrap(), b"container\n");
    assert_eq!(
        std::fs::read(out.join("c/wharf-id")).unwrap(),
        b"container\n"
    );
    assert!(
        !out.join("c/shadow").exists()
            || std::fs::read(out.join("c/shadow")).unwrap()
                != std::fs::read("/etc/shadow").unwrap_or_default()
    );
    d.cli(cli, &["rm", "-f", "evil"]).success();
}

/// A stopped (and a never started) container: cp in and out, into a volume.
fn cp_stopped_and_volumes(cli: Cli) {
    let d = Daemon::start();
    let vol = format!("cpvol{}", std::process::id());
    d.cli(
        cli,
        &[
            "create",
            "--name",
            "idle",
            "-v",
            &format!("{vol}:/data"),
            "busybox",
            "sh",
            "-c",
            "cat /data/in /root/in",
        ],
    )
    .success();
    let local = scratch(&d, "local");
    std::fs::write(local.join("in"), b"in-volume").unwrap();
    d.cli(cli, &["cp", &s(&local.join("in")), "idle:/data/in"])
        .success();
    std::fs::write(local.join("in"), b"in-rootfs").unwrap();
    d.cli(cli, &["cp", &s(&local.join("in")), "idle:/root/in"])
        .success();
    // The volume got it (not the layer under its mount point).
    let o = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "-v",
            &format!("{vol}:/v"),
            "busybox",
            "cat",
            "/v/in",
        ],
    );
    assert_eq!(o.success().out(), "in-volume");
    let o = d.cli(cli, &["start", "-a", "idle"]);
    assert_eq!(o.success().out(), "in-volumein-rootfs");
    // Out of the stopped container, from its layer and its volume.
    let out = scratch(&d, "out");
    d.cli(cli, &["cp", "idle:/root/in", &s(&out.join("r"))])
        .success();
    d.cli(cli, &["cp", "idle:/data/in", &s(&out.join("v"))])
        .success();
    assert_eq!(std::fs::read(out.join("r")).unwrap(), b"in-rootfs");
    assert_eq!(std::fs::read(out.join("v")).unwrap(), b"in-volume");
    d.cli(cli, &["cp", "idle:/etc/passwd", &s(&out)]).success();
    assert!(std::fs::read_to_string(out.join("passwd"))
        .unwrap()
        .starts_with("root:"));
    d.cli(cli, &["rm", "idle"]).success();
    d.cli(cli, &["volume", "rm", &vol]).success();
}

cli_tests!(
    cp_both_ways_running,
    cp_symlinks_stay_in_the_container,
    cp_stopped_and_volumes
);

/// The raw API: the stat header, 404s, and crafted uploads.
#[test]
fn archive_api_and_crafted_tars() {
    let d = Daemon::start();
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "tt",
        "busybox",
        "sh",
        "-c",
        "ln -s / /slash; sleep 1000",
    ])
    .success();
    let r = d
        .raw(
            b"HEAD /v1.44/containers/tt/archive?path=/etc/passwd HTTP/1.0\r\nHost: x\r\n\r\n",
            Duration::from_secs(30),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    let hdr = r
        .header("x-docker-container-path-stat")
        .expect("stat header");
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import base64,json,sys; print(json.dumps(json.loads(base64.b64decode(sys.argv[1]))))",
        hdr,
    ]);
    let v: serde_json::Value = serde_json::from_str(
        common::run_cmd(cmd, None, Duration::from_secs(10))
            .success()
            .out(),
    )
    .unwrap();
    assert_eq!(v["name"], "passwd");
    assert_eq!(v["mode"].as_u64().unwrap() & 0o777, 0o644, "{v}");
    assert!(v["mtime"].as_str().unwrap().contains('T'), "{v}");
    let r = d
        .raw(
            b"HEAD /containers/tt/archive?path=/slash HTTP/1.0\r\nHost: x\r\n\r\n",
            Duration::from_secs(30),
        )
        .unwrap();
    let hdr = r
        .header("x-docker-container-path-stat")
        .unwrap()
        .to_string();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", "import base64,json,sys; v=json.loads(base64.b64decode(sys.argv[1])); print(v['linkTarget'], v['mode'] >> 27 & 1)", &hdr]);
    assert_eq!(
        common::run_cmd(cmd, None, Duration::from_secs(10))
            .success()
            .out(),
        "/ 1"
    );
    let r = d
        .raw(
            b"HEAD /containers/tt/archive?path=/nope HTTP/1.0\r\nHost: x\r\n\r\n",
            Duration::from_secs(30),
        )
        .unwrap();
    assert_eq!(r.status, 404);
    let (st, v) = d.api("GET", "/containers/tt/archive?path=/nope", None);
    assert_eq!(st, 404);
    assert_eq!(
        v["message"],
        "Could not find the file /nope in container tt"
    );
    let (st, _) = d.api("GET", "/containers/tt/archive", None);
    assert_eq!(st, 400);

    let put = |tar: &[u8], query: &str| {
        d.api_bytes(
            "PUT",
            &format!("/containers/tt/archive?path={query}"),
            "application/x-tar",
            tar,
        )
    };
    let marker = format!("wharf-crafted-{}", std::process::id());
    // `../` and absolute names: a clear 400, nothing written.
    for script in [
        format!("f('../../../tmp/{marker}')"),
        format!("f('/tmp/{marker}')"),
    ] {
        let r = put(&py_tar(&script), "/tmp");
        assert_eq!(r.status, 400, "{script}: {}", r.body);
        assert!(r.body.contains("refusing"), "{}", r.body);
    }
    // A symlink to `/` then a write through it: lands in the container.
    let r = put(
        &py_tar(&format!("l('lnk', '/')\nf('lnk/tmp/{marker}', b'through')")),
        "/tmp",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        !Path::new("/tmp").join(&marker).exists(),
        "wrote on the host"
    );
    let o = d.wharf(&["exec", "tt", "cat", &format!("/tmp/{marker}")]);
    assert_eq!(o.success().out(), "through");
    // Through the container's own `/slash -> /` as the destination.
    let r = put(&py_tar(&format!("f('{marker}.2', b'two')")), "/slash/tmp");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!Path::new("/tmp").join(format!("{marker}.2")).exists());
    // Not a directory; missing; noOverwriteDirNonDir.
    let r = put(&py_tar("f('x')"), "/etc/passwd");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("not a directory"), "{}", r.body);
    let r = put(&py_tar("f('x')"), "/nope");
    assert_eq!(r.status, 404, "{}", r.body);
    let r = put(&py_tar("f('etc')"), "/&noOverwriteDirNonDir=true");
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("cannot overwrite directory"), "{}", r.body);
    // copyUIDGID: the container's user owns the files.
    let r = put(&py_tar("f('owned', uid=1234, gid=99)"), "/tmp");
    assert_eq!(r.status, 200);
    let o = d.wharf(&["exec", "tt", "stat", "-c", "%u:%g", "/tmp/owned"]);
    assert_eq!(o.success().out(), "1234:99");
    let r = put(
        &py_tar("f('owned2', uid=1234, gid=99)"),
        "/tmp&copyUIDGID=true",
    );
    assert_eq!(r.status, 200);
    let o = d.wharf(&["exec", "tt", "stat", "-c", "%u:%g", "/tmp/owned2"]);
    assert_eq!(o.success().out(), "0:0");
    d.wharf(&["rm", "-f", "tt"]).success();
}

/// A read-only rootfs refuses uploads (a volume in it does not).
#[test]
fn read_only_rootfs_and_volumes() {
    let d = Daemon::start();
    let vol = format!("rovol{}", std::process::id());
    d.wharf(&[
        "run",
        "-d",
        "--read-only",
        "--name",
        "ro",
        "-v",
        &format!("{vol}:/data"),
        "-v",
        &format!("{vol}:/ro:ro"),
        "busybox",
        "sleep",
        "1000",
    ])
    .success();
    let local = scratch(&d, "local");
    std::fs::write(local.join("f"), b"x").unwrap();
    let o = d.wharf(&["cp", &s(&local.join("f")), "ro:/tmp"]);
    assert!(
        o.stderr.contains("container rootfs is marked read-only"),
        "{o}"
    );
    d.wharf(&["cp", &s(&local.join("f")), "ro:/data"]).success();
    let o = d.wharf(&["cp", &s(&local.join("f")), "ro:/ro/g"]);
    assert!(o.stderr.contains("read-only"), "{o}");
    d.wharf(&["rm", "-f", "ro"]).success();
    d.wharf(&["volume", "rm", &vol]).success();
}

/// The running container's root is `/proc/<pid>/root`, whichever runtime
/// started it; a tmpfs mount of the container is reached too.
fn cp_under_runtime(rt: common::Runtime) {
    let d = Daemon::start_with(rt);
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "rt",
        "--tmpfs",
        "/scratch",
        "busybox",
        "sh",
        "-c",
        "ln -s / /out; echo in-tmpfs > /scratch/t; sleep 1000",
    ])
    .success();
    assert!(common::wait_until(Duration::from_secs(10), || d
        .wharf(&["exec", "rt", "test", "-f", "/scratch/t"])
        .code
        == 0));
    let out = scratch(&d, "out");
    d.wharf(&["cp", "rt:/scratch/t", &s(&out.join("t"))])
        .success();
    assert_eq!(std::fs::read(out.join("t")).unwrap(), b"in-tmpfs\n");
    std::fs::write(out.join("up"), b"up").unwrap();
    d.wharf(&["cp", &s(&out.join("up")), "rt:/out/scratch/"])
        .success();
    let o = d.wharf(&["exec", "rt", "cat", "/scratch/up"]);
    assert_eq!(o.success().out(), "up");
    d.wharf(&["rm", "-f", "rt"]).success();
}

runtime_tests!(cp_under_runtime);
