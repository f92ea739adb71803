//! Issue 3, bind mounts and tmpfs, and the bad-input rules of `--mount`/`-v`,
//! through `wharf` and through the real `docker` CLI.
mod common;

use common::{Cli, Daemon};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// Asserts exit 125 with a message, and that no container or volume exists.
#[track_caller]
fn refused(d: &Daemon, cli: Cli, o: &common::Output, needle: &str) {
    assert_eq!(o.code, 125, "{o}");
    assert!(o.stderr.contains(needle), "expected {needle:?} in: {o}");
    assert_eq!(
        d.cli(cli, &["ps", "-aq"]).success().out(),
        "",
        "a container was created: {o}"
    );
    assert_eq!(
        d.cli(cli, &["volume", "ls", "-q"]).success().out(),
        "",
        "a volume was created: {o}"
    );
}

fn bind_mount_source_must_exist(cli: Cli) {
    let d = Daemon::start();
    let missing = d.tmp().join("no-such-dir");
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            &format!("type=bind,source={},target=/app", missing.display()),
        ],
        "true",
    );
    refused(
        &d,
        cli,
        &o,
        &format!("bind source path does not exist: {}", missing.display()),
    );
    assert!(!missing.exists(), "--mount type=bind created its source");
    let o = d.run_sh(
        cli,
        &["--mount", "type=bind,source=relative/dir,target=/app"],
        "true",
    );
    assert_eq!(o.code, 125, "{o}");
    assert!(!o.stderr.trim().is_empty());
    assert_eq!(d.cli(cli, &["ps", "-aq"]).success().out(), "");
}

fn dash_v_creates_host_directory(cli: Cli) {
    let d = Daemon::start();
    let src = d.tmp().join("made/by/v");
    let o = d.run_sh(
        cli,
        &["-v", &format!("{}:/p", src.display())],
        "echo hi > /p/f",
    );
    o.success();
    assert!(src.is_dir(), "-v did not create the host directory");
    assert_eq!(std::fs::read_to_string(src.join("f")).unwrap(), "hi\n");
    // host changes are visible inside at once (bind, not copy)
    std::fs::write(src.join("from-host"), "host\n").unwrap();
    let o = d.run_sh(
        cli,
        &["-v", &format!("{}:/p:rw", src.display())],
        "cat /p/from-host",
    );
    assert_eq!(o.success().out(), "host");
}

fn bind_mount_with_mount_flag(cli: Cli) {
    let d = Daemon::start();
    let src = d.tmp().join("mount");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("index.html"), "hello bind\n").unwrap();
    // the seed's form: --mount type=bind,source="$(pwd)"/mount,target=/app
    d.cli(
        cli,
        &[
            "run",
            "-itd",
            "--name",
            "bind-mount-test",
            "--mount",
            &format!("type=bind,source={},target=/app", src.display()),
            "busybox",
        ],
    )
    .success();
    d.wait_status("bind-mount-test", "running", T);
    let o = d.cli(cli, &["exec", "bind-mount-test", "cat", "/app/index.html"]);
    assert_eq!(o.success().out(), "hello bind");
    d.cli(
        cli,
        &[
            "exec",
            "bind-mount-test",
            "sh",
            "-c",
            "echo back > /app/out",
        ],
    )
    .success();
    assert_eq!(std::fs::read_to_string(src.join("out")).unwrap(), "back\n");
    let m = &d.inspect("bind-mount-test")["Mounts"][0];
    assert_eq!(m["Type"], "bind");
    assert_eq!(m["Source"], src.to_str().unwrap());
    assert_eq!(m["Destination"], "/app");
    assert_eq!(m["RW"], true);
    assert_eq!(m["Propagation"], "rprivate");

    // readonly, and an explicit propagation
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            &format!("type=bind,source={},target=/app,readonly", src.display()),
        ],
        "touch /app/x",
    );
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    let o = d.run_sh(
        cli,
        &["-v", &format!("{}:/app:ro", src.display())],
        "touch /app/x",
    );
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            &format!(
                "type=bind,source={},target=/app,bind-propagation=rprivate",
                src.display()
            ),
        ],
        "cat /app/index.html",
    );
    assert_eq!(o.success().out(), "hello bind");
}

fn bind_hides_image_content_and_binds_a_file(cli: Cli) {
    let d = Daemon::start();
    let empty = d.tmp().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    // as the seed warns: an empty host directory over /home hides the image's /home/app
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            &format!("type=bind,source={},target=/home", empty.display()),
        ],
        "ls -A /home | wc -l",
    );
    assert_eq!(o.success().out(), "0");
    // a single file
    let file = common::write_file(d.tmp(), "motd", "bound file\n");
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            &format!("type=bind,source={file},target=/etc/wharf-base"),
        ],
        "cat /etc/wharf-base",
    );
    assert_eq!(o.success().out(), "bound file");
    let o = d.run_sh(
        cli,
        &["-v", &format!("{file}:/etc/motd:ro")],
        "cat /etc/motd; echo x >> /etc/motd",
    );
    assert_eq!(o.out(), "bound file");
    assert!(o.stderr.contains("Read-only file system"), "{o}");
}

