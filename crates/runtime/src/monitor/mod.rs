//! The per-container monitor: a small single-threaded process (no tokio)
//! that creates the container through a [`crate::oci::Runtime`], holds its
//! stdio, writes its json-file log, answers the control socket, reaps the
//! exit status into `exit.json`, and outlives the daemon.

mod exec;
mod logfile;
mod server;
mod stdio;

use std::path::Path;

pub use logfile::{frame, JsonLog};

use crate::config::MonitorConfig;

/// Entry point of `wharf __monitor <config.json>`; returns the process exit
/// code (0 after a clean run, 1 when the monitor itself could not work).
pub fn monitor_main(config_path: &Path) -> i32 {
    let cfg: MonitorConfig = match std::fs::read(config_path)
        .map_err(|e| e.to_string())
        .and_then(|d| serde_json::from_slice(&d).map_err(|e| e.to_string()))
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wharf monitor: reading config {config_path:?}: {e}");
            return 1;
        }
    };
    // Our stdout is the daemon's readiness pipe; keep it past daemonize.
    let ready = rustix::io::dup(std::io::stdout()).ok();
    if let Err(e) = daemonize() {
        eprintln!("wharf monitor: {e}");
        return 1;
    }
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
