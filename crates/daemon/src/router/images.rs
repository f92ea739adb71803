//! `/images/*` routes. Image names may contain slashes, so paths are
//! matched by suffix rather than by segment.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use wharf_api::image::ImageDeleteItem;

use super::Handled;
use crate::blocking_io::{BodyReader, ChannelWriter};
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Query, Reply};
use crate::image_view;

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    path: &str,
    q: &Query,
) -> Handled {
    let rest = path.strip_prefix("/images/")?;
    let m = method.as_str();
    Some(match (m, rest) {
        ("GET", "json") => list(d, q),
        ("POST", "create") => create(d, req, q).await,
        ("POST", "load") => load(d, req, q).await,
        ("POST", "prune") => prune(d, q).await,
        ("GET", "get") => save(d, q.all("names")),
        ("GET", r) if r.ends_with("/get") => save(d, vec![r.trim_end_matches("/get").to_string()]),
        ("GET", r) if r.ends_with("/json") => inspect(d, r.trim_end_matches("/json")),
        ("GET", r) if r.ends_with("/history") => history(d, r.trim_end_matches("/history")),
        ("POST", r) if r.ends_with("/tag") => tag(d, r.trim_end_matches("/tag"), q),
        ("DELETE", r) => delete(d, r, q).await,
        _ => return None,
    })
}

fn list(d: &Daemon, q: &Query) -> Result<Reply> {
    let filters = q.filters()?;
    filters.only(&["reference", "dangling", "label", "before", "since", "until"])?;
    let mut out = Vec::new();
    let all = q.bool("all", false)?;
    let images = d.images.list();
    // As Docker: untagged images with children (a build's intermediate
    // steps) only show with `all`.
    let parents: std::collections::HashSet<String> = images
        .iter()
        .map(|i| i.config.parent.clone())
        .filter(|p| !p.is_empty())
        .collect();
    for img in images {
        if !all && img.repo_tags.is_empty() && parents.contains(&img.id) {
            continue;
        }
        let s = image_view::summary(d, &img);
        let ok = filters.get("reference").is_empty()
            || filters.get("reference").iter().any(|r| {
                s.repo_tags
                    .iter()
                    .any(|t| image_view::reference_matches(r, t))
                    || s.repo_digests
                        .iter()
                        .any(|t| image_view::digest_matches(r, t))
            });
        // Dangling as Docker counts it: no tag and no digest reference.
        let dangling = s.repo_tags.is_empty() && s.repo_digests.is_empty();
        let dangling_ok = match filters.get("dangling").first().map(String::as_str) {
            Some("true") | Some("1") => dangling,
            Some("false") | Some("0") => !dangling,
            _ => true,
        };
        let label_ok = filters
            .get("label")
            .iter()
            .all(|l| match l.split_once('=') {
                Some((k, v)) => s.labels.get(k).is_some_and(|x| x == v),
                None => s.labels.contains_key(l.as_str()),
            });
        if ok && dangling_ok && label_ok {
            out.push(s);
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.created));
    Ok(http::ok_json(&out))
}

fn inspect(d: &Daemon, name: &str) -> Result<Reply> {
    let img = d.images.resolve(name).map_err(crate::kinded)?;
    Ok(http::ok_json(&img.inspect(&d.images.layer_dirs(&img))))
}

fn history(d: &Daemon, name: &str) -> Result<Reply> {
    let h = d.images.history(name).map_err(crate::kinded)?;
    Ok(http::ok_json(&h))
}

fn tag(d: &Daemon, name: &str, q: &Query) -> Result<Reply> {
    let repo = q.get("repo").unwrap_or("");
    if repo.is_empty() {
        return Err(Error::invalid(
            "repository name must have at least one component",
        ));
    }
    let target = match q.get("tag").filter(|t| !t.is_empty()) {
        Some(t) => format!("{repo}:{t}"),
        None => repo.to_string(),
    };
    d.images.tag(name, &target).map_err(crate::kinded)?;
    let img = d.images.resolve(&target).map_err(crate::kinded)?;
    let mut attrs = std::collections::BTreeMap::new();
    attrs.insert("name".to_string(), target.clone());
    d.events.emit("image", "tag", &img.id, attrs);
    Ok(http::full(StatusCode::CREATED, "text/plain", ""))
}

async fn delete(d: &Arc<Daemon>, name: &str, q: &Query) -> Result<Reply> {
    let force = q.bool("force", false)?;
    let d2 = d.clone();
    let name = name.to_string();
    let items = tokio::task::spawn_blocking(move || {
        d2.images
            .remove(&name, force, &|id: &str| d2.image_user(id))
            .map_err(crate::kinded)
    })
    .await??;
    let mut out = Vec::new();
    for item in items {
        let (action, id, v) = match item {
            wharf_image::DeleteItem::Untagged(t) => (
                "untag",
                t.clone(),
                ImageDeleteItem {
                    untagged: Some(t),
                    deleted: None,
                },
            ),
            wharf_image::DeleteItem::Deleted(i) => (
                "delete",
                i.clone(),
                ImageDeleteItem {
                    untagged: None,
                    deleted: Some(i),
                },
            ),
        };
        d.events.emit("image", action, &id, Default::default());
        out.push(v);
    }
    Ok(http::ok_json(&out))
}

