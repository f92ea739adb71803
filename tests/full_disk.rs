//! Issue 9, a full disk: the data root on a 50 MB tmpfs that a container
//! fills through a volume and its own layer while another one keeps
//! logging. Calls that need space fail with `no space left on device` and
//! change nothing, the daemon keeps serving, no record or log line is torn,
//! removal works while full, and everything works again once space is
//! freed.
mod common;

use common::{Daemon, Runtime, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);
const NOSPC: &str = "no space left on device";

/// A tmpfs mounted on the daemon's data root; unmounted on drop (the
/// daemon's own drop also unmounts everything under its root).
struct SmallRoot(PathBuf);

impl Drop for SmallRoot {
    fn drop(&mut self) {
        common::unmount_under(&self.0);
    }
}

/// Moves a stopped daemon's data root onto a fresh 50 MB tmpfs.
fn small_data_root(d: &mut Daemon) -> SmallRoot {
    d.stop();
    let data = d.data_root();
    let aside = d.tmp().join("data.orig");
    std::fs::rename(&data, &aside).unwrap();
    std::fs::create_dir(&data).unwrap();
    let guard = SmallRoot(data.clone());
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=50m,mode=0711", "wharf-full-disk"])
        .arg(&data)
        .status()
        .unwrap();
    assert!(st.success(), "mount tmpfs on {}", data.display());
    let st = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", aside.display()))
        .arg(&data)
        .status()
        .unwrap();
    assert!(st.success(), "copy data root onto the tmpfs");
    let _ = std::fs::remove_dir_all(&aside);
    d.restart();
    guard
}

/// Every container record under the data root parses.
fn records_parse(data: &Path) {
    for e in std::fs::read_dir(data.join("containers"))
        .unwrap()
        .flatten()
    {
        let p = e.path().join("config.json");
        if let Ok(bytes) = std::fs::read(&p) {
            serde_json::from_slice::<Value>(&bytes)
                .unwrap_or_else(|err| panic!("{} is corrupt: {err}", p.display()));
        }
    }
}

/// Writes zeros to `path` until the file system is full.
fn fill_up(path: &Path) {
    let _ = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", path.display()))
        .args(["bs=4k", "status=none"])
        .status();
}

fn exit_code(d: &Daemon, name: &str) -> i64 {
    d.inspect(name)["State"]["ExitCode"].as_i64().unwrap()
}

