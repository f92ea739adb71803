//! The daemon's side of networking: the container's network mode parsed
//! once, attachments resolved at create, endpoints made at start and
//! removed at stop, live connect/disconnect, and `NetworkSettings` for
//! inspect. The network layer itself is `wharf_network::NetworkStore`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use wharf_api::container::HostConfig;
use wharf_api::network::{EndpointSettings, NetworkSettings, NetworkingConfig};
use wharf_network::{ContainerRef, Endpoint, EndpointConfig, Network};

use super::record::{Container, NetAttachment, Paths};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// `HostConfig.NetworkMode`, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    /// No mode given, `default` or `bridge`: the default bridge.
    Bridge,
    Host,
    None,
    /// `container:NAME` (not supported yet).
    Container(String),
    /// A user-defined network by name or id.
    Named(String),
}

impl NetworkMode {
    pub fn parse(s: &str) -> NetworkMode {
        match s {
            "" | "default" | "bridge" => NetworkMode::Bridge,
            "host" => NetworkMode::Host,
            "none" => NetworkMode::None,
            other => match other.strip_prefix("container:") {
                Some(c) => NetworkMode::Container(c.to_string()),
                None => NetworkMode::Named(other.to_string()),
            },
        }
    }

    pub fn of(hc: &HostConfig) -> NetworkMode {
        Self::parse(&hc.network_mode)
    }

    /// The container runs in the host's network namespace.
    pub fn is_host(&self) -> bool {
        *self == NetworkMode::Host
    }
}

/// What the API's `EndpointSettings` asks for.
pub fn endpoint_config(es: Option<&EndpointSettings>) -> Result<EndpointConfig> {
    let Some(es) = es else {
        return Ok(EndpointConfig::default());
    };
    let mut cfg = EndpointConfig {
        aliases: es.aliases.clone().unwrap_or_default(),
        links: es.links.clone().unwrap_or_default(),
        ..Default::default()
    };
    if !es.mac_address.is_empty() {
        cfg.mac = Some(es.mac_address.clone());
    }
    if let Some(ipam) = &es.ipam_config {
        let get = |k: &str| ipam.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let parse = |s: &str, want6: bool| -> Result<Option<IpAddr>> {
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<IpAddr>() {
                Ok(ip) if ip.is_ipv6() == want6 => Ok(Some(ip)),
                _ => Err(Error::invalid(format!(
                    "invalid IPv{} address: {s}",
                    if want6 { 6 } else { 4 }
                ))),
            }
        };
        cfg.ipv4 = parse(get("IPv4Address"), false)?;
        cfg.ipv6 = parse(get("IPv6Address"), true)?;
    }
    for a in &cfg.aliases {
        if a.is_empty() || a.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(Error::invalid(format!("invalid network alias {a:?}")));
        }
    }
    Ok(cfg)
}

/// Create: the networks a new container is attached to, validated
/// (nothing is made; references are taken by [`register`]).
pub fn resolve(
    d: &Daemon,
    hc: &HostConfig,
    nc: Option<&NetworkingConfig>,
) -> Result<BTreeMap<String, NetAttachment>> {
    let eps = nc
        .and_then(|n| n.endpoints_config.clone())
        .unwrap_or_default();
    let mode = NetworkMode::of(hc);
    let mut out = BTreeMap::new();
    let primary: Network = match &mode {
        NetworkMode::Host | NetworkMode::None => {
            let own = if mode.is_host() { "host" } else { "none" };
            if eps.keys().any(|k| k != own) {
                return Err(Error::invalid(format!(
                    "container cannot be connected to multiple networks with one of the networks in {own} mode"
                )));
            }
            if !hc.links.clone().unwrap_or_default().is_empty() && mode.is_host() {
                return Err(Error::invalid(
                    "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
                ));
            }
            return Ok(out);
        }
        // Checked by `joined::check_create`; no endpoint of its own.
        NetworkMode::Container(_) => {
            if !eps.is_empty() {
                return Err(Error::invalid(
                    "container sharing network namespace with another container or host cannot be connected to any other network",
                ));
            }
            return Ok(out);
        }
        NetworkMode::Bridge => d
            .networks
            .default_bridge()
            .ok_or_else(|| Error::not_found("network bridge not found"))?,
        NetworkMode::Named(n) => d.networks.get(n).map_err(create_error)?,
    };
    let mut order = 0u64;
    let mut add = |net: Network, es: Option<&EndpointSettings>| -> Result<()> {
        let cfg = endpoint_config(es)?;
        if net.driver == "host" || net.driver == "null" {
            return Err(Error::invalid(format!(
                "container cannot be connected to multiple networks with one of the networks in {} mode",
                net.name
            )));
        }
        d.networks
            .check_connect(&net, &cfg)
            .map_err(crate::kinded)?;
        out.insert(
            net.id.clone(),
            NetAttachment {
                name: net.name.clone(),
                config: cfg,
                endpoint: None,
                order,
                ports: None,
            },
        );
        order += 1;
        Ok(())
    };
    let primary_keys = [
        primary.name.as_str(),
        primary.id.as_str(),
        hc.network_mode.as_str(),
        if primary.is_default_bridge() {
            "default"
        } else {
            ""
        },
    ];
    let primary_es = primary_keys
        .iter()
        .filter(|k| !k.is_empty())
        .find_map(|k| eps.get(*k));
    add(primary.clone(), primary_es)?;
    for (key, es) in &eps {
        if primary_keys.contains(&key.as_str()) {
            continue;
        }
        let net = d.networks.get(key).map_err(create_error)?;
        if net.id == primary.id {
            continue;
        }
        add(net, Some(es))?;
    }
    Ok(out)
}

