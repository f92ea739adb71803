//! Registry routes: pulls (`POST /images/create?fromImage=`), pushes
//! (`POST /images/{name}/push`), `POST /auth`, `GET /distribution/{name}/json`
//! and `GET /images/search`. Pulls and pushes stream Docker's JSON progress
//! messages; an error before the first message is a plain HTTP error (as
//! Docker's "pull access denied" 404), after it an `error` message.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde_json::json;
use tokio::sync::mpsc;
use wharf_registry::pull::Platform;
use wharf_registry::{Client, Credentials, RegistryError, RemoteName};

use super::Handled;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Query, Reply};

static INSECURE: OnceLock<Vec<String>> = OnceLock::new();

/// The daemon's `--insecure-registry` entries (`host:port`), set once at start.
pub fn set_insecure(list: Vec<String>) {
    let _ = INSECURE.set(list);
}

/// A registry client knowing the daemon's insecure registries (pulls,
/// pushes, search, and the builder's `FROM`).
pub(crate) fn client(creds: Option<Credentials>) -> Client {
    Client::new(INSECURE.get().cloned().unwrap_or_default(), creds)
}

fn reg_err(e: RegistryError) -> Error {
    Error::new(e.kind(), e.to_string())
}

fn creds_of(req: &Request<Incoming>) -> Option<Credentials> {
    req.headers()
        .get("x-registry-auth")
        .and_then(|v| v.to_str().ok())
        .and_then(Credentials::from_header)
}

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    path: &str,
    q: &Query,
) -> Handled {
    let m = method.as_str();
    if m == "POST" && path == "/auth" {
        return Some(auth(req).await);
    }
    if let Some(name) = path
        .strip_prefix("/distribution/")
        .and_then(|r| r.strip_suffix("/json"))
    {
        if m == "GET" {
            return Some(distribution(req, name.to_string()).await);
        }
    }
    if m == "GET" && path == "/images/search" {
        return Some(search(req, q).await);
    }
    if let Some(name) = path
        .strip_prefix("/images/")
        .and_then(|r| r.strip_suffix("/push"))
    {
        if m == "POST" {
            return Some(push(d, req, name.to_string(), q).await);
        }
    }
    let _ = d;
    None
}

/// `POST /images/create?fromImage=…&tag=…&platform=…`.
pub async fn pull(d: &Arc<Daemon>, req: Request<Incoming>, q: &Query) -> Result<Reply> {
    let from = q.get("fromImage").unwrap_or("").to_string();
    let tag = q.get("tag").filter(|t| !t.is_empty());
    let full = match tag {
        Some(t) if t.starts_with("sha256:") => format!("{from}@{t}"),
        Some(t) => format!("{from}:{t}"),
        None => from.clone(),
    };
    let name = RemoteName::parse(&full, Some("latest")).map_err(reg_err)?;
    let platform = match q.get("platform").filter(|p| !p.is_empty()) {
        Some(p) => Some(Platform::parse(p).map_err(reg_err)?),
        None => None,
    };
    let creds = creds_of(&req);
    let d2 = d.clone();
    let shown = name.reference.to_string();
    run_streamed(move |progress| {
        let c = client(creds);
        let pulled =
            wharf_registry::pull::pull(&c, &d2.images, &name, platform.as_ref(), progress)?;
        d2.events.emit("image", "pull", &shown, Default::default());
        tracing::info!(image = %pulled.image.id, name = %shown, "pulled image");
        Ok(())
    })
    .await
}

async fn push(d: &Arc<Daemon>, req: Request<Incoming>, name: String, q: &Query) -> Result<Reply> {
    let full = match q.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{name}:{t}"),
        None => name.clone(),
    };
    let name = RemoteName::parse(&full, Some("latest")).map_err(reg_err)?;
    if let Some(t) = name.local_tag() {
        d.images.resolve(&t).map_err(crate::kinded)?;
    }
    let creds = creds_of(&req);
    let d2 = d.clone();
    run_streamed(move |progress| {
        let c = client(creds);
        wharf_registry::push::push(&c, &d2.images, &name, progress)?;
        d2.events.emit(
            "image",
            "push",
            &name.reference.to_string(),
            Default::default(),
        );
        Ok(())
    })
    .await
}

type Job = dyn FnOnce(wharf_registry::pull::Progress) -> wharf_registry::Result<()> + Send;

