//! The Engine API fuzzed from its OpenAPI document with schemathesis (pip,
//! in a venv this test makes once per target dir), through a loopback
//! TCP-to-unix forwarder the script starts on 127.0.0.1: no 5xx that is a
//! panic, the daemon answers after every request, and a rejected request
//! changes nothing. The script (`tests/fuzz/engine_api.py`) says which
//! operations are left out and why. `WHARF_FUZZ_EXAMPLES` (per operation,
//! 8 here) and `WHARF_FUZZ_SEED` widen or vary the run.
mod common;

use common::{json, Daemon};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-venv");
        let py = venv.join("bin/python");
        let ready = venv.join(".schemathesis-installed");
        if !ready.exists() {
            let mut mk = Command::new("python3");
            mk.args(["-m", "venv"]).arg(&venv);
            common::run_cmd(mk, None, Duration::from_secs(120)).success();
            let mut pip = Command::new(&py);
            pip.args(["-m", "pip", "install", "-q", "schemathesis==4.32.*"]);
            common::run_cmd(pip, None, Duration::from_secs(600)).success();
            std::fs::write(&ready, b"").unwrap();
        }
        py
    })
}

#[test]
fn engine_api_fuzzed_from_its_spec() {
    let d = Daemon::start();
    let p = std::process::id();
    let (c, v, n) = (format!("fzc{p}"), format!("fzv{p}"), format!("fzn{p}"));
    let subnet = common::unique_subnet();
    d.wharf(&["network", "create", "--subnet", &subnet, &n])
        .success();
    d.wharf(&["volume", "create", &v]).success();
    d.wharf(&[
        "run",
        "-d",
        "--name",
        &c,
        "--network",
        &n,
        "-v",
        &format!("{v}:/data"),
        "busybox",
        "sleep",
        "600",
    ])
    .success();
    let (st, exec) = d.api(
        "POST",
        &format!("/containers/{c}/exec"),
        Some(&json!({"Cmd": ["true"]})),
    );
    assert_eq!(st, 201, "{exec}");
    let examples = std::env::var("WHARF_FUZZ_EXAMPLES").unwrap_or_else(|_| "8".into());
    let seed = std::env::var("WHARF_FUZZ_SEED").unwrap_or_else(|_| "9".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/engine_api.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/specs/docker-engine-api-v1.44.yaml"),
        )
        .arg(d.sock())
        .args([&examples, &seed])
        .env("FUZZ_CONTAINER", &c)
        .env("FUZZ_VOLUME", &v)
        .env("FUZZ_NETWORK", &n)
        .env("FUZZ_EXEC", exec["Id"].as_str().unwrap_or_default());
    let o = common::run_cmd(cmd, None, Duration::from_secs(400));
    eprintln!("{}", o.out());
    assert!(
        o.code == 0 && o.out().trim_end().ends_with("OK"),
        "fuzz: {o}\ndaemon log (tail):\n{}",
        d.log_text()
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(d.ping(), "the daemon answers after the fuzz run");
    let _ = d.wharf(&["rm", "-f", &c]);
    let _ = d.wharf(&["network", "rm", &n]);
}
