//! The nftables backend of [`FirewallDriver`].
//!
//! All of a daemon's rules live in one `inet` table of its own (named at
//! construction), which holds both IPv4 and IPv6 filter and NAT chains
//! (`inet` NAT needs Linux 5.2). Two daemons on one host therefore never
//! touch each other's rules, and deleting the table undoes everything.
//!
//! ## Why `nft -f -` scripts
//!
//! The driver keeps the networks and endpoints it was given in memory and,
//! on every change (but one, below), renders the **whole** table as an `nft` script and applies
//! it with `nft -f -`, which the kernel commits as one transaction: the old
//! table is deleted and the new one created atomically, so packets never see
//! a half-made rule set, and every call is idempotent by construction
//! (adding what exists or removing what is gone renders the same table).
//! The exception is the common case of a new endpoint's ports, added as map
//! elements in a small transaction of their own (falling back to a full
//! render when that fails, e.g. after a restart left other elements).
//! There is no rule-handle bookkeeping, no listing and matching of existing
//! rules (netavark's nftables driver lists the table as JSON and compares
//! expressions to find what to delete), and a daemon restart simply re-adds
//! its networks and endpoints. Established connections survive a swap: NAT
//! decisions live in conntrack, not in the rules.
//!
//! The `nftables` crate would give typed JSON but still runs the same `nft`
//! binary, with a large schema and a dependency for little gain; netlink
//! (`rustables`/`nftnl`) would drop the binary but means hand-encoding
//! expressions. The text syntax is what administrators read in
//! `nft list table`, and [`render`] is a pure function, unit-tested below.
//!
//! ## The rules
//!
//! * `forward` (filter): per network, accept established/related traffic
//!   into the bridge, DNATed traffic (published ports) into it, traffic
//!   within it, and traffic from it outwards; drop traffic between two of
//!   our bridges (isolation, as Docker's `DOCKER-ISOLATION` chains), any
//!   traffic leaving or entering an `--internal` bridge, and any other
//!   unsolicited traffic into a bridge (Docker 28 does the same).
//! * `prerouting` / `output` (nat): packets to a local address jump to
//!   `hostports`, which looks (protocol, port) up in a map per address
//!   family (`hostports4`, `hostports6`), and (address, protocol, port) in
//!   one for ports published on a given host address (`hostports4_addr`,
//!   `hostports6_addr`), and DNATs to the container's address and port.
//!   A lookup is O(1) however many ports are published, and publishing a
//!   new container's ports is one `add element` transaction (no rule is
//!   deleted, which is what makes a transaction slow). `output` covers
//!   clients on the host itself, including `127.0.0.1` (with
//!   `net.ipv4.conf.<bridge>.route_localnet=1`, set in `add_network`).
//! * `postrouting` (nat): masquerade from a network's subnets to any other
//!   interface; masquerade DNATed traffic that comes from loopback or from
//!   the same subnet (hairpin), so replies come back through the host.
//!   Non-local clients keep their source address (no masquerade, no proxy).
//!
//! Docker's `FORWARD` policy `DROP` in iptables is handled by
//! [`super::iptables`] (see there).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Mutex;

use ipnet::IpNet;

use super::iptables::ForwardAccept;
use super::{EndpointPorts, FirewallDriver, FirewallError, NetworkRules, Proto};

/// The `nft` binary (Debian package `nftables`).
const NFT: &str = "nft";

/// What the driver has been asked to keep.
#[derive(Debug, Default, Clone)]
struct State {
    /// Networks by id.
    networks: BTreeMap<String, NetworkRules>,
    /// Endpoints by (network id, container address).
    endpoints: BTreeMap<(String, IpAddr), EndpointPorts>,
}

/// An nftables firewall keeping its rules in `table inet <name>`.
#[derive(Debug)]
pub struct NftFirewall {
    table: String,
    state: Mutex<State>,
    forward_accept: ForwardAccept,
}

fn err(op: &str, message: impl Into<String>) -> FirewallError {
    FirewallError {
        op: op.to_string(),
        message: message.into(),
    }
}

/// A table or interface name we are willing to put in a script: nft
/// identifiers must not be able to smuggle syntax in.
fn check_name(what: &str, name: &str, max: usize) -> Result<(), String> {
    if name.is_empty()
        || name.len() > max
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        || !name.as_bytes()[0].is_ascii_alphabetic()
    {
        return Err(format!(
            "invalid {what} name {name:?} (letters, digits, '_', '-', '.', at most {max}, starting with a letter)"
        ));
    }
    Ok(())
}

