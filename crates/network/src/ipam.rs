//! IPAM: subnets for networks (Docker's default pools, skipping any subnet
//! a host route or another network already uses) and addresses for
//! endpoints. Pure functions over what is in use; the store supplies that.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};

use crate::error::{NetworkError, Result};

/// Docker's default address pools, in the order Docker uses them:
/// 172.17.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 in /20 blocks.
pub fn default_pools() -> Vec<Ipv4Net> {
    let mut out: Vec<Ipv4Net> = (17u8..=31)
        .filter_map(|b| Ipv4Net::new(Ipv4Addr::new(172, b, 0, 0), 16).ok())
        .collect();
    for i in 0u8..16 {
        if let Ok(n) = Ipv4Net::new(Ipv4Addr::new(192, 168, i * 16, 0), 20) {
            out.push(n);
        }
    }
    out
}

/// Destinations of the host's IPv4 routes (`/proc/net/route`), except the
/// default route: subnets already reachable some other way.
pub fn host_routes() -> Vec<IpNet> {
    let text = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    parse_proc_route(&text)
}

fn parse_proc_route(text: &str) -> Vec<IpNet> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let (Ok(dst), Ok(mask)) = (u32::from_str_radix(f[1], 16), u32::from_str_radix(f[7], 16))
        else {
            continue;
        };
        // The file prints the in-memory (network order) value as a
        // native-endian number.
        let dst = Ipv4Addr::from(dst.to_ne_bytes());
        let prefix = mask.count_ones() as u8;
        if prefix == 0 {
            continue;
        }
        if let Ok(n) = Ipv4Net::new(dst, prefix) {
            out.push(IpNet::V4(n.trunc()));
        }
    }
    out
}

pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// The first default pool overlapping nothing in `used`.
pub fn pick_subnet(pools: &[Ipv4Net], used: &[IpNet]) -> Option<Ipv4Net> {
    pools
        .iter()
        .find(|p| !used.iter().any(|u| overlaps(&IpNet::V4(**p), u)))
        .copied()
}

/// One subnet of a network with its gateway and the range endpoints get
/// addresses from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pool {
    pub subnet: IpNet,
    pub gateway: IpAddr,
    #[serde(default)]
    pub ip_range: Option<IpNet>,
    /// The subnet was given by the user (static `--ip` needs that).
    #[serde(default)]
    pub user_subnet: bool,
}

/// Parses a CIDR, refusing host bits Docker would also refuse.
pub fn parse_subnet(s: &str) -> Result<IpNet> {
    let net: IpNet = s
        .trim()
        .parse()
        .map_err(|_| NetworkError::invalid(format!("invalid subnet {s:?}: not a CIDR")))?;
    Ok(net.trunc())
}

fn parse_ip(s: &str, what: &str) -> Result<IpAddr> {
    s.trim()
        .parse()
        .map_err(|_| NetworkError::invalid(format!("invalid {what} {s:?}: not an IP address")))
}

/// Builds a pool from the user's `--subnet`, `--gateway`, `--ip-range`.
pub fn user_pool(subnet: &str, gateway: &str, ip_range: &str) -> Result<Pool> {
    let subnet = parse_subnet(subnet)?;
    if let IpNet::V4(n) = subnet {
        if n.prefix_len() > 30 {
            return Err(NetworkError::invalid(format!(
                "invalid subnet {subnet}: too small for a gateway and a container"
            )));
        }
    }
    let gateway = if gateway.trim().is_empty() {
        first_host(&subnet)
    } else {
        let g = parse_ip(gateway, "gateway")?;
        if !subnet.contains(&g) || g == subnet.network() {
            return Err(NetworkError::invalid(format!(
                "invalid pool request: gateway {g} is not in subnet {subnet}"
            )));
        }
        g
    };
    let ip_range = if ip_range.trim().is_empty() {
        None
    } else {
        let r = parse_subnet(ip_range)?;
        if !subnet.contains(&r.network()) || r.prefix_len() < subnet.prefix_len() {
            return Err(NetworkError::invalid(format!(
                "invalid pool request: ip-range {r} is not inside subnet {subnet}"
            )));
        }
        Some(r)
    };
    Ok(Pool {
        subnet,
        gateway,
        ip_range,
        user_subnet: true,
    })
}

/// A pool for an automatically chosen subnet: gateway .1, no range.
pub fn auto_pool(subnet: Ipv4Net) -> Pool {
    let subnet = IpNet::V4(subnet);
    Pool {
        gateway: first_host(&subnet),
        subnet,
        ip_range: None,
        user_subnet: false,
    }
}

fn first_host(n: &IpNet) -> IpAddr {
    match n {
        IpNet::V4(n) => IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) + 1)),
        IpNet::V6(n) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(n.network()) + 1)),
    }
}

