//! The end of a `--rm` container in two halves (issue 13). Its waiters
//! (`run --rm`'s `wait?condition=removed`) are answered as soon as the
//! exit code is known and the container is logically gone; the host
//! clean-up (cgroups, namespace, rootfs unmount, run and data directories)
//! finishes in the background.
//!
//! The first half, on the exit's path, does what a user observes at once:
//! the published ports and DNS names are released (the endpoint's
//! addresses stay reserved until its veth is really gone, see
//! `NetworkStore::release_with_namespace`), the volume references drop and
//! anonymous volumes go, the record leaves the table (the name is free, the
//! die and destroy events are out), and the data directory is renamed into
//! `<data-root>/removing/<id>`: one atomic step that is the durable intent.
//!
//! The second half waits for the monitor to finish (its runtime delete),
//! then releases the cgroups, the namespace, the rootfs mount and the run
//! directory, and hands the data directory to the reaper. A daemon killed
//! at any point of it leaves the intent: the start-up reconcile never loads
//! a record from `removing/`, `reap_orphans` ends the run directory's
//! monitor, namespace and cgroups (no record names it), and [`resume`]
//! unmounts and trashes what is left. Shutdown waits for the pending ones
//! a bounded time ([`drain`]); whatever is left is resumed at the next
//! start.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use super::record::{Container, Paths};
use super::{cgroups, mounts, netns, network, rootfs};
use crate::daemon::Daemon;

/// How long the background half waits for the monitor to finish its
/// runtime delete before releasing the host resources anyway.
const MONITOR_DONE_WAIT: Duration = Duration::from_secs(10);

/// `<data-root>/removing`: data directories of containers removed while
/// their host clean-up is under way.
pub fn removing_root(data_root: &Path) -> PathBuf {
    data_root.join("removing")
}

/// The paths of a container whose data directory moved into `removing/`.
pub fn moved_paths(d: &Daemon, id: &str) -> Paths {
    let mut p = d.paths(id);
    p.dir = removing_root(&d.data_root).join(id);
    p
}

type Pending = Mutex<HashMap<String, watch::Receiver<bool>>>;

fn pending() -> &'static Pending {
    static P: OnceLock<Pending> = OnceLock::new();
    P.get_or_init(Pending::default)
}

/// How many background clean-ups are under way.
pub fn pending_count() -> usize {
    pending().lock().unwrap_or_else(|p| p.into_inner()).len()
}

/// Waits until the background clean-up of `id` (if any) has ended.
pub async fn settled(id: &str) {
    let rx = pending()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(id)
        .cloned();
    if let Some(mut rx) = rx {
        let _ = rx.wait_for(|done| *done).await;
    }
}

/// Daemon shutdown: waits up to `limit` for every pending clean-up. What
/// is still under way then stays as an intent in `removing/`.
pub async fn drain(limit: Duration) {
    let all: Vec<watch::Receiver<bool>> = pending()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .values()
        .cloned()
        .collect();
    if all.is_empty() {
        return;
    }
    let n = all.len();
    let waited = tokio::time::timeout(limit, async move {
        for mut rx in all {
            let _ = rx.wait_for(|done| *done).await;
        }
    })
    .await;
    if waited.is_err() {
        tracing::warn!(
            pending = pending_count(),
            "shutdown: container clean-ups still under way are finished at the next start"
        );
    } else {
        tracing::info!(count = n, "shutdown: pending container clean-ups done");
    }
}

/// Records the exit of a `--rm` container and removes it logically; the
/// host clean-up continues in the background once `monitor_done` resolves
/// (the monitor has deleted the runtime's state). Returns once the
/// container is gone from the table and the die and destroy events are out.
pub async fn exit_and_remove<F>(
    d: &Arc<Daemon>,
    rec: &Container,
    code: i64,
    finished_at: String,
    oom_killed: bool,
    monitor_done: F,
) where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let mut ph = crate::phases::Phases::new("exit", &rec.id);
    let tx = register(&rec.id);
    let moved = {
        let (d2, rec2) = (d.clone(), rec.clone());
        tokio::task::spawn_blocking(move || forget(&d2, &rec2, code, finished_at, oom_killed))
            .await
            .unwrap_or(None)
    };
    ph.mark("release");
    let gone = moved.is_some();
    if gone {
        d.events.emit(
            "container",
            "destroy",
            &rec.id,
            crate::container::event_attrs(rec),
        );
        d.execs.forget_container(&rec.id);
    }
    ph.mark("events");
    ph.finish();
    let (d, id) = (d.clone(), rec.id.clone());
    after_monitor(rec.id.clone(), tx, monitor_done, move || {
        if let Some(paths) = moved {
            host_teardown(&d, &id, &paths);
        }
    });
}

/// Runs `cleanup` on a blocking thread once the monitor is done (or
/// [`MONITOR_DONE_WAIT`] has passed), then marks the clean-up of `id`
/// settled: the background half of both exits.
fn after_monitor<F, C>(id: String, tx: watch::Sender<bool>, monitor_done: F, cleanup: C)
where
    F: std::future::Future<Output = ()> + Send + 'static,
    C: FnOnce() + Send + 'static,
{
    tokio::spawn(async move {
        let _ = tokio::time::timeout(MONITOR_DONE_WAIT, monitor_done).await;
        let _ = tokio::task::spawn_blocking(cleanup).await;
        settle(&id, tx);
    });
}

/// Marks a background clean-up of `id` as under way.
fn register(id: &str) -> watch::Sender<bool> {
    let (tx, rx) = watch::channel(false);
    pending()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_string(), rx);
    tx
}

/// Marks the background clean-up of `id` as done.
fn settle(id: &str, tx: watch::Sender<bool>) {
    pending()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(id);
    let _ = tx.send(true);
}

