//! Which build a monitor executable comes from. `wharf-monitor` is
//! installed beside `wharf`; a `wharf-monitor` left over from an older
//! build would speak an older protocol to a newer daemon. Both binaries
//! carry the same build id (`build.rs`: a hash of the monitor's code and
//! of `Cargo.lock`), `wharf-monitor --build-id` prints it, and the daemon
//! uses the monitor beside it only when the ids agree.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// This build's id.
pub const BUILD_ID: &str = env!("WHARF_MONITOR_BUILD_ID");

/// The flag a monitor executable answers with its build id.
pub const FLAG: &str = "--build-id";

/// What `exe --build-id` prints, within `timeout`; `None` when it fails,
/// prints nothing or hangs (it is killed then). A monitor older than the
/// flag takes it for a config path it cannot read, and exits 1. Run from
/// `/` with no stdin.
pub fn query(exe: &Path, timeout: Duration) -> Option<String> {
    let mut child = Command::new(exe)
        .arg(FLAG)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.by_ref().take(4096).read_to_string(&mut s);
        let _ = tx.send(s);
    });
    let got = rx.recv_timeout(timeout).ok();
    if got.is_none() {
        let _ = child.kill();
    }
    let status = child.wait().ok()?;
    let got = got?;
    (status.success() && !got.trim().is_empty()).then(|| got.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_this_version() {
        assert!(
            BUILD_ID.starts_with(env!("CARGO_PKG_VERSION")),
            "{BUILD_ID}"
        );
    }

    #[test]
    fn query_reads_an_answer_and_refuses_failures() {
        let dir = std::env::temp_dir().join(format!("wharf-bid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = |name: &str, body: &str| {
            let p = dir.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            p
        };
        let t = Duration::from_secs(5);
        let ok = script("ok", "[ \"$1\" = --build-id ] && echo 0.1.0-abc");
        assert_eq!(query(&ok, t).as_deref(), Some("0.1.0-abc"));
        let old = script("old", "echo 'reading config' >&2; exit 1");
        assert_eq!(query(&old, t), None);
        let hang = script("hang", "exec sleep 30");
        let t0 = std::time::Instant::now();
        assert_eq!(query(&hang, Duration::from_millis(200)), None);
        assert!(t0.elapsed() < Duration::from_secs(10));
        assert_eq!(query(&dir.join("missing"), t), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
