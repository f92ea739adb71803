//! Published ports: from a container's `PortBindings`, `ExposedPorts` and
//! `PublishAllPorts` to the [`PortMapping`]s the firewall installs, and
//! back to the `NetworkSettings.Ports` map that inspect and `port` show.
//!
//! The [`PortAllocator`] is the daemon's table of host ports in use by
//! published ports (DNAT binds no socket, so the kernel cannot tell us).
//! A host port is free when no endpoint has published it for an
//! overlapping address and protocol, and a host process does not hold it
//! (we try to bind it). Ephemeral host ports come from the kernel's
//! `net.ipv4.ip_local_port_range`, as Docker's do.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::Mutex;

use wharf_api::network::PortBinding;
use wharf_api::port::{parse_port_key, parse_port_range, port_key, ExposedPorts, PortBindings};

use crate::firewall::{EndpointPorts, FirewallDriver, FirewallError, PortMapping, Proto};

/// Why ports could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("invalid port spec: {0}")]
    Invalid(String),
    #[error("bind for {addr}:{port} failed: port is already allocated")]
    Allocated { addr: String, port: u16 },
    #[error("bind for {addr}:{port}/{proto} failed: {reason}")]
    HostBusy {
        addr: String,
        port: u16,
        proto: &'static str,
        reason: String,
    },
    #[error("no free host port in {start}-{end} for {key}")]
    Exhausted { start: u16, end: u16, key: String },
}

impl PortError {
    /// The API error class.
    pub fn kind(&self) -> wharf_api::error::ErrorKind {
        use wharf_api::error::ErrorKind;
        match self {
            PortError::Invalid(_) => ErrorKind::InvalidArgument,
            PortError::Allocated { .. } | PortError::HostBusy { .. } => ErrorKind::Conflict,
            PortError::Exhausted { .. } => ErrorKind::Unavailable,
        }
    }
}

fn proto_of(s: &str) -> Result<Proto, PortError> {
    match s {
        "tcp" => Ok(Proto::Tcp),
        "udp" => Ok(Proto::Udp),
        other => Err(PortError::Invalid(format!(
            "publishing {other} ports is not supported (tcp and udp are)"
        ))),
    }
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

fn show_addr(ip: Option<IpAddr>) -> String {
    match ip {
        None => "0.0.0.0".into(),
        Some(IpAddr::V6(a)) => format!("[{a}]"),
        Some(a) => a.to_string(),
    }
}

/// Whether two published ports would catch the same packets.
fn overlaps(a: &PortMapping, b: &PortMapping) -> bool {
    a.host_port == b.host_port
        && a.proto == b.proto
        && match (a.host_ip, b.host_ip) {
            (None, _) | (_, None) => true,
            (Some(x), Some(y)) => x == y || x.is_unspecified() || y.is_unspecified(),
        }
}

/// Tries to bind `ip:port` (every address when `None`) the way a host
/// server would; `Err` says why it cannot.
fn host_can_bind(ip: Option<IpAddr>, port: u16, proto: Proto) -> Result<(), String> {
    let addr = SocketAddr::new(ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), port);
    let res = match proto {
        Proto::Tcp => TcpListener::bind(addr).map(drop),
        Proto::Udp => UdpSocket::bind(addr).map(drop),
    };
    res.map_err(|e| e.to_string().to_lowercase())
}

/// The kernel's ephemeral port range (`32768 60999` by default).
pub fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|n| n.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .filter(|(a, b)| a <= b && *a > 0)
        .unwrap_or((32768, 60999))
}

/// The host ports published by every endpoint, keyed by owner (a
/// container id, or container id + network, as the caller likes).
#[derive(Debug)]
pub struct PortAllocator {
    owners: Mutex<BTreeMap<String, Vec<PortMapping>>>,
    range: (u16, u16),
    /// Where the next ephemeral search starts (round-robin, so a port
    /// just released is not handed out again at once).
    cursor: Mutex<u16>,
}

impl Default for PortAllocator {
    fn default() -> Self {
        Self::new()
    }
}