impl NftFirewall {
    /// A driver for `table inet <table>`. Nothing is touched until
    /// [`FirewallDriver::init`].
    pub fn new(table: &str) -> Result<Self, FirewallError> {
        check_name("nftables table", table, 64).map_err(|m| err("new", m))?;
        Ok(NftFirewall {
            table: table.to_string(),
            state: Mutex::new(State::default()),
            forward_accept: ForwardAccept::new(table),
        })
    }

    /// The table name for a daemon with `exec_root`: `wharf` for the
    /// default `/run/wharf`, else `wharf_<hash of the path>`, so daemons
    /// side by side (the test suite's) each get a table of their own, and
    /// a restarted daemon finds its own again.
    pub fn table_name_for(exec_root: &std::path::Path) -> String {
        if exec_root == std::path::Path::new("/run/wharf") {
            return "wharf".into();
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in exec_root.as_os_str().as_encoded_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("wharf_{h:016x}")
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `next` (rendered as a whole table); on success it becomes
    /// the state, on failure the old state stays (and so do the old rules,
    /// the transaction having been refused as a whole).
    fn commit(&self, op: &str, state: &mut State, next: State) -> Result<(), FirewallError> {
        let script = render(&self.table, &next).map_err(|m| err(op, m))?;
        run_nft(&script).map_err(|m| err(op, m))?;
        *state = next;
        Ok(())
    }
}

/// Runs `nft -f -` with `script` on stdin.
pub(crate) fn run_nft(script: &str) -> Result<(), String> {
    nft(&["-f", "-"], script)
}

/// Runs `nft ARGS` with `script` on stdin.
fn nft(args: &[&str], script: &str) -> Result<(), String> {
    super::run_script(
        NFT,
        args,
        script,
        Some("the nft binary is not installed (Debian package nftables)"),
    )
    .inspect_err(|_| tracing::debug!(%script, "nft refused a script"))
}

/// Sets a sysctl under `/proc/sys` (dotted name) if it is not set already.
fn sysctl(name: &str, value: &str) -> Result<(), String> {
    let path = format!("/proc/sys/{}", name.replace('.', "/"));
    if std::fs::read_to_string(&path)
        .map(|v| v.trim() == value)
        .unwrap_or(false)
    {
        return Ok(());
    }
    std::fs::write(&path, value).map_err(|e| format!("set {name}={value}: {e}"))
}

/// Turns on `hairpin_mode` on a bridge port (a container's host-side
/// veth), so that a packet may leave the port it came in by. With
/// `br_netfilter` loaded (Docker loads it), a container reaching its *own*
/// published port through a host address is DNATed at the bridge layer
/// and sent straight back to its own port; without hairpin mode the
/// bridge drops it. Docker does the same for every endpoint when its
/// userland proxy is off. Idempotent.
pub fn set_hairpin(bridge_port: &str) -> Result<(), String> {
    check_name("bridge port", bridge_port, 15)?;
    let path = format!("/sys/class/net/{bridge_port}/brport/hairpin_mode");
    match std::fs::read_to_string(&path) {
        Ok(v) if v.trim() == "1" => Ok(()),
        _ => std::fs::write(&path, "1")
            .map_err(|e| format!("set hairpin mode on {bridge_port}: {e}")),
    }
}

/// [`set_hairpin`] on every port of `bridge` (those there now: a port
/// with published ports is on its bridge by the time they are added).
fn hairpin_bridge_ports(bridge: &str) -> Result<(), String> {
    let dir = format!("/sys/class/net/{bridge}/brif");
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        // No such bridge (yet): nothing to do; the DNAT still works for
        // every client but the container itself.
        Err(_) => return Ok(()),
    };
    for e in entries.flatten() {
        if let Some(name) = e.file_name().to_str() {
            set_hairpin(name)?;
        }
    }
    Ok(())
}

impl FirewallDriver for NftFirewall {
    fn init(&self) -> Result<(), FirewallError> {
        // Keep whatever a previous run left (running containers keep their
        // ports across a daemon restart); the first change re-renders it.
        run_nft(&format!("add table inet {}\n", self.table)).map_err(|m| err("init", m))
    }

