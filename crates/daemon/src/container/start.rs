//! Start: overlay rootfs, mounts, /etc files, bundle, monitor. Each step
//! pushes its undo, so a failure rolls back in reverse. Also the exit
//! watcher that records exits and applies restart policies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::monitor::{self, Launch};
use super::record::{Container, Paths};
use super::state::Status;
use super::{etc, mounts, netns, network, rootfs, user};
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::phases::Phases;
use crate::util;

pub async fn start(d: &Arc<Daemon>, key: &str) -> Result<()> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    start_locked(d, &id).await
}

/// Starts a container whose op lock the caller holds.
pub async fn start_locked(d: &Arc<Daemon>, id: &str) -> Result<()> {
    // The clean-up of the last run ends first.
    super::deferred_teardown::settled(id).await;
    let rec = d.get(id)?;
    rec.state.check_start(&rec.name)?;
    let paths = d.paths(id);
    let mut ph = Phases::new("start", id);
    let prepared = {
        let d = d.clone();
        let rec = rec.clone();
        let paths = paths.clone();
        let blocking = tokio::task::spawn_blocking(move || {
            let r = prepare(&d, &rec, &paths, &mut ph);
            (r, ph)
        });
        match blocking.await {
            Ok((r, p)) => {
                ph = p;
                r
            }
            Err(e) => {
                ph = Phases::new("start", id);
                Err(e.into())
            }
        }
    };
    let launch = match prepared {
        Ok(l) => l,
        Err(e) => {
            // An attach waiting for this start (`docker run`) must end too,
            // and a `--rm` container goes, as when the runtime fails.
            monitor::fail_pending_attaches(d, id);
            let msg = e.message.clone();
            let _ = d.update_or_defer(id, |r| r.state.error = msg);
            if rec.host_config.auto_remove {
                let _ = crate::container::remove::remove_locked(d, id, id, true, true).await;
            }
            return Err(e);
        }
    };
    network::sync_dns(d, id).await;
    ph.mark("dns");
    let started = async {
        monitor::spawn(d, &rec, &paths, &launch).await?;
        ph.mark("monitor_spawn");
        // The tty gets the client's size before the process runs, so a
        // program that asks at once (`stty size`) sees it.
        if let (true, Some([h, w])) = (rec.config.tty, rec.host_config.console_size.as_deref()) {
            if *h > 0 && *w > 0 {
                let _ = monitor::resize(
                    &paths,
                    (*h).min(u16::MAX as u32) as u16,
                    (*w).min(u16::MAX as u32) as u16,
                )
                .await;
            }
        }
        monitor::connect_pending_attaches(d, id, &paths).await;
        ph.mark("attach");
        // The monitor answers once the runtime has created the container:
        // its init exists and waits for `Start`.
        let created = monitor::created_pid(&paths).await;
        ph.mark("created");
        match created {
            // The record says running, durably, while the monitor starts
            // the process: two independent waits (an fsync, the runtime's
            // start) overlap, and the start still answers only once both
            // are done. A daemon killed between the two finds a running
            // record whose monitor never started: reconcile ends it.
            Some(pid) => {
                let save = save_running(d, id, pid);
                let (saved, started) = tokio::join!(save, monitor::start(&paths));
                if started.is_err() && saved {
                    let before = rec.state.clone();
                    let _ = d.update_or_defer(id, move |r| r.state = before);
                }
                started.map(|p| (p, saved))
            }
            // The create failed: `Start` reports why.
            None => monitor::start(&paths).await.map(|p| (p, false)),
        }
    }
    .await;
    ph.mark("runtime_start");
    match started {
        Ok((_, true)) => {}
        Ok((pid, false)) => {
            d.update_or_defer(id, mark_running(pid, util::now_rfc3339()))?;
        }
        Err(e) => {
            let code = start_error_code(&e.message);
            cleanup_after_exit(d, &rec, &paths);
            monitor::fail_pending_attaches(d, id);
            let msg = e.message.clone();
            let _ = d.update_or_defer(id, |r| {
                r.state.error = msg;
                if code != 0 {
                    r.state.exit_code = code;
                }
            });
            if rec.host_config.auto_remove {
                // Docker removes a `--rm` container whose start failed
                // before answering, so the client never sees it listed.
                let _ = crate::container::remove::remove_locked(d, id, id, true, true).await;
            }
            return Err(e);
        }
    };
    ph.mark("record");
    // Docker announces each network the container joins as it starts.
    if let Ok(r) = d.get(id) {
        for (net_id, a) in &r.networks {
            if a.endpoint.is_some() {
                let mut attrs = std::collections::BTreeMap::new();
                attrs.insert("container".to_string(), id.to_string());
                attrs.insert("name".to_string(), a.name.clone());
                attrs.insert("type".to_string(), "bridge".to_string());
                d.events.emit("network", "connect", net_id, attrs);
            }
        }
    }
    d.events.emit(
        "container",
        "start",
        id,
        crate::container::event_attrs(&rec),
    );
    spawn_exit_watcher(d.clone(), id.to_string());
    super::health::spawn(d.clone(), id.to_string());
    ph.mark("events");
    ph.finish();
    Ok(())
}

