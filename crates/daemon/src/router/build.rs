//! `POST /build` (the classic builder's API: a tar context in, Docker's
//! JSON progress out), `POST /build/prune` and `POST /commit`.

use std::collections::BTreeMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request};

use super::Handled;
use crate::blocking_io::BodyReader;
use crate::build::{self, BuildOptions, Progress};
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
    Some(match (method.as_str(), segs) {
        ("POST", ["build"]) => start(d, req, q),
        ("POST", ["build", "prune"]) => prune(d).await,
        ("POST", ["commit"]) => commit(d, q).await,
        _ => return None,
    })
}

fn json_map<T: serde::de::DeserializeOwned>(q: &Query, key: &str) -> Result<BTreeMap<String, T>> {
    match q.get(key).filter(|s| !s.is_empty()) {
        None => Ok(BTreeMap::new()),
        Some(s) => serde_json::from_str(s)
            .map_err(|e| Error::invalid(format!("invalid {key} parameter: {e}"))),
    }
}

/// Parses and checks the query before anything is read or built.
pub fn options(q: &Query) -> Result<BuildOptions> {
    if q.get("remote").is_some_and(|r| !r.is_empty()) {
        return Err(Error::invalid(
            "remote build contexts are not supported: send the context as a tar",
        ));
    }
    if q.get("version") == Some("2") {
        return Err(Error::invalid(
            "BuildKit (version=2) is not supported by wharf: use the classic builder (DOCKER_BUILDKIT=0)",
        ));
    }
    let mut tags = Vec::new();
    for t in q.all("t") {
        if t.is_empty() {
            continue;
        }
        tags.push(wharf_image::reference::parse_tag_target(&t).map_err(crate::kinded)?);
    }
    Ok(BuildOptions {
        tags,
        dockerfile: q.get("dockerfile").unwrap_or("").to_string(),
        build_args: json_map(q, "buildargs")?,
        target: q.get("target").unwrap_or("").to_string(),
        no_cache: q.bool("nocache", false)?,
        labels: json_map(q, "labels")?,
        quiet: q.bool("q", false)?,
        rm: q.bool("rm", true)?,
        pull: q.bool("pull", false)?,
        force_rm: q.bool("forcerm", false)?,
        registry_auths: BTreeMap::new(),
    })
}

fn start(d: &Arc<Daemon>, req: Request<Incoming>, q: &Query) -> Result<Reply> {
    let mut opts = options(q)?;
    if let Some(v) = req.headers().get("x-registry-config") {
        opts.registry_auths = v
            .to_str()
            .ok()
            .and_then(wharf_registry::Credentials::map_from_header)
            .ok_or_else(|| Error::invalid("invalid X-Registry-Config header"))?;
    }
    let (tx, reply) = http::stream("application/json");
    let reader = BodyReader::new(req.into_body());
    let d = d.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let progress = Progress::new(tx, opts.quiet);
        match build::build(&d, handle, reader, opts, &progress) {
            Ok(id) => tracing::info!(image = %id, "build finished"),
            Err(e) => tracing::info!(error = %e.message, "build failed"),
        }
    });
    Ok(reply)
}

async fn prune(d: &Arc<Daemon>) -> Result<Reply> {
    let d2 = d.clone();
    let n = tokio::task::spawn_blocking(move || d2.images.cache_prune())
        .await
        .map_err(|e| Error::internal(e.to_string()))?
        .map_err(crate::kinded)?;
    let deleted: Vec<String> = (0..n).map(|i| format!("cache-entry-{i}")).collect();
    Ok(http::ok_json(&serde_json::json!({
        "CachesDeleted": deleted,
        "SpaceReclaimed": 0,
    })))
}

async fn commit(d: &Arc<Daemon>, q: &Query) -> Result<Reply> {
    let container = q.get("container").unwrap_or("").to_string();
    if container.is_empty() {
        return Err(Error::invalid("a container is required: container=NAME|ID"));
    }
    let reference = match (
        q.get("repo").unwrap_or(""),
        q.get("tag").filter(|t| !t.is_empty()),
    ) {
        ("", _) => None,
        (r, Some(t)) => Some(format!("{r}:{t}")),
        (r, None) => Some(r.to_string()),
    };
    let opts = crate::container::commit::CommitOptions {
        container,
        reference,
        comment: q.get("comment").unwrap_or("").to_string(),
        author: q.get("author").unwrap_or("").to_string(),
        changes: q.all("changes"),
    };
    let d2 = d.clone();
    let id = tokio::task::spawn_blocking(move || crate::container::commit::commit(&d2, opts))
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    d.events.emit("image", "commit", &id, Default::default());
    Ok(http::json(
        hyper::StatusCode::CREATED,
        &serde_json::json!({ "Id": id }),
    ))
}
