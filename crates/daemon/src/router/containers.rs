//! `/containers/*` routes: parse, call the container backend, encode.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use wharf_api::container::{ContainerCreateBody, ContainerWaitResponse};

use super::Handled;
use crate::container::{
    attach, create, inspect, logs, monitor, pause, prune, remove, start, stop, update,
};
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Query, Reply};

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    segs: &[&str],
    q: &Query,
) -> Handled {
    let m = method.as_str();
    Some(match (m, segs) {
        ("POST", ["containers", "create"]) => create_route(d, req, q).await,
        ("GET", ["containers", "json"]) => list(d, q),
        ("POST", ["containers", "prune"]) => match q.filters() {
            Ok(f) => prune::prune(d, &f).await.map(|r| http::ok_json(&r)),
            Err(e) => Err(e),
        },
        ("GET", ["containers", id, "json"]) => {
            d.get(id).map(|r| http::ok_json(&inspect::inspect(d, &r)))
        }
        ("GET", ["containers", id, "top"]) => top(d, id, q).await,
        ("GET", ["containers", id, "changes"]) => changes(d, id).await,
        ("GET", ["containers", id, "stats"]) => stats(d, id, q).await,
        ("GET", ["containers", id, "export"]) => export(d, id).await,
        ("HEAD", ["containers", id, "archive"]) => super::cp::head(d, id, q).await,
        ("GET", ["containers", id, "archive"]) => super::cp::get(d, id, q).await,
        ("PUT", ["containers", id, "archive"]) => super::cp::put(d, req, id, q).await,
        ("GET", ["containers", id, "logs"]) => logs_route(d, id, q),
        ("POST", ["containers", id, "resize"]) => resize(d, id, q).await,
        ("POST", ["containers", id, "start"]) => start::start(d, id)
            .await
            .map(|_| http::no_content())
            .or_else(not_modified),
        ("POST", ["containers", id, "stop"]) => stop_route(d, id, q).await,
        ("POST", ["containers", id, "restart"]) => restart(d, id, q).await,
        ("POST", ["containers", id, "kill"]) => stop::kill(d, id, q.get("signal"))
            .await
            .map(|_| http::no_content()),
        ("POST", ["containers", id, "rename"]) => rename(d, id, q),
        ("POST", ["containers", id, "update"]) => match http::json_body(req.into_body()).await {
            Ok(u) => update::update(d, id, u).await.map(|r| http::ok_json(&r)),
            Err(e) => Err(e),
        },
        ("POST", ["containers", id, "pause"]) => {
            pause::pause(d, id).await.map(|_| http::no_content())
        }
        ("POST", ["containers", id, "unpause"]) => {
            pause::unpause(d, id).await.map(|_| http::no_content())
        }
        ("POST", ["containers", id, "attach"]) => attach_route(d, req, id, q),
        ("GET", ["containers", id, "attach", "ws"]) => attach_ws_route(d, req, id, q),
        ("POST", ["containers", id, "wait"]) => wait(d, id, q).await,
        ("DELETE", ["containers", id]) => delete(d, id, q).await,
        ("POST", ["containers", id, "exec"]) => super::exec::create(d, req, id).await,
        _ => return None,
    })
}

async fn stats(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    use crate::container::stats::{chain, sample};
    let rec = d.get(key)?;
    let stream = q.bool("stream", true)?;
    let one_shot = q.bool("one-shot", false)?;
    if one_shot && stream {
        return Err(Error::invalid("cannot have stream=true and one-shot=true"));
    }
    let (id, name) = (rec.id.clone(), rec.name.clone());
    let running = {
        let id = id.clone();
        move |d: &Daemon| d.get(&id).is_ok_and(|r| r.state.status.is_active())
    };
    let take = move |running: bool| {
        let (id, name) = (id.clone(), name.clone());
        tokio::task::spawn_blocking(move || sample(&id, &name, running))
    };
    let first = take(running(d)).await?;
    if !stream {
        let v = if one_shot || !running(d) {
            first
        } else {
            // A second sample fills precpu_stats, so clients can compute CPU %.
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            chain(&first, take(true).await?)
        };
        return Ok(http::ok_json(&v));
    }
    let (tx, reply) = http::stream("application/json");
    let d2 = d.clone();
    tokio::spawn(async move {
        let mut prev = first;
        loop {
            let line = format!("{prev}\n");
            if tx.send(bytes::Bytes::from(line)).await.is_err() || !running(&d2) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let Ok(next) = take(running(&d2)).await else {
                break;
            };
            prev = chain(&prev, next);
        }
    });
    Ok(reply)
}

