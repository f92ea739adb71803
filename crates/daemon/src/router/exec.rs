//! `/containers/{id}/exec` and `/exec/*` routes.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use wharf_api::exec::{ExecConfig, ExecInspect, ExecStartConfig, ProcessConfig};

use super::Handled;
use crate::container::{attach, monitor};
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::exec::ExecRecord;
use crate::http::{self, Query, Reply};

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    segs: &[&str],
    q: &Query,
) -> Handled {
    Some(match (method.as_str(), segs) {
        ("POST", ["exec", id, "start"]) => start(d, req, id).await,
        ("POST", ["exec", id, "resize"]) => resize(d, id, q).await,
        ("GET", ["exec", id, "json"]) => inspect(d, id),
        _ => return None,
    })
}

fn no_such_exec(id: &str) -> Error {
    Error::not_found(format!("No such exec instance: {id}"))
}

pub async fn create(d: &Arc<Daemon>, req: Request<Incoming>, key: &str) -> Result<Reply> {
    let config: ExecConfig = http::json_body(req.into_body()).await?;
    let rec = d.get(key)?;
    if config.cmd.as_ref().is_none_or(|c| c.is_empty()) {
        return Err(Error::invalid("No exec command specified"));
    }
    if rec.state.status == crate::container::state::Status::Paused {
        return Err(Error::conflict(format!(
            "Container {} is paused, unpause the container before exec",
            rec.id
        )));
    }
    if !rec.state.status.is_active() {
        return Err(Error::conflict(format!(
            "Container {} is not running",
            rec.id
        )));
    }
    let id = crate::util::random_id();
    d.execs.insert(ExecRecord {
        id: id.clone(),
        container_id: rec.id.clone(),
        config,
        running: false,
        exit_code: None,
        pid: 0,
        monitor_id: None,
    });
    let _ = d.update(&rec.id, |r| r.exec_ids.push(id.clone()));
    Ok(http::json(
        StatusCode::CREATED,
        &serde_json::json!({ "Id": id }),
    ))
}

async fn start(d: &Arc<Daemon>, mut req: Request<Incoming>, id: &str) -> Result<Reply> {
    let exec = d.execs.get(id).ok_or_else(|| no_such_exec(id))?;
    if exec.running || exec.exit_code.is_some() {
        return Err(Error::conflict(format!(
            "Error: Exec command {id} has already run"
        )));
    }
    // Taken before the body is read; a detached start needs no upgrade.
    let on_upgrade = attach::upgrade_handle(&mut req).ok();
    let start: ExecStartConfig = http::json_body(req.into_body()).await?;
    let keys = attach::detach_keys(Some(exec.config.detach_keys.as_str()))?;
    let container = d.get(&exec.container_id)?;
    if !container.state.status.is_active() {
        return Err(Error::conflict(format!(
            "Container {} is not running",
            container.id
        )));
    }
    let tty = exec.config.tty || start.tty;
    let exec_stdin = exec.config.attach_stdin;
    let rec_user = if exec.config.user.is_empty() {
        container.config.user.clone()
    } else {
        exec.config.user.clone()
    };
    let valid = |c: &Option<Vec<u32>>| c.clone().filter(|c| c.len() == 2 && c[0] > 0 && c[1] > 0);
    let console_size = valid(&start.console_size).or_else(|| valid(&exec.config.console_size));
    let prepared = monitor::prepare_exec(
        d,
        &container,
        &exec,
        &rec_user,
        tty,
        console_size.as_deref(),
    )?;
    d.execs.update(id, |r| r.running = true);
    if start.detach {
        let d2 = d.clone();
        let id2 = id.to_string();
        let stream = monitor::exec_start(d, &container, &exec, prepared).await;
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                d.execs.update(id, |r| {
                    r.running = false;
                    r.exit_code = Some(126);
                });
                return Err(e);
            }
        };
        tokio::spawn(async move {
            // Nobody reads a detached exec's output: drain it.
            let mut s = stream;
            let _ = tokio::io::copy(&mut s, &mut tokio::io::sink()).await;
            monitor::finish_exec(&d2, &id2).await;
        });
        return Ok(http::full(StatusCode::OK, "application/json", ""));
    }
    let Some(on_upgrade) = on_upgrade else {
        // No upgrade asked: Docker streams the output as the response body.
        return Ok(streamed(d, container, exec, prepared, tty, id).await);
    };
    let d2 = d.clone();
    let id2 = id.to_string();
    let open = async move {
        let s = monitor::exec_start(&d2, &container, &exec, prepared).await;
        if s.is_err() {
            d2.execs.update(&id2, |r| {
                r.running = false;
                r.exit_code = Some(126);
            });
        }
        s
    };
    let d3 = d.clone();
    let id3 = id.to_string();
    let after: attach::AfterOutput = Box::pin(async move { monitor::finish_exec(&d3, &id3).await });
    Ok(attach::hijack(
        on_upgrade,
        tty,
        exec_stdin.then_some(keys),
        open,
        Some(after),
    ))
}

