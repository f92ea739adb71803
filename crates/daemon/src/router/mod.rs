//! Dispatch: strips the `/vX.Y` prefix, checks the version, and sends each
//! (method, path) to its handler group. Handlers are thin: parse, call the
//! backend, encode.

mod build;
mod containers;
mod cp;
mod exec;
mod images;
mod registry;
pub(crate) use registry::client as registry_client;
pub use registry::set_insecure as set_insecure_registries;
mod networks;
mod swarm;
mod system;

pub use system::kernel_version;
mod path_decode;
mod volumes;

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request};

use crate::daemon::Daemon;
use crate::error::Error;
use crate::http::{self, Query, Reply};

/// Every (method, path pattern) wharf serves; checked against the v1.44
/// spec by a test. `{name}` may contain slashes for images.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/_ping"),
    ("HEAD", "/_ping"),
    ("GET", "/version"),
    ("GET", "/info"),
    ("GET", "/events"),
    ("POST", "/containers/create"),
    ("GET", "/containers/json"),
    ("POST", "/containers/prune"),
    ("GET", "/containers/{id}/json"),
    ("GET", "/containers/{id}/top"),
    ("GET", "/containers/{id}/changes"),
    ("GET", "/containers/{id}/stats"),
    ("GET", "/containers/{id}/export"),
    ("GET", "/containers/{id}/logs"),
    ("POST", "/containers/{id}/resize"),
    ("POST", "/containers/{id}/start"),
    ("POST", "/containers/{id}/stop"),
    ("POST", "/containers/{id}/restart"),
    ("POST", "/containers/{id}/kill"),
    ("POST", "/containers/{id}/rename"),
    ("POST", "/containers/{id}/pause"),
    ("POST", "/containers/{id}/update"),
    ("POST", "/containers/{id}/unpause"),
    ("POST", "/containers/{id}/attach"),
    ("POST", "/containers/{id}/wait"),
    ("DELETE", "/containers/{id}"),
    ("POST", "/containers/{id}/exec"),
    ("POST", "/exec/{id}/start"),
    ("POST", "/exec/{id}/resize"),
    ("GET", "/exec/{id}/json"),
    ("GET", "/images/json"),
    ("POST", "/images/create"),
    ("POST", "/images/{name}/push"),
    ("GET", "/images/search"),
    ("POST", "/auth"),
    ("GET", "/distribution/{name}/json"),
    ("POST", "/images/load"),
    ("GET", "/images/get"),
    ("GET", "/images/{name}/get"),
    ("GET", "/images/{name}/json"),
    ("GET", "/images/{name}/history"),
    ("POST", "/images/{name}/tag"),
    ("DELETE", "/images/{name}"),
    ("GET", "/volumes"),
    ("POST", "/volumes/create"),
    ("GET", "/volumes/{name}"),
    ("DELETE", "/volumes/{name}"),
    ("POST", "/volumes/prune"),
    // Answered as outside a swarm (router/swarm.rs).
    ("GET", "/swarm"),
    ("POST", "/swarm/init"),
    ("POST", "/swarm/join"),
    ("POST", "/swarm/leave"),
    ("POST", "/swarm/update"),
    ("GET", "/swarm/unlockkey"),
    ("POST", "/swarm/unlock"),
    ("GET", "/services"),
    ("POST", "/services/create"),
    ("GET", "/services/{id}"),
    ("DELETE", "/services/{id}"),
    ("POST", "/services/{id}/update"),
    ("GET", "/services/{id}/logs"),
    ("GET", "/tasks"),
    ("GET", "/tasks/{id}"),
    ("GET", "/tasks/{id}/logs"),
    ("GET", "/nodes"),
    ("GET", "/nodes/{id}"),
    ("DELETE", "/nodes/{id}"),
    ("POST", "/nodes/{id}/update"),
    ("GET", "/secrets"),
    ("POST", "/secrets/create"),
    ("GET", "/secrets/{id}"),
    ("DELETE", "/secrets/{id}"),
    ("POST", "/secrets/{id}/update"),
    ("GET", "/configs"),
    ("POST", "/configs/create"),
    ("GET", "/configs/{id}"),
    ("DELETE", "/configs/{id}"),
    ("POST", "/configs/{id}/update"),
    ("GET", "/networks"),
    ("POST", "/networks/create"),
    ("GET", "/networks/{id}"),
    ("DELETE", "/networks/{id}"),
    ("POST", "/networks/{id}/connect"),
    ("POST", "/networks/{id}/disconnect"),
    ("POST", "/networks/prune"),
    ("HEAD", "/containers/{id}/archive"),
    ("GET", "/containers/{id}/archive"),
    ("PUT", "/containers/{id}/archive"),
    ("GET", "/containers/{id}/attach/ws"),
    ("POST", "/build"),
    ("POST", "/build/prune"),
    ("POST", "/images/prune"),
    ("POST", "/commit"),
    ("GET", "/system/df"),
];

