//! `pause` and `unpause`: the cgroup freezer stops every process of a
//! running container without telling it; `unpause` lets it go on.

use std::sync::Arc;

use super::cgroups;
use super::state::Status;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

async fn set_frozen(id: &str, frozen: bool) -> Result<()> {
    let id = id.to_string();
    tokio::task::spawn_blocking(move || cgroups::freeze(&id, frozen))
        .await?
        .map_err(|e| {
            let what = if frozen { "pause" } else { "unpause" };
            Error::internal(format!("cannot {what} container: {e}"))
        })
}

/// `POST /containers/{id}/pause`.
pub async fn pause(d: &Arc<Daemon>, key: &str) -> Result<()> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    let rec = d.get(&id)?;
    match rec.state.status {
        Status::Running => {}
        Status::Paused => return Err(Error::conflict(format!("Container {id} is already paused"))),
        _ => return Err(Error::conflict(format!("Container {id} is not running"))),
    }
    set_frozen(&id, true).await?;
    d.update(&id, |r| r.state.status = Status::Paused)?;
    d.events
        .emit("container", "pause", &id, super::event_attrs(&rec));
    Ok(())
}

/// `POST /containers/{id}/unpause`.
pub async fn unpause(d: &Arc<Daemon>, key: &str) -> Result<()> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    let rec = d.get(&id)?;
    if rec.state.status != Status::Paused {
        return Err(Error::conflict(format!("Container {id} is not paused")));
    }
    set_frozen(&id, false).await?;
    d.update(&id, |r| r.state.status = Status::Running)?;
    d.events
        .emit("container", "unpause", &id, super::event_attrs(&rec));
    Ok(())
}

/// After a signal was sent to a paused container: thaw it so the signal is
/// delivered (a frozen task acts on nothing, SIGKILL included, until it is
/// thawed), as Docker does when it kills or stops a paused container.
pub async fn thaw_after_signal(d: &Daemon, id: &str) {
    if d.get(id).is_ok_and(|r| r.state.status == Status::Paused) {
        if let Err(e) = set_frozen(id, false).await {
            tracing::warn!(container_id = id, error = %e.message, "cannot thaw a paused container");
            return;
        }
        let _ = d.update(id, |r| {
            if r.state.status == Status::Paused {
                r.state.status = Status::Running;
            }
        });
    }
}