    fn add_network(&self, net: &NetworkRules) -> Result<(), FirewallError> {
        check_name("bridge", &net.bridge, 15).map_err(|m| err("add network", m))?;
        let mut state = self.lock();
        let mut next = state.clone();
        next.networks.insert(net.id.clone(), net.clone());
        if !net.internal {
            let has_v4 = net.subnets.iter().any(|s| matches!(s, IpNet::V4(_)));
            let has_v6 = net.subnets.iter().any(|s| matches!(s, IpNet::V6(_)));
            let op = format!("add network {}", net.id);
            if has_v4 {
                sysctl("net.ipv4.ip_forward", "1").map_err(|m| err(&op, m))?;
                // 127.0.0.1:PORT is DNATed out of this bridge; the kernel
                // only routes a loopback source there with route_localnet.
                sysctl(&format!("net.ipv4.conf.{}.route_localnet", net.bridge), "1")
                    .map_err(|m| err(&op, m))?;
            }
            if has_v6 {
                sysctl("net.ipv6.conf.all.forwarding", "1").map_err(|m| err(&op, m))?;
            }
        }
        let op = format!("add network {}", net.id);
        let before = state.clone();
        self.commit(&op, &mut state, next)?;
        if let Err(m) = self.forward_accept.sync(state.networks.values()) {
            // Roll back: the network is either fully set up or not at all.
            let undo = self
                .commit(&op, &mut state, before.clone())
                .err()
                .map(|e| format!("; rolling back also failed: {}", e.message))
                .unwrap_or_default();
            let _ = self.forward_accept.sync(before.networks.values());
            return Err(err(&op, format!("{m}{undo}")));
        }
        Ok(())
    }

    fn remove_network(&self, net: &NetworkRules) -> Result<(), FirewallError> {
        let mut state = self.lock();
        let mut next = state.clone();
        next.networks.remove(&net.id);
        next.endpoints.retain(|(id, _), _| id != &net.id);
        let op = format!("remove network {}", net.id);
        self.commit(&op, &mut state, next)?;
        self.forward_accept
            .sync_removed(state.networks.values())
            .map_err(|m| err(&op, m))
    }

    fn add_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError> {
        check_name("bridge", &ep.bridge, 15).map_err(|m| err("add ports", m))?;
        if !ep.ports.is_empty() {
            hairpin_bridge_ports(&ep.bridge)
                .map_err(|m| err(&format!("add ports for {}", ep.container_ip), m))?;
        }
        let op = format!("add ports for {}", ep.container_ip);
        let mut state = self.lock();
        let key = (ep.network_id.clone(), ep.container_ip);
        if state.endpoints.get(&key) == Some(ep) {
            return Ok(());
        }
        let mut next = state.clone();
        if ep.ports.is_empty() {
            next.endpoints.remove(&key);
        } else {
            next.endpoints.insert(key.clone(), ep.clone());
        }
        // A new endpoint: add its map elements (one cheap transaction).
        // Anything else (changed ports, elements already there from an
        // earlier run) re-renders the table.
        if !state.endpoints.contains_key(&key) && !ep.ports.is_empty() {
            let script: String = endpoint_elements(&next, ep)
                .into_iter()
                .map(|(map, el)| format!("add element inet {} {map} {{ {el} }}\n", self.table))
                .collect();
            if script.is_empty() || run_nft(&script).is_ok() {
                *state = next;
                return Ok(());
            }
        }
        self.commit(&op, &mut state, next)
    }

    fn remove_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError> {
        let mut state = self.lock();
        let key = (ep.network_id.clone(), ep.container_ip);
        if !state.endpoints.contains_key(&key) {
            return Ok(());
        }
        let mut next = state.clone();
        next.endpoints.remove(&key);
        self.commit(
            &format!("remove ports of {}", ep.container_ip),
            &mut state,
            next,
        )
    }

    fn shutdown(&self) -> Result<(), FirewallError> {
        let mut state = self.lock();
        let mut errors = Vec::new();
        if let Err(m) = run_nft(&format!(
            "add table inet {t}\ndelete table inet {t}\n",
            t = self.table
        )) {
            errors.push(m);
        }
        if let Err(m) = self.forward_accept.remove() {
            errors.push(m);
        }
        *state = State::default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(err("shutdown", errors.join("; ")))
        }
    }
}

fn q(ifname: &str) -> String {
    format!("\"{ifname}\"")
}

