//! What is kept on disk: a network's record (`<data-root>/network/<id>.json`)
//! and an endpoint (kept by the daemon in the container's record).

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::ipam::Pool;

/// The option Docker uses to name a bridge network's Linux bridge.
pub const BRIDGE_NAME_OPTION: &str = "com.docker.network.bridge.name";

/// One network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub created: String,
    pub driver: String,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub enable_ipv6: bool,
    #[serde(default)]
    pub pools: Vec<Pool>,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The Linux bridge (bridge driver only).
    #[serde(default)]
    pub bridge: String,
    /// One of the three networks that exist from the first start.
    #[serde(default)]
    pub predefined: bool,
}

impl Network {
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }

    /// The default `bridge` network: no DNS, legacy links.
    pub fn is_default_bridge(&self) -> bool {
        self.predefined && self.driver == "bridge"
    }

    pub fn v4_pool(&self) -> Option<&Pool> {
        self.pools.iter().find(|p| p.subnet.addr().is_ipv4())
    }

    pub fn v6_pool(&self) -> Option<&Pool> {
        self.pools.iter().find(|p| p.subnet.addr().is_ipv6())
    }
}

/// What a container asks of one network (`EndpointsConfig`, `connect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointConfig {
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub ipv4: Option<IpAddr>,
    #[serde(default)]
    pub ipv6: Option<IpAddr>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub links: Vec<String>,
}

/// A live attachment of a running container to a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub endpoint_id: String,
    pub network_id: String,
    pub network_name: String,
    /// The interface inside the container (`eth0`, `eth1`, …); empty for
    /// `host` and `none`.
    #[serde(default)]
    pub ifname: String,
    /// The veth end left on the host.
    #[serde(default)]
    pub host_veth: String,
    #[serde(default)]
    pub ipv4: Option<IpAddr>,
    #[serde(default)]
    pub ipv4_prefix: u8,
    #[serde(default)]
    pub gateway: Option<IpAddr>,
    #[serde(default)]
    pub ipv6: Option<IpAddr>,
    #[serde(default)]
    pub ipv6_prefix: u8,
    #[serde(default)]
    pub ipv6_gateway: Option<IpAddr>,
    #[serde(default)]
    pub mac: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Names this endpoint answers to in the embedded DNS.
    #[serde(default)]
    pub dns_names: Vec<String>,
}

/// Replaces a container's old name by its new one in an endpoint's names.
pub fn rename_dns(ep: &mut Endpoint, old: &str, new: &str) {
    for n in ep.dns_names.iter_mut() {
        if n == old {
            *n = new.to_string();
        }
    }
}

/// 2·n random hex digits.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Docker's MAC for an IPv4 endpoint: 02:42 followed by the address.
pub fn mac_for(ip: Option<IpAddr>) -> [u8; 6] {
    match ip {
        Some(IpAddr::V4(v4)) => {
            let o = v4.octets();
            [0x02, 0x42, o[0], o[1], o[2], o[3]]
        }
        _ => {
            let r = random_hex(4);
            let b = |i: usize| u8::from_str_radix(&r[i * 2..i * 2 + 2], 16).unwrap_or(0);
            [0x02, 0x42, b(0), b(1), b(2), b(3)]
        }
    }
}

pub fn format_mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = [0u8; 6];
    for (o, p) in out.iter_mut().zip(parts) {
        if p.len() != 2 {
            return None;
        }
        *o = u8::from_str_radix(p, 16).ok()?;
    }
    // A multicast MAC cannot be an interface's address.
    if out[0] & 1 == 1 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs() {
        let m = mac_for(Some("172.17.0.2".parse().unwrap()));
        assert_eq!(format_mac(&m), "02:42:ac:11:00:02");
        assert_eq!(parse_mac("02:42:ac:11:00:02"), Some(m));
        assert_eq!(parse_mac("01:42:ac:11:00:02"), None);
        assert_eq!(parse_mac("zz"), None);
        assert_eq!(random_hex(32).len(), 64);
    }
}