/// Splits `/v1.44/containers/x/json` into (Some("1.44"), "/containers/x/json").
fn split_version(path: &str) -> (Option<&str>, &str) {
    if let Some(rest) = path.strip_prefix("/v") {
        if let Some(slash) = rest.find('/') {
            let v = &rest[..slash];
            if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return (Some(v), &rest[slash..]);
            }
        }
    }
    (None, path)
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn check_version(v: &str) -> Result<(), Error> {
    let ver = parse_version(v).ok_or_else(|| Error::invalid(format!("invalid API version {v}")))?;
    let max = parse_version(wharf_api::API_VERSION).unwrap_or((1, 44));
    let min = parse_version(wharf_api::MIN_API_VERSION).unwrap_or((1, 24));
    if ver > max {
        return Err(Error::invalid(format!(
            "client version {v} is too new. Maximum supported API version is {}",
            wharf_api::API_VERSION
        )));
    }
    if ver < min {
        return Err(Error::invalid(format!(
            "client version {v} is too old. Minimum supported API version is {}, please upgrade your client to a newer version",
            wharf_api::MIN_API_VERSION
        )));
    }
    Ok(())
}

pub async fn route(d: Arc<Daemon>, req: Request<Incoming>) -> Reply {
    let path = path_decode::decode(req.uri().path());
    let (version, path) = split_version(&path);
    if let Some(v) = version {
        if let Err(e) = check_version(v) {
            return http::error(&e);
        }
    }
    let q = Query::parse(req.uri().query());
    let method = req.method().clone();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if !crate::reconcile_gate::answers_early(segs.first().copied()) {
        crate::reconcile_gate::wait().await;
    }
    let result = match segs.first().copied() {
        Some("_ping") | Some("version") | Some("info") | Some("events") => {
            system::route(&d, &method, &segs, &q).await
        }
        Some("containers") => containers::route(&d, req, &method, &segs, &q).await,
        Some("exec") => exec::route(&d, req, &method, &segs, &q).await,
        Some("images") if path.ends_with("/push") || path == "/images/search" => {
            registry::route(&d, req, &method, path, &q).await
        }
        Some("images") => images::route(&d, req, &method, path, &q).await,
        Some("auth") | Some("distribution") => registry::route(&d, req, &method, path, &q).await,
        Some("volumes") => {
            let v = version.and_then(parse_version);
            volumes::route(&d, req, &method, &segs, &q, v).await
        }
        Some(first) if swarm::PREFIXES.contains(&first) => swarm::route(&method, &segs),
        Some("networks") => networks::route(&d, req, &method, &segs, &q).await,
        Some("build") | Some("commit") => build::route(&d, req, &method, &segs, &q).await,
        Some("system") if segs == ["system", "df"] && method == Method::GET => {
            let d2 = d.clone();
            Some(
                tokio::task::spawn_blocking(move || crate::system_df::df(&d2))
                    .await
                    .map_err(|e| Error::internal(e.to_string()))
                    .and_then(|r| r)
                    .map(|v| http::ok_json(&v)),
            )
        }
        _ => None,
    };
    match result {
        Some(Ok(reply)) => reply,
        Some(Err(e)) => {
            tracing::debug!(%method, path, error = %e.message, "request failed");
            http::error(&e)
        }
        None => http::error(&Error::not_found(format!(
            "page not found: {method} {path}"
        ))),
    }
}

/// A handler result: `None` when the path is not ours (404 page not found).
pub type Handled = Option<Result<Reply, Error>>;

pub(crate) fn is(method: &Method, m: &str) -> bool {
    method.as_str() == m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(split_version("/v1.44/info"), (Some("1.44"), "/info"));
        assert_eq!(split_version("/info"), (None, "/info"));
        assert_eq!(split_version("/volumes/v1"), (None, "/volumes/v1"));
        assert!(check_version("1.24").is_ok());
        assert!(check_version("1.45").is_err());
        assert!(check_version("1.12").is_err());
        assert!(check_version("x").is_err());
    }

    /// STYLE habit 15: every route we serve exists in the v1.44 spec
    /// with the same method.
    #[test]
    fn routes_exist_in_the_spec() {
        let spec_path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/specs/docker-engine-api-v1.44.yaml"
        );
        let Ok(spec) = std::fs::read_to_string(spec_path) else {
            panic!("spec not found at {spec_path}");
        };
        for (method, route) in ROUTES {
            let header = format!("\n  {route}:\n");
            let Some(start) = spec.find(&header) else {
                panic!("{method} {route} is not in the spec");
            };
            let rest = &spec[start + header.len()..];
            let end = rest.find("\n  /").unwrap_or(rest.len());
            let block = &rest[..end];
            let m = format!("\n    {}:", method.to_lowercase());
            assert!(
                block.starts_with(&m[1..]) || block.contains(&m),
                "{method} {route}: the spec has no {method} for it"
            );
        }
    }
}
