//! Start-up reconcile: reload container records, reattach to monitors that
//! outlived the daemon, record exits that happened while it was down, and
//! apply restart policies.

use std::sync::Arc;

use super::record::Container;
use super::state::Status;
use super::stray_monitors::{self, MonitorScan};
use super::{monitor, start};
use crate::daemon::Daemon;

/// Loads every saved record; unreadable ones are logged and skipped.
pub fn load_all(d: &Daemon) {
    let dir = d.data_root.join("containers");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path().join("config.json");
        if !path.exists() && e.file_name().len() == 64 {
            // A create killed before its record was saved: the directory
            // holds nothing a user made yet.
            tracing::warn!(container_id = %e.file_name().to_string_lossy(), "a create was interrupted before its record was saved: removing its directory");
            let merged = e.path().join("merged");
            if super::rootfs::is_mountpoint(&merged) {
                let _ = nix::mount::umount2(&merged, nix::mount::MntFlags::MNT_DETACH);
            }
            let _ = std::fs::remove_dir_all(e.path());
            continue;
        }
        match Container::load(&path) {
            Ok(rec) => {
                for m in rec.mounts.iter().filter(|m| m.kind == "volume") {
                    if let Err(e) = d.volumes.add_ref(&m.name, &rec.id) {
                        tracing::warn!(volume = %m.name, container_id = %rec.id, error = %e, "volume of a container is missing");
                    }
                }
                crate::container::network::register(d, &rec);
                d.insert(rec);
            }
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "skipping unreadable container record")
            }
        }
    }
}

pub async fn reconcile(d: &Arc<Daemon>) {
    let recs: Vec<Container> = d.table().by_id.values().map(|e| e.rec.clone()).collect();
    // Made at the first run to end, once: most restarts end none.
    let mut scan: Option<Arc<MonitorScan>> = None;
    for rec in recs {
        let paths = d.paths(&rec.id);
        let was_active = rec.state.status.is_active() || rec.state.status == Status::Removing;
        if rec.state.status == Status::Removing {
            let _ = crate::container::remove::remove(d, &rec.id, true, false).await;
            continue;
        }
        if !was_active && left_behind(&paths) {
            // The daemon died during a start (before or after spawning the
            // monitor) or before a stop's clean-up: the container never
            // counted as started, so it is ended and keeps its state
            // (Docker's view of a failed start), and its rootfs mount,
            // namespace, veths and cgroups are released now, not at `rm`.
            tracing::warn!(container_id = %rec.id, "a start or stop was interrupted by a daemon crash: ending its run");
            let scan = scan_once(d, &mut scan).await;
            end_interrupted_run(d, &rec, &paths, &scan).await;
            continue;
        }
        let monitor_status = if was_active {
            monitor::status(&paths).await
        } else {
            None
        };
        if monitor_status == Some(wharf_runtime::Status::Created) {
            // The record was saved running while the monitor was told to
            // start (start.rs overlaps the two), and the daemon died before
            // the process ran: a start that did not happen. Ended as a
            // failed start.
            tracing::warn!(container_id = %rec.id, "a start was interrupted by a daemon crash before its process ran: ending its run");
            let scan = scan_once(d, &mut scan).await;
            end_interrupted_run(d, &rec, &paths, &scan).await;
            let _ = d.update_or_defer(&rec.id, |r| {
                r.state.set_exited(128, crate::util::now_rfc3339());
                r.state.error = "the daemon stopped while the container was starting".into();
            });
            if rec.host_config.auto_remove {
                let _ = crate::container::remove::remove(d, &rec.id, true, true).await;
            }
            continue;
        }
        if monitor_status.is_some() {
            tracing::info!(container_id = %rec.id, "reattached to running container");
            crate::container::network::restore(d, &rec, &paths);
            crate::container::network::sync_dns(d, &rec.id).await;
            if rec.state.status == Status::Restarting {
                let _ = d.update_or_defer(&rec.id, |r| r.state.status = Status::Running);
            }
            start::spawn_exit_watcher(d.clone(), rec.id.clone());
            super::health::spawn(d.clone(), rec.id.clone());
            continue;
        }
        if was_active {
            let (code, finished, oom_killed) =
                match wharf_runtime::config::read_exit_record(&paths.state_dir()) {
                    Some(r) => (r.exit_code as i64, r.finished_at, r.oom_killed),
                    None => {
                        // The monitor died without a record. After a host
                        // reboot nothing is left and Docker reports 255; if
                        // the monitor was killed, its container may still
                        // run: kill it through its cgroups (137).
                        let id = rec.id.clone();
                        match tokio::task::spawn_blocking(move || super::cgroups::kill_all(&id))
                            .await
                        {
                            Ok(Ok(n)) if n > 0 => {
                                let msg = format!(
                                "the container's monitor died; {n} remaining processes were killed"
                            );
                                let _ = d.update_or_defer(&rec.id, |r| r.state.error = msg);
                                (137, crate::util::now_rfc3339(), false)
                            }
                            _ => (255, crate::util::now_rfc3339(), false),
                        }
                    }
                };
            tracing::info!(container_id = %rec.id, exit_code = code, "container exited while the daemon was down");
            start::record_exit(d, &rec, code, finished, oom_killed, false).await;
            if rec.host_config.auto_remove {
                let _ = crate::container::remove::remove(d, &rec.id, true, true).await;
                continue;
            }
        }
        let rec = match d.get(&rec.id) {
            Ok(r) => r,
            Err(_) => continue,
        };
        let policy = rec.host_config.restart_policy.name.as_str();
        let restart = match policy {
            "always" => true,
            "unless-stopped" => !rec.state.manually_stopped,
            "on-failure" => was_active && start::should_restart(&rec, rec.state.exit_code),
            _ => false,
        };
        if restart && rec.state.status != Status::Created {
            let d2 = d.clone();
            let id = rec.id.clone();
            tokio::spawn(async move {
                if let Err(e) = start::start(&d2, &id).await {
                    tracing::warn!(container_id = %id, error = %e.message, "restart at daemon start failed");
                }
            });
        }
    }
}