fn family(net: &IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "ip",
        IpNet::V6(_) => "ip6",
    }
}

fn proto(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "tcp",
        Proto::Udp => "udp",
    }
}

const HP4_ANY: &str = "hostports4";
const HP4_ADDR: &str = "hostports4_addr";
const HP6_ANY: &str = "hostports6";
const HP6_ADDR: &str = "hostports6_addr";

/// The DNAT maps and their types.
const PORT_MAPS: [(&str, &str); 4] = [
    (
        HP4_ANY,
        "inet_proto . inet_service : ipv4_addr . inet_service",
    ),
    (
        HP4_ADDR,
        "ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service",
    ),
    (
        HP6_ANY,
        "inet_proto . inet_service : ipv6_addr . inet_service",
    ),
    (
        HP6_ADDR,
        "ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service",
    ),
];

/// An endpoint's DNAT map elements: (map, `key : value`). None for an
/// endpoint on an internal network (nothing may enter it), and none for a
/// host address of the other family than the container's.
fn endpoint_elements(state: &State, ep: &EndpointPorts) -> Vec<(&'static str, String)> {
    if state
        .networks
        .get(&ep.network_id)
        .is_some_and(|n| n.internal)
    {
        return Vec::new();
    }
    let v4 = ep.container_ip.is_ipv4();
    let mut out = Vec::new();
    for p in &ep.ports {
        let l4 = proto(p.proto);
        let value = format!("{} . {}", ep.container_ip, p.container_port);
        match p.host_ip {
            Some(ip) if ip.is_ipv4() != v4 => continue,
            Some(ip) if !ip.is_unspecified() => {
                let map = if v4 { HP4_ADDR } else { HP6_ADDR };
                out.push((map, format!("{ip} . {l4} . {} : {value}", p.host_port)));
            }
            _ => {
                let map = if v4 { HP4_ANY } else { HP6_ANY };
                out.push((map, format!("{l4} . {} : {value}", p.host_port)));
            }
        }
    }
    out
}