/// An exec's output as a plain streamed response (no hijack): the client
/// cannot write to stdin, and the stream ends when the process does, after
/// its exit code is recorded.
async fn streamed(
    d: &Arc<Daemon>,
    container: crate::container::record::Container,
    exec: ExecRecord,
    prepared: wharf_runtime::protocol::ExecConfig,
    tty: bool,
    id: &str,
) -> Reply {
    let content_type = if tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    let (tx, reply) = http::stream(content_type);
    let d2 = d.clone();
    let id2 = id.to_string();
    tokio::spawn(async move {
        match monitor::exec_start(&d2, &container, &exec, prepared).await {
            Ok(mut s) => {
                // Close our side of stdin: nobody can write to it.
                let _ = s.shutdown().await;
                let mut buf = vec![0u8; 32 * 1024];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx
                                .send(bytes::Bytes::copy_from_slice(&buf[..n]))
                                .await
                                .is_err()
                            {
                                break;
                            }
                        }
                    }
                }
                monitor::finish_exec(&d2, &id2).await;
            }
            Err(e) => {
                d2.execs.update(&id2, |r| {
                    r.running = false;
                    r.exit_code = Some(126);
                });
                let msg = format!("{}\n", e.message);
                let out = if tty {
                    msg.into_bytes().into()
                } else {
                    http::frame(2, msg.as_bytes())
                };
                let _ = tx.send(out).await;
            }
        }
    });
    reply
}

async fn resize(d: &Arc<Daemon>, id: &str, q: &Query) -> Result<Reply> {
    let exec = d.execs.get(id).ok_or_else(|| no_such_exec(id))?;
    let h = q.int("h")?.unwrap_or(0).clamp(0, u16::MAX as i64) as u16;
    let w = q.int("w")?.unwrap_or(0).clamp(0, u16::MAX as i64) as u16;
    monitor::exec_resize(d, &exec, h, w).await?;
    Ok(http::full(StatusCode::CREATED, "text/plain", ""))
}

fn inspect(d: &Daemon, id: &str) -> Result<Reply> {
    let e = d.execs.get(id).ok_or_else(|| no_such_exec(id))?;
    let cmd = e.config.cmd.clone().unwrap_or_default();
    Ok(http::ok_json(&ExecInspect {
        id: e.id.clone(),
        running: e.running,
        exit_code: e.exit_code,
        process_config: ProcessConfig {
            privileged: e.config.privileged,
            user: e.config.user.clone(),
            tty: e.config.tty,
            entrypoint: cmd.first().cloned().unwrap_or_default(),
            arguments: cmd.iter().skip(1).cloned().collect(),
        },
        open_stdin: e.config.attach_stdin,
        open_stderr: e.config.attach_stderr,
        open_stdout: e.config.attach_stdout,
        container_id: e.container_id.clone(),
        pid: e.pid,
        can_remove: false,
        detach_keys: String::new(),
    }))
}