/// A missing network at create is a bad request, not a 404: the docker
/// CLI takes a 404 from create for a missing image and tries to pull it.
fn create_error(e: wharf_network::NetworkError) -> Error {
    Error::invalid(e.to_string())
}

/// Takes the network references of a container (create, daemon start).
pub fn register(d: &Daemon, rec: &Container) {
    for id in rec.networks.keys() {
        d.networks.add_ref(id, &rec.id);
    }
}

pub fn unregister(d: &Daemon, rec: &Container) {
    for id in rec.networks.keys() {
        d.networks.remove_ref(id, &rec.id);
    }
}

fn cref<'a>(rec: &'a Container, netns: &'a Path) -> ContainerRef<'a> {
    ContainerRef {
        id: &rec.id,
        name: &rec.name,
        netns,
    }
}

/// Start: one endpoint per attachment, in attachment order, recorded in
/// the container's record. On failure every endpoint made is removed.
pub fn connect_all(d: &Daemon, rec: &Container, paths: &Paths) -> Result<Vec<Endpoint>> {
    let netns = paths.netns();
    let mut atts: Vec<(&String, &NetAttachment)> = rec.networks.iter().collect();
    atts.sort_by_key(|(_, a)| a.order);
    let mut made: Vec<(String, Endpoint)> = Vec::new();
    let undo = |made: &[(String, Endpoint)]| {
        for (_, ep) in made.iter().rev() {
            if let Err(e) = d.networks.disconnect(&rec.id, ep, Some(&netns)) {
                tracing::warn!(container_id = %rec.id, error = %e, "undo endpoint");
            }
        }
    };
    for (net_id, att) in atts {
        // A network removed while the container was stopped (Docker allows
        // that) is named as the user knows it, not by its id.
        let res = match d.networks.get(net_id) {
            Err(wharf_network::NetworkError::NotFound(_)) => {
                Err(wharf_network::NetworkError::NotFound(att.name.clone()))
            }
            other => other,
        }
        .and_then(|net| {
            d.networks
                .connect(&net, &cref(rec, &netns), &att.config, &[])
        });
        match res {
            Ok(ep) => made.push((net_id.clone(), ep)),
            Err(e) => {
                undo(&made);
                return Err(crate::kinded(e));
            }
        }
    }
    // Published ports go on the first endpoint with a way out (Docker
    // publishes on one endpoint).
    let hc = &rec.host_config;
    let wants_ports = hc.publish_all_ports
        || hc.port_bindings.as_ref().is_some_and(|b| {
            b.values()
                .any(|v| v.as_ref().is_some_and(|v| !v.is_empty()))
        });
    let mut published: Option<(String, wharf_network::firewall::EndpointPorts)> = None;
    if wants_ports {
        let target = made.iter().find(|(id, _)| {
            d.networks
                .get(id)
                .is_ok_and(|n| n.driver == "bridge" && !n.internal)
        });
        if let Some((id, ep)) = target {
            match d.networks.publish_ports(
                &rec.id,
                ep,
                rec.config.exposed_ports.as_ref(),
                hc.port_bindings.as_ref(),
                hc.publish_all_ports,
            ) {
                Ok(p) => published = Some((id.clone(), p)),
                Err(e) => {
                    undo(&made);
                    return Err(crate::kinded(e));
                }
            }
        }
    }
    if made.is_empty() && published.is_none() {
        return Ok(Vec::new());
    }
    let saved = d.update_deferred(&rec.id, |r| {
        for (id, ep) in &made {
            if let Some(a) = r.networks.get_mut(id) {
                a.endpoint = Some(ep.clone());
                a.ports = None;
            }
        }
        if let Some((id, p)) = &published {
            if let Some(a) = r.networks.get_mut(id) {
                a.ports = Some(p.clone());
            }
        }
    });
    if let Err(e) = saved {
        if let Some((_, p)) = &published {
            let _ = d.networks.unpublish_ports(&rec.id, p);
        }
        undo(&made);
        return Err(e);
    }
    Ok(made.into_iter().map(|(_, e)| e).collect())
}

