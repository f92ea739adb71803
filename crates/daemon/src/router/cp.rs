//! `HEAD`/`GET`/`PUT /containers/{id}/archive` (`docker cp`): parse, call
//! the cp backend (`container::cp`) on a blocking thread, encode.

use std::sync::{Arc, Mutex};

use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, StatusCode};
use tokio::sync::oneshot;
use wharf_api::archive::{PathStat, PATH_STAT_HEADER};

use crate::container::cp::{self, CpPath, ExtractOptions};
use crate::container::record::Container;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Query, Reply};

/// The record, and for a stopped container its operation lock (held for
/// the whole copy, so it cannot start with its layer in use).
async fn prepare(
    d: &Arc<Daemon>,
    key: &str,
) -> Result<(Container, Option<tokio::sync::OwnedMutexGuard<()>>)> {
    let rec = d.get(key)?;
    if rec.state.status.is_active() && rec.state.pid > 0 {
        return Ok((rec, None));
    }
    let guard = d.op_lock(&rec.id)?.lock_owned().await;
    Ok((d.get(&rec.id)?, Some(guard)))
}

fn with_stat(mut reply: Reply, stat: &PathStat) -> Reply {
    if let Ok(v) = HeaderValue::from_str(&stat.to_header()) {
        reply
            .headers_mut()
            .insert(HeaderName::from_static("x-docker-container-path-stat"), v);
    }
    debug_assert!(PATH_STAT_HEADER.eq_ignore_ascii_case("x-docker-container-path-stat"));
    reply
}

pub async fn head(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let p = CpPath::parse(q.get("path"))?;
    let (rec, guard) = prepare(d, key).await?;
    let (d2, key2) = (d.clone(), key.to_string());
    let stat = tokio::task::spawn_blocking(move || {
        let _guard = guard;
        cp::with_root(&d2, &rec, |root| cp::stat(root, &p, &key2))
    })
    .await??;
    Ok(with_stat(
        http::full(StatusCode::OK, "text/plain", ""),
        &stat,
    ))
}

pub async fn get(d: &Arc<Daemon>, key: &str, q: &Query) -> Result<Reply> {
    let p = CpPath::parse(q.get("path"))?;
    let (rec, guard) = prepare(d, key).await?;
    let (stat_tx, stat_rx) = oneshot::channel::<Result<PathStat>>();
    let stat_tx = Arc::new(Mutex::new(Some(stat_tx)));
    let (tx, reply) = http::stream("application/x-tar");
    let (d2, key2, stat_tx2) = (d.clone(), key.to_string(), stat_tx.clone());
    tokio::task::spawn_blocking(move || {
        let _guard = guard;
        let send = |r: Result<PathStat>| {
            if let Some(t) = stat_tx2.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = t.send(r);
            }
        };
        let result = cp::with_root(&d2, &rec, |root| {
            let stat = cp::stat(root, &p, &key2);
            let ok = stat.is_ok();
            send(stat);
            if ok {
                // Errors from here on can only cut the stream short.
                let w = crate::blocking_io::ChannelWriter::new(tx);
                cp::archive(root, &p, &key2, w)?;
            }
            Ok(())
        });
        match result {
            Err(e) => {
                tracing::warn!(container_id = %rec.id, error = %e.message, "cp archive failed");
                send(Err(e));
            }
            Ok(()) => send(Err(Error::internal("cp finished without a result"))),
        }
    });
    let stat = stat_rx
        .await
        .map_err(|_| Error::internal("cp thread ended early"))??;
    Ok(with_stat(reply, &stat))
}

pub async fn put(d: &Arc<Daemon>, req: Request<Incoming>, key: &str, q: &Query) -> Result<Reply> {
    let p = CpPath::parse(q.get("path"))?;
    let opts = ExtractOptions {
        no_overwrite_dir_non_dir: q.bool("noOverwriteDirNonDir", false)?,
        copy_uid_gid: q.bool("copyUIDGID", false)?,
    };
    let (rec, guard) = prepare(d, key).await?;
    let mut body = crate::blocking_io::BodyReader::new(req.into_body());
    let (d2, key2) = (d.clone(), key.to_string());
    tokio::task::spawn_blocking(move || {
        let _guard = guard;
        let result = cp::with_root(&d2, &rec, |root| {
            cp::extract(root, &rec, &p, &key2, opts, &mut body)
        });
        if result.is_err() {
            // Read what the client is still sending (bounded), so it gets
            // our answer instead of a broken pipe.
            let _ = std::io::copy(
                &mut std::io::Read::take(&mut body, 256 << 20),
                &mut std::io::sink(),
            );
        }
        result
    })
    .await??;
    Ok(http::full(StatusCode::OK, "text/plain", ""))
}