/// The whole table as an `nft -f` script: create-then-delete (so the delete
/// never fails), then the full definition, in one transaction.
fn render(table: &str, state: &State) -> Result<String, String> {
    let mut s = String::new();
    let t = table;
    let _ = writeln!(s, "add table inet {t}");
    let _ = writeln!(s, "delete table inet {t}");
    let _ = writeln!(s, "table inet {t} {{");

    let nets: Vec<&NetworkRules> = state.networks.values().collect();
    for n in &nets {
        check_name("bridge", &n.bridge, 15)?;
    }

    // --- filter: forward -------------------------------------------------
    let _ = writeln!(s, "  chain forward {{");
    let _ = writeln!(
        s,
        "    type filter hook forward priority filter; policy accept;"
    );
    // Internal networks first: nothing leaves or enters them, whatever
    // follows.
    for n in nets.iter().filter(|n| n.internal) {
        let br = q(&n.bridge);
        let _ = writeln!(s, "    iifname {br} oifname != {br} drop");
        let _ = writeln!(s, "    oifname {br} iifname != {br} drop");
        let _ = writeln!(s, "    iifname {br} oifname {br} accept");
    }
    let open: Vec<&&NetworkRules> = nets.iter().filter(|n| !n.internal).collect();
    if !open.is_empty() {
        // A published port is reachable from anywhere the host's addresses
        // are, other networks' containers included (through the host).
        let all: Vec<String> = open.iter().map(|n| q(&n.bridge)).collect();
        let _ = writeln!(
            s,
            "    oifname {{ {} }} ct status dnat accept",
            all.join(", ")
        );
    }
    for n in &open {
        let br = q(&n.bridge);
        let others: Vec<String> = nets
            .iter()
            .filter(|o| o.bridge != n.bridge)
            .map(|o| q(&o.bridge))
            .collect();
        if !others.is_empty() {
            // Isolation between networks, as Docker's DOCKER-ISOLATION.
            let _ = writeln!(
                s,
                "    iifname {br} oifname {{ {} }} drop",
                others.join(", ")
            );
        }
        let _ = writeln!(s, "    oifname {br} ct state established,related accept");
        let _ = writeln!(s, "    iifname {br} accept");
        // Unsolicited traffic from elsewhere to a container's address.
        let _ = writeln!(s, "    oifname {br} drop");
    }
    let _ = writeln!(s, "  }}");

    // --- nat: published ports ---------------------------------------------
    // One map per address family and kind (every host address, or one
    // address), looked up by (protocol, port): O(1) per new connection,
    // and adding a container's ports is an `add element`, no rule churn.
    let mut by_map: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for ep in state.endpoints.values() {
        for (map, element) in endpoint_elements(state, ep) {
            by_map.entry(map).or_default().push(element);
        }
    }
    for (map, kind) in PORT_MAPS {
        let _ = writeln!(s, "  map {map} {{");
        let _ = writeln!(s, "    type {kind};");
        if let Some(els) = by_map.get(map) {
            let _ = writeln!(s, "    elements = {{ {} }}", els.join(", "));
        }
        let _ = writeln!(s, "  }}");
    }
    let _ = writeln!(s, "  chain hostports {{");
    let _ = writeln!(
        s,
        "    meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @{HP4_ADDR}"
    );
    let _ = writeln!(
        s,
        "    meta nfproto ipv4 dnat ip to meta l4proto . th dport map @{HP4_ANY}"
    );
    let _ = writeln!(
        s,
        "    meta nfproto ipv6 dnat ip6 to ip6 daddr . meta l4proto . th dport map @{HP6_ADDR}"
    );
    let _ = writeln!(
        s,
        "    meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @{HP6_ANY}"
    );
    let _ = writeln!(s, "  }}");
    let _ = writeln!(s, "  chain prerouting {{");
    let _ = writeln!(
        s,
        "    type nat hook prerouting priority dstnat; policy accept;"
    );
    let _ = writeln!(s, "    fib daddr type local jump hostports");
    let _ = writeln!(s, "  }}");
    let _ = writeln!(s, "  chain output {{");
    let _ = writeln!(s, "    type nat hook output priority -100; policy accept;");
    let _ = writeln!(s, "    fib daddr type local jump hostports");
    let _ = writeln!(s, "  }}");

    // --- nat: masquerade ---------------------------------------------------
    let _ = writeln!(s, "  chain postrouting {{");
    let _ = writeln!(
        s,
        "    type nat hook postrouting priority srcnat; policy accept;"
    );
    for n in &nets {
        if n.internal {
            continue;
        }
        let br = q(&n.bridge);
        for sub in &n.subnets {
            let fam = family(sub);
            let sub = sub.trunc();
            if n.masquerade {
                let multicast = match fam {
                    "ip" => "ip daddr != { 224.0.0.0/4, 255.255.255.255 } ",
                    _ => "ip6 daddr != ff00::/8 ",
                };
                let _ = writeln!(
                    s,
                    "    {fam} saddr {sub} oifname != {br} {multicast}masquerade"
                );
            }
            // Hairpin: a container reaching a published port through a host
            // address lands on its own bridge; the reply must come back
            // through the host, so the source becomes the bridge's address.
            let _ = writeln!(
                s,
                "    oifname {br} ct status dnat {fam} saddr {sub} masquerade"
            );
        }
        if n.subnets.iter().any(|s| matches!(s, IpNet::V4(_))) {
            // 127.0.0.1:PORT from the host: a loopback source cannot be
            // answered from the container.
            let _ = writeln!(
                s,
                "    oifname {br} ct status dnat ip saddr 127.0.0.0/8 masquerade"
            );
        }
    }
    let _ = writeln!(s, "  }}");
    let _ = writeln!(s, "}}");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::PortMapping;

    fn net(id: &str, br: &str, sub: &str, internal: bool) -> NetworkRules {
        NetworkRules {
            id: id.into(),
            bridge: br.into(),
            subnets: vec![sub.parse().unwrap()],
            internal,
            masquerade: true,
        }
    }

    /// `nft -c` parses and checks a script against the kernel without
    /// committing it (root only; skipped elsewhere).
    fn nft_accepts(script: &str) {
        if !nix_is_root() {
            return;
        }
        if let Err(e) = nft(&["-c", "-f", "-"], script) {
            panic!("nft refused the script: {e}\n{script}");
        }
    }

    fn nix_is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
            .unwrap_or(false)
    }

    #[test]
    fn empty_table_has_base_chains() {
        let s = render("wharf", &State::default()).unwrap();
        assert!(s.starts_with("add table inet wharf\ndelete table inet wharf\n"));
        assert!(s.contains("type nat hook prerouting priority dstnat"));
        assert!(s.contains("fib daddr type local jump hostports"));
    }

    #[test]
    fn networks_isolate_and_masquerade() {
        let mut st = State::default();
        for n in [
            net("a", "br-a", "10.1.0.0/24", false),
            net("b", "br-b", "10.2.0.0/24", false),
            net("c", "br-c", "10.3.0.0/24", true),
        ] {
            st.networks.insert(n.id.clone(), n);
        }
        let s = render("t", &st).unwrap();
        nft_accepts(&s);
        assert!(s.contains("iifname \"br-a\" oifname { \"br-b\", \"br-c\" } drop"));
        assert!(s.contains("ip saddr 10.1.0.0/24 oifname != \"br-a\""));
        assert!(s.contains("iifname \"br-c\" oifname != \"br-c\" drop"));
        assert!(!s.contains("ip saddr 10.3.0.0/24 oifname != \"br-c\""));
        assert!(s.contains("oifname \"br-a\" ct status dnat ip saddr 127.0.0.0/8 masquerade"));
    }

    #[test]
    fn ports_become_dnat_rules() {
        let mut st = State::default();
        st.networks
            .insert("a".into(), net("a", "br-a", "10.1.0.0/24", false));
        let ep = EndpointPorts {
            network_id: "a".into(),
            bridge: "br-a".into(),
            container_ip: "10.1.0.2".parse().unwrap(),
            ports: vec![
                PortMapping {
                    host_ip: None,
                    host_port: 8080,
                    container_port: 80,
                    proto: Proto::Tcp,
                },
                PortMapping {
                    host_ip: Some("127.0.0.1".parse().unwrap()),
                    host_port: 5353,
                    container_port: 53,
                    proto: Proto::Udp,
                },
                PortMapping {
                    host_ip: Some("::1".parse().unwrap()),
                    host_port: 9,
                    container_port: 9,
                    proto: Proto::Tcp,
                },
            ],
        };
        st.endpoints
            .insert(("a".into(), ep.container_ip), ep.clone());
        let s = render("t", &st).unwrap();
        nft_accepts(&s);
        assert!(s.contains("tcp . 8080 : 10.1.0.2 . 80"), "{s}");
        assert!(s.contains("127.0.0.1 . udp . 5353 : 10.1.0.2 . 53"));
        assert!(!s.contains(". 9 :"));
    }

    #[test]
    fn ipv6_rules_are_accepted() {
        let mut st = State::default();
        let mut n = net("a", "br-a", "10.1.0.0/24", false);
        n.subnets.push("fd00:1::/64".parse().unwrap());
        st.networks.insert("a".into(), n);
        let ep = EndpointPorts {
            network_id: "a".into(),
            bridge: "br-a".into(),
            container_ip: "fd00:1::2".parse().unwrap(),
            ports: vec![
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
                PortMapping {
                    host_ip: Some("127.0.0.1".parse().unwrap()),
                    host_port: 8082,
                    container_port: 80,
                    proto: Proto::Tcp,
                },
            ],
        };
        st.endpoints.insert(("a".into(), ep.container_ip), ep);
        let s = render("t", &st).unwrap();
        nft_accepts(&s);
        assert!(s.contains("tcp . 8080 : fd00:1::2 . 80"), "{s}");
        assert!(s.contains("::1 . tcp . 8081 : fd00:1::2 . 80"));
        assert!(!s.contains("8082"), "a v4 host address for a v6 container");
        assert!(s.contains(
            "ip6 saddr fd00:1::/64 oifname != \"br-a\" ip6 daddr != ff00::/8 masquerade"
        ));
    }

    #[test]
    fn table_names_per_exec_root() {
        use std::path::Path;
        assert_eq!(
            NftFirewall::table_name_for(Path::new("/run/wharf")),
            "wharf"
        );
        let a = NftFirewall::table_name_for(Path::new("/tmp/a/exec"));
        assert_ne!(a, NftFirewall::table_name_for(Path::new("/tmp/b/exec")));
        assert!(NftFirewall::new(&a).is_ok());
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(NftFirewall::new("x; flush ruleset").is_err());
        assert!(NftFirewall::new("").is_err());
        assert!(NftFirewall::new("wharf_test-1").is_ok());
        let mut st = State::default();
        st.networks
            .insert("a".into(), net("a", "br\" accept", "10.1.0.0/24", false));
        assert!(render("t", &st).is_err());
    }
}