/// Records the exit of a container that stays (no restart, no `--rm`):
/// its published ports are released and the exit is saved (the save
/// overlapping the release), then the table shows it exited, so `stop`
/// answers. The rest of the clean-up (cgroups, namespace, rootfs unmount,
/// run directory) runs once the monitor is done, in the background; a
/// `start` or `rm` of the container waits for it ([`settled`]). A daemon
/// killed meanwhile leaves an exited record with its run directory or
/// rootfs mount: the start-up reconcile ends that run
/// (`reconcile::left_behind`).
pub async fn exit_then_clean<F>(
    d: &Arc<Daemon>,
    rec: &Container,
    code: i64,
    finished_at: String,
    oom_killed: bool,
    monitor_done: F,
) where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let mut ph = crate::phases::Phases::new("exit", &rec.id);
    let tx = register(&rec.id);
    let exited = move |r: &mut Container| {
        r.state.set_exited(code, finished_at.clone());
        r.state.oom_killed = oom_killed;
        // what the network release does to the record
        for a in r.networks.values_mut() {
            a.endpoint = None;
            a.ports = None;
        }
    };
    {
        let (d2, rec2) = (d.clone(), rec.clone());
        let _ = tokio::task::spawn_blocking(move || {
            d2.update_overlapped(&rec2.id, exited, || {
                d2.dns.detach(&rec2.id);
                for e in network::release_all(&d2, &rec2) {
                    tracing::warn!(container_id = %rec2.id, error = %e, "network teardown");
                }
                // Before the table shows the exit: a `rm` waiting for it
                // cannot announce its destroy first.
                let mut attrs = crate::container::event_attrs(&rec2);
                attrs.insert("exitCode".into(), code.to_string());
                d2.events.emit("container", "die", &rec2.id, attrs);
            })
        })
        .await;
    }
    ph.mark("record");
    ph.finish();
    let (d, rec) = (d.clone(), rec.clone());
    after_monitor(rec.id.clone(), tx, monitor_done, move || {
        super::start::cleanup_after_exit(&d, &rec, &d.paths(&rec.id))
    });
}

/// The first half, on a blocking thread: what others may take at once is
/// released, the record leaves the table with its exit, and the data
/// directory moves into `removing/`. Returns the container's paths from
/// then on, or `None` when it was no longer in the table (a `rm -f` that
/// got there first did the whole removal).
fn forget(
    d: &Daemon,
    rec: &Container,
    code: i64,
    finished_at: String,
    oom_killed: bool,
) -> Option<Paths> {
    let id = rec.id.as_str();
    if d.get(id).is_err() {
        return None;
    }
    d.dns.detach(id);
    for e in network::release_all(d, rec) {
        tracing::warn!(container_id = %id, error = %e, "network teardown");
    }
    mounts::deactivate(d, rec);
    mounts::release(d, id, &rec.mounts);
    for e in mounts::remove_anonymous(d, &rec.mounts) {
        tracing::warn!(container_id = %id, error = %e, "auto-remove");
    }
    // Docker's order: die, then destroy once it is gone.
    let mut attrs = crate::container::event_attrs(rec);
    attrs.insert("exitCode".into(), code.to_string());
    d.events.emit("container", "die", id, attrs);
    let entry = {
        let mut t = d.table();
        if let Some(e) = t.by_id.get_mut(id) {
            e.rec.state.set_exited(code, finished_at);
            e.rec.state.oom_killed = oom_killed;
        }
        t.remove(id)
    }?;
    // Waiters (`wait?condition=removed`) wake and find it gone.
    entry.changed.send_modify(|g| *g += 1);
    // A save that began before the removal ends before the move; one after
    // it finds no entry and writes nothing (`Daemon::update`).
    let _saving = entry.saved.lock().unwrap_or_else(|p| p.into_inner());
    let from = d.paths(id);
    let to = moved_paths(d, id);
    let moved = std::fs::create_dir_all(removing_root(&d.data_root))
        .and_then(|()| std::fs::rename(&from.dir, &to.dir));
    match moved {
        Ok(()) => Some(to),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(to),
        Err(e) => {
            // Cleaned up in place: a crash before that is ended by the
            // start-up reconcile from the record that still says running.
            tracing::warn!(container_id = %id, error = %e, "cannot move the data directory of a removed container");
            Some(from)
        }
    }
}

/// The second half: the host resources of a removed container, each step
/// tried whatever the others did.
fn host_teardown(d: &Daemon, id: &str, paths: &Paths) {
    let mut ph = crate::phases::Phases::new("teardown", id);
    cgroups::remove(id);
    ph.mark("cgroups");
    netns::remove(&paths.netns());
    ph.mark("netns");
    rootfs::unmount_rootfs(paths);
    ph.mark("rootfs");
    super::monitor::remove_run_dir(paths);
    ph.mark("run_dir");
    if let Err(e) = crate::reaper::remove_later(&d.data_root, &paths.dir) {
        tracing::warn!(container_id = %id, error = %e, "cannot remove the data directory");
    }
    ph.mark("dir");
    ph.finish();
}

/// Start-up: finishes the clean-ups a stopped daemon left in `removing/`.
/// Runs after `reap_orphans`, which already ended the monitors, namespaces
/// and cgroups of run directories that no record names.
pub fn resume(d: &Daemon) {
    let Ok(entries) = std::fs::read_dir(removing_root(&d.data_root)) else {
        return;
    };
    for e in entries.flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        if id.len() != 64 || d.get(&id).is_ok() {
            continue;
        }
        tracing::info!(container_id = %id, "finishing the clean-up of a removed container");
        host_teardown(d, &id, &moved_paths(d, &id));
    }
}