fn full_disk(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    let _small = small_data_root(&mut d);
    let data = d.data_root();

    // A logger that prints a numbered line every 50 ms, and one that exits
    // 0 on SIGTERM (stopped while the disk is full).
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "logger",
        "busybox",
        "sh",
        "-c",
        "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done",
    ])
    .success();
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "clean",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ])
    .success();
    d.wharf(&["create", "--name", "victim", "busybox", "true"])
        .success();
    d.wharf(&["volume", "create", "fdv"]).success();

    // Fill the disk through a volume, then through the container's layer.
    d.wharf(&[
        "run",
        "--name",
        "filler",
        "-v",
        "fdv:/v",
        "busybox",
        "sh",
        "-c",
        "dd if=/dev/zero of=/v/big bs=1M count=100 2>/dev/null; \
         dd if=/dev/zero of=/big bs=1M count=100 2>/dev/null; exit 0",
    ])
    .success();
    assert_eq!(exit_code(&d, "filler"), 0);
    // Its monitor gave back the space it kept for its exit record: take
    // that too.
    fill_up(&data.join("volumes").join("fdv").join("_data").join("pad"));

    // A call that needs space fails, says so, names the object, and
    // changes nothing.
    let o = d.wharf(&["rename", "logger", "logger2"]);
    assert_ne!(o.code, 0);
    assert!(o.err().contains(NOSPC), "rename: {}", o.err());
    assert!(
        o.err().contains("logger"),
        "rename names the container: {}",
        o.err()
    );
    assert_eq!(d.inspect("logger")["Name"], "/logger");
    assert_ne!(d.wharf(&["inspect", "logger2"]).code, 0);
    if common::has_docker() {
        let o = d.docker(&["rename", "logger", "logger3"]);
        assert_ne!(o.code, 0);
        assert!(o.err().contains(NOSPC), "docker rename: {}", o.err());
        assert_eq!(d.inspect("logger")["Name"], "/logger");
    }

    let o = d.wharf(&["create", "--name", "nospace", "busybox", "true"]);
    assert_ne!(o.code, 0);
    assert!(o.err().contains(NOSPC), "create: {}", o.err());
    assert_ne!(d.wharf(&["inspect", "nospace"]).code, 0);

    let tar = common::busybox_tar().to_string_lossy().into_owned();
    let o = d.wharf(&["import", &tar, "fullimport:1"]);
    assert_ne!(o.code, 0);
    assert!(
        o.err().contains(NOSPC),
        "import: {} code {} out {}",
        o.err(),
        o.code,
        o.out()
    );
    assert!(!o.err().contains("invalid tar"), "import: {}", o.err());

    // The daemon keeps serving.
    assert!(d.ping());
    d.wharf(&["ps", "-a"]).success();

    // An exit 0 while full stays 0, also across a daemon restart.
    d.wharf(&["stop", "clean"]).success();
    assert_eq!(exit_code(&d, "clean"), 0);
    records_parse(&data);
    d.stop();
    d.restart();
    assert_eq!(exit_code(&d, "clean"), 0, "after restart");
    assert_eq!(exit_code(&d, "filler"), 0, "after restart");
    assert_eq!(d.status("logger").as_deref(), Some("running"));

    // Removal works on a full disk: it is how space is freed.
    d.wharf(&["rm", "-f", "victim"]).success();
    assert_ne!(d.wharf(&["inspect", "victim"]).code, 0);
    d.wharf(&["rm", "-f", "filler"]).success();
    assert_ne!(d.wharf(&["inspect", "filler"]).code, 0);
    d.wharf(&["volume", "rm", "fdv"]).success();

    // Space is back: everything works again.
    d.wharf(&["rename", "logger", "logger2"]).success();
    assert_eq!(d.inspect("logger2")["Name"], "/logger2");
    d.wharf(&["create", "--name", "nospace", "busybox", "true"])
        .success();
    d.wharf(&["rm", "-f", "nospace", "clean"]).success();
    let o = d.wharf(&["run", "--rm", "busybox", "echo", "space is back"]);
    assert_eq!(o.success().out(), "space is back");
    d.wharf(&["import", &tar, "fullimport:1"]).success();

    // The lines logged while full were kept and written once space came
    // back, in order, none torn.
    let id = d.inspect("logger2")["Id"].as_str().unwrap().to_string();
    let log = data
        .join("containers")
        .join(&id)
        .join(format!("{id}-json.log"));
    assert!(common::wait_until(T, || {
        std::fs::read_to_string(&log)
            .map(|s| s.lines().count() > 40)
            .unwrap_or(false)
    }));
    d.wharf(&["stop", "-t", "1", "logger2"]).success();
    let text = std::fs::read_to_string(&log).unwrap();
    let mut next = 0u64;
    let mut dropped_note = false;
    for l in text.lines() {
        let v: Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("torn log line {l:?}: {e}"));
        let msg = v["log"].as_str().unwrap().trim_end();
        if let Some(n) = msg.strip_prefix("line") {
            let n: u64 = n.parse().unwrap();
            assert!(
                n == next || dropped_note,
                "line{n} after line{}",
                next.wrapping_sub(1)
            );
            next = n + 1;
        } else if msg.contains("log lines dropped") {
            dropped_note = true;
        }
    }
    assert!(next > 40, "logged {next} lines");
    let o = d.wharf(&["logs", "logger2"]);
    assert!(o.success().out().contains("line1\n"));
    records_parse(&data);
    d.wharf(&["rm", "-f", "logger2"]).success();
}

runtime_tests!(full_disk);