/// What a container asks for, before host ports are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    host_ip: Option<IpAddr>,
    /// `None`: ephemeral; `Some((a, b))`: a port in a..=b.
    host_ports: Option<(u16, u16)>,
    container_port: u16,
    proto: Proto,
}

/// Turns the API fields into requests, in a stable order.
fn requests(
    exposed: Option<&ExposedPorts>,
    bindings: Option<&PortBindings>,
    publish_all: bool,
) -> Result<Vec<Request>, PortError> {
    let mut out = Vec::new();
    let mut bound = BTreeSet::new();
    for (key, list) in bindings.into_iter().flatten() {
        let (container_port, proto) =
            parse_port_key(key).map_err(|e| PortError::Invalid(e.to_string()))?;
        let proto = proto_of(&proto)?;
        bound.insert((container_port, proto));
        let empty = vec![PortBinding::default()];
        let list = match list {
            Some(l) if !l.is_empty() => l,
            _ => &empty,
        };
        for b in list {
            let host_ip = if b.host_ip.is_empty() {
                None
            } else {
                let ip: IpAddr = b.host_ip.parse().map_err(|_| {
                    PortError::Invalid(format!("invalid host IP address: {}", b.host_ip))
                })?;
                if ip.is_unspecified() && ip.is_ipv4() {
                    None
                } else {
                    Some(ip)
                }
            };
            let host_ports = if b.host_port.is_empty() || b.host_port == "0" {
                None
            } else {
                let (a, z) = parse_port_range(&b.host_port).map_err(|_| {
                    PortError::Invalid(format!("invalid host port: {}", b.host_port))
                })?;
                if a == 0 {
                    None
                } else {
                    Some((a, z))
                }
            };
            out.push(Request {
                host_ip,
                host_ports,
                container_port,
                proto,
            });
        }
    }
    if publish_all {
        for key in exposed.into_iter().flat_map(|e| e.keys()) {
            let (container_port, proto) =
                parse_port_key(key).map_err(|e| PortError::Invalid(e.to_string()))?;
            let Ok(proto) = proto_of(&proto) else {
                continue;
            };
            if bound.contains(&(container_port, proto)) {
                continue;
            }
            out.push(Request {
                host_ip: None,
                host_ports: None,
                container_port,
                proto,
            });
        }
    }
    Ok(out)
}

/// Checks a create request's `ExposedPorts`/`PortBindings` (keys, host
/// addresses, host ports, protocols) without choosing anything, so that a
/// bad request is refused at create time (400) rather than at start.
pub fn validate(
    exposed: Option<&ExposedPorts>,
    bindings: Option<&PortBindings>,
) -> Result<(), PortError> {
    requests(exposed, bindings, false)?;
    for key in exposed.into_iter().flat_map(|e| e.keys()) {
        parse_port_key(key).map_err(|e| PortError::Invalid(e.to_string()))?;
    }
    Ok(())
}

impl PortAllocator {
    /// An allocator drawing ephemeral ports from the kernel's range.
    pub fn new() -> Self {
        Self::with_range(ephemeral_range())
    }