/// `POST /images/create`: `fromSrc` imports a rootfs tar; `fromImage`
/// pulls (router/registry.rs).
async fn create(d: &Arc<Daemon>, req: Request<Incoming>, q: &Query) -> Result<Reply> {
    if q.get("fromImage").is_some_and(|s| !s.is_empty()) {
        return super::registry::pull(d, req, q).await;
    }
    let src = q.get("fromSrc").unwrap_or("");
    if src != "-" {
        return Err(Error::invalid(if src.is_empty() {
            "either fromImage or fromSrc is required".to_string()
        } else {
            format!("importing from a URL ({src}) is not supported: send the tar as the body with fromSrc=-")
        }));
    }
    let repo = q.get("repo").unwrap_or("").to_string();
    let reference = match (repo.as_str(), q.get("tag").filter(|t| !t.is_empty())) {
        ("", _) => None,
        (r, Some(t)) => Some(format!("{r}:{t}")),
        (r, None) => Some(r.to_string()),
    };
    let changes = q.all("changes");
    let message = q
        .get("message")
        .filter(|m| !m.is_empty())
        .unwrap_or("Imported from -")
        .to_string();
    let platform = match q.get("platform").filter(|p| !p.is_empty()) {
        Some(p) => Some(
            wharf_registry::pull::Platform::parse(p).map_err(|e| Error::invalid(e.to_string()))?,
        ),
        None => None,
    };
    let reader = BodyReader::new(req.into_body());
    let d2 = d.clone();
    let img = tokio::task::spawn_blocking(move || {
        let what = format!(
            "importing image {}",
            reference.as_deref().unwrap_or("from -")
        );
        let platform = platform.as_ref().map(|p| {
            (
                p.os.as_str(),
                p.arch.as_str(),
                p.variant.as_deref().unwrap_or(""),
            )
        });
        d2.images
            .import_for(reader, &changes, reference.as_deref(), &message, platform)
            .map_err(crate::kinded)
            .map_err(|e| no_space_named(e, &what))
    })
    .await??;
    d.events
        .emit("image", "import", &img.id, Default::default());
    let body = serde_json::json!({ "status": img.id });
    Ok(http::ok_json(&body))
}

async fn load(d: &Arc<Daemon>, req: Request<Incoming>, q: &Query) -> Result<Reply> {
    // `quiet` only hides progress bars, which a local load does not have.
    q.bool("quiet", false)?;
    let reader = BodyReader::new(req.into_body());
    let d2 = d.clone();
    let lines = tokio::task::spawn_blocking(move || {
        d2.images
            .load(reader)
            .map_err(crate::kinded)
            .map_err(|e| no_space_named(e, "loading images"))
    })
    .await??;
    let mut body = Vec::new();
    for l in &lines {
        d.events.emit("image", "load", l, Default::default());
        let v = serde_json::json!({ "stream": format!("{l}\n") });
        body.extend_from_slice(v.to_string().as_bytes());
        body.push(b'\n');
    }
    Ok(http::full(StatusCode::OK, "application/json", body))
}

fn save(d: &Arc<Daemon>, names: Vec<String>) -> Result<Reply> {
    if names.is_empty() {
        return Err(Error::invalid("no images to save: pass at least one name"));
    }
    // Resolve first so a missing image is a clean 404, not a broken stream.
    for n in &names {
        d.images.resolve(n).map_err(crate::kinded)?;
    }
    let (tx, reply) = http::stream("application/x-tar");
    let d2 = d.clone();
    tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter::new(tx);
        if let Err(e) = d2.images.save(&names, &mut w) {
            tracing::warn!(error = %e, "image save failed mid-stream");
        }
    });
    Ok(reply)
}

async fn prune(d: &Arc<Daemon>, q: &Query) -> Result<Reply> {
    let filters = q.filters()?;
    let d2 = d.clone();
    let v = tokio::task::spawn_blocking(move || crate::image_prune::prune(&d2, &filters))
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    Ok(http::ok_json(&v))
}

/// A full disk met while writing an image reads as Docker's
/// `no space left on device`, with what was being done.
fn no_space_named(e: Error, what: &str) -> Error {
    if e.message
        .to_ascii_lowercase()
        .contains("no space left on device")
    {
        Error::internal(format!("{what}: no space left on device"))
    } else {
        e
    }
}