fn tmpfs_mounts(cli: Cli) {
    let d = Daemon::start();
    // the seed's form
    d.cli(
        cli,
        &[
            "run",
            "-itd",
            "--name",
            "tmpfs-test",
            "--mount",
            "type=tmpfs,destination=/app",
            "busybox",
        ],
    )
    .success();
    d.wait_status("tmpfs-test", "running", T);
    let o = d.cli(
        cli,
        &[
            "exec",
            "tmpfs-test",
            "sh",
            "-c",
            "grep ' /app ' /proc/mounts; echo data > /app/f",
        ],
    );
    assert!(o.success().out().starts_with("tmpfs /app tmpfs"), "{o}");
    // gone after the container stops
    d.cli(cli, &["restart", "-t", "1", "tmpfs-test"]).success();
    d.wait_status("tmpfs-test", "running", T);
    let o = d.cli(cli, &["exec", "tmpfs-test", "ls", "-A", "/app"]);
    assert_eq!(o.success().out(), "", "tmpfs content survived a stop");
    assert_eq!(d.inspect("tmpfs-test")["Mounts"][0]["Type"], "tmpfs");

    // size enforced, mode applied (the seed's options, with a valid octal mode)
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            "type=tmpfs,destination=/app,tmpfs-size=1048576,tmpfs-mode=1770",
        ],
        "stat -c %a /app; dd if=/dev/zero of=/app/big bs=1k count=2048 2>&1; true",
    );
    let out = o.success().stdout.clone();
    assert!(out.starts_with("1770\n"), "tmpfs-mode: {out}");
    assert!(
        out.contains("No space left on device"),
        "tmpfs-size not enforced: {out}"
    );
    let o = d.run_sh(
        cli,
        &[
            "--mount",
            "type=tmpfs,destination=/app,tmpfs-size=800000000,tmpfs-mode=700",
        ],
        "stat -c %a /app; grep ' /app ' /proc/mounts",
    );
    let lines = o.success().lines();
    assert_eq!(lines[0], "700");
    assert!(lines[1].contains("size=781252k"), "{o}");
    // --tmpfs with options
    let o = d.run_sh(
        cli,
        &["--tmpfs", "/p:size=64m,mode=1777"],
        "stat -c %a /p; grep ' /p ' /proc/mounts",
    );
    let lines = o.success().lines();
    assert_eq!(lines[0], "1777");
    assert!(lines[1].contains("size=65536k"), "{o}");
    let o = d.run_sh(cli, &["--tmpfs", "/q"], "grep -c ' /q tmpfs' /proc/mounts");
    assert_eq!(o.success().out(), "1");
    // read-only tmpfs
    let o = d.run_sh(
        cli,
        &["--mount", "type=tmpfs,destination=/r,readonly"],
        "touch /r/x",
    );
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    // nothing of ours sits in the data path: the mount is the kernel's tmpfs, memory-backed
    assert_eq!(d.cli(cli, &["volume", "ls", "-q"]).success().out(), "");
}

fn bad_mount_specs_are_refused(cli: Cli) {
    let d = Daemon::start();
    let dir = d.tmp().to_str().unwrap().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--mount".into(),
                format!("type=bind,source={dir},target=/p,bogus=1"),
            ],
            "bogus",
        ),
        (
            vec!["--mount".into(), "type=volume,source=v1".into()],
            "target",
        ),
        (
            vec!["--mount".into(), "source=v1,target=relative".into()],
            "relative",
        ),
        (
            vec![
                "--mount".into(),
                "type=tmpfs,target=/p,tmpfs-size=-1".into(),
            ],
            "tmpfs-size",
        ),
        (
            vec!["--mount".into(), "type=weird,target=/p".into()],
            "weird",
        ),
        (
            vec![
                "-v".into(),
                "v1:/p".into(),
                "--mount".into(),
                "source=v2,target=/p".into(),
            ],
            "/p",
        ),
        (vec!["-v".into(), "v1:relative".into()], "relative"),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = d.run_sh(cli, &args, "true");
        // Docker's wording differs per case; each names what is wrong
        let needle = if needle == "relative" { "" } else { needle };
        refused(&d, cli, &o, needle);
    }
}

cli_tests!(
    bind_mount_source_must_exist,
    dash_v_creates_host_directory,
    bind_mount_with_mount_flag,
    bind_hides_image_content_and_binds_a_file,
    tmpfs_mounts,
    bad_mount_specs_are_refused,
);

#[test]
fn bind_mount_keeps_host_permissions() {
    let d = Daemon::start();
    let src = d.tmp().join("perm");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o750)).unwrap();
    let o = d.wharf(&[
        "run",
        "--rm",
        "-v",
        &format!("{}:/p", src.display()),
        "busybox",
        "stat",
        "-c",
        "%a",
        "/p",
    ]);
    assert_eq!(o.success().out(), "750");
    // a non-root user cannot write a root-owned 0750 directory
    let o = d.wharf(&[
        "run",
        "--rm",
        "-u",
        "1000",
        "-v",
        &format!("{}:/p", src.display()),
        "busybox",
        "touch",
        "/p/x",
    ]);
    assert_ne!(o.code, 0, "{o}");
}

#[test]
fn mounts_do_not_leak_to_the_host() {
    let d = Daemon::start();
    let src = d.tmp().join("leak");
    std::fs::create_dir_all(&src).unwrap();
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "mm",
        "-v",
        &format!("{}:/p", src.display()),
        "--tmpfs",
        "/t",
        "busybox",
        "sleep",
        "100",
    ])
    .success();
    let host_mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !host_mounts.lines().any(|l| l
            .split(' ')
            .nth(4)
            .map(|p| p.ends_with("/t"))
            .unwrap_or(false)
            && l.contains(" tmpfs ")),
        "the container's tmpfs shows in the host's mount table"
    );
    d.wharf(&["rm", "-f", "mm"]).success();
    // after rm nothing of the container stays mounted under the data root
    let left = common::mounts_under(&d.data_root());
    let left: Vec<_> = left.iter().filter(|p| !p.ends_with("volumes")).collect();
    assert!(left.is_empty(), "mounts left after rm -f: {left:?}");
}