async fn changes(d: &Arc<Daemon>, key: &str) -> Result<Reply> {
    let rec = d.get(key)?;
    let image = d.images.resolve(&rec.image_id).map_err(crate::kinded)?;
    let layers = d.images.layer_dirs(&image);
    let upper = d.paths(&rec.id).upper();
    let list =
        tokio::task::spawn_blocking(move || crate::container::changes::changes(&upper, &layers))
            .await??;
    Ok(http::ok_json(&list))
}

async fn export(d: &Arc<Daemon>, key: &str) -> Result<Reply> {
    let rec = d.get(key)?;
    // A stop's clean-up still under way unmounts the rootfs: after it.
    crate::container::deferred_teardown::settled(&rec.id).await;
    let image = d.images.resolve(&rec.image_id).map_err(crate::kinded)?;
    let layers = d.images.layer_dirs(&image);
    let paths = d.paths(&rec.id);
    let view_at = d.exec_root.join("export").join(crate::util::random_id());
    // Mounted before answering, so a failure is an HTTP error, not a
    // truncated tar.
    let view = tokio::task::spawn_blocking(move || {
        if crate::container::rootfs::is_mountpoint(&paths.merged()) {
            Ok((paths.merged(), None))
        } else {
            crate::container::export::ExportView::mount(&view_at, &paths.upper(), &layers)
                .map(|v| (v.path().to_path_buf(), Some(v)))
        }
    })
    .await??;
    let (tx, reply) = http::stream("application/x-tar");
    tokio::task::spawn_blocking(move || {
        let (dir, _keep_mounted) = view;
        let mut w = crate::blocking_io::ChannelWriter::new(tx);
        if let Err(e) = wharf_volume::archive::pack_dir(&dir, &mut w) {
            tracing::warn!(container_id = %rec.id, error = %e, "export failed mid-stream");
        }
    });
    Ok(reply)
}

fn not_modified(e: Error) -> Result<Reply> {
    if e.kind == wharf_api::error::ErrorKind::NotModified {
        Ok(http::full(StatusCode::NOT_MODIFIED, "text/plain", ""))
    } else {
        Err(e)
    }
}

async fn create_route(d: &Arc<Daemon>, req: Request<Incoming>, q: &Query) -> Result<Reply> {
    let body: ContainerCreateBody = http::json_body(req.into_body()).await?;
    let name = q.get("name").map(str::to_owned);
    let d2 = d.clone();
    let resp =
        tokio::task::spawn_blocking(move || create::create(&d2, name.as_deref(), body)).await??;
    Ok(http::json(StatusCode::CREATED, &resp))
}

fn list(d: &Daemon, q: &Query) -> Result<Reply> {
    let filters = q.filters()?;
    let limit = q.int("limit")?;
    let all = q.bool("all", false)? || limit.is_some_and(|l| l > 0);
    Ok(http::ok_json(&inspect::list(d, all, limit, &filters)?))
}

async fn stop_route(d: &Arc<Daemon>, id: &str, q: &Query) -> Result<Reply> {
    let t = q.int("t")?;
    if stop::stop(d, id, t, q.get("signal")).await? {
        Ok(http::no_content())
    } else {
        Ok(http::full(StatusCode::NOT_MODIFIED, "text/plain", ""))
    }
}

async fn restart(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let t = q.int("t")?;
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    stop::stop_locked(d, &id, t, q.get("signal")).await?;
    start::start_locked(d, &id).await?;
    let rec = d.get(&id)?;
    d.events.emit(
        "container",
        "restart",
        &id,
        crate::container::event_attrs(&rec),
    );
    Ok(http::no_content())
}