/// Picks an endpoint address from `pool`: the `requested` one (checked to
/// be inside the subnet or range and free), or the first free one.
pub fn allocate(
    network: &str,
    pool: &Pool,
    taken: &BTreeSet<IpAddr>,
    requested: Option<IpAddr>,
) -> Result<IpAddr> {
    let range = pool.ip_range.unwrap_or(pool.subnet);
    if let Some(ip) = requested {
        if !pool.user_subnet {
            return Err(NetworkError::invalid(
                "user specified IP address is supported only when connecting to networks with user configured subnets",
            ));
        }
        if !pool.subnet.contains(&ip) {
            return Err(NetworkError::invalid(format!(
                "no configured subnet or ip-range contain the IP address {ip}"
            )));
        }
        if ip == pool.gateway || taken.contains(&ip) {
            return Err(NetworkError::Conflict(format!(
                "address {ip} already in use on network {network}"
            )));
        }
        if ip == pool.subnet.network() || ip == pool.subnet.broadcast() {
            return Err(NetworkError::invalid(format!(
                "address {ip} is not a host address of {}",
                pool.subnet
            )));
        }
        return Ok(ip);
    }
    match range {
        IpNet::V4(r) => {
            let sub = match pool.subnet {
                IpNet::V4(s) => s,
                IpNet::V6(_) => return Err(NetworkError::AddressesExhausted(network.into())),
            };
            let start = u32::from(r.network()).max(u32::from(sub.network()) + 1);
            let end = u32::from(r.broadcast()).min(u32::from(sub.broadcast()) - 1);
            (start..=end)
                .map(|n| IpAddr::V4(Ipv4Addr::from(n)))
                .find(|ip| *ip != pool.gateway && !taken.contains(ip))
                .ok_or_else(|| NetworkError::AddressesExhausted(network.into()))
        }
        IpNet::V6(r) => {
            let start = u128::from(r.network()) + 1;
            (start..start.saturating_add(65536))
                .map(|n| IpAddr::V6(std::net::Ipv6Addr::from(n)))
                .find(|ip| *ip != pool.gateway && !taken.contains(ip) && IpNet::V6(r).contains(ip))
                .ok_or_else(|| NetworkError::AddressesExhausted(network.into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_in_docker_order() {
        let p = default_pools();
        assert_eq!(p[0].to_string(), "172.17.0.0/16");
        assert_eq!(p[14].to_string(), "172.31.0.0/16");
        assert_eq!(p[15].to_string(), "192.168.0.0/20");
        assert_eq!(p[16].to_string(), "192.168.16.0/20");
        assert_eq!(p.len(), 31);
    }

    #[test]
    fn picks_first_free_skipping_routes() {
        let used = vec![
            "172.17.0.0/16".parse().unwrap(),
            "172.18.5.0/24".parse().unwrap(),
        ];
        assert_eq!(
            pick_subnet(&default_pools(), &used).unwrap().to_string(),
            "172.19.0.0/16"
        );
        let wide: Vec<IpNet> = vec!["172.16.0.0/12".parse().unwrap()];
        assert_eq!(
            pick_subnet(&default_pools(), &wide).unwrap().to_string(),
            "192.168.0.0/20"
        );
    }

    #[test]
    fn proc_route() {
        let t =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let r = parse_proc_route(t);
        assert_eq!(r, vec!["172.17.0.0/16".parse::<IpNet>().unwrap()]);
    }

    #[test]
    fn user_pools_and_errors() {
        let p = user_pool("10.5.0.0/24", "", "").unwrap();
        assert_eq!(p.gateway.to_string(), "10.5.0.1");
        let p = user_pool("10.5.0.0/24", "10.5.0.254", "10.5.0.128/25").unwrap();
        assert_eq!(p.gateway.to_string(), "10.5.0.254");
        assert!(user_pool("10.5.0.0/24", "10.6.0.1", "").is_err());
        assert!(user_pool("10.5.0.0/24", "", "10.6.0.0/25").is_err());
        assert!(user_pool("nonsense", "", "").is_err());
        assert!(user_pool("10.5.0.0/24", "x", "").is_err());
    }

    #[test]
    fn allocation() {
        let p = user_pool("10.5.0.0/24", "", "").unwrap();
        let mut taken = BTreeSet::new();
        let a = allocate("n", &p, &taken, None).unwrap();
        assert_eq!(a.to_string(), "10.5.0.2");
        taken.insert(a);
        assert_eq!(
            allocate("n", &p, &taken, None).unwrap().to_string(),
            "10.5.0.3"
        );
        let ip = "10.5.0.9".parse().unwrap();
        assert_eq!(allocate("n", &p, &taken, Some(ip)).unwrap(), ip);
        assert!(allocate("n", &p, &taken, Some(a)).is_err());
        assert!(allocate("n", &p, &taken, Some("10.9.0.5".parse().unwrap())).is_err());
        let r = user_pool("10.5.0.0/24", "", "10.5.0.128/25").unwrap();
        assert_eq!(
            allocate("n", &r, &taken, None).unwrap().to_string(),
            "10.5.0.128"
        );
        let auto = auto_pool("172.20.0.0/16".parse().unwrap());
        assert!(allocate("n", &auto, &taken, Some("172.20.0.5".parse().unwrap())).is_err());
        let tiny = user_pool("10.7.0.0/30", "", "").unwrap();
        let mut t = BTreeSet::new();
        t.insert(allocate("n", &tiny, &t, None).unwrap());
        assert!(allocate("n", &tiny, &t, None).is_err());
    }
}