/// Stop: removes every endpoint of the container (those in the network
/// layer's table and those recorded), collecting failures.
pub fn disconnect_all(d: &Daemon, rec: &Container, netns: Option<&Path>) -> Vec<String> {
    teardown(d, rec, netns, false)
}

/// Stop of an exited container whose namespace the caller releases next:
/// endpoints leave the table and the kernel takes the veths down with the
/// namespace (see `NetworkStore::release_with_namespace`).
pub fn release_all(d: &Daemon, rec: &Container) -> Vec<String> {
    teardown(d, rec, None, true)
}

fn teardown(
    d: &Daemon,
    rec: &Container,
    netns: Option<&Path>,
    with_namespace: bool,
) -> Vec<String> {
    let mut eps: Vec<Endpoint> = d.networks.endpoints_of(&rec.id);
    let fresh = d.get(&rec.id).ok();
    for r in [Some(rec), fresh.as_ref()].into_iter().flatten() {
        for a in r.networks.values() {
            if let Some(ep) = &a.endpoint {
                if !eps.iter().any(|e| e.endpoint_id == ep.endpoint_id) {
                    eps.push(ep.clone());
                }
            }
        }
    }
    let mut errs = Vec::new();
    let mut unpublished = BTreeSet::new();
    for r in [fresh.as_ref(), Some(rec)].into_iter().flatten() {
        for p in r.networks.values().filter_map(|a| a.ports.as_ref()) {
            if unpublished.insert(p.network_id.clone()) {
                if let Err(e) = d.networks.unpublish_ports(&rec.id, p) {
                    errs.push(e.to_string());
                }
            }
        }
    }
    for ep in eps.iter().rev() {
        if with_namespace {
            d.networks.release_with_namespace(&rec.id, ep);
        } else if let Err(e) = d.networks.disconnect(&rec.id, ep, netns) {
            errs.push(e.to_string());
        }
    }
    // Saved by the caller's next update (the exit, or the removal).
    let _ = d.update_deferred(&rec.id, |r| {
        for a in r.networks.values_mut() {
            a.endpoint = None;
            a.ports = None;
        }
    });
    errs
}

/// Daemon start: a running container's endpoints go back into the table
/// (and a lost bridge is made again). An attachment whose veth is gone
/// (a disconnect interrupted by a crash under the old order, or a veth
/// deleted behind the engine's back) is disconnected for good: the
/// record never lists an attachment the container does not have.
pub fn restore(d: &Daemon, rec: &Container, paths: &Paths) {
    let lost: Vec<String> = rec
        .networks
        .iter()
        .filter(|(_, a)| {
            a.endpoint.as_ref().is_some_and(|ep| {
                !ep.host_veth.is_empty() && !wharf_network::netlink::link_present(&ep.host_veth)
            })
        })
        .map(|(id, _)| id.clone())
        .collect();
    for net_id in &lost {
        let name = rec.networks[net_id].name.clone();
        tracing::warn!(container_id = %rec.id, network = %name, "the veth of this attachment is gone: disconnecting it");
        if let Some(ep) = &rec.networks[net_id].endpoint {
            let _ = d.networks.disconnect(&rec.id, ep, Some(&paths.netns()));
        }
        if let Err(e) = d.update(&rec.id, |r| {
            r.networks.remove(net_id);
        }) {
            tracing::warn!(container_id = %rec.id, error = %e.message, "cannot save the disconnect");
        }
        d.networks.remove_ref(net_id, &rec.id);
    }
    let eps: Vec<Endpoint> = rec
        .networks
        .iter()
        .filter(|(id, _)| !lost.contains(id))
        .filter_map(|(_, a)| a.endpoint.clone())
        .collect();
    if !eps.is_empty() {
        d.networks.restore(&cref(rec, &paths.netns()), &eps);
    }
    for p in rec.networks.values().filter_map(|a| a.ports.as_ref()) {
        if let Err(e) = d.networks.republish_ports(&rec.id, p) {
            tracing::warn!(container_id = %rec.id, error = %e, "cannot publish ports again");
        }
    }
}