fn rename(d: &Daemon, key: &str, q: &Query) -> Result<Reply> {
    let new = q
        .get("name")
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    if !crate::util::valid_container_name(&new) {
        return Err(Error::invalid(format!(
            "Invalid container name ({new}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    let (id, old) = {
        let mut t = d.table();
        let id = t.resolve(key)?;
        let old = t.by_id[&id].rec.name.clone();
        if old == new {
            return Err(Error::invalid(
                "Renaming a container with the same name as its current name".to_string(),
            ));
        }
        if let Some(other) = t.names.get(&new) {
            return Err(Error::conflict(format!(
                "Conflict. The container name \"/{new}\" is already in use by container \"{other}\". You have to remove (or rename) that container to be able to reuse that name."
            )));
        }
        t.names.remove(&old);
        t.names.insert(new.clone(), id.clone());
        (id, old)
    };
    let renamed = d.update(&id, |r| {
        r.name = new.clone();
        for ep in r.networks.values_mut().filter_map(|a| a.endpoint.as_mut()) {
            wharf_network::record::rename_dns(ep, &old, &new);
        }
    });
    if let Err(e) = renamed {
        // The record was not saved (a full disk): the old name stays.
        let mut t = d.table();
        if t.names.get(&new) == Some(&id) {
            t.names.remove(&new);
        }
        t.names.entry(old.clone()).or_insert_with(|| id.clone());
        return Err(Error::new(
            e.kind,
            format!(
                "cannot rename container \"/{old}\" to \"/{new}\": {}",
                e.message
            ),
        ));
    }
    d.networks.rename_container(&id, &old, &new);
    let rec = d.get(&id)?;
    let mut attrs = crate::container::event_attrs(&rec);
    attrs.insert("oldName".into(), format!("/{old}"));
    d.events.emit("container", "rename", &id, attrs);
    Ok(http::no_content())
}

async fn wait(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let id = d.table().resolve(key)?;
    let condition = q.get("condition").unwrap_or("not-running").to_string();
    let mut changes = d.watch(&id)?;
    let rec = d.get(&id)?;
    match condition.as_str() {
        "not-running" | "next-exit" | "removed" => {}
        other => return Err(Error::invalid(format!("invalid condition: \"{other}\""))),
    }
    let initially_running = rec.state.status.is_active();
    let (tx, reply) = http::stream("application/json");
    let d = d.clone();
    tokio::spawn(async move {
        let mut seen_running = initially_running;
        let mut last_exit = 0;
        let code = loop {
            let r = d.get(&id);
            if let Ok(r) = &r {
                last_exit = r.state.exit_code;
            }
            match (&r, condition.as_str()) {
                (Err(_), _) => break d.table().removed_exit(&id).unwrap_or(last_exit),
                (Ok(r), "not-running") if !r.state.status.is_active() => break r.state.exit_code,
                (Ok(r), "next-exit") => {
                    if r.state.status.is_active() {
                        seen_running = true;
                    } else if seen_running
                        && r.state.status != crate::container::state::Status::Restarting
                    {
                        break r.state.exit_code;
                    }
                }
                _ => {}
            }
            tokio::select! {
                c = changes.changed() => {
                    if c.is_err() {
                        // Entry gone: the container was removed.
                        break d.table().removed_exit(&id).unwrap_or(last_exit);
                    }
                }
                _ = tx.closed() => return,
            }
        };
        let body = ContainerWaitResponse {
            status_code: code,
            error: None,
        };
        if let Ok(mut v) = serde_json::to_vec(&body) {
            v.push(b'\n');
            let _ = tx.send(v.into()).await;
        }
    });
    Ok(reply)
}

async fn delete(d: &Arc<Daemon>, id: &str, q: &Query) -> Result<Reply> {
    let force = q.bool("force", false)?;
    let v = q.bool("v", false)?;
    if q.bool("link", false)? {
        return Err(Error::invalid("links are not supported"));
    }
    remove::remove(d, id, force, v).await?;
    Ok(http::no_content())
}

async fn resize(d: &Arc<Daemon>, id: &str, q: &Query) -> Result<Reply> {
    let h = q.int("h")?.unwrap_or(0);
    let w = q.int("w")?.unwrap_or(0);
    if !(0..=u16::MAX as i64).contains(&h) || !(0..=u16::MAX as i64).contains(&w) {
        return Err(Error::invalid("invalid terminal size"));
    }
    let rec = d.get(id)?;
    if !rec.state.status.is_active() {
        return Err(Error::conflict(format!(
            "Container {} is not running",
            rec.id
        )));
    }
    monitor::resize(&d.paths(&rec.id), h as u16, w as u16).await?;
    Ok(http::full(StatusCode::OK, "text/plain", ""))
}

fn attach_route(
    d: &Arc<Daemon>,
    mut req: Request<Incoming>,
    key: &str,
    q: &Query,
) -> Result<Reply> {
    let rec = d.get(key)?;
    let keys = attach::detach_keys(q.get("detachKeys"))?;
    let on_upgrade = attach::upgrade_handle(&mut req)?;
    let stdin = q.bool("stdin", false)?;
    let stdout = q.bool("stdout", false)?;
    let stderr = q.bool("stderr", false)?;
    let tty = rec.config.tty;
    let d2 = d.clone();
    let id = rec.id.clone();
    let open = async move { monitor::attach_or_wait(&d2, &id, stdin, stdout, stderr).await };
    Ok(attach::hijack(
        on_upgrade,
        tty,
        stdin.then_some(keys),
        open,
        None,
    ))
}

fn attach_ws_route(
    d: &Arc<Daemon>,
    mut req: Request<Incoming>,
    key: &str,
    q: &Query,
) -> Result<Reply> {
    let rec = d.get(key)?;
    let (on_upgrade, accept) = crate::container::attach_ws::handshake(&mut req)?;
    let stdin = q.bool("stdin", false)?;
    let stdout = q.bool("stdout", false)?;
    let stderr = q.bool("stderr", false)?;
    let (d2, id) = (d.clone(), rec.id.clone());
    let open = async move { monitor::attach_or_wait(&d2, &id, stdin, stdout, stderr).await };
    Ok(crate::container::attach_ws::serve(
        on_upgrade,
        accept,
        rec.config.tty,
        open,
    ))
}

fn logs_route(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let rec = d.get(key)?;
    if rec.host_config.log_config.kind == "none" {
        return Err(Error::invalid(
            "configured logging driver does not support reading",
        ));
    }
    let stdout = q.bool("stdout", false)?;
    let stderr = q.bool("stderr", false)?;
    if !stdout && !stderr {
        return Err(Error::invalid(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let tail = match q.get("tail") {
        None | Some("") | Some("all") => None,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n as usize),
            Ok(_) => None,
            Err(_) => return Err(Error::invalid(format!("invalid tail value {t:?}"))),
        },
    };
    let time = |k: &str| -> Result<Option<i64>> {
        match q.get(k) {
            None | Some("") | Some("0") => Ok(None),
            Some(v) => crate::events::parse_time(v)
                .map(Some)
                .ok_or_else(|| Error::invalid(format!("invalid {k} value {v:?}"))),
        }
    };
    let opts = logs::LogOptions {
        stdout,
        stderr,
        follow: q.bool("follow", false)?,
        timestamps: q.bool("timestamps", false)?,
        tail,
        since_nanos: time("since")?,
        until_nanos: time("until")?,
        tty: rec.config.tty,
    };
    let ct = if rec.config.tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    let (tx, reply) = http::stream(ct);
    let path = d.paths(&rec.id).log(&rec.id);
    tokio::spawn(logs::stream(d.clone(), rec.id.clone(), path, opts, tx));
    Ok(reply)
}

async fn top(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let rec = d.get(key)?;
    if !rec.state.status.is_active() {
        return Err(Error::conflict(format!(
            "Container {} is not running",
            rec.id
        )));
    }
    let ps_args = q.get("ps_args").unwrap_or("-ef").to_string();
    let cgroup_pids = monitor::container_pids(&d.paths(&rec.id), rec.state.pid).await;
    let out = tokio::process::Command::new("ps")
        .args(ps_args.split_whitespace())
        .output()
        .await
        .map_err(|e| Error::internal(format!("running ps: {e}")))?;
    if !out.status.success() {
        return Err(Error::internal(format!(
            "ps: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(http::ok_json(&crate::container::monitor::filter_ps(
        &String::from_utf8_lossy(&out.stdout),
        &cgroup_pids,
    )?))
}
