//! Privileged tests of the nftables firewall driver against the real
//! kernel. Each test builds its own little world with `ip`: a bridge with
//! a "container" network namespace hanging off it (veth, address, default
//! route), and a "client" namespace on a plain routed veth link, so that
//! it has a non-local source address. Every name, subnet and nft table is
//! unique to the test (pid + index), and a Drop guard removes all of it,
//! also on failure. Traffic goes only to loopback and to these links.
//!
//! Skipped (with a message) when not root or when `nft`/`ip` are missing.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use wharf_network::firewall::{
    iptables::ForwardAccept, EndpointPorts, FirewallDriver, NetworkRules, NftFirewall, PortMapping,
    Proto,
};

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn have(bin: &str, arg: &str) -> bool {
    Command::new(bin)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn skip() -> bool {
    if !is_root() {
        eprintln!("skipped: needs root");
        return true;
    }
    if !have("nft", "--version") || !have("ip", "-V") {
        eprintln!("skipped: needs nft (nftables) and ip (iproute2)");
        return true;
    }
    false
}

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sh_quiet(args: &[&str]) {
    let _ = Command::new(args[0]).args(&args[1..]).output();
}

fn output(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A free host port (the kernel picks it; we let it go at once).
fn free_port() -> u16 {
    TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A third octet no address on this host uses yet in `10.<second>.X.0/24`.
fn free_octet(second: u8, seed: u32) -> u8 {
    let addrs = output(&["ip", "-4", "-o", "addr"]);
    (0..=255u32)
        .map(|i| ((seed + i) % 250 + 1) as u8)
        .find(|x| !addrs.contains(&format!("10.{second}.{x}.")))
        .expect("a free /24")
}

/// One bridge network with one "container" namespace on it.
struct Net {
    bridge: String,
    ns: String,
    veth: String,
    gateway: Ipv4Addr,
    container: Ipv4Addr,
    subnet: String,
}

/// Everything one test made, removed on drop.
struct World {
    tag: String,
    nets: Vec<Net>,
    /// The client namespace, its host-side link and addresses.
    client_ns: String,
    client_link: String,
    host_addr: Ipv4Addr,
    client_addr: Ipv4Addr,
    fw: Option<NftFirewall>,
    table: String,
    /// Extra containers: (namespace, host-side veth).
    extra: Vec<(String, String)>,
}

fn ns_path(ns: &str) -> PathBuf {
    Path::new("/run/netns").join(ns)
}

impl World {
    fn new(idx: u32, nets: usize) -> World {
        let pid = std::process::id();
        let tag = format!("{}{}", pid % 100_000, idx);
        let table = format!("wharf_fwtest_{tag}");
        let mut w = World {
            tag: tag.clone(),
            nets: Vec::new(),
            client_ns: format!("wfk{tag}"),
            client_link: format!("wfk{tag}a"),
            host_addr: Ipv4Addr::UNSPECIFIED,
            client_addr: Ipv4Addr::UNSPECIFIED,
            fw: None,
            table: table.clone(),
            extra: Vec::new(),
        };
        // The client: host 10.214.X.1 <-> ns 10.214.X.2.
        let x = free_octet(214, pid + idx * 7);
        w.host_addr = Ipv4Addr::new(10, 214, x, 1);
        w.client_addr = Ipv4Addr::new(10, 214, x, 2);
        let peer = format!("wfk{tag}b");
        sh(&["ip", "netns", "add", &w.client_ns]);
        sh(&[
            "ip",
            "link",
            "add",
            &w.client_link,
            "type",
            "veth",
            "peer",
            "name",
            &peer,
        ]);
        sh(&["ip", "link", "set", &peer, "netns", &w.client_ns]);
        sh(&[
            "ip",
            "addr",
            "add",
            &format!("{}/24", w.host_addr),
            "dev",
            &w.client_link,
        ]);
        sh(&["ip", "link", "set", &w.client_link, "up"]);
        let nsx = |args: &[&str]| {
            let mut v = vec!["ip", "netns", "exec", w.client_ns.as_str()];
            v.extend_from_slice(args);
            sh(&v);
        };
        nsx(&[
            "ip",
            "addr",
            "add",
            &format!("{}/24", w.client_addr),
            "dev",
            &peer,
        ]);
        nsx(&["ip", "link", "set", &peer, "up"]);
        nsx(&["ip", "link", "set", "lo", "up"]);
        nsx(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &w.host_addr.to_string(),
        ]);

        for n in 0..nets {
            let y = free_octet(213, pid + idx * 7 + n as u32 * 3);
            let net = Net {
                bridge: format!("wfb{tag}{n}"),
                ns: format!("wfc{tag}{n}"),
                veth: format!("wfv{tag}{n}"),
                gateway: Ipv4Addr::new(10, 213, y, 1),
                container: Ipv4Addr::new(10, 213, y, 2),
                subnet: format!("10.213.{y}.0/24"),
            };
            let peer = format!("{}c", net.veth);
            sh(&["ip", "link", "add", &net.bridge, "type", "bridge"]);
            w.nets.push(net);
            let net = w.nets.last().unwrap();
            sh(&[
                "ip",
                "addr",
                "add",
                &format!("{}/24", net.gateway),
                "dev",
                &net.bridge,
            ]);
            sh(&["ip", "link", "set", &net.bridge, "up"]);
            sh(&["ip", "netns", "add", &net.ns]);
            sh(&[
                "ip", "link", "add", &net.veth, "type", "veth", "peer", "name", &peer,
            ]);
            sh(&["ip", "link", "set", &net.veth, "master", &net.bridge]);
            sh(&["ip", "link", "set", &net.veth, "up"]);
            sh(&["ip", "link", "set", &peer, "netns", &net.ns]);
            let nsx = |args: &[&str]| {
                let mut v = vec!["ip", "netns", "exec", net.ns.as_str()];
                v.extend_from_slice(args);
                sh(&v);
            };
            nsx(&[
                "ip",
                "addr",
                "add",
                &format!("{}/24", net.container),
                "dev",
                &peer,
            ]);
            nsx(&["ip", "link", "set", &peer, "up"]);
            nsx(&["ip", "link", "set", "lo", "up"]);
            nsx(&[
                "ip",
                "route",
                "add",
                "default",
                "via",
                &net.gateway.to_string(),
            ]);
        }
        let fw = NftFirewall::new(&table).unwrap();
        fw.init().unwrap();
        w.fw = Some(fw);
        w
    }

    /// A second container on network `n`, at `.3`; returns its namespace.
    fn add_container(&mut self, n: usize) -> (String, Ipv4Addr) {
        let net = &self.nets[n];
        let ns = format!("{}x", net.ns);
        let veth = format!("{}x", net.veth);
        let peer = format!("{veth}c");
        let o = net.container.octets();
        let ip = Ipv4Addr::new(o[0], o[1], o[2], 3);
        let gw = net.gateway.to_string();
        let bridge = net.bridge.clone();
        self.extra.push((ns.clone(), veth.clone()));
        sh(&["ip", "netns", "add", &ns]);
        sh(&[
            "ip", "link", "add", &veth, "type", "veth", "peer", "name", &peer,
        ]);
        sh(&["ip", "link", "set", &veth, "master", &bridge]);
        sh(&["ip", "link", "set", &veth, "up"]);
        sh(&["ip", "link", "set", &peer, "netns", &ns]);
        for args in [
            vec!["ip", "addr", "add", &format!("{ip}/24"), "dev", &peer],
            vec!["ip", "link", "set", &peer, "up"],
            vec!["ip", "link", "set", "lo", "up"],
            vec!["ip", "route", "add", "default", "via", &gw],
        ] {
            let mut v = vec!["ip", "netns", "exec", ns.as_str()];
            v.extend(args.iter().copied());
            sh(&v);
        }
        (ns, ip)
    }

    fn fw(&self) -> &NftFirewall {
        self.fw.as_ref().unwrap()
    }

    fn rules(&self, n: usize, internal: bool) -> NetworkRules {
        let net = &self.nets[n];
        NetworkRules {
            id: format!("net{}-{n}", self.tag),
            bridge: net.bridge.clone(),
            subnets: vec![net.subnet.parse().unwrap()],
            internal,
            masquerade: true,
        }
    }

    fn endpoint(&self, n: usize, ports: Vec<PortMapping>) -> EndpointPorts {
        let net = &self.nets[n];
        EndpointPorts {
            network_id: format!("net{}-{n}", self.tag),
            bridge: net.bridge.clone(),
            container_ip: IpAddr::V4(net.container),
            ports,
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(fw) = self.fw.take() {
            let _ = fw.shutdown();
        }
        for (ns, veth) in &self.extra {
            sh_quiet(&["ip", "link", "del", veth]);
            sh_quiet(&["ip", "netns", "del", ns]);
        }
        for n in &self.nets {
            sh_quiet(&["ip", "link", "del", &n.veth]);
            sh_quiet(&["ip", "link", "del", &n.bridge]);
            sh_quiet(&["ip", "netns", "del", &n.ns]);
        }
        sh_quiet(&["ip", "link", "del", &self.client_link]);
        sh_quiet(&["ip", "netns", "del", &self.client_ns]);
        // In case shutdown failed half-way.
        sh_quiet(&["nft", "delete", "table", "inet", &self.table]);
    }
}

/// A TCP server in a namespace that answers every connection with the
/// client's address as it sees it, and a UDP one doing the same per
/// datagram. Stops (and closes its sockets) on drop.
struct Server {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    fn start(ns: &str, port: u16) -> Server {
        let (tcp, udp) = wharf_sys::netns::run_in(&ns_path(ns), move || {
            (
                TcpListener::bind(("0.0.0.0", port)).unwrap(),
                UdpSocket::bind(("0.0.0.0", port)).unwrap(),
            )
        })
        .unwrap();
        tcp.set_nonblocking(true).unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s1 = stop.clone();
        let t1 = std::thread::spawn(move || {
            while !s1.load(Ordering::Relaxed) {
                match tcp.accept() {
                    Ok((mut c, peer)) => {
                        let _ = c.write_all(format!("{}\n", peer.ip()).as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        let s2 = stop.clone();
        let t2 = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            while !s2.load(Ordering::Relaxed) {
                if let Ok((_, peer)) = udp.recv_from(&mut buf) {
                    let _ = udp.send_to(format!("{}\n", peer.ip()).as_bytes(), peer);
                }
            }
        });
        Server {
            stop,
            threads: vec![t1, t2],
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Connects to `addr` (from the namespace `ns`, or the host when `None`)
/// and returns what the server said: the source address it saw.
fn who_am_i(ns: Option<&str>, addr: SocketAddr) -> Result<String, String> {
    let connect = move || TcpStream::connect_timeout(&addr, Duration::from_millis(1500));
    let stream = match ns {
        Some(ns) => wharf_sys::netns::run_in(&ns_path(ns), connect).map_err(|e| e.to_string())?,
        None => connect(),
    };
    let mut s = stream.map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    Ok(out.trim().to_string())
}

fn who_am_i_udp(addr: SocketAddr) -> Result<String, String> {
    let s = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    s.send_to(b"hi", addr).map_err(|e| e.to_string())?;
    let mut buf = [0u8; 64];
    let (n, _) = s
        .recv_from(&mut buf)
        .map_err(|e| format!("udp {addr}: {e}"))?;
    Ok(String::from_utf8_lossy(&buf[..n]).trim().to_string())
}

fn tcp(host_ip: Option<&str>, host_port: u16, container_port: u16) -> PortMapping {
    PortMapping {
        host_ip: host_ip.map(|s| s.parse().unwrap()),
        host_port,
        container_port,
        proto: Proto::Tcp,
    }
}

fn sa(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(ip), port)
}

fn tables() -> String {
    output(&["nft", "list", "tables"])
}

#[test]
fn published_ports_masquerade_and_cleanup() {
    if skip() {
        return;
    }
    let mut w = World::new(1, 1);
    let (peer_ns, peer_ip) = w.add_container(0);
    let fw = w.fw();
    let net = &w.nets[0];
    let _server = Server::start(&net.ns, 80);
    let hp = free_port();
    let up = free_port();

    fw.add_network(&w.rules(0, false)).unwrap();
    fw.add_network(&w.rules(0, false)).unwrap(); // idempotent
    let ep = w.endpoint(
        0,
        vec![
            tcp(None, hp, 80),
            PortMapping {
                host_ip: Some("127.0.0.1".parse().unwrap()),
                host_port: up,
                container_port: 80,
                proto: Proto::Udp,
            },
        ],
    );
    fw.add_ports(&ep).unwrap();
    fw.add_ports(&ep).unwrap(); // idempotent
    assert!(tables().contains(&w.table), "{}", tables());

    // From the host through 127.0.0.1: answered, and the container sees
    // the bridge's address (loopback cannot be answered from there).
    let lo = Ipv4Addr::LOCALHOST;
    assert_eq!(who_am_i(None, sa(lo, hp)).unwrap(), net.gateway.to_string());
    // UDP, published on 127.0.0.1 only.
    assert_eq!(who_am_i_udp(sa(lo, up)).unwrap(), net.gateway.to_string());
    // From the host through the bridge-side address and another host address.
    assert!(who_am_i(None, sa(net.gateway, hp)).is_ok());
    assert!(who_am_i(None, sa(w.host_addr, hp)).is_ok());
    // A non-local client keeps its source address.
    assert_eq!(
        who_am_i(Some(&w.client_ns), sa(w.host_addr, hp)).unwrap(),
        w.client_addr.to_string()
    );
    // Hairpin: the container reaches itself through a host address.
    assert!(
        who_am_i(Some(&net.ns), sa(w.host_addr, hp)).is_ok(),
        "hairpin through the host address"
    );

    // Hairpin between two containers on one bridge: the server sees the
    // bridge's address, and the answer comes back the way it went.
    assert_eq!(
        who_am_i(Some(&peer_ns), sa(w.host_addr, hp)).unwrap(),
        net.gateway.to_string()
    );
    assert_eq!(
        who_am_i(Some(&peer_ns), sa(net.container, 80)).unwrap(),
        peer_ip.to_string(),
        "containers on one bridge talk directly"
    );

    // Masquerade: the container reaching a host-side namespace appears
    // with the host's address on that link.
    let _client_server = Server::start(&w.client_ns, 81);
    assert_eq!(
        who_am_i(Some(&net.ns), sa(w.client_addr, 81)).unwrap(),
        w.host_addr.to_string()
    );

    // Removing the ports removes the DNAT.
    fw.remove_ports(&ep).unwrap();
    fw.remove_ports(&ep).unwrap(); // idempotent
    assert!(who_am_i(None, sa(lo, hp)).is_err());
    assert!(who_am_i(Some(&w.client_ns), sa(w.host_addr, hp)).is_err());

    // Removing the network removes the masquerade: the client namespace
    // now sees the container's own address.
    fw.remove_network(&w.rules(0, false)).unwrap();
    fw.remove_network(&w.rules(0, false)).unwrap(); // idempotent
    assert_eq!(
        who_am_i(Some(&net.ns), sa(w.client_addr, 81)).unwrap(),
        net.container.to_string()
    );

    fw.shutdown().unwrap();
    fw.shutdown().unwrap(); // idempotent
    assert!(!tables().contains(&w.table), "{}", tables());
    let chain = ForwardAccept::new(&w.table);
    assert!(
        !output(&["iptables", "-S"]).contains(chain.chain()),
        "iptables chain left behind"
    );
}

#[test]
fn specific_host_ip_only() {
    if skip() {
        return;
    }
    let w = World::new(2, 1);
    let fw = w.fw();
    let net = &w.nets[0];
    let _server = Server::start(&net.ns, 80);
    let hp = free_port();
    fw.add_network(&w.rules(0, false)).unwrap();
    fw.add_ports(&w.endpoint(0, vec![tcp(Some("127.0.0.1"), hp, 80)]))
        .unwrap();
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp)).is_ok());
    // Not on the other host addresses.
    assert!(who_am_i(Some(&w.client_ns), sa(w.host_addr, hp)).is_err());
    assert!(who_am_i(None, sa(w.host_addr, hp)).is_err());
}

#[test]
fn networks_are_isolated_and_internal_stays_in() {
    if skip() {
        return;
    }
    let w = World::new(3, 3);
    let fw = w.fw();
    let (a, b, c) = (&w.nets[0], &w.nets[1], &w.nets[2]);
    let _sa = Server::start(&a.ns, 80);
    let _sb = Server::start(&b.ns, 80);
    let _sc = Server::start(&c.ns, 80);
    let _client = Server::start(&w.client_ns, 81);

    // Before any rules, routing connects them (FORWARD accepts here).
    fw.add_network(&w.rules(0, false)).unwrap();
    fw.add_network(&w.rules(1, false)).unwrap();
    fw.add_network(&w.rules(2, true)).unwrap();

    // a and b cannot reach each other.
    assert!(who_am_i(Some(&a.ns), sa(b.container, 80)).is_err());
    assert!(who_am_i(Some(&b.ns), sa(a.container, 80)).is_err());
    // Both still reach outside.
    assert!(who_am_i(Some(&a.ns), sa(w.client_addr, 81)).is_ok());
    // Nor can outsiders reach a container directly (only published ports).
    assert!(who_am_i(Some(&w.client_ns), sa(a.container, 80)).is_err());
    // The internal network reaches nothing beyond its bridge, and nothing
    // reaches into it.
    assert!(who_am_i(Some(&c.ns), sa(w.client_addr, 81)).is_err());
    assert!(who_am_i(Some(&a.ns), sa(c.container, 80)).is_err());
    // Ports on an internal network are not published.
    let hp = free_port();
    fw.add_ports(&w.endpoint(2, vec![tcp(None, hp, 80)]))
        .unwrap();
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp)).is_err());

    // A port published by a's container is reachable from b's through a
    // host address, like from anywhere else.
    let pa = free_port();
    fw.add_ports(&w.endpoint(0, vec![tcp(None, pa, 80)]))
        .unwrap();
    assert!(who_am_i(Some(&b.ns), sa(w.host_addr, pa)).is_ok());
    // ... but not from the internal network.
    assert!(who_am_i(Some(&c.ns), sa(w.host_addr, pa)).is_err());

    // Removing b lifts the isolation between a and b.
    fw.remove_network(&w.rules(1, false)).unwrap();
    assert!(who_am_i(Some(&a.ns), sa(b.container, 80)).is_ok());

    fw.shutdown().unwrap();
    assert!(!tables().contains(&w.table));
}

#[test]
fn two_tables_do_not_touch_each_other() {
    if skip() {
        return;
    }
    let w = World::new(4, 1);
    let net = &w.nets[0];
    let _server = Server::start(&net.ns, 80);
    let hp = free_port();
    w.fw().add_network(&w.rules(0, false)).unwrap();
    w.fw()
        .add_ports(&w.endpoint(0, vec![tcp(None, hp, 80)]))
        .unwrap();
    // A second daemon's table comes and goes.
    let other = NftFirewall::new(&format!("{}_other", w.table)).unwrap();
    other.init().unwrap();
    other.shutdown().unwrap();
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp)).is_ok());
    assert!(tables().contains(&w.table));
    // The ports were added incrementally; a full re-render (any network
    // change) keeps them.
    w.fw().add_network(&w.rules(0, false)).unwrap();
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp)).is_ok());
    // Changing an endpoint's ports replaces them.
    let hp2 = free_port();
    w.fw()
        .add_ports(&w.endpoint(0, vec![tcp(None, hp2, 80)]))
        .unwrap();
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp2)).is_ok());
    assert!(who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp)).is_err());
}

