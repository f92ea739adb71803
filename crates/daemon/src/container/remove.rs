//! `DELETE /containers/{id}`: refuse a running container unless forced;
//! teardown keeps going past failures and reports them together.

use std::sync::Arc;

use super::state::Status;
use super::{monitor, mounts, rootfs, stop};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

pub async fn remove(d: &Arc<Daemon>, key: &str, force: bool, remove_volumes: bool) -> Result<()> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    remove_locked(d, &id, key, force, remove_volumes).await
}

/// Removes a container whose op lock the caller holds.
pub async fn remove_locked(
    d: &Arc<Daemon>,
    id: &str,
    _key: &str,
    force: bool,
    remove_volumes: bool,
) -> Result<()> {
    let id = id.to_string();
    // The clean-up of the last run ends first.
    super::deferred_teardown::settled(&id).await;
    let rec = d.get(&id)?;
    // `Removing` here is a removal that failed part-way (a full disk, a
    // crash): the op lock rules out one still under way, so it resumes
    // instead of answering "already in progress" for good.
    if rec.state.status.is_active() {
        if !force {
            let what = if rec.state.status == Status::Paused {
                "paused"
            } else {
                "running"
            };
            return Err(Error::conflict(format!(
                "cannot remove container \"/{}\": container is {what}: stop the container before removing or force remove",
                rec.name
            )));
        }
        if rec.state.status == Status::Restarting {
            stop::stop_locked(d, &id, Some(0), None).await?;
        } else {
            d.update_or_defer(&id, |r| r.state.manually_stopped = true)?;
            monitor::kill(&d.paths(&id), nix::sys::signal::Signal::SIGKILL as i32)
                .await
                .ok();
            super::pause::thaw_after_signal(d, &id).await;
            let waited = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                stop::wait_not_running(d, &id),
            )
            .await
            .map_err(|_| Error::internal(format!("container {id} did not stop after SIGKILL")))?;
            match waited {
                // A `--rm` container removes itself on its exit.
                Err(e) if e.kind == wharf_api::error::ErrorKind::NotFound => return Ok(()),
                r => {
                    r?;
                }
            }
        }
    }
    // A forced removal's kill: its clean-up too.
    super::deferred_teardown::settled(&id).await;
    let mut ph = crate::phases::Phases::new("remove", &id);
    // On a full disk the mark stays in memory: removal is how users free
    // space, so it must not need any.
    // Without anonymous volumes to delete, nothing this removal does before
    // the directory's rename leaves a half-state that needs the mark after
    // a crash: the container is there (exited, as recorded) or gone. So
    // the mark is only made durable when volumes are to go with it (a
    // crash between deleting them and the rename must resume the removal
    // at start-up, not leave a container whose volumes are gone). This
    // saves a fsync per container on `rm` and compose `down`.
    let volumes_go = remove_volumes && rec.mounts.iter().any(|m| m.kind == "volume" && m.anonymous);
    if (rec.host_config.auto_remove && !rec.state.status.is_active()) || !volumes_go {
        // A `--rm` container after its exit (`run --rm`'s path): its
        // record on disk still says running, which the start-up reconcile
        // ends and removes, so the mark needs no fsync. The directory goes
        // in one rename (the reaper), record included.
        d.update_deferred(&id, |r| r.state.status = Status::Removing)?;
    } else {
        d.update_or_defer(&id, |r| r.state.status = Status::Removing)?;
    }
    ph.mark("record");
    let rec = d.get(&id)?;
    let paths = d.paths(&id);
    let (failures, mut ph) = {
        let d = d.clone();
        let rec = rec.clone();
        tokio::task::spawn_blocking(move || {
            let mut failures = Vec::new();
            rootfs::unmount_rootfs(&paths);
            ph.mark("rootfs");
            super::cgroups::remove(&rec.id);
            d.dns.detach(&rec.id);
            for e in super::network::disconnect_all(&d, &rec, Some(&paths.netns())) {
                failures.push(e);
            }
            super::network::unregister(&d, &rec);
            super::netns::remove(&paths.netns());
            ph.mark("network");
            monitor::remove_run_dir(&paths);
            mounts::release(&d, &rec.id, &rec.mounts);
            if remove_volumes {
                failures.extend(mounts::remove_anonymous(&d, &rec.mounts));
            }
            ph.mark("mounts");
            // The name goes now; the reaper deletes the content (the
            // writable layer, the log) in the background.
            if let Err(e) = crate::reaper::remove_later(&d.data_root, &paths.dir) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    failures.push(format!("remove {}: {e}", paths.dir.display()));
                }
            }
            ph.mark("dir");
            (failures, ph)
        })
        .await?
    };
    {
        let mut t = d.table();
        if let Some(e) = t.remove(&id) {
            e.changed.send_modify(|g| *g += 1);
        }
    }
    d.execs.forget_container(&id);
    d.events.emit(
        "container",
        "destroy",
        &id,
        crate::container::event_attrs(&rec),
    );
    ph.mark("events");
    ph.finish();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::internal(format!(
            "container {id} removed with errors: {}",
            failures.join("; ")
        )))
    }
}
