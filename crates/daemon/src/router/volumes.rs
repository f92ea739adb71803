//! `/volumes` routes, plus wharf's `export`/`import` extension.

use std::collections::BTreeMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use wharf_api::error::ErrorKind;
use wharf_api::volume::{VolumeCreateOptions, VolumeListResponse, VolumePruneResponse};

use super::Handled;
use crate::blocking_io::{BodyReader, ChannelWriter};
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Query, Reply};

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    segs: &[&str],
    q: &Query,
    api_version: Option<(u32, u32)>,
) -> Handled {
    Some(match (method.as_str(), segs) {
        ("GET", ["volumes"]) => list(d, q),
        ("POST", ["volumes", "create"]) => create(d, req).await,
        ("POST", ["volumes", "prune"]) => prune(d, q, api_version).await,
        ("GET", ["volumes", name]) => inspect(d, name),
        ("DELETE", ["volumes", name]) => remove(d, name, q).await,
        // Only cluster (swarm) volumes can be updated; Docker outside a
        // swarm answers this.
        ("PUT", ["volumes", _]) => Err(Error::new(
            ErrorKind::Unavailable,
            "volume update only valid for cluster volumes, but swarm is unavailable",
        )),
        ("GET", ["volumes", name, "export"]) => export(d, name),
        ("PUT", ["volumes", name, "import"]) | ("POST", ["volumes", name, "import"]) => {
            import(d, req, name).await
        }
        _ => return None,
    })
}

fn list(d: &Daemon, q: &Query) -> Result<Reply> {
    let filters = q.filters()?;
    filters.only(&["dangling", "name", "label", "driver"])?;
    let f = wharf_volume::ListFilters::from_map(&filters.0).map_err(crate::kinded)?;
    let vols = d.volumes.list(&f).map_err(crate::kinded)?;
    Ok(http::ok_json(&VolumeListResponse {
        volumes: vols,
        warnings: Vec::new(),
    }))
}

async fn create(d: &Arc<Daemon>, req: Request<Incoming>) -> Result<Reply> {
    let opts: VolumeCreateOptions = http::json_body(req.into_body()).await?;
    let d2 = d.clone();
    let v = tokio::task::spawn_blocking(move || {
        d2.volumes.create_from_api(&opts).map_err(crate::kinded)
    })
    .await??;
    d.events.volume("create", &v.name, &v.driver);
    Ok(http::json(StatusCode::CREATED, &v))
}

fn inspect(d: &Daemon, name: &str) -> Result<Reply> {
    let v = d.volumes.get(name).map_err(crate::kinded)?;
    Ok(http::ok_json(&v))
}

async fn remove(d: &Arc<Daemon>, name: &str, q: &Query) -> Result<Reply> {
    let force = q.bool("force", false)?;
    let d2 = d.clone();
    let n = name.to_string();
    let driver = tokio::task::spawn_blocking(move || {
        let driver = d2.volumes.get(&n).ok().map(|v| v.driver);
        d2.volumes.remove(&n, force).map_err(crate::kinded)?;
        Ok::<_, Error>(driver)
    })
    .await??;
    // `force` on a missing volume removes nothing, and tells nobody.
    if let Some(driver) = driver {
        d.events.volume("destroy", name, &driver);
    }
    Ok(http::no_content())
}

/// `POST /volumes/prune`. Clients older than API 1.42 expect named volumes
/// to go too (Docker keys this on the request's version); from 1.42 on only
/// anonymous ones unless `all=true`.
async fn prune(d: &Arc<Daemon>, q: &Query, api_version: Option<(u32, u32)>) -> Result<Reply> {
    let filters = q.filters()?;
    filters.only(&["all", "label"])?;
    let all = filters
        .get("all")
        .first()
        .is_some_and(|v| v == "true" || v == "1")
        || api_version.is_some_and(|v| v < (1, 42));
    let d2 = d.clone();
    let (removed, bytes, drivers) = tokio::task::spawn_blocking(move || {
        // The drivers of the volumes before they go, for the events.
        let drivers: BTreeMap<String, String> = d2
            .volumes
            .list(&Default::default())
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.name, v.driver))
            .collect();
        let (removed, bytes) = d2.volumes.prune(all).map_err(crate::kinded)?;
        Ok::<_, Error>((removed, bytes, drivers))
    })
    .await??;
    for v in &removed {
        let driver = drivers.get(v).map_or("", String::as_str);
        d.events.volume("destroy", v, driver);
    }
    let attrs = BTreeMap::from([("reclaimed".to_string(), bytes.to_string())]);
    d.events.emit("volume", "prune", "", attrs);
    Ok(http::ok_json(&VolumePruneResponse {
        volumes_deleted: removed,
        space_reclaimed: bytes,
    }))
}

fn export(d: &Arc<Daemon>, name: &str) -> Result<Reply> {
    d.volumes.get(name).map_err(crate::kinded)?;
    let (tx, reply) = http::stream("application/x-tar");
    let d2 = d.clone();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter::new(tx);
        if let Err(e) = d2.volumes.export(&name, &mut w) {
            tracing::warn!(volume = %name, error = %e, "volume export failed mid-stream");
        }
    });
    Ok(reply)
}

async fn import(d: &Arc<Daemon>, req: Request<Incoming>, name: &str) -> Result<Reply> {
    if name.is_empty() {
        return Err(Error::invalid("volume name is required"));
    }
    let reader = BodyReader::new(req.into_body());
    let d2 = d.clone();
    let n = name.to_string();
    let created = tokio::task::spawn_blocking(move || {
        // Restoring a backup into a new name creates the volume, as `-v`
        // does; an import that fails removes what it created.
        let created = match d2.volumes.get(&n) {
            Ok(_) => false,
            Err(e) if e.kind() == wharf_api::error::ErrorKind::NotFound => {
                d2.volumes
                    .create(&n, "", &Default::default(), &Default::default())
                    .map_err(crate::kinded)?;
                true
            }
            Err(e) => return Err(crate::kinded(e)),
        };
        if let Err(e) = d2.volumes.import(&n, &mut { reader }) {
            if created {
                let _ = d2.volumes.remove(&n, true);
            }
            return Err(crate::kinded(e));
        }
        Ok(created)
    })
    .await??;
    if created {
        d.events.volume("create", name, "local");
    }
    Ok(http::no_content())
}