    /// An allocator drawing ephemeral ports from `range` (inclusive).
    pub fn with_range(range: (u16, u16)) -> Self {
        let span = u32::from(range.1 - range.0) + 1;
        let seed = std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
        PortAllocator {
            owners: Mutex::new(BTreeMap::new()),
            range,
            cursor: Mutex::new(range.0 + (seed % span) as u16),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<PortMapping>>> {
        self.owners.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Chooses host ports for `owner`'s container and records them.
    /// `owner` releases whatever it held before (idempotent re-allocation
    /// on restart keeps the same fixed ports; ephemeral ones may change).
    /// On error nothing is recorded.
    pub fn allocate(
        &self,
        owner: &str,
        exposed: Option<&ExposedPorts>,
        bindings: Option<&PortBindings>,
        publish_all: bool,
    ) -> Result<Vec<PortMapping>, PortError> {
        let reqs = requests(exposed, bindings, publish_all)?;
        let mut owners = self.lock();
        owners.remove(owner);
        let taken: Vec<PortMapping> = owners.values().flatten().cloned().collect();
        let mut mine: Vec<PortMapping> = Vec::new();
        let is_free = |m: &PortMapping, mine: &[PortMapping]| -> Result<(), PortError> {
            if taken.iter().chain(mine.iter()).any(|t| overlaps(t, m)) {
                return Err(PortError::Allocated {
                    addr: show_addr(m.host_ip),
                    port: m.host_port,
                });
            }
            host_can_bind(m.host_ip, m.host_port, m.proto).map_err(|reason| PortError::HostBusy {
                addr: show_addr(m.host_ip),
                port: m.host_port,
                proto: proto_name(m.proto),
                reason,
            })
        };
        for r in reqs {
            let mut m = PortMapping {
                host_ip: r.host_ip,
                host_port: 0,
                container_port: r.container_port,
                proto: r.proto,
            };
            match r.host_ports {
                Some((a, z)) if a == z => {
                    m.host_port = a;
                    is_free(&m, &mine)?;
                }
                Some((a, z)) => {
                    m.host_port = (a..=z)
                        .find(|p| {
                            let mut c = m.clone();
                            c.host_port = *p;
                            is_free(&c, &mine).is_ok()
                        })
                        .ok_or_else(|| PortError::Exhausted {
                            start: a,
                            end: z,
                            key: port_key(r.container_port, proto_name(r.proto)),
                        })?;
                }
                None => {
                    let (a, z) = self.range;
                    let span = u32::from(z - a) + 1;
                    let mut cursor = self.cursor.lock().unwrap_or_else(|p| p.into_inner());
                    let start = *cursor;
                    let mut found = None;
                    for i in 0..span {
                        let p = a + ((u32::from(start - a) + i) % span) as u16;
                        let mut c = m.clone();
                        c.host_port = p;
                        if is_free(&c, &mine).is_ok() {
                            found = Some(p);
                            break;
                        }
                    }
                    let p = found.ok_or_else(|| PortError::Exhausted {
                        start: a,
                        end: z,
                        key: port_key(r.container_port, proto_name(r.proto)),
                    })?;
                    *cursor = if p == z { a } else { p + 1 };
                    m.host_port = p;
                }
            }
            mine.push(m);
        }
        if !mine.is_empty() {
            owners.insert(owner.to_string(), mine.clone());
        }
        Ok(mine)
    }

    /// Records ports already published (a daemon restart re-adopting a
    /// running container's endpoint): no bind check, the container owns
    /// them.
    pub fn restore(&self, owner: &str, ports: &[PortMapping]) {
        let mut owners = self.lock();
        if ports.is_empty() {
            owners.remove(owner);
        } else {
            owners.insert(owner.to_string(), ports.to_vec());
        }
    }

    /// Forgets `owner`'s ports (idempotent).
    pub fn release(&self, owner: &str) {
        self.lock().remove(owner);
    }

    /// The ports `owner` holds.
    pub fn get(&self, owner: &str) -> Vec<PortMapping> {
        self.lock().get(owner).cloned().unwrap_or_default()
    }
}

/// `NetworkSettings.Ports` as Docker fills it: every exposed port as a
/// key, `null` when not published, else its host bindings
/// (`{"HostIp": "0.0.0.0", "HostPort": "8080"}`).
pub fn ports_map(exposed: Option<&ExposedPorts>, mappings: &[PortMapping]) -> PortBindings {
    let mut out = PortBindings::new();
    for key in exposed.into_iter().flat_map(|e| e.keys()) {
        // Normalise `80` to `80/tcp`.
        let key = match parse_port_key(key) {
            Ok((p, proto)) => port_key(p, &proto),
            Err(_) => key.clone(),
        };
        out.entry(key).or_insert(None);
    }
    for m in mappings {
        let key = port_key(m.container_port, proto_name(m.proto));
        let host_ip = match m.host_ip {
            None => "0.0.0.0".to_string(),
            Some(ip) => ip.to_string(),
        };
        out.entry(key)
            .or_insert(None)
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip,
                host_port: m.host_port.to_string(),
            });
    }
    out
}

/// The `Ports` of a `GET /containers/json` entry (the `PORTS` column of
/// `ps`): one per published mapping (`IP`, `PublicPort`), and one per
/// exposed port that is not published (no `IP`, no `PublicPort`).
pub fn summary_ports(
    exposed: Option<&ExposedPorts>,
    mappings: &[PortMapping],
) -> Vec<wharf_api::container::Port> {
    let mut out = Vec::new();
    let mut published = BTreeSet::new();
    for m in mappings {
        published.insert((m.container_port, m.proto));
        out.push(wharf_api::container::Port {
            ip: Some(match m.host_ip {
                None => "0.0.0.0".into(),
                Some(ip) => ip.to_string(),
            }),
            private_port: m.container_port,
            public_port: Some(m.host_port),
            kind: proto_name(m.proto).into(),
        });
    }
    for key in exposed.into_iter().flat_map(|e| e.keys()) {
        let Ok((port, proto)) = parse_port_key(key) else {
            continue;
        };
        if proto_of(&proto).is_ok_and(|p| published.contains(&(port, p))) {
            continue;
        }
        out.push(wharf_api::container::Port {
            ip: None,
            private_port: port,
            public_port: None,
            kind: proto,
        });
    }
    out
}

/// Why a container's ports could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Ports(#[from] PortError),
    #[error(transparent)]
    Firewall(#[from] FirewallError),
}

impl PublishError {
    /// The API error class.
    pub fn kind(&self) -> wharf_api::error::ErrorKind {
        match self {
            PublishError::Ports(e) => e.kind(),
            PublishError::Firewall(e) => e.kind(),
        }
    }
}

/// Where a container's ports are published: its endpoint on the network
/// that gives it outside connectivity (Docker publishes on one endpoint).
#[derive(Debug, Clone)]
pub struct PublishTarget<'a> {
    pub network_id: &'a str,
    pub bridge: &'a str,
    pub container_ip: IpAddr,
}

