//! Stop, kill, restart, wait.

use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::monitor;
use super::state::Status;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// Parses `SIGTERM`, `TERM`, `15` into a signal number.
pub fn parse_signal(s: &str) -> Result<i32> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        return Err(Error::invalid(format!("Invalid signal: {s}")));
    }
    let up = s.to_ascii_uppercase();
    let name = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    name.parse::<Signal>()
        .map(|sig| sig as i32)
        .map_err(|_| Error::invalid(format!("Invalid signal: {s}")))
}

/// `POST /containers/{id}/kill`.
pub async fn kill(d: &Arc<Daemon>, key: &str, signal: Option<&str>) -> Result<()> {
    let rec = d.get(key)?;
    let sig = parse_signal(signal.filter(|s| !s.is_empty()).unwrap_or("SIGKILL"))?;
    if !rec.state.status.is_active() {
        return Err(Error::conflict(format!(
            "Cannot kill container: {key}: container {} is not running",
            rec.id
        )));
    }
    monitor::kill(&d.paths(&rec.id), sig).await?;
    super::pause::thaw_after_signal(d, &rec.id).await;
    let mut attrs = crate::container::event_attrs(&rec);
    attrs.insert("signal".into(), sig.to_string());
    d.events.emit("container", "kill", &rec.id, attrs);
    // Docker returns from a SIGKILL once the container has stopped, so an
    // inspect right after shows it exited (137). Bounded: a restart policy
    // may bring it straight back.
    if sig == Signal::SIGKILL as i32 {
        let _ = tokio::time::timeout(KILL_WAIT, wait_not_running(d, &rec.id)).await;
    }
    Ok(())
}

/// How long `kill` with SIGKILL waits for the exit to be recorded.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// `POST /containers/{id}/stop`: stop signal, then SIGKILL after the timeout.
/// Returns false when the container was not running (HTTP 304).
pub async fn stop(
    d: &Arc<Daemon>,
    key: &str,
    timeout: Option<i64>,
    signal: Option<&str>,
) -> Result<bool> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    stop_locked(d, &id, timeout, signal).await
}

pub async fn stop_locked(
    d: &Arc<Daemon>,
    id: &str,
    timeout: Option<i64>,
    signal: Option<&str>,
) -> Result<bool> {
    let rec = d.get(id)?;
    if rec.state.status == Status::Restarting {
        // Cancel the pending restart.
        d.update_or_defer(id, |r| {
            r.state.status = Status::Exited;
            r.state.manually_stopped = true;
        })?;
        return Ok(true);
    }
    if !rec.state.status.is_active() {
        return Ok(false);
    }
    d.update_or_defer(id, |r| r.state.manually_stopped = true)?;
    let stop_signal = signal
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .or_else(|| rec.config.stop_signal.clone())
        .unwrap_or_else(|| "SIGTERM".into());
    let sig = parse_signal(&stop_signal)?;
    let timeout = timeout.or(rec.config.stop_timeout).unwrap_or(10);
    let mut ph = crate::phases::Phases::new("stop", id);
    let paths = d.paths(id);
    let _ = monitor::kill(&paths, sig).await;
    super::pause::thaw_after_signal(d, id).await;
    ph.mark("signal");
    // The exit watcher records the exit; wait for that, then SIGKILL.
    let waited = if timeout < 0 {
        wait_not_running(d, id).await.is_ok()
    } else {
        tokio::time::timeout(Duration::from_secs(timeout as u64), wait_not_running(d, id))
            .await
            .is_ok()
    };
    if !waited {
        let _ = monitor::kill(&paths, Signal::SIGKILL as i32).await;
        let _ = tokio::time::timeout(Duration::from_secs(30), wait_not_running(d, id)).await;
    }
    ph.mark(if waited { "exited" } else { "killed" });
    ph.finish();
    Ok(true)
}

/// Waits until the record shows the container stopped. The exit watcher
/// records it; callers that hold the op lock must not use this.
pub async fn wait_not_running(d: &Daemon, id: &str) -> Result<i64> {
    let mut changes = d.watch(id)?;
    loop {
        let rec = d.get(id)?;
        if !rec.state.status.is_active() && rec.state.status != Status::Restarting {
            return Ok(rec.state.exit_code);
        }
        if changes.changed().await.is_err() {
            return Err(Error::no_such_container(id));
        }
    }
}
