//! `/networks` routes: list, create, inspect, remove, connect, disconnect,
//! prune. Thin: parse, call the network store or the container's network
//! backend, encode.

use std::collections::BTreeMap;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use wharf_api::network::{
    NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest,
    NetworkPruneResponse, NetworkResource,
};

use super::Handled;
use crate::container::network as cnet;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::{self, Filters, Query, Reply};

pub async fn route(
    d: &Arc<Daemon>,
    req: Request<Incoming>,
    method: &Method,
    segs: &[&str],
    q: &Query,
) -> Handled {
    Some(match (method.as_str(), segs) {
        ("GET", ["networks"]) => list(d, q),
        ("POST", ["networks", "create"]) => create(d, req).await,
        ("POST", ["networks", "prune"]) => prune(d, q).await,
        ("GET", ["networks", id]) => inspect(d, id),
        ("DELETE", ["networks", id]) => remove(d, id).await,
        ("POST", ["networks", id, "connect"]) => connect(d, req, id).await,
        ("POST", ["networks", id, "disconnect"]) => disconnect(d, req, id).await,
        _ => return None,
    })
}

fn label_match(labels: &BTreeMap<String, String>, want: &str) -> bool {
    match want.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
        None => labels.contains_key(want),
    }
}

fn matches(d: &Daemon, r: &NetworkResource, predefined: bool, f: &Filters) -> Result<bool> {
    let any = |key: &str, p: &dyn Fn(&str) -> bool| {
        let vals = f.get(key);
        vals.is_empty() || vals.iter().any(|v| p(v))
    };
    for t in f.get("type") {
        if t != "custom" && t != "builtin" {
            return Err(Error::invalid(format!("invalid filter: 'type'='{t}'")));
        }
    }
    let mut dangling = None;
    for v in f.get("dangling") {
        dangling = Some(match v.as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(Error::invalid(format!("invalid filter 'dangling={v}'"))),
        });
    }
    let in_use = d.networks.in_use(&r.id);
    Ok(any("name", &|v| r.name.contains(v))
        && any("id", &|v| r.id.starts_with(v))
        && any("driver", &|v| r.driver == v)
        && any("type", &|v| (v == "builtin") == predefined)
        && f.get("label").iter().all(|l| label_match(&r.labels, l))
        && dangling.is_none_or(|want| want == (!in_use && !predefined)))
}

fn list(d: &Daemon, q: &Query) -> Result<Reply> {
    let f = q.filters()?;
    f.only(&["name", "id", "driver", "label", "type", "dangling", "scope"])?;
    let mut out = Vec::new();
    for n in d.networks.list() {
        let mut r = d.networks.resource(&n);
        if !matches(d, &r, n.predefined, &f)? {
            continue;
        }
        if f.get("scope").iter().any(|s| s != "local") {
            continue;
        }
        // Docker's list leaves the containers out.
        r.containers.clear();
        out.push(r);
    }
    Ok(http::ok_json(&out))
}

async fn create(d: &Arc<Daemon>, req: Request<Incoming>) -> Result<Reply> {
    let body: NetworkCreateRequest = http::json_body(req.into_body()).await?;
    if body.name.is_empty() {
        return Err(Error::invalid("network name is required"));
    }
    let d2 = d.clone();
    let n = tokio::task::spawn_blocking(move || d2.networks.create(&body).map_err(crate::kinded))
        .await??;
    let mut attrs = BTreeMap::new();
    attrs.insert("name".to_string(), n.name.clone());
    attrs.insert("type".to_string(), n.driver.clone());
    d.events.emit("network", "create", &n.id, attrs);
    Ok(http::json(
        StatusCode::CREATED,
        &NetworkCreateResponse {
            id: n.id,
            warning: String::new(),
        },
    ))
}

fn inspect(d: &Daemon, id: &str) -> Result<Reply> {
    let n = d.networks.get(id).map_err(crate::kinded)?;
    Ok(http::ok_json(&d.networks.resource(&n)))
}