/// Marks the record running with the created init's `pid` and saves it
/// (temp, fsync, rename) on a blocking thread. False when it could not
/// be saved (a full disk): the fact then holds in memory only, and the
/// caller records it once the start is known to have happened.
async fn save_running(d: &Arc<Daemon>, id: &str, pid: i64) -> bool {
    let d = d.clone();
    let id = id.to_string();
    let now = util::now_rfc3339();
    let saved = tokio::task::spawn_blocking(move || d.update(&id, mark_running(pid, now))).await;
    match saved {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "record of a starting container not saved");
            false
        }
        Err(_) => false,
    }
}

/// The record's change when the container's process runs as `pid`.
fn mark_running(pid: i64, now: String) -> impl FnOnce(&mut Container) + Clone {
    move |r| {
        r.state.set_running(pid, now);
        r.state.health = None;
    }
}

/// Docker's CLI maps these messages to exit codes 127 and 126.
fn start_error_code(msg: &str) -> i64 {
    if msg.contains("executable file not found") || msg.contains("no such file or directory") {
        127
    } else if msg.contains("permission denied") || msg.contains("is a directory") {
        126
    } else {
        128
    }
}

/// Blocking part of start; rolls back what it did if a step fails.
///
/// The network side (a namespace, then its endpoints: veths, addresses,
/// firewall rules) and the file system side (overlay, user, volumes)
/// share nothing, so they run side by side; each undoes its own work, and
/// the other's too when only one of them failed.
fn prepare(d: &Daemon, rec: &Container, paths: &Paths, ph: &mut Phases) -> Result<Launch> {
    let image = d.images.resolve(&rec.image_id).map_err(crate::kinded)?;
    let layers = d.images.layer_dirs(&image);
    // Checked before anything is made: the target of `container:X` runs.
    let joined = super::joined::target(d, rec)?;
    ph.mark("image");
    let mode = network::NetworkMode::of(&rec.host_config);
    let own_netns = joined.is_none() && !mode.is_host();
    let net_side = || {
        let t0 = Instant::now();
        netns::create(&paths.netns())?;
        let made = t0.elapsed();
        match network::connect_all(d, rec, paths) {
            Ok(eps) => Ok((eps, made, t0.elapsed() - made)),
            Err(e) => {
                netns::remove(&paths.netns());
                Err(e)
            }
        }
    };
    // A thread only when there are endpoints to make: a namespace alone
    // (`--network none`) is one bind mount, less than a thread's start.
    let (fs, net) = if own_netns && mode != network::NetworkMode::None {
        std::thread::scope(|s| {
            let net = s.spawn(net_side);
            let fs = prepare_fs(d, rec, paths, &layers, ph);
            let net = net
                .join()
                .unwrap_or_else(|_| Err(Error::internal("network set-up panicked".to_string())));
            (fs, Some(net))
        })
    } else {
        let net = match own_netns.then(net_side) {
            Some(Err(e)) => return Err(e),
            other => other,
        };
        (prepare_fs(d, rec, paths, &layers, ph), net)
    };
    let undo_net = || {
        network::disconnect_all(d, rec, Some(&paths.netns()));
        netns::remove(&paths.netns());
    };
    let (rootfs, user, mount_entries) = match fs {
        Ok(v) => v,
        Err(e) => {
            if let Some(Ok(_)) = net {
                undo_net();
            }
            return Err(e);
        }
    };
    let undo_fs = || {
        mounts::deactivate(d, rec);
        rootfs::unmount_rootfs(paths);
    };
    let endpoints = match net {
        None => Vec::new(),
        Some(Ok((eps, made, connected))) => {
            // beside the file system side: their own spans, and the wait
            ph.add("netns", made);
            ph.add("network", connected);
            ph.mark("network_wait");
            eps
        }
        Some(Err(e)) => {
            undo_fs();
            return Err(e);
        }
    };
    let etc_mounts = match &joined {
        Some(t) => super::joined::etc_mounts(t),
        None => match etc::write(d, paths, rec, &endpoints) {
            Ok(m) => m,
            Err(e) => {
                undo_net();
                undo_fs();
                return Err(e);
            }
        },
    };
    ph.mark("etc");
    ensure_workdir(&rootfs, &rec.config.working_dir, &user);
    let link_env = etc::link_env(d, rec);
    Ok(Launch {
        joined: joined.map(|t| t.ns),
        link_env,
        rootfs,
        user,
        mounts: etc_mounts.into_iter().chain(mount_entries).collect(),
    })
}