/// `POST /networks/{id}/connect`, on a created, stopped or running
/// container (a running one gets its interface at once).
pub fn connect_live(
    d: &Daemon,
    net_key: &str,
    container_key: &str,
    es: Option<&EndpointSettings>,
) -> Result<Network> {
    let rec = d.get(container_key)?;
    let net = d.networks.get(net_key).map_err(crate::kinded)?;
    match NetworkMode::of(&rec.host_config) {
        NetworkMode::Host => {
            return Err(Error::invalid(
                "container cannot be disconnected from host network or connected to host network",
            ))
        }
        NetworkMode::None => {
            return Err(Error::invalid(
                "container cannot be connected to multiple networks with one of the networks in private (none) mode",
            ))
        }
        NetworkMode::Container(_) => {
            return Err(Error::invalid(
                "container sharing network namespace with another container or host cannot be connected to any other network",
            ))
        }
        _ => {}
    }
    if net.driver == "host" || net.driver == "null" {
        return Err(Error::invalid(
            "container cannot be disconnected from host network or connected to host network",
        ));
    }
    if rec.networks.contains_key(&net.id) {
        return Err(Error::conflict(format!(
            "endpoint with name {} already exists in network {}",
            rec.name, net.name
        )));
    }
    let cfg = endpoint_config(es)?;
    d.networks
        .check_connect(&net, &cfg)
        .map_err(crate::kinded)?;
    let paths = d.paths(&rec.id);
    let running = rec.state.status.is_active() && rec.state.pid > 0;
    let ep = if running {
        Some(
            d.networks
                .connect(&net, &cref(&rec, &paths.netns()), &cfg, &[])
                .map_err(crate::kinded)?,
        )
    } else {
        None
    };
    let order = rec
        .networks
        .values()
        .map(|a| a.order + 1)
        .max()
        .unwrap_or(0);
    let att = NetAttachment {
        name: net.name.clone(),
        config: cfg,
        endpoint: ep.clone(),
        order,
        ports: None,
    };
    if let Err(e) = d.update(&rec.id, |r| {
        r.networks.insert(net.id.clone(), att);
    }) {
        if let Some(ep) = &ep {
            let _ = d.networks.disconnect(&rec.id, ep, Some(&paths.netns()));
        }
        return Err(e);
    }
    d.networks.add_ref(&net.id, &rec.id);
    Ok(net)
}

/// `POST /networks/{id}/disconnect`.
pub fn disconnect_live(
    d: &Daemon,
    net_key: &str,
    container_key: &str,
    force: bool,
) -> Result<Network> {
    let rec = d.get(container_key)?;
    let net = d.networks.get(net_key).map_err(crate::kinded)?;
    if net.driver == "host" {
        return Err(Error::invalid(
            "container cannot be disconnected from host network or connected to host network",
        ));
    }
    let Some(att) = rec.networks.get(&net.id).cloned() else {
        if force {
            return Ok(net);
        }
        return Err(Error::invalid(format!(
            "container {} is not connected to network {}",
            rec.short_id(),
            net.name
        )));
    };
    // The record first: a crash after it leaves a veth of no endpoint,
    // which start-up deletes (`sweep_stray_veths`); the other order left
    // a running container listing an attachment whose veth was gone.
    d.update(&rec.id, |r| {
        r.networks.remove(&net.id);
    })?;
    d.networks.remove_ref(&net.id, &rec.id);
    let paths = d.paths(&rec.id);
    let mut err = None;
    if let Some(ep) = &att.endpoint {
        if let Err(e) = d.networks.disconnect(&rec.id, ep, Some(&paths.netns())) {
            err = Some(e);
        }
    }
    match err {
        Some(e) if !force => Err(crate::kinded(e)),
        _ => Ok(net),
    }
}

