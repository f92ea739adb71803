//! Starting a monitor from the daemon, and finding it again after a daemon
//! restart.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wharf_api::error::ErrorKind;

use crate::config::{read_exit_record, MonitorConfig};
use crate::protocol::ExitRecord;

/// Errors starting a monitor.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("writing monitor config {path:?}: {source}")]
    Config {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("starting monitor {exe:?} for container {id:?}: {source}")]
    Exec {
        exe: PathBuf,
        id: String,
        source: std::io::Error,
    },
    #[error("monitor for container {id:?} exited before answering ({status})")]
    Died { id: String, status: String },
    #[error("monitor for container {id:?} did not answer within {secs}s")]
    Timeout { id: String, secs: u64 },
}

impl SpawnError {
    /// All spawn failures are internal errors.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

const READY_TIMEOUT: Duration = Duration::from_secs(10);

enum Ready {
    Yes,
    /// EOF: the monitor exited (or closed its stdout) before binding.
    Closed,
    TimedOut,
}

/// Waits for the monitor's readiness byte on `out`.
fn wait_ready(out: &std::process::ChildStdout, timeout: Duration) -> Ready {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ready::TimedOut;
        }
        let ts = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos() as i64,
        };
        let mut fds = [PollFd::new(out, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(0) => return Ready::TimedOut,
            Ok(_) => {
                let mut b = [0u8; 1];
                return match rustix::io::read(out, &mut b) {
                    Ok(1) => Ready::Yes,
                    _ => Ready::Closed,
                };
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return Ready::Closed,
        }
    }
}

/// The name of the dedicated monitor executable, installed beside `wharf`.
pub const MONITOR_EXE: &str = "wharf-monitor";

/// The executable to start monitors with, for a daemon running `own`:
/// `wharf-monitor` beside it when there is one of this very build
/// (smaller per container, see `src/monitor_main.rs`), else `own` itself
/// (`wharf __monitor`). Both take the same arguments. The second value
/// says why a `wharf-monitor` that is there is not used (another build,
/// or it does not answer `--build-id`), for the daemon to warn.
pub fn monitor_exe(own: &Path) -> (PathBuf, Option<String>) {
    let Some(beside) = own
        .parent()
        .map(|dir| dir.join(MONITOR_EXE))
        .filter(|p| p.is_file())
    else {
        return (own.to_path_buf(), None);
    };
    let ours = crate::build_id::BUILD_ID;
    match crate::build_id::query(&beside, Duration::from_secs(5)) {
        Some(id) if id == ours => (beside, None),
        theirs => {
            let theirs = theirs.unwrap_or_else(|| "none (an older monitor)".into());
            let why = format!(
                "{} is from another build (build id {theirs}, ours {ours}): monitors run as `{} __monitor` instead; reinstall both binaries together",
                beside.display(),
                own.display()
            );
            (own.to_path_buf(), Some(why))
        }
    }
}

/// Where the monitor config of a bundle is written.
pub fn config_path(config: &MonitorConfig) -> PathBuf {
    config.bundle.join("monitor.json")
}

/// Writes `config` to `<bundle>/monitor.json`, starts `exe __monitor <it>`
/// in its own session (so it survives the daemon), and waits until its
/// socket answers. Returns the monitor's pid.
pub fn spawn_monitor(exe: &Path, config: &MonitorConfig) -> Result<u32, SpawnError> {
    spawn_monitor_with(exe, &["__monitor"], config)
}

/// [`spawn_monitor`] with the arguments that precede the config path (tests
/// use a dedicated binary that takes none).
pub fn spawn_monitor_with(
    exe: &Path,
    pre_args: &[&str],
    config: &MonitorConfig,
) -> Result<u32, SpawnError> {
    let path = write_config(config)?;
    // The monitor says it is ready on its stdout (a pipe): no polling.
    let child = Command::new(exe)
        .args(pre_args)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(monitor_stderr())
        .spawn()
        .map_err(|source| SpawnError::Exec {
            exe: exe.to_path_buf(),
            id: config.id.clone(),
            source,
        })?;
    await_ready(child, &config.id)
}

/// Writes `config` to `<bundle>/monitor.json` (made again at every start:
/// replaced whole, no fsync) and returns that path.
pub(crate) fn write_config(config: &MonitorConfig) -> Result<PathBuf, SpawnError> {
    let path = config_path(config);
    let cfg_err = |source| SpawnError::Config {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(&config.bundle).map_err(cfg_err)?;
    let data = serde_json::to_vec_pretty(config).map_err(|e| cfg_err(std::io::Error::other(e)))?;
    wharf_sys::fs::write_replace(&path, &data).map_err(cfg_err)?;
    Ok(path)
}

/// A monitor's stderr: the daemon's with `WHARF_MONITOR_DEBUG`, else none.
pub(crate) fn monitor_stderr() -> Stdio {
    if std::env::var_os("WHARF_MONITOR_DEBUG").is_some() {
        Stdio::inherit()
    } else {
        Stdio::null()
    }
}

/// Waits for the readiness byte of monitor `child` (its stdout a pipe)
/// working for container `id`, then reaps it in the background. Returns
/// its pid.
pub(crate) fn await_ready(mut child: Child, id: &str) -> Result<u32, SpawnError> {
    let pid = child.id();
    let ready = child
        .stdout
        .take()
        .map(|out| wait_ready(&out, READY_TIMEOUT));
    match ready {
        Some(Ready::Yes) => {}
        Some(Ready::TimedOut) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SpawnError::Timeout {
                id: id.to_string(),
                secs: READY_TIMEOUT.as_secs(),
            });
        }
        Some(Ready::Closed) | None => {
            let status = child
                .wait()
                .map(|s| s.to_string())
                .unwrap_or_else(|e| e.to_string());
            return Err(SpawnError::Died {
                id: id.to_string(),
                status,
            });
        }
    }
    // The monitor is our child until we exit; reap it in the background
    // so it does not linger as a zombie after the container ends.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(pid)
}

/// What a restarted daemon finds for a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorStatus {
    /// The monitor answers on its socket.
    Alive,
    /// The monitor is gone and left its exit record.
    Exited(ExitRecord),
    /// Neither: the monitor died without recording an exit.
    Gone,
}

/// Looks for a container's monitor: a live socket, else `exit.json`.
pub fn find_monitor(config: &MonitorConfig) -> MonitorStatus {
    if connect(&config.socket_path).is_ok() {
        return MonitorStatus::Alive;
    }
    match read_exit_record(&config.state_dir) {
        Some(r) => MonitorStatus::Exited(r),
        None => MonitorStatus::Gone,
    }
}

/// Connects to a monitor's socket, however long its path.
fn connect(path: &std::path::Path) -> std::io::Result<UnixStream> {
    let addr = wharf_sys::sockpath::SocketPath::new(path)?;
    UnixStream::connect(addr.as_path())
}