/// Publishes container `owner`'s ports (from its `ExposedPorts`,
/// `PortBindings` and `PublishAllPorts`) on `target`: chooses and records
/// host ports, then installs the DNAT rules. On failure nothing is left
/// (the allocation is released). Returns what to keep in the endpoint's
/// record (for [`unpublish`] and, after a daemon restart, [`republish`]),
/// with an empty `ports` when nothing is published.
pub fn publish(
    fw: &dyn FirewallDriver,
    alloc: &PortAllocator,
    owner: &str,
    target: &PublishTarget<'_>,
    exposed: Option<&ExposedPorts>,
    bindings: Option<&PortBindings>,
    publish_all: bool,
) -> Result<EndpointPorts, PublishError> {
    let ports = alloc.allocate(owner, exposed, bindings, publish_all)?;
    let ep = EndpointPorts {
        network_id: target.network_id.to_string(),
        bridge: target.bridge.to_string(),
        container_ip: target.container_ip,
        ports,
    };
    if ep.ports.is_empty() {
        return Ok(ep);
    }
    if let Err(e) = fw.add_ports(&ep) {
        alloc.release(owner);
        return Err(e.into());
    }
    Ok(ep)
}

/// Removes the DNAT rules of `ep` and releases its host ports (released
/// even when the firewall fails; the error is returned).
pub fn unpublish(
    fw: &dyn FirewallDriver,
    alloc: &PortAllocator,
    owner: &str,
    ep: &EndpointPorts,
) -> Result<(), FirewallError> {
    alloc.release(owner);
    if ep.ports.is_empty() {
        return Ok(());
    }
    fw.remove_ports(ep)
}

