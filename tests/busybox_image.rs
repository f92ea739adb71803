//! The offline base image script (scripts/build-busybox-image.sh): the tar
//! every other test imports. No daemon needed.
mod common;

use common::{busybox_tar, run_cmd};
use std::process::Command;
use std::time::Duration;

fn tar_listing(path: &std::path::Path) -> String {
    let mut cmd = Command::new("tar");
    cmd.arg("-tvf").arg(path).arg("--numeric-owner");
    run_cmd(cmd, None, Duration::from_secs(30))
        .success()
        .stdout
        .clone()
}

#[test]
fn build_is_deterministic() {
    let first = std::fs::read(busybox_tar()).expect("read tar");
    let dir = std::env::temp_dir().join(format!("bb-det-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let second_path = dir.join("again.tar");
    let mut cmd = Command::new("bash");
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/build-busybox-image.sh"
    ))
    .arg(&second_path);
    run_cmd(cmd, None, Duration::from_secs(120)).success();
    let second = std::fs::read(&second_path).expect("read second tar");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(first == second, "two builds of the busybox tar differ");
}

#[test]
fn tar_has_the_layout_the_tests_rely_on() {
    let list = tar_listing(busybox_tar());
    let entry = |name: &str| {
        list.lines()
            .find(|l| l.ends_with(&format!(" ./{name}")) || l.contains(&format!(" ./{name} -> ")))
            .unwrap_or_else(|| panic!("{name} missing from the busybox tar:\n{list}"))
            .to_string()
    };
    assert!(entry("bin/busybox").starts_with("-rwxr-xr-x 0/0"));
    assert!(entry("bin/sh").contains("-> /bin/busybox"));
    assert!(
        entry("tmp/").starts_with("drwxrwxrwt 0/0"),
        "{}",
        entry("tmp/")
    );
    assert!(
        entry("home/app/").contains(" 1000/1000 "),
        "{}",
        entry("home/app/")
    );
    for d in [
        "bin/", "sbin/", "usr/bin/", "etc/", "proc/", "sys/", "dev/", "root/", "var/",
    ] {
        entry(d);
    }
    entry("etc/wharf-base");
    // every line carries the fixed mtime
    assert!(
        list.lines().all(|l| l.contains("2024-01-01 00:00")),
        "mtimes not fixed"
    );
}

#[test]
fn passwd_has_root_app_and_nobody() {
    let mut cmd = Command::new("tar");
    cmd.arg("-xOf").arg(busybox_tar()).arg("./etc/passwd");
    let out = run_cmd(cmd, None, Duration::from_secs(30));
    let passwd = out.success().out();
    assert!(passwd.contains("root:x:0:0:"));
    assert!(passwd.contains("app:x:1000:1000:"));
    assert!(passwd.contains("nobody:x:65534:65534:"));
}

#[test]
fn rootfs_runs_under_chroot() {
    // The image must be usable without wharf: extract and chroot into it.
    let dir = std::env::temp_dir().join(format!("bb-chroot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut x = Command::new("tar");
    x.arg("-xf").arg(busybox_tar()).arg("-C").arg(&dir);
    run_cmd(x, None, Duration::from_secs(30)).success();
    let mut c = Command::new("chroot");
    c.arg(&dir).args([
        "sh",
        "-c",
        "echo $((6*7)); id -u app; ls /usr/bin | grep -c .",
    ]);
    let out = run_cmd(c, None, Duration::from_secs(30));
    let _ = std::fs::remove_dir_all(&dir);
    let lines = out.success().lines();
    assert_eq!(lines[0], "42");
    assert_eq!(lines[1], "1000");
    assert!(
        lines[2].parse::<u32>().unwrap() > 50,
        "too few applets: {}",
        lines[2]
    );
}