/// Ends a run the engine never counted as started (its processes and
/// monitor killed) and releases what it held: rootfs mount, namespace,
/// veths, cgroups, run directory.
async fn end_interrupted_run(
    d: &Arc<Daemon>,
    rec: &Container,
    paths: &super::record::Paths,
    scan: &MonitorScan,
) {
    end_unrecorded(&rec.id, paths, scan).await;
    let (d2, rec2) = (d.clone(), rec.clone());
    let _ = tokio::task::spawn_blocking(move || {
        start::cleanup_after_exit(&d2, &rec2, &d2.paths(&rec2.id))
    })
    .await;
}

/// Whether a container that is not running still has a run directory or a
/// mounted rootfs (both go in `cleanup_after_exit`).
fn left_behind(paths: &super::record::Paths) -> bool {
    paths.run.exists() || super::rootfs::is_mountpoint(&paths.merged())
}

/// The /proc scan for monitors, made on first use and kept for the rest
/// of this pass.
async fn scan_once(d: &Daemon, scan: &mut Option<Arc<MonitorScan>>) -> Arc<MonitorScan> {
    if let Some(s) = scan {
        return s.clone();
    }
    let root = d.exec_root.clone();
    let s = Arc::new(
        tokio::task::spawn_blocking(move || MonitorScan::scan(&root))
            .await
            .unwrap_or_default(),
    );
    *scan = Some(s.clone());
    s
}

/// Kills the processes and the monitor of a container run the engine has
/// no record of running. The monitor is the one its pid file names and any
/// the scan found: a daemon killed right after spawning a monitor leaves
/// one that has not written its pid file yet.
async fn end_unrecorded(id: &str, paths: &super::record::Paths, scan: &MonitorScan) {
    let id2 = id.to_string();
    let pid_file = paths.run.join("monitor.pid");
    let mut monitors = scan.pids(id).to_vec();
    let _ = tokio::task::spawn_blocking(move || {
        // The monitor first, dead before going on: while it lives it may
        // still be creating the container, whose processes would then miss
        // the cgroup kill, or making files the clean-up already removed.
        let from_file = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        monitors.extend(from_file.filter(|p| *p > 1 && !monitors.contains(p)));
        stray_monitors::kill_and_wait(&monitors);
        if let Err(e) = super::cgroups::kill_all(&id2) {
            tracing::warn!(container_id = %id2, error = %e, "cannot kill the processes of an unrecorded run");
        }
    })
    .await;
}

/// Monitors and run directories under the exec root with no record at all
/// (their record was removed while they ran): killed and cleaned up, with a
/// log line naming each. Then veths on the engine's bridges that belong to
/// no endpoint are deleted.
pub async fn reap_orphans(d: &Arc<Daemon>) {
    let entries = std::fs::read_dir(d.exec_root.join("containers"));
    let mut scan = None;
    for e in entries.into_iter().flatten().flatten() {
        let id = e.file_name().to_string_lossy().into_owned();
        if d.get(&id).is_ok() || id.len() != 64 {
            continue;
        }
        tracing::warn!(container_id = %id, "no record for this container run: killing and removing it");
        let paths = d.paths(&id);
        let scan = scan_once(d, &mut scan).await;
        end_unrecorded(&id, &paths, &scan).await;
        super::netns::remove(&paths.netns());
        super::cgroups::remove(&id);
        let _ = std::fs::remove_dir_all(&paths.run);
    }
    // Every running container's endpoints are in the table now.
    let networks = d.networks.clone();
    let _ = tokio::task::spawn_blocking(move || networks.sweep_stray_veths()).await;
}
