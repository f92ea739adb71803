//! The per-container monitor: a small single-threaded process (no tokio)
//! that creates the container through a [`crate::oci::Runtime`], holds its
//! stdio, writes its json-file log, answers the control socket, reaps the
//! exit status into `exit.json`, and outlives the daemon.

mod exec;
mod logfile;
mod server;
mod stdio;

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

pub use logfile::{frame, JsonLog};

use crate::config::MonitorConfig;

/// Entry point of `wharf __monitor <config.json>`; returns the process exit
/// code (0 after a clean run, 1 when the monitor itself could not work).
pub fn monitor_main(config_path: &Path) -> i32 {
    let cfg = match read_config(config_path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // Our stdout is the daemon's readiness pipe; keep it past daemonize.
    let ready = rustix::io::dup(std::io::stdout()).ok();
    if let Err(e) = daemonize() {
        eprintln!("wharf monitor: {e}");
        return 1;
    }
    serve(cfg, ready)
}

/// Entry point of a warm monitor, `wharf __monitor --warm <exec-root>`
/// (see `crate::warm`): set up as far as it goes without a container,
/// then blocked on its stdin until the daemon writes the path of a
/// container's config there and closes it. An EOF with nothing (the pool
/// closed, or the daemon died) ends it at once, with nothing touched.
pub fn warm_main(exec_root: &Path) -> i32 {
    use std::io::Read;
    use std::os::unix::ffi::OsStringExt;
    // Both pipes outlive daemonize (which puts /dev/null on 0 to 2).
    let dup = |fd| rustix::io::fcntl_dupfd_cloexec(fd, 3);
    let (assign, ready) = match (
        dup(std::io::stdin().as_fd()),
        dup(std::io::stdout().as_fd()),
    ) {
        (Ok(a), Ok(r)) => (a, r),
        _ => return 1,
    };
    if let Err(e) = daemonize() {
        eprintln!("wharf monitor: {e}");
        return 1;
    }
    let mut path = Vec::new();
    if let Err(e) = std::fs::File::from(assign).read_to_end(&mut path) {
        eprintln!("wharf monitor: reading the assignment: {e}");
        return 1;
    }
    if path.is_empty() {
        return 0;
    }
    let path = std::path::PathBuf::from(std::ffi::OsString::from_vec(path));
    let runs = exec_root.join("containers");
    let Some(bundle) = path.parent().filter(|b| b.starts_with(&runs)) else {
        eprintln!("wharf monitor: assignment {path:?} is not under {runs:?}");
        return 1;
    };
    // From here our working directory names the container: a restarted
    // daemon finds us by it before we write monitor.pid. A directory that
    // is gone means its daemon is too: exit, touching nothing.
    if let Err(e) = std::env::set_current_dir(bundle) {
        eprintln!("wharf monitor: entering {bundle:?}: {e}");
        return 1;
    }
    match read_config(&path) {
        Ok(cfg) => serve(cfg, Some(ready)),
        Err(code) => code,
    }
}

fn read_config(config_path: &Path) -> Result<MonitorConfig, i32> {
    std::fs::read(config_path)
        .map_err(|e| e.to_string())
        .and_then(|d| serde_json::from_slice(&d).map_err(|e| e.to_string()))
        .map_err(|e| {
            eprintln!("wharf monitor: reading config {config_path:?}: {e}");
            1
        })
}

/// The monitor proper, once daemonized with its config and readiness pipe.
fn serve(cfg: MonitorConfig, ready: Option<OwnedFd>) -> i32 {
    // Test hook: widens the window between the daemon's spawn and our pid
    // file, so a test can kill the daemon inside it (tests/monitor_spawn_crash.rs).
    if let Some(ms) = std::env::var("WHARF_TEST_MONITOR_START_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(10_000)));
    }
    match server::Server::new(cfg, ready).and_then(|s| s.run()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// New session, stdio on /dev/null, and subreaper so the container's init
/// (whose parent, the runtime, exits) becomes our child.
fn daemonize() -> std::io::Result<()> {
    let _ = nix::unistd::setsid();
    let null = std::fs::File::options()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    // WHARF_MONITOR_DEBUG keeps stderr, for debugging a monitor by hand.
    let keep_stderr = std::env::var_os("WHARF_MONITOR_DEBUG").is_some();
    for fd in 0..if keep_stderr { 2 } else { 3 } {
        nix::unistd::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd)
            .map_err(std::io::Error::from)?;
    }
    nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)?;
    Ok(())
}
