//! The `NetworkDriver` trait and the built-in drivers: `bridge` (a Linux
//! bridge and a veth per endpoint, through netlink), `host` and `null`
//! (nothing to set up: the daemon gives the container the host's
//! namespace, or one with only `lo`).

use std::path::Path;

use crate::error::{NetworkError, Result};
use crate::netlink;
use crate::record::{Endpoint, Network};

/// A network driver, chosen by name. `setup_network`/`connect` undo what
/// they did when they fail; `teardown_network`/`disconnect` are idempotent.
pub trait NetworkDriver: Send + Sync {
    fn name(&self) -> &str;
    /// Whether containers can be connected to this driver's networks
    /// (`host` and `none` are chosen with `--network`, never connected).
    fn connectable(&self) -> bool {
        true
    }
    /// Checks a new network's settings before anything is made.
    fn validate(&self, _net: &Network) -> Result<()> {
        Ok(())
    }
    /// Makes the network's host side (at create and at daemon start).
    fn setup_network(&self, net: &Network) -> Result<()>;
    fn teardown_network(&self, net: &Network) -> Result<()>;
    /// Puts the endpoint's interface into the namespace pinned at `netns`.
    fn connect(
        &self,
        net: &Network,
        ep: &Endpoint,
        netns: &Path,
        default_route: bool,
    ) -> Result<()>;
    /// Removes the endpoint's interface (`netns` is `None` once the
    /// namespace is gone: only the host side is left to remove).
    fn disconnect(&self, net: &Network, ep: &Endpoint, netns: Option<&Path>) -> Result<()>;
}

fn nl_err(net: &Network, op: &str, message: String) -> NetworkError {
    NetworkError::Netlink {
        network: net.name.clone(),
        op: op.to_string(),
        message,
    }
}

/// A bridge network's own addresses: each pool's gateway.
fn bridge_addrs(net: &Network) -> Vec<(std::net::IpAddr, u8)> {
    net.pools
        .iter()
        .map(|p| (p.gateway, p.subnet.prefix_len()))
        .collect()
}

/// Linux bridge networks.
pub struct BridgeDriver;

impl NetworkDriver for BridgeDriver {
    fn name(&self) -> &str {
        "bridge"
    }

    fn validate(&self, net: &Network) -> Result<()> {
        if net.bridge.is_empty() || net.bridge.len() > 15 {
            return Err(NetworkError::invalid(format!(
                "invalid bridge name {:?}: 1 to 15 characters",
                net.bridge
            )));
        }
        if !net
            .bridge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(NetworkError::invalid(format!(
                "invalid bridge name {:?}",
                net.bridge
            )));
        }
        Ok(())
    }

    fn setup_network(&self, net: &Network) -> Result<()> {
        netlink::ensure_bridge(&net.bridge, &bridge_addrs(net))
            .map(|_| ())
            .map_err(|m| nl_err(net, "set up bridge", m))
    }

    fn teardown_network(&self, net: &Network) -> Result<()> {
        netlink::delete_link(&net.bridge).map_err(|m| nl_err(net, "remove bridge", m))
    }

    fn connect(
        &self,
        net: &Network,
        ep: &Endpoint,
        netns: &Path,
        default_route: bool,
    ) -> Result<()> {
        let mac =
            crate::record::parse_mac(&ep.mac).unwrap_or_else(|| crate::record::mac_for(ep.ipv4));
        let mut addrs = Vec::new();
        if let Some(ip) = ep.ipv4 {
            addrs.push((ip, ep.ipv4_prefix));
        }
        if let Some(ip) = ep.ipv6 {
            addrs.push((ip, ep.ipv6_prefix));
        }
        if addrs.is_empty() {
            return Err(nl_err(net, "connect", "endpoint has no address".into()));
        }
        let gateway = if default_route && !net.internal {
            ep.gateway
        } else {
            None
        };
        let bridge_addrs = bridge_addrs(net);
        netlink::connect_veth(&netlink::VethSpec {
            netns,
            bridge: &net.bridge,
            bridge_addrs: &bridge_addrs,
            host_name: &ep.host_veth,
            ifname: &ep.ifname,
            mac,
            addrs: &addrs,
            gateway,
        })
        .map_err(|m| nl_err(net, "connect", m))
    }

    fn disconnect(&self, net: &Network, ep: &Endpoint, netns: Option<&Path>) -> Result<()> {
        let mut errs = Vec::new();
        if let Some(ns) = netns.filter(|p| p.exists()) {
            if let Err(m) = netlink::delete_in_netns(ns, &ep.ifname) {
                errs.push(m);
            }
        }
        if !ep.host_veth.is_empty() {
            if let Err(m) = netlink::delete_link(&ep.host_veth) {
                errs.push(m);
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(nl_err(net, "disconnect", errs.join("; ")))
        }
    }
}