/// Runs `job` on a blocking thread; its progress messages become the
/// response stream once the first arrives.
async fn run_streamed(
    job: impl FnOnce(wharf_registry::pull::Progress) -> wharf_registry::Result<()> + Send + 'static,
) -> Result<Reply> {
    let job: Box<Job> = Box::new(job);
    let (tx, mut rx) = mpsc::channel::<Bytes>(256);
    let handle = tokio::task::spawn_blocking(move || {
        let send = std::sync::Mutex::new(tx.clone());
        let progress = move |v: serde_json::Value| {
            let mut line = v.to_string().into_bytes();
            line.push(b'\n');
            let tx = send.lock().unwrap_or_else(|p| p.into_inner());
            let _ = tx.blocking_send(Bytes::from(line));
        };
        let r = job(&progress);
        drop(progress);
        drop(tx);
        r
    });
    let Some(first) = rx.recv().await else {
        handle
            .await
            .map_err(|e| Error::internal(e.to_string()))?
            .map_err(reg_err)?;
        return Ok(http::full(StatusCode::OK, "application/json", ""));
    };
    let (out, reply) = http::stream("application/json");
    tokio::spawn(async move {
        let _ = out.send(first).await;
        while let Some(b) = rx.recv().await {
            let _ = out.send(b).await;
        }
        let err = match handle.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(msg) = err {
            tracing::warn!(error = %msg, "registry operation failed");
            let v = json!({"errorDetail": {"message": msg}, "error": msg});
            let _ = out.send(Bytes::from(format!("{v}\n"))).await;
        }
    });
    Ok(reply)
}

async fn auth(req: Request<Incoming>) -> Result<Reply> {
    let body = http::read_body(req.into_body()).await?;
    let creds: Credentials = serde_json::from_slice(&body)
        .map_err(|e| Error::invalid(format!("invalid auth configuration: {e}")))?;
    if creds.username.is_empty() {
        return Err(Error::invalid("a username is required to log in"));
    }
    let server = if creds.serveraddress.is_empty() {
        "docker.io".to_string()
    } else {
        creds.serveraddress.clone()
    };
    let key = wharf_registry::name::auth_key(&server);
    let host = if key == wharf_registry::name::HUB_AUTH_KEY {
        wharf_registry::name::HUB_HOST.to_string()
    } else {
        key
    };
    let r = tokio::task::spawn_blocking(move || client(Some(creds)).login(&host))
        .await
        .map_err(|e| Error::internal(e.to_string()))?;
    match r {
        Ok(()) => Ok(http::ok_json(
            &json!({"Status": "Login Succeeded", "IdentityToken": ""}),
        )),
        Err(RegistryError::Unauthorized(m)) => Ok(http::json(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": m }),
        )),
        Err(e) => Err(reg_err(e)),
    }
}

async fn distribution(req: Request<Incoming>, name: String) -> Result<Reply> {
    let name = RemoteName::parse(&name, Some("latest")).map_err(reg_err)?;
    let creds = creds_of(&req);
    let v = tokio::task::spawn_blocking(move || {
        wharf_registry::pull::distribution(&client(creds), &name)
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))?
    .map_err(reg_err)?;
    Ok(http::ok_json(&v))
}

/// `GET /images/search?term=&limit=&filters=`: the registry's search API,
/// or its catalog where it has none (see `wharf_registry::search`).
async fn search(req: Request<Incoming>, q: &Query) -> Result<Reply> {
    let term = q.get("term").unwrap_or("").to_string();
    if term.is_empty() {
        return Err(Error::invalid("a search term is required"));
    }
    let limit = match q.int("limit")? {
        None => 25,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => {
            return Err(Error::invalid(format!(
                "limit {n} is outside the range of [1, 100]"
            )))
        }
    };
    let filters = q.filters()?;
    filters.only(&["is-automated", "is-official", "stars"])?;
    let flag = |key: &str| -> Result<Option<bool>> {
        match filters.get(key) {
            [] => Ok(None),
            [v] => match v.as_str() {
                "true" | "1" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(Error::invalid(format!("invalid filter '{key}={v}'"))),
            },
            _ => Err(Error::invalid(format!(
                "invalid filter '{key}': only one value is allowed"
            ))),
        }
    };
    let official = flag("is-official")?;
    let automated = flag("is-automated")?;
    let mut min_stars = 0i64;
    for v in filters.get("stars") {
        let n: i64 = v
            .parse()
            .map_err(|_| Error::invalid(format!("invalid filter 'stars={v}'")))?;
        min_stars = min_stars.max(n);
    }
    let creds = creds_of(&req);
    let found = tokio::task::spawn_blocking(move || {
        wharf_registry::search::search(&client(creds), &term, limit)
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))?
    .map_err(reg_err)?;
    let kept: Vec<_> = found
        .into_iter()
        .filter(|r| official.is_none_or(|o| r.is_official == o))
        .filter(|r| automated.is_none_or(|a| r.is_automated == a))
        .filter(|r| r.star_count >= min_stars)
        .collect();
    Ok(http::ok_json(&kept))
}