/// Docker's `EndpointSettings` of one attachment.
fn endpoint_settings(net_id: &str, a: &NetAttachment) -> EndpointSettings {
    let mut es = EndpointSettings {
        network_id: net_id.to_string(),
        aliases: if a.config.aliases.is_empty() {
            None
        } else {
            Some(a.config.aliases.clone())
        },
        links: if a.config.links.is_empty() {
            None
        } else {
            Some(a.config.links.clone())
        },
        ..Default::default()
    };
    if a.config.ipv4.is_some() || a.config.ipv6.is_some() {
        let mut m = serde_json::Map::new();
        if let Some(ip) = a.config.ipv4 {
            m.insert("IPv4Address".into(), ip.to_string().into());
        }
        if let Some(ip) = a.config.ipv6 {
            m.insert("IPv6Address".into(), ip.to_string().into());
        }
        es.ipam_config = Some(serde_json::Value::Object(m));
    }
    if let Some(ep) = &a.endpoint {
        es.endpoint_id = ep.endpoint_id.clone();
        es.mac_address = ep.mac.clone();
        es.ip_address = ep.ipv4.map(|i| i.to_string()).unwrap_or_default();
        es.ip_prefix_len = if ep.ipv4.is_some() {
            ep.ipv4_prefix as i64
        } else {
            0
        };
        es.gateway = ep.gateway.map(|i| i.to_string()).unwrap_or_default();
        es.global_ipv6_address = ep.ipv6.map(|i| i.to_string()).unwrap_or_default();
        es.global_ipv6_prefix_len = if ep.ipv6.is_some() {
            ep.ipv6_prefix as i64
        } else {
            0
        };
        es.ipv6_gateway = ep
            .ipv6
            .and(ep.ipv6_gateway)
            .map(|i| i.to_string())
            .unwrap_or_default();
        if !ep.dns_names.is_empty() {
            es.dns_names = Some(ep.dns_names.clone());
        }
    }
    es
}

/// The `Networks` map of inspect and list.
pub fn networks_map(d: &Daemon, rec: &Container) -> BTreeMap<String, EndpointSettings> {
    let mut out = BTreeMap::new();
    match NetworkMode::of(&rec.host_config) {
        NetworkMode::Host | NetworkMode::None => {
            let name = if NetworkMode::of(&rec.host_config).is_host() {
                "host"
            } else {
                "none"
            };
            let id = d.networks.get(name).map(|n| n.id).unwrap_or_default();
            out.insert(
                name.to_string(),
                EndpointSettings {
                    network_id: id,
                    ..Default::default()
                },
            );
        }
        _ => {
            for (id, a) in &rec.networks {
                out.insert(a.name.clone(), endpoint_settings(id, a));
            }
        }
    }
    out
}

/// `NetworkSettings` of inspect: the networks map, and the default
/// bridge's endpoint at the top level (as Docker shows it).
pub fn settings(d: &Daemon, rec: &Container) -> NetworkSettings {
    let networks = networks_map(d, rec);
    let mut s = NetworkSettings {
        sandbox_key: if rec.state.pid > 0 {
            d.paths(&rec.id).netns().to_string_lossy().into_owned()
        } else {
            String::new()
        },
        sandbox_id: if rec.state.pid > 0 {
            rec.id.clone()
        } else {
            String::new()
        },
        ..Default::default()
    };
    if let Some(bridge) = networks.get("bridge") {
        s.ip_address = bridge.ip_address.clone();
        s.ip_prefix_len = bridge.ip_prefix_len;
        s.gateway = bridge.gateway.clone();
        s.mac_address = bridge.mac_address.clone();
    }
    s.networks = networks;
    s.ports = wharf_network::ports::ports_map(rec.config.exposed_ports.as_ref(), &published(rec));
    s
}

/// The container's published ports (while it runs).
pub fn published(rec: &Container) -> Vec<wharf_network::firewall::PortMapping> {
    rec.networks
        .values()
        .filter_map(|a| a.ports.as_ref())
        .flat_map(|p| p.ports.iter().cloned())
        .collect()
}

/// The container's first IPv4 address (for /etc/hosts).
pub fn primary_ip(eps: &[Endpoint]) -> Option<IpAddr> {
    eps.iter().find_map(|e| e.ipv4.or(e.ipv6))
}

