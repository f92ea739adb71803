//! The Docker SDK for Python (`pip install docker`, in a venv this test
//! makes once per run) drives a real daemon, as an SDK user would. The
//! scenarios live in `tests/sdk/*.py`; each must print OK.
mod common;

use common::Daemon;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

/// The venv's python, made on first use.
fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-venv");
        let py = venv.join("bin/python");
        let ready = venv.join(".docker-installed");
        if !ready.exists() {
            let mut mk = Command::new("python3");
            mk.args(["-m", "venv"]).arg(&venv);
            common::run_cmd(mk, None, Duration::from_secs(120)).success();
            let mut pip = Command::new(&py);
            pip.args(["-m", "pip", "install", "-q", "docker==7.*"]);
            common::run_cmd(pip, None, Duration::from_secs(300)).success();
            std::fs::write(&ready, b"").unwrap();
        }
        py
    })
}

fn run_script(d: &Daemon, script: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let mut cmd = Command::new(python());
    cmd.arg(&path)
        .env("DOCKER_HOST", d.host())
        .env("SDK_TAG", format!("{}", std::process::id()));
    let o = common::run_cmd(cmd, None, Duration::from_secs(180));
    assert!(
        o.code == 0 && o.out().ends_with("OK"),
        "{script}: {o}\ndaemon log:\n{}",
        d.log_text()
    );
}

#[test]
fn sdk_containers() {
    let d = Daemon::start();
    run_script(&d, "containers.py");
}

#[test]
fn sdk_networks() {
    let d = Daemon::start();
    run_script(&d, "networks.py");
}

#[test]
fn sdk_cp() {
    let d = Daemon::start();
    run_script(&d, "cp.py");
}

/// Issue 13: name reuse right after an auto-removed container's wait.
#[test]
fn sdk_run_rm_name_free_at_once() {
    let d = Daemon::start();
    run_script(&d, "run_rm.py");
}