/// A Docker engine beside us, started for one test (or one already running
/// on the bench's pidfile, which is then left alone). On drop it is
/// stopped and what it changed on the host is put back: the iptables
/// `FORWARD` policy, and `docker0` plus the iptables-nft tables when they
/// did not exist before.
struct Dockerd {
    child: Option<std::process::Child>,
    policy_before: String,
    tables_before: String,
    docker0_before: bool,
}

const DOCKERD_PID: &str = "/run/docker-bench.pid";

fn forward_policy() -> String {
    output(&["iptables", "-S", "FORWARD"])
        .lines()
        .find_map(|l| l.strip_prefix("-P FORWARD ").map(str::to_string))
        .unwrap_or_default()
}

fn link_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

impl Dockerd {
    fn start() -> Dockerd {
        let mut d = Dockerd {
            child: None,
            policy_before: forward_policy(),
            tables_before: tables(),
            docker0_before: link_exists("docker0"),
        };
        let running = std::fs::read_to_string(DOCKERD_PID)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !running {
            let log = std::fs::File::create(
                std::env::temp_dir()
                    .join(format!("wharf-fwtest-dockerd-{}.log", std::process::id())),
            )
            .unwrap();
            let child = Command::new("dockerd")
                .args([
                    "--data-root",
                    "/var/lib/docker-bench",
                    "-H",
                    "unix:///run/docker-bench.sock",
                    "--pidfile",
                    DOCKERD_PID,
                ])
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            d.child = Some(child);
        }
        // Docker sets `FORWARD` to `DROP` while it starts, but only when it
        // had to turn on IP forwarding itself; on a host where another
        // engine (a test daemon of ours, say) already did, it leaves the
        // policy alone. Wait for its chains, then set the policy as Docker
        // does on a fresh host: that is the case to survive.
        for _ in 0..600 {
            if output(&["iptables", "-S"]).contains("-N DOCKER-USER") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            output(&["iptables", "-S"]).contains("-N DOCKER-USER"),
            "dockerd did not install its chains"
        );
        if forward_policy() != "DROP" {
            sh(&["iptables", "-P", "FORWARD", "DROP"]);
        }
        assert_eq!(forward_policy(), "DROP");
        d
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if !self.policy_before.is_empty() && forward_policy() != self.policy_before {
            sh_quiet(&["iptables", "-P", "FORWARD", &self.policy_before]);
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        sh_quiet(&["kill", "-TERM", &child.id().to_string()]);
        for _ in 0..300 {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if child.try_wait().ok().flatten().is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.policy_before.is_empty() && forward_policy() != self.policy_before {
            sh_quiet(&["iptables", "-P", "FORWARD", &self.policy_before]);
        }
        if !self.docker0_before {
            sh_quiet(&["ip", "link", "del", "docker0"]);
        }
        for (family, name) in [
            ("ip", "filter"),
            ("ip", "nat"),
            ("ip6", "filter"),
            ("ip6", "nat"),
        ] {
            let line = format!("table {family} {name}\n");
            if !self.tables_before.contains(&line) && tables().contains(&line) {
                sh_quiet(&["nft", "delete", "table", family, name]);
            }
        }
    }
}

/// Docker's `FORWARD` policy `DROP` beside us: our bridges still forward
/// and publish, and it is our `FORWARD` chain that makes it so. Starts a
/// real dockerd, which changes the host's FORWARD policy for everyone
/// while it runs, so it only runs with `WHARF_TEST_DOCKERD=1`.
#[test]
fn coexists_with_dockers_forward_drop() {
    if skip() {
        return;
    }
    if std::env::var("WHARF_TEST_DOCKERD").as_deref() != Ok("1") {
        eprintln!("skipped: set WHARF_TEST_DOCKERD=1 to start a dockerd beside the test");
        return;
    }
    if !have("dockerd", "--version") || !have("iptables", "-V") {
        eprintln!("skipped: needs dockerd (docker.io) and iptables");
        return;
    }
    let w = World::new(5, 1);
    let fw = w.fw();
    let net = &w.nets[0];
    let _server = Server::start(&net.ns, 80);
    let _client_server = Server::start(&w.client_ns, 81);
    let hp = free_port();
    fw.add_network(&w.rules(0, false)).unwrap();
    fw.add_ports(&w.endpoint(0, vec![tcp(None, hp, 80)]))
        .unwrap();
    let check = || -> Result<(), String> {
        let seen = who_am_i(Some(&w.client_ns), sa(w.host_addr, hp))?;
        if seen != w.client_addr.to_string() {
            return Err(format!("published port: server saw {seen}"));
        }
        let seen = who_am_i(Some(&net.ns), sa(w.client_addr, 81))?;
        if seen != w.host_addr.to_string() {
            return Err(format!("masquerade: client saw {seen}"));
        }
        who_am_i(None, sa(Ipv4Addr::LOCALHOST, hp))?;
        Ok(())
    };
    check().unwrap();

    let docker = Dockerd::start();
    // Forwarding and publishing work under Docker's DROP policy.
    check().unwrap();
    // ... thanks to our chain: without its jump, Docker's policy wins.
    let chain = ForwardAccept::new(&w.table);
    sh(&["iptables", "-D", "FORWARD", "-j", chain.chain()]);
    assert!(who_am_i(Some(&w.client_ns), sa(w.host_addr, hp)).is_err());
    // Re-adding the network (idempotent) puts the jump back.
    fw.add_network(&w.rules(0, false)).unwrap();
    check().unwrap();
    // A network added while Docker runs works too.
    fw.remove_network(&w.rules(0, false)).unwrap();
    fw.add_network(&w.rules(0, false)).unwrap();
    fw.add_ports(&w.endpoint(0, vec![tcp(None, hp, 80)]))
        .unwrap();
    check().unwrap();

    // Shutdown removes our chain and its jump, and leaves Docker's rules.
    fw.shutdown().unwrap();
    let rules = output(&["iptables", "-S"]);
    assert!(!rules.contains(chain.chain()), "{rules}");
    assert!(rules.contains("DOCKER"), "{rules}");
    drop(docker);
    assert!(!tables().contains(&w.table));
}