/// After a daemon restart, for a container still running: records its
/// host ports again (no bind check: they are its own) and re-installs its
/// rules.
pub fn republish(
    fw: &dyn FirewallDriver,
    alloc: &PortAllocator,
    owner: &str,
    ep: &EndpointPorts,
) -> Result<(), FirewallError> {
    alloc.restore(owner, &ep.ports);
    if ep.ports.is_empty() {
        return Ok(());
    }
    fw.add_ports(ep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings(spec: &[&str]) -> (ExposedPorts, PortBindings) {
        let spec: Vec<String> = spec.iter().map(|s| s.to_string()).collect();
        wharf_api::port::parse_publish_expose(&spec, &[]).unwrap()
    }

    /// A port nobody on this machine is likely to use, picked by binding 0.
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[test]
    fn fixed_and_ephemeral() {
        let fixed = free_port();
        let a = PortAllocator::new();
        let (e, b) = bindings(&[&format!("{fixed}:80"), "53/udp"]);
        let m = a.allocate("c1", Some(&e), Some(&b), false).unwrap();
        assert_eq!(m.len(), 2);
        let tcp = m.iter().find(|m| m.proto == Proto::Tcp).unwrap();
        assert_eq!((tcp.host_port, tcp.container_port), (fixed, 80));
        let udp = m.iter().find(|m| m.proto == Proto::Udp).unwrap();
        let (lo, hi) = ephemeral_range();
        assert!(udp.host_port >= lo && udp.host_port <= hi);

        // The same host port for another container: refused, named.
        let err = a
            .allocate("c2", Some(&e), Some(&b), false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!("bind for 0.0.0.0:{fixed} failed: port is already allocated")
        );
        assert!(a.get("c2").is_empty(), "nothing recorded on error");
        a.release("c1");
        assert!(a.allocate("c2", Some(&e), Some(&b), false).is_ok());
    }

    #[test]
    fn host_process_port_is_refused() {
        let l = TcpListener::bind("0.0.0.0:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let a = PortAllocator::new();
        let (e, b) = bindings(&[&format!("{port}:80")]);
        let err = a.allocate("c", Some(&e), Some(&b), false).unwrap_err();
        assert!(matches!(err, PortError::HostBusy { .. }), "{err}");
        assert!(err.to_string().contains(&format!("0.0.0.0:{port}/tcp")));
    }

    #[test]
    fn publish_all_and_ranges() {
        let a = PortAllocator::with_range((40000, 40100));
        let mut e = ExposedPorts::new();
        e.insert("80/tcp".into(), serde_json::json!({}));
        e.insert("81/tcp".into(), serde_json::json!({}));
        let m = a.allocate("c", Some(&e), None, true).unwrap();
        assert_eq!(m.len(), 2);
        assert_ne!(m[0].host_port, m[1].host_port);
        assert!(m.iter().all(|m| (40000..=40100).contains(&m.host_port)));
        // Without -P, exposed ports are not published.
        assert!(a.allocate("c", Some(&e), None, false).unwrap().is_empty());
    }

    #[test]
    fn overlapping_addresses() {
        let m = |ip: Option<&str>| PortMapping {
            host_ip: ip.map(|s| s.parse().unwrap()),
            host_port: 1,
            container_port: 1,
            proto: Proto::Tcp,
        };
        assert!(overlaps(&m(None), &m(Some("127.0.0.1"))));
        assert!(!overlaps(&m(Some("127.0.0.2")), &m(Some("127.0.0.1"))));
        assert!(overlaps(&m(Some("::")), &m(Some("::1"))));
    }

    /// A firewall that records calls and can be told to fail.
    #[derive(Default)]
    struct Recording {
        calls: Mutex<Vec<String>>,
        fail: bool,
    }

    impl FirewallDriver for Recording {
        fn init(&self) -> Result<(), FirewallError> {
            Ok(())
        }
        fn add_network(&self, _: &crate::firewall::NetworkRules) -> Result<(), FirewallError> {
            Ok(())
        }
        fn remove_network(&self, _: &crate::firewall::NetworkRules) -> Result<(), FirewallError> {
            Ok(())
        }
        fn add_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("add {}", ep.ports.len()));
            if self.fail {
                return Err(FirewallError {
                    op: "add ports".into(),
                    message: "refused".into(),
                });
            }
            Ok(())
        }
        fn remove_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("remove {}", ep.ports.len()));
            Ok(())
        }
        fn shutdown(&self) -> Result<(), FirewallError> {
            Ok(())
        }
    }

    #[test]
    fn publish_rolls_back_and_unpublish_releases() {
        let target = PublishTarget {
            network_id: "n",
            bridge: "br",
            container_ip: "10.0.0.2".parse().unwrap(),
        };
        let hp = free_port();
        let (e, b) = bindings(&[&format!("{hp}:80")]);
        let a = PortAllocator::new();
        let failing = Recording {
            fail: true,
            ..Default::default()
        };
        assert!(publish(&failing, &a, "c", &target, Some(&e), Some(&b), false).is_err());
        assert!(a.get("c").is_empty(), "released after a firewall failure");

        let fw = Recording::default();
        let ep = publish(&fw, &a, "c", &target, Some(&e), Some(&b), false).unwrap();
        assert_eq!(ep.ports.len(), 1);
        assert_eq!(a.get("c"), ep.ports);
        // Survives a serde round trip (kept in the endpoint record).
        let json = serde_json::to_string(&ep).unwrap();
        assert!(json.contains("\"tcp\""), "{json}");
        let back: EndpointPorts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ep);
        unpublish(&fw, &a, "c", &ep).unwrap();
        assert!(a.get("c").is_empty());
        republish(&fw, &a, "c", &back).unwrap();
        assert_eq!(a.get("c"), ep.ports);
        // Nothing to publish: no firewall call.
        let none = publish(&fw, &a, "d", &target, None, None, false).unwrap();
        assert!(none.ports.is_empty());
        assert_eq!(*fw.calls.lock().unwrap(), ["add 1", "remove 1", "add 1"]);
    }

    #[test]
    fn validate_refuses_bad_requests() {
        let (e, b) = bindings(&["8080:80", "127.0.0.1::53/udp"]);
        assert!(validate(Some(&e), Some(&b)).is_ok());
        let mut bad = PortBindings::new();
        bad.insert(
            "80/tcp".into(),
            Some(vec![PortBinding {
                host_ip: "".into(),
                host_port: "99999".into(),
            }]),
        );
        let err = validate(None, Some(&bad)).unwrap_err();
        assert_eq!(err.kind(), wharf_api::error::ErrorKind::InvalidArgument);
        let mut bad_key = ExposedPorts::new();
        bad_key.insert("eighty/tcp".into(), serde_json::json!({}));
        assert!(validate(Some(&bad_key), None).is_err());
    }

    #[test]
    fn sctp_and_bad_values() {
        let a = PortAllocator::new();
        let (e, b) = bindings(&["80/sctp"]);
        assert!(matches!(
            a.allocate("c", Some(&e), Some(&b), false),
            Err(PortError::Invalid(_))
        ));
        let mut b = PortBindings::new();
        b.insert(
            "80/tcp".into(),
            Some(vec![PortBinding {
                host_ip: "nope".into(),
                host_port: "80".into(),
            }]),
        );
        assert!(a.allocate("c", None, Some(&b), false).is_err());
    }

    #[test]
    fn ports_map_as_docker_fills_it() {
        let mut e = ExposedPorts::new();
        e.insert("80/tcp".into(), serde_json::json!({}));
        e.insert("443/tcp".into(), serde_json::json!({}));
        let ms = vec![
            PortMapping {
                host_ip: None,
                host_port: 8080,
                container_port: 80,
                proto: Proto::Tcp,
            },
            PortMapping {
                host_ip: Some("::1".parse().unwrap()),
                host_port: 8081,
                container_port: 80,
                proto: Proto::Tcp,
            },
        ];
        let sum = summary_ports(Some(&e), &ms);
        assert_eq!(sum.len(), 3);
        assert_eq!(sum[0].public_port, Some(8080));
        assert_eq!((sum[2].private_port, sum[2].public_port), (443, None));
        let p = ports_map(Some(&e), &ms);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "443/tcp": null,
                "80/tcp": [
                    {"HostIp": "0.0.0.0", "HostPort": "8080"},
                    {"HostIp": "::1", "HostPort": "8081"}
                ]
            })
        );
        assert_eq!(
            wharf_api::port::port_lines(&p, None).unwrap(),
            vec!["80/tcp -> 0.0.0.0:8080", "80/tcp -> [::1]:8081"]
        );
    }
}
