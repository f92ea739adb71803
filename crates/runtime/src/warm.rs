//! Warm monitors, the daemon's side (issue 13): a monitor started ahead of
//! any container, `<exe> __monitor --warm <exec-root>`, that waits for its
//! assignment so a start does not pay the monitor's fork, exec, dynamic
//! link and process start-up.
//!
//! The protocol, two pipes the daemon alone holds the other ends of:
//! - stdin: the assignment. The daemon writes the path of a container's
//!   `monitor.json` and closes the pipe. EOF with nothing written (the
//!   daemon closed the pool, or died) tells the warm monitor to exit
//!   without touching the disk.
//! - stdout: the readiness byte, exactly as a cold monitor's.
//!
//! Once assigned, the monitor first makes the container's bundle directory
//! (`<exec-root>/containers/<id>/bundle`) its working directory, then runs
//! as a cold `__monitor <config>` does (same "daemon gone" check before it
//! touches the disk, same files, same readiness byte). Its command line
//! names no container, so a restarted daemon finds an assigned monitor
//! that has not written `monitor.pid` yet by its working directory
//! (`/proc/<pid>/cwd`, see the daemon's `stray_monitors`); an idle one
//! works in `/` and is never taken for a container's.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::config::MonitorConfig;
use crate::spawn::{await_ready, monitor_stderr, write_config, SpawnError};

/// The monitor argument that makes it warm: `__monitor --warm <exec-root>`.
pub const WARM_FLAG: &str = "--warm";

/// An idle warm monitor, the daemon's handle on it.
pub struct WarmMonitor {
    child: Child,
    assign: ChildStdin,
}

/// What handing a container to a warm monitor came to.
pub enum Assigned {
    /// The monitor answered ready: its pid.
    Ready(u32),
    /// The warm monitor was gone before it read its assignment (killed
    /// while idle): nothing was started, start another.
    Stale,
}

impl WarmMonitor {
    /// Starts `exe [pre_args] --warm <exec_root>` in `/`, with its
    /// assignment and readiness pipes.
    pub fn spawn(exe: &Path, pre_args: &[&str], exec_root: &Path) -> std::io::Result<WarmMonitor> {
        let mut child = Command::new(exe)
            .args(pre_args)
            .arg(WARM_FLAG)
            .arg(exec_root)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(monitor_stderr())
            .spawn()?;
        let Some(assign) = child.stdin.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("warm monitor without a stdin pipe"));
        };
        Ok(WarmMonitor { child, assign })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes `config` to `<bundle>/monitor.json`, hands its path to this
    /// monitor and waits for its readiness byte.
    pub fn assign(mut self, config: &MonitorConfig) -> Result<Assigned, SpawnError> {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return Ok(Assigned::Stale);
        }
        let path = write_config(config)?;
        // One write below PIPE_BUF, then EOF: the whole path or nothing.
        let written = self.assign.write_all(path.as_os_str().as_bytes());
        drop(self.assign);
        if written.is_err() {
            // EPIPE: it exited before reading. Reaped here, it is dead.
            let _ = self.child.wait();
            return Ok(Assigned::Stale);
        }
        await_ready(self.child, &config.id).map(Assigned::Ready)
    }

    /// Closes the assignment pipe (the monitor exits on EOF) and reaps it,
    /// killing it if it has not gone by `deadline`.
    pub fn close(self, deadline: Instant) {
        let WarmMonitor { mut child, assign } = self;
        drop(assign);
        loop {
            match child.try_wait() {
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                _ => return,
            }
        }
    }
}