/// `host` and `null`: nothing on the host side, nothing to connect.
pub struct NoopDriver(pub &'static str);

impl NetworkDriver for NoopDriver {
    fn name(&self) -> &str {
        self.0
    }
    fn connectable(&self) -> bool {
        false
    }
    fn setup_network(&self, _net: &Network) -> Result<()> {
        Ok(())
    }
    fn teardown_network(&self, _net: &Network) -> Result<()> {
        Ok(())
    }
    fn connect(&self, _: &Network, _: &Endpoint, _: &Path, _: bool) -> Result<()> {
        Ok(())
    }
    fn disconnect(&self, _: &Network, _: &Endpoint, _: Option<&Path>) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipam;
    use crate::record::{random_hex, Endpoint, Network};

    /// The real thing, as root: a bridge, a namespace, a veth into it.
    #[test]
    fn bridge_connect_disconnect() {
        if !nix_is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let tag = &random_hex(3)[..5];
        let bridge = format!("wtb{tag}");
        let pool = ipam::user_pool("10.249.7.0/24", "", "").unwrap();
        let net = Network {
            id: random_hex(32),
            name: format!("t{tag}"),
            created: String::new(),
            driver: "bridge".into(),
            internal: false,
            attachable: false,
            enable_ipv6: false,
            pools: vec![pool],
            options: Default::default(),
            labels: Default::default(),
            bridge: bridge.clone(),
            predefined: false,
        };
        let dir = std::env::temp_dir().join(format!("wharf-nl-{tag}"));
        let ns = dir.join("ns");
        wharf_sys::netns::create(&ns).unwrap();
        let d = BridgeDriver;
        d.setup_network(&net).unwrap();
        let eid = random_hex(32);
        let ep = Endpoint {
            host_veth: format!("veth{}", &eid[..7]),
            endpoint_id: eid,
            network_id: net.id.clone(),
            network_name: net.name.clone(),
            ifname: "eth0".into(),
            ipv4: Some("10.249.7.2".parse().unwrap()),
            ipv4_prefix: 24,
            gateway: Some("10.249.7.1".parse().unwrap()),
            ipv6: None,
            ipv6_prefix: 0,
            ipv6_gateway: None,
            mac: "02:42:0a:f9:07:02".into(),
            aliases: vec![],
            dns_names: vec![],
        };
        let res = d.connect(&net, &ep, &ns, true);
        let links = netlink::links_in_netns(&ns);
        let host_has = netlink::link_exists(&ep.host_veth);
        let _ = d.disconnect(&net, &ep, Some(&ns));
        let gone = !netlink::link_exists(&ep.host_veth);
        let _ = d.teardown_network(&net);
        let br_gone = !netlink::link_exists(&bridge);
        wharf_sys::netns::remove(&ns);
        let _ = std::fs::remove_dir_all(&dir);
        res.unwrap();
        let links = links.unwrap();
        assert!(links.contains(&"eth0".to_string()), "{links:?}");
        assert!(links.contains(&"lo".to_string()), "{links:?}");
        assert!(host_has);
        assert!(gone, "veth left behind");
        assert!(br_gone, "bridge left behind");
    }

    fn nix_is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
                    .unwrap_or(false)
            })
            .unwrap_or(false)
    }
}