async fn remove(d: &Arc<Daemon>, id: &str) -> Result<Reply> {
    let d2 = d.clone();
    let key = id.to_string();
    let ph = crate::phases::Phases::new("network_rm", id);
    let (n, mut ph) = tokio::task::spawn_blocking(move || {
        let mut ph = ph;
        let n = d2.networks.remove(&key).map_err(crate::kinded);
        ph.mark("remove");
        n.map(|n| (n, ph))
    })
    .await??;
    let mut attrs = BTreeMap::new();
    attrs.insert("name".to_string(), n.name.clone());
    attrs.insert("type".to_string(), n.driver.clone());
    d.events.emit("network", "destroy", &n.id, attrs);
    ph.mark("events");
    ph.finish();
    Ok(http::no_content())
}

async fn prune(d: &Arc<Daemon>, q: &Query) -> Result<Reply> {
    let f = q.filters()?;
    f.only(&["label", "label!", "until"])?;
    let mut deleted = Vec::new();
    for n in d.networks.list() {
        if n.predefined || d.networks.in_use(&n.id) {
            continue;
        }
        if !f.get("label").iter().all(|l| label_match(&n.labels, l)) {
            continue;
        }
        if f.get("label!").iter().any(|l| label_match(&n.labels, l)) {
            continue;
        }
        let d2 = d.clone();
        let id = n.id.clone();
        let res = tokio::task::spawn_blocking(move || d2.networks.remove(&id)).await?;
        if res.is_ok() {
            let mut attrs = BTreeMap::new();
            attrs.insert("name".to_string(), n.name.clone());
            attrs.insert("type".to_string(), n.driver.clone());
            d.events.emit("network", "destroy", &n.id, attrs);
            deleted.push(n.name);
        }
    }
    Ok(http::ok_json(&NetworkPruneResponse {
        networks_deleted: Some(deleted),
    }))
}

/// Runs `f` under the container's op lock, off the async workers.
async fn with_container<T: Send + 'static>(
    d: &Arc<Daemon>,
    container: &str,
    f: impl FnOnce(&Daemon, &str) -> Result<T> + Send + 'static,
) -> Result<(String, T)> {
    let id = d.table().resolve(container)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    let d2 = d.clone();
    let id2 = id.clone();
    let out = tokio::task::spawn_blocking(move || f(&d2, &id2)).await??;
    Ok((id, out))
}

fn emit(d: &Daemon, action: &str, net: &wharf_network::Network, container: &str) {
    let mut attrs = BTreeMap::new();
    attrs.insert("container".to_string(), container.to_string());
    attrs.insert("name".to_string(), net.name.clone());
    attrs.insert("type".to_string(), net.driver.clone());
    d.events.emit("network", action, &net.id, attrs);
}

async fn connect(d: &Arc<Daemon>, req: Request<Incoming>, net: &str) -> Result<Reply> {
    let body: NetworkConnectRequest = http::json_body(req.into_body()).await?;
    if body.container.is_empty() {
        return Err(Error::invalid("container is required"));
    }
    // The network must exist before the container is looked at.
    d.networks.get(net).map_err(crate::kinded)?;
    let key = net.to_string();
    let es = body.endpoint_config.clone();
    let (id, n) = with_container(d, &body.container, move |d, id| {
        cnet::connect_live(d, &key, id, es.as_ref())
    })
    .await?;
    cnet::sync_dns(d, &id).await;
    emit(d, "connect", &n, &id);
    Ok(http::full(StatusCode::OK, "text/plain", ""))
}

async fn disconnect(d: &Arc<Daemon>, req: Request<Incoming>, net: &str) -> Result<Reply> {
    let body: NetworkDisconnectRequest = http::json_body(req.into_body()).await?;
    if body.container.is_empty() {
        return Err(Error::invalid("container is required"));
    }
    d.networks.get(net).map_err(crate::kinded)?;
    let key = net.to_string();
    let force = body.force;
    let (id, n) = with_container(d, &body.container, move |d, id| {
        cnet::disconnect_live(d, &key, id, force)
    })
    .await?;
    cnet::sync_dns(d, &id).await;
    emit(d, "disconnect", &n, &id);
    Ok(http::full(StatusCode::OK, "text/plain", ""))
}