/// The file system side of [`prepare`]: the overlay, the user (read from
/// the image's files) and the volumes; the overlay goes again when a later
/// step fails.
fn prepare_fs(
    d: &Daemon,
    rec: &Container,
    paths: &Paths,
    layers: &[PathBuf],
    ph: &mut Phases,
) -> Result<(PathBuf, user::User, Vec<mounts::RtMount>)> {
    let rootfs = rootfs::mount_rootfs(paths, layers, rec.host_config.auto_remove)?;
    ph.mark("rootfs");
    let rest = (|| {
        let user = user::resolve_with_groups(
            &rootfs,
            &rec.config.user,
            rec.host_config.group_add.as_deref().unwrap_or_default(),
        )?;
        ph.mark("user");
        let mount_entries = mounts::activate(d, rec, &rootfs)?;
        ph.mark("mounts");
        Ok((user, mount_entries))
    })();
    match rest {
        Ok((user, m)) => Ok((rootfs, user, m)),
        Err(e) => {
            rootfs::unmount_rootfs(paths);
            Err(e)
        }
    }
}

/// Docker creates a missing working directory, owned by the user.
fn ensure_workdir(rootfs: &std::path::Path, wd: &str, user: &user::User) {
    let rel = wd.trim_start_matches('/');
    if rel.is_empty() || rel.split('/').any(|c| c == "..") {
        return;
    }
    let p: PathBuf = rootfs.join(rel);
    if std::fs::symlink_metadata(&p).is_err() && std::fs::create_dir_all(&p).is_ok() {
        let _ = std::os::unix::fs::chown(&p, Some(user.uid), Some(user.gid));
    }
}

/// Undoes start's set-up once the container has stopped.
pub fn cleanup_after_exit(d: &Daemon, rec: &Container, paths: &Paths) {
    let mut ph = Phases::new("cleanup", &rec.id);
    super::cgroups::remove(&rec.id);
    ph.mark("cgroups");
    d.dns.detach(&rec.id);
    for e in network::release_all(d, rec) {
        tracing::warn!(container_id = %rec.id, error = %e, "network teardown");
    }
    ph.mark("network");
    netns::remove(&paths.netns());
    ph.mark("netns");
    mounts::deactivate(d, rec);
    rootfs::unmount_rootfs(paths);
    ph.mark("rootfs");
    monitor::remove_run_dir(paths);
    ph.mark("run_dir");
    ph.finish();
}

/// Waits for the container's exit through its monitor, records it, and
/// applies the restart policy or auto-removal.
pub fn spawn_exit_watcher(d: Arc<Daemon>, id: String) {
    tokio::spawn(async move {
        let paths = d.paths(&id);
        let started = Instant::now();
        let (exit, done) = monitor::wait_exit(&paths).await;
        let (code, finished, oom_killed) = match exit {
            Some(exit) => exit,
            None => {
                // The monitor died (killed) and left no exit: nothing holds
                // the container's stdio or will report its end, so end it
                // through its cgroup, as containerd does when a shim dies.
                monitor_lost(&d, &id).await;
                (137, crate::util::now_rfc3339(), false)
            }
        };
        on_exit(&d, &id, code, finished, oom_killed, started.elapsed(), done).await;
    });
}

/// Kills every process left in the cgroups of a container whose monitor
/// vanished, and notes why in `State.Error`.
async fn monitor_lost(d: &Arc<Daemon>, id: &str) {
    let id2 = id.to_string();
    let killed = tokio::task::spawn_blocking(move || super::cgroups::kill_all(&id2)).await;
    let message = match killed {
        Ok(Ok(n)) => format!("the container's monitor died; {n} remaining processes were killed"),
        Ok(Err(e)) => format!("the container's monitor died; killing its processes failed: {e}"),
        Err(e) => format!("the container's monitor died; killing its processes failed: {e}"),
    };
    tracing::warn!(container_id = %id, "{message}");
    let _ = d.update_or_defer(id, |r| r.state.error = message.clone());
}

