//! The pool of warm monitors (`--warm-monitors N`, issue 13): monitors
//! started ahead of any container, waiting for their assignment
//! (`wharf_runtime::warm`), so a start does not pay a monitor's fork, exec,
//! dynamic link and process start-up on its path.
//!
//! A start takes an idle one, or starts a cold monitor when there is none:
//! concurrent starts never wait for a refill. Taking one wakes the filler
//! thread, which starts a replacement off the start's path. Shutdown closes
//! the idle ones' pipes (each exits on EOF) and reaps them; a killed daemon
//! closes them by dying.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use wharf_runtime::warm::{Assigned, WarmMonitor};
use wharf_runtime::MonitorConfig;

/// How long shutdown waits for idle monitors to exit before killing them.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

pub struct WarmPool {
    exe: PathBuf,
    exec_root: PathBuf,
    size: usize,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    idle: Vec<WarmMonitor>,
    closed: bool,
    /// The last start of a warm monitor failed: the filler waits for the
    /// next take instead of retrying in a loop.
    failed: bool,
}

impl WarmPool {
    /// A pool of `size` monitors run from `exe` for `exec_root`; its filler
    /// thread starts them at once. `size` 0: every start is cold.
    pub fn new(exe: &Path, exec_root: &Path, size: usize) -> Arc<WarmPool> {
        let pool = Arc::new(WarmPool {
            exe: exe.to_path_buf(),
            exec_root: exec_root.to_path_buf(),
            size,
            state: Mutex::default(),
            wake: Condvar::new(),
        });
        if size > 0 {
            let p = pool.clone();
            let spawned = std::thread::Builder::new()
                .name("warm-monitors".into())
                .spawn(move || p.fill());
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the warm monitor filler: monitors start cold");
            }
        }
        pool
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the monitor of a container: hands `cfg` to a warm monitor,
    /// or starts a cold one when none is idle. Returns its pid.
    pub fn spawn_monitor(
        &self,
        cfg: &MonitorConfig,
    ) -> Result<u32, wharf_runtime::spawn::SpawnError> {
        while let Some(m) = self.take() {
            let pid = m.pid();
            match m.assign(cfg)? {
                Assigned::Ready(pid) => return Ok(pid),
                Assigned::Stale => {
                    tracing::warn!(pid, "an idle warm monitor was gone: taking another")
                }
            }
        }
        wharf_runtime::spawn_monitor(&self.exe, cfg)
    }

    /// An idle monitor, if any; wakes the filler to replace it.
    fn take(&self) -> Option<WarmMonitor> {
        let mut s = self.state();
        let m = s.idle.pop();
        s.failed = false;
        drop(s);
        self.wake.notify_one();
        m
    }

    /// The pids of the idle monitors.
    pub fn idle_pids(&self) -> Vec<u32> {
        self.state().idle.iter().map(WarmMonitor::pid).collect()
    }

    /// Ends every idle monitor (closes its pipe, reaps it) and stops
    /// refilling; starts after this are cold.
    pub fn shutdown(&self) {
        let idle = {
            let mut s = self.state();
            s.closed = true;
            std::mem::take(&mut s.idle)
        };
        self.wake.notify_all();
        let deadline = Instant::now() + CLOSE_WAIT;
        for m in idle {
            m.close(deadline);
        }
    }

    /// The filler thread: keeps `size` monitors idle until shutdown.
    fn fill(&self) {
        loop {
            let mut s = self.state();
            while !s.closed && (s.idle.len() >= self.size || s.failed) {
                s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            if s.closed {
                return;
            }
            drop(s);
            let made = WarmMonitor::spawn(&self.exe, &["__monitor"], &self.exec_root);
            let mut s = self.state();
            match made {
                Ok(m) if s.closed => {
                    drop(s);
                    m.close(Instant::now() + CLOSE_WAIT);
                    return;
                }
                Ok(m) => s.idle.push(m),
                Err(e) => {
                    s.failed = true;
                    tracing::warn!(exe = %self.exe.display(), error = %e, "cannot start a warm monitor: the next start is cold");
                }
            }
        }
    }
}