/// The default bridge's gateway (`--add-host name:host-gateway`).
pub fn host_gateway(d: &Daemon) -> Option<IpAddr> {
    d.networks
        .default_bridge()
        .and_then(|n| n.v4_pool().map(|p| p.gateway))
}

/// Containers attached to a network (for `network rm` messages, filters).
pub fn containers_on(d: &Daemon, net_id: &str) -> BTreeSet<String> {
    d.table()
        .by_id
        .values()
        .filter(|e| e.rec.networks.contains_key(net_id))
        .map(|e| e.rec.id.clone())
        .collect()
}

/// Whether a container with these endpoints is served by the embedded DNS
/// (it is on a user-defined network).
pub fn uses_embedded_dns(_d: &Daemon, eps: &[Endpoint]) -> bool {
    eps.iter().any(|e| !e.dns_names.is_empty())
}

/// Serves the embedded DNS in a running container's namespace when it is
/// on a user-defined network (start, connect, daemon restart), with its
/// `--dns` servers as upstreams and no relay through the host when all its
/// networks are internal; stops serving it when it has left them all.
pub async fn sync_dns(d: &Daemon, id: &str) {
    let Ok(rec) = d.get(id) else { return };
    let eps: Vec<Endpoint> = rec
        .networks
        .values()
        .filter_map(|a| a.endpoint.clone())
        .collect();
    if !rec.state.status.is_active() && rec.state.pid == 0 && eps.is_empty() {
        d.dns.detach(id);
        return;
    }
    let paths = d.paths(id);
    if rec.state.status.is_active() && paths.resolv().exists() {
        super::etc::refresh_resolv(&paths, &rec, uses_embedded_dns(d, &eps));
    }
    if !uses_embedded_dns(d, &eps) {
        d.dns.detach(id);
        return;
    }
    let upstreams: Vec<std::net::SocketAddr> = rec
        .host_config
        .dns
        .iter()
        .flatten()
        .filter_map(|s| s.parse::<IpAddr>().ok())
        .map(|ip| std::net::SocketAddr::new(ip, 53))
        .collect();
    d.dns.set_upstreams(id, upstreams);
    let all_internal = eps.iter().all(|e| {
        d.networks
            .get(&e.network_id)
            .map(|n| n.internal)
            .unwrap_or(false)
    });
    d.dns.set_external_access(id, !all_internal);
    if let Err(e) = d.dns.attach(id, &d.paths(id).netns()).await {
        tracing::warn!(container_id = %id, error = %e, "embedded dns not served");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(NetworkMode::parse(""), NetworkMode::Bridge);
        assert_eq!(NetworkMode::parse("default"), NetworkMode::Bridge);
        assert_eq!(NetworkMode::parse("bridge"), NetworkMode::Bridge);
        assert!(NetworkMode::parse("host").is_host());
        assert_eq!(NetworkMode::parse("none"), NetworkMode::None);
        assert_eq!(
            NetworkMode::parse("container:web"),
            NetworkMode::Container("web".into())
        );
        assert_eq!(
            NetworkMode::parse("back"),
            NetworkMode::Named("back".into())
        );
    }

    #[test]
    fn endpoint_configs() {
        let es: EndpointSettings = serde_json::from_value(serde_json::json!({
            "Aliases": ["db"],
            "IPAMConfig": {"IPv4Address": "10.1.0.5", "IPv6Address": "fd00::5"},
            "MacAddress": "02:42:0a:01:00:05"
        }))
        .unwrap();
        let c = endpoint_config(Some(&es)).unwrap();
        assert_eq!(c.aliases, ["db"]);
        assert_eq!(c.ipv4, Some("10.1.0.5".parse().unwrap()));
        assert_eq!(c.ipv6, Some("fd00::5".parse().unwrap()));
        assert_eq!(c.mac.as_deref(), Some("02:42:0a:01:00:05"));
        let bad: EndpointSettings =
            serde_json::from_value(serde_json::json!({"IPAMConfig": {"IPv4Address": "fd00::5"}}))
                .unwrap();
        assert!(endpoint_config(Some(&bad)).is_err());
        let bad_alias: EndpointSettings =
            serde_json::from_value(serde_json::json!({"Aliases": ["a b"]})).unwrap();
        assert!(endpoint_config(Some(&bad_alias)).is_err());
        assert_eq!(endpoint_config(None).unwrap(), EndpointConfig::default());
    }
}