/// Records an exit. It takes no op lock: stop and remove hold that lock
/// while they wait for this very update. Start cannot interleave because
/// the status stays running until the clean-up is done.
async fn on_exit(
    d: &Arc<Daemon>,
    id: &str,
    code: i64,
    finished_at: String,
    oom_killed: bool,
    ran: Duration,
    monitor_done: monitor::MonitorDone,
) {
    let Ok(rec) = d.get(id) else {
        return monitor_done.await;
    };
    if rec.state.status != Status::Running && rec.state.status != Status::Paused {
        return monitor_done.await;
    }
    let restart = should_restart(&rec, code);
    if rec.host_config.auto_remove && !restart {
        // Answered as soon as the exit is known; the host clean-up goes on
        // in the background once the monitor is done (issue 13).
        super::deferred_teardown::exit_and_remove(
            d,
            &rec,
            code,
            finished_at,
            oom_killed,
            monitor_done,
        )
        .await;
        return;
    }
    if !restart {
        // Recorded at once; the host clean-up follows once the monitor is
        // done, and a start or rm waits for it.
        super::deferred_teardown::exit_then_clean(
            d,
            &rec,
            code,
            finished_at,
            oom_killed,
            monitor_done,
        )
        .await;
        return;
    }
    // The run's state (cgroup, runtime state) is gone before the exit is
    // recorded: the restart may follow at once.
    let _ = tokio::time::timeout(Duration::from_secs(10), monitor_done).await;
    record_exit(d, &rec, code, finished_at, oom_killed, restart).await;
    if restart {
        // Docker's back-off: doubles from 100ms, reset after 10s of running.
        let count = if ran > Duration::from_secs(10) {
            0
        } else {
            rec.restart_count.min(9)
        };
        let delay = Duration::from_millis(100u64 << count);
        let d = d.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Ok(lock) = d.op_lock(&id) else { return };
            let _g = lock.lock().await;
            let Ok(rec) = d.get(&id) else { return };
            if rec.state.status != Status::Restarting {
                return;
            }
            let _ = d.update_or_defer(&id, |r| {
                r.state.status = Status::Exited;
                r.restart_count += 1;
            });
            if let Err(e) = start_locked(&d, &id).await {
                tracing::warn!(container_id = %id, error = %e.message, "restart failed");
            }
        });
    } else if rec.host_config.auto_remove {
        let d = d.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            if let Err(e) = crate::container::remove::remove(&d, &id, true, true).await {
                tracing::warn!(container_id = %id, error = %e.message, "auto-remove failed");
            }
        });
    }
}

/// Undoes start's set-up, then records the exit (as restarting when a
/// policy will start it again) and announces it: the exit watcher and the
/// start-up reconcile both end a run this way.
pub async fn record_exit(
    d: &Arc<Daemon>,
    rec: &Container,
    code: i64,
    finished_at: String,
    oom_killed: bool,
    restarting: bool,
) {
    let mut ph = Phases::new("exit", &rec.id);
    // The exit happened: on a full disk it holds in memory (the monitor's
    // exit.json keeps it durable) and reaches the record with its next save.
    let exited = move |r: &mut Container| {
        r.state.set_exited(code, finished_at.clone());
        r.state.oom_killed = oom_killed;
        if restarting {
            r.state.status = Status::Restarting;
        }
        // what the clean-up's network release does to the record
        for a in r.networks.values_mut() {
            a.endpoint = None;
            a.ports = None;
        }
    };
    // Announced before the table shows the exit: a `rm` waiting for it
    // then cannot announce its destroy first.
    let mut attrs = crate::container::event_attrs(rec);
    attrs.insert("exitCode".into(), code.to_string());
    let die = {
        let d = d.clone();
        let id = rec.id.clone();
        move || d.events.emit("container", "die", &id, attrs)
    };
    if rec.host_config.auto_remove && !restarting {
        let (d2, rec2) = (d.clone(), rec.clone());
        let _ = tokio::task::spawn_blocking(move || {
            cleanup_after_exit(&d2, &rec2, &d2.paths(&rec2.id));
            die();
        })
        .await;
        ph.mark("cleanup");
        // Removed next: no fsync for a record about to go. A crash before
        // the removal finds it running with no monitor, and the start-up
        // reconcile ends and removes it.
        let _ = d.update_deferred(&rec.id, exited);
    } else {
        // Saved while the clean-up runs (see `overlapped_save`); the table
        // shows the exit once both are done.
        let (d2, rec2) = (d.clone(), rec.clone());
        let _ = tokio::task::spawn_blocking(move || {
            d2.update_overlapped(&rec2.id, exited, || {
                cleanup_after_exit(&d2, &rec2, &d2.paths(&rec2.id));
                die();
            })
        })
        .await;
        ph.mark("cleanup");
    }
    ph.mark("record");
    ph.finish();
}

pub fn should_restart(rec: &Container, code: i64) -> bool {
    if rec.state.manually_stopped {
        return false;
    }
    let p = &rec.host_config.restart_policy;
    match p.name.as_str() {
        "always" | "unless-stopped" => true,
        "on-failure" => {
            code != 0 && (p.maximum_retry_count == 0 || rec.restart_count < p.maximum_retry_count)
        }
        _ => false,
    }
}
