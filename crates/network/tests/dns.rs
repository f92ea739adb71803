//! The embedded DNS server for real: each test makes its own network
//! namespace, attaches a server with a fixed table, and asks from inside the
//! namespace over UDP and TCP, as a container's resolver would. Relayed
//! names go to a fake upstream this test runs on 127.0.0.1 in the host's
//! namespace; nothing leaves the machine. Skipped when not root.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_network::dns::{DnsServer, NameTable};

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

macro_rules! need_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

/// A network namespace of this test's own, released on drop.
struct Netns {
    dir: PathBuf,
    path: PathBuf,
}

impl Netns {
    fn new(tag: &str) -> Netns {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wharf-dns-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let path = dir.join("ns");
        wharf_sys::netns::create(&path).expect("create netns");
        Netns { dir, path }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        wharf_sys::netns::remove(&self.path);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Container "c1" sees web (alias www, short id 3f2a1b4c5d6e) and db.
struct Table;

impl NameTable for Table {
    fn lookup(&self, asker: &str, name: &str) -> Option<Vec<IpAddr>> {
        assert_eq!(asker, "c1");
        match name {
            "web" | "www" | "3f2a1b4c5d6e" => Some(vec![IpAddr::from([172, 30, 0, 2])]),
            "db" => Some(vec![
                IpAddr::from([172, 30, 0, 3]),
                "fd00:30::3".parse().unwrap(),
            ]),
            _ => None,
        }
    }
    fn reverse(&self, _asker: &str, ip: IpAddr) -> Option<String> {
        (ip == IpAddr::from([172, 30, 0, 2])).then(|| "web".to_string())
    }
    fn lookup_on(&self, asker: &str, name: &str, network: &str) -> Option<Vec<IpAddr>> {
        (network == "backend")
            .then(|| self.lookup(asker, name))
            .flatten()
    }
}

fn query_bytes(name: &str, qtype: RecordType) -> Vec<u8> {
    let mut m = Message::query();
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).unwrap(), qtype));
    m.to_vec().unwrap()
}

/// Asks 127.0.0.11:53 from inside `ns`, as a container would; `None` when
/// nothing answers within `wait`.
async fn ask_within(
    ns: &Path,
    name: &str,
    qtype: RecordType,
    tcp: bool,
    wait: Duration,
) -> Option<Message> {
    let q = query_bytes(name, qtype);
    let id = u16::from_be_bytes([q[0], q[1]]);
    let ns = ns.to_path_buf();
    let got = tokio::task::spawn_blocking(move || {
        wharf_sys::netns::run_in(&ns, || -> std::io::Result<Vec<u8>> {
            let server: SocketAddr = "127.0.0.11:53".parse().unwrap();
            if tcp {
                let mut s = std::net::TcpStream::connect_timeout(&server, wait)?;
                s.set_read_timeout(Some(wait))?;
                let mut framed = (q.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&q);
                s.write_all(&framed)?;
                let mut len = [0u8; 2];
                s.read_exact(&mut len)?;
                let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
                s.read_exact(&mut buf)?;
                Ok(buf)
            } else {
                let s = std::net::UdpSocket::bind("127.0.0.1:0")?;
                s.set_read_timeout(Some(wait))?;
                s.send_to(&q, server)?;
                let mut buf = vec![0u8; 4096];
                let (n, _) = s.recv_from(&mut buf)?;
                buf.truncate(n);
                Ok(buf)
            }
        })
    })
    .await
    .unwrap()
    .expect("enter netns");
    let bytes = got.ok()?;
    let m = Message::from_vec(&bytes).expect("a dns message");
    assert_eq!(m.metadata.id, id);
    Some(m)
}

async fn ask(ns: &Path, name: &str, qtype: RecordType, tcp: bool) -> Message {
    ask_within(ns, name, qtype, tcp, Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no answer for {name} {qtype} (tcp: {tcp})"))
}

fn data(m: &Message) -> Vec<String> {
    m.answers.iter().map(|r| r.data.to_string()).collect()
}

/// A fake upstream on 127.0.0.1 (UDP and TCP, same port): `upstream.test`
/// has an A record, `nodata.test` exists without one, every other name is
/// NXDOMAIN. With `silent`, it reads queries and never answers.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn upstream_answer(query: &[u8]) -> Vec<u8> {
    let q = Message::from_vec(query).unwrap();
    let question = q.queries[0].clone();
    let mut r = Message::response(q.metadata.id, q.metadata.op_code);
    r.metadata.recursion_desired = q.metadata.recursion_desired;
    r.metadata.recursion_available = true;
    let name = question.name().to_ascii().to_ascii_lowercase();
    match name.as_str() {
        "upstream.test." => {
            if question.query_type() == RecordType::A {
                r.add_answer(Record::from_rdata(
                    question.name().clone(),
                    30,
                    RData::A(A::new(192, 0, 2, 1)),
                ));
            }
        }
        "nodata.test." => {}
        _ => r.metadata.response_code = ResponseCode::NXDomain,
    }
    r.add_query(question);
    r.to_vec().unwrap()
}

async fn start_upstream(silent: bool) -> Upstream {
    start_upstream_in(silent, None).await
}

/// The fake upstream, in the host's namespace or inside `netns`.
async fn start_upstream_in(silent: bool, netns: Option<&Path>) -> Upstream {
    // Same port for UDP and TCP: take a UDP port, then its TCP twin.
    let bind = || -> std::io::Result<(std::net::UdpSocket, std::net::TcpListener)> {
        loop {
            let udp = std::net::UdpSocket::bind("127.0.0.1:0")?;
            if let Ok(tcp) = std::net::TcpListener::bind(udp.local_addr()?) {
                udp.set_nonblocking(true)?;
                tcp.set_nonblocking(true)?;
                return Ok((udp, tcp));
            }
        }
    };
    let (udp, tcp) = match netns {
        None => bind().unwrap(),
        Some(ns) => wharf_sys::netns::run_in(ns, bind).unwrap().unwrap(),
    };
    let udp = tokio::net::UdpSocket::from_std(udp).unwrap();
    let tcp = tokio::net::TcpListener::from_std(tcp).unwrap();
    let addr = udp.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let udp_seen = seen.clone();
    let udp_task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
            udp_seen.fetch_add(1, Ordering::SeqCst);
            if !silent {
                let _ = udp.send_to(&upstream_answer(&buf[..n]), peer).await;
            }
        }
    });
    let tcp_seen = seen.clone();
    let tcp_task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = tcp.accept().await {
            tcp_seen.fetch_add(1, Ordering::SeqCst);
            if silent {
                held.push(s);
                continue;
            }
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
                if s.read_exact(&mut q).await.is_err() {
                    return;
                }
                let a = upstream_answer(&q);
                let mut framed = (a.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&a);
                let _ = s.write_all(&framed).await;
            });
        }
    });
    Upstream {
        addr,
        seen,
        tasks: vec![udp_task, tcp_task],
    }
}

fn server(upstreams: Vec<SocketAddr>) -> DnsServer {
    DnsServer::with_upstream_timeout(Arc::new(Table), upstreams, Duration::from_millis(500))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_names_are_answered_inside_the_namespace() {
    need_root!();
    let ns = Netns::new("known");
    let up = start_upstream(false).await;
    let dns = server(vec![up.addr]);
    dns.attach("c1", &ns.path).await.unwrap();
    assert!(dns.is_attached("c1"));

    for tcp in [false, true] {
        // Name, alias, short id, case variants, trailing dot, name.network.
        for name in [
            "web",
            "www",
            "3f2a1b4c5d6e",
            "WEB",
            "Web.",
            "wWw",
            "web.backend",
        ] {
            let m = ask(&ns.path, name, RecordType::A, tcp).await;
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{name}");
            assert_eq!(data(&m), ["172.30.0.2"], "{name} (tcp: {tcp})");
        }
        // A known name without an IPv6 address: NODATA, not NXDOMAIN.
        let m = ask(&ns.path, "web", RecordType::AAAA, tcp).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty(), "web AAAA: {:?}", data(&m));
        let m = ask(&ns.path, "db", RecordType::AAAA, tcp).await;
        assert_eq!(data(&m), ["fd00:30::3"]);
        let m = ask(&ns.path, "web", RecordType::MX, tcp).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
        // PTR for a known address.
        let m = ask(&ns.path, "2.0.30.172.in-addr.arpa", RecordType::PTR, tcp).await;
        assert_eq!(data(&m), ["web."]);
    }
    // None of that went upstream.
    assert_eq!(up.seen.load(Ordering::SeqCst), 0);
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_names_are_relayed_keeping_nxdomain_and_nodata_apart() {
    need_root!();
    let ns = Netns::new("relay");
    let up = start_upstream(false).await;
    let dns = server(vec![up.addr]);
    dns.attach("c1", &ns.path).await.unwrap();

    for tcp in [false, true] {
        let m = ask(&ns.path, "upstream.test", RecordType::A, tcp).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(data(&m), ["192.0.2.1"], "tcp: {tcp}");

        let m = ask(&ns.path, "nodata.test", RecordType::A, tcp).await;
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "tcp: {tcp}"
        );
        assert!(m.answers.is_empty());

        let m = ask(&ns.path, "missing.test", RecordType::A, tcp).await;
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "tcp: {tcp}"
        );
        assert!(m.answers.is_empty());

        // A reverse name the table does not know goes upstream too.
        let m = ask(&ns.path, "9.9.30.172.in-addr.arpa", RecordType::PTR, tcp).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    }
    assert_eq!(up.seen.load(Ordering::SeqCst), 8);

    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_dns_servers_are_reached_from_its_namespace() {
    need_root!();
    let ns = Netns::new("own");
    let host_side = start_upstream(false).await;
    // The container's --dns server listens on 127.0.0.1 *inside* its
    // namespace: only a relay from there reaches it.
    let own = start_upstream_in(false, Some(&ns.path)).await;
    let dns = server(vec![host_side.addr]);
    dns.set_upstreams("c1", vec![own.addr]);
    dns.attach("c1", &ns.path).await.unwrap();
    for tcp in [false, true] {
        let m = ask(&ns.path, "upstream.test", RecordType::A, tcp).await;
        assert_eq!(data(&m), ["192.0.2.1"], "tcp: {tcp}");
        let m = ask(&ns.path, "missing.test", RecordType::A, tcp).await;
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    }
    assert_eq!(own.seen.load(Ordering::SeqCst), 4);
    assert_eq!(host_side.seen.load(Ordering::SeqCst), 0);

    // Back to the server's upstreams.
    dns.set_upstreams("c1", Vec::new());
    let m = ask(&ns.path, "upstream.test", RecordType::A, false).await;
    assert_eq!(data(&m), ["192.0.2.1"]);
    assert_eq!(host_side.seen.load(Ordering::SeqCst), 1);
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_containers_are_not_relayed_through_the_host() {
    need_root!();
    let ns = Netns::new("internal");
    let up = start_upstream(false).await;
    let dns = server(vec![up.addr]);
    dns.set_external_access("c1", false);
    dns.attach("c1", &ns.path).await.unwrap();
    let m = ask(&ns.path, "upstream.test", RecordType::A, false).await;
    assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(
        data(&ask(&ns.path, "web", RecordType::A, false).await),
        ["172.30.0.2"]
    );
    assert_eq!(up.seen.load(Ordering::SeqCst), 0);
    // Connected to a non-internal network: relayed again, at once.
    dns.set_external_access("c1", true);
    let m = ask(&ns.path, "upstream.test", RecordType::A, false).await;
    assert_eq!(data(&m), ["192.0.2.1"]);
    assert_eq!(up.seen.load(Ordering::SeqCst), 1);
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_upstreams_give_servfail() {
    need_root!();
    let ns = Netns::new("servfail");
    let silent = start_upstream(true).await;
    let dns = server(vec![silent.addr]);
    dns.attach("c1", &ns.path).await.unwrap();
    for tcp in [false, true] {
        let started = Instant::now();
        let m = ask(&ns.path, "upstream.test", RecordType::A, tcp).await;
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::ServFail,
            "tcp: {tcp}"
        );
        assert_eq!(m.queries[0].name().to_ascii(), "upstream.test.");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(450),
            "answered before the timeout: {took:?}"
        );
        assert!(took < Duration::from_secs(3), "{took:?}");
    }
    // Known names still answer at once.
    let m = ask(&ns.path, "web", RecordType::A, false).await;
    assert_eq!(data(&m), ["172.30.0.2"]);
    dns.detach("c1");

    // No upstream at all: SERVFAIL without waiting.
    let ns2 = Netns::new("noupstream");
    let dns = server(Vec::new());
    dns.attach("c1", &ns2.path).await.unwrap();
    let m = ask(&ns2.path, "upstream.test", RecordType::A, false).await;
    assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_stops_answering_and_attach_again_works() {
    need_root!();
    let ns = Netns::new("detach");
    let dns = server(Vec::new());
    dns.attach("c1", &ns.path).await.unwrap();
    // Attaching again with the same namespace is a no-op.
    dns.attach("c1", &ns.path).await.unwrap();
    assert_eq!(
        data(&ask(&ns.path, "web", RecordType::A, false).await),
        ["172.30.0.2"]
    );

    dns.detach("c1");
    dns.detach("c1");
    assert!(!dns.is_attached("c1"));
    let short = Duration::from_millis(300);
    assert!(ask_within(&ns.path, "web", RecordType::A, false, short)
        .await
        .is_none());
    assert!(ask_within(&ns.path, "web", RecordType::A, true, short)
        .await
        .is_none());

    // The port is free again for a new attach.
    dns.attach("c1", &ns.path).await.unwrap();
    assert_eq!(
        data(&ask(&ns.path, "web", RecordType::A, true).await),
        ["172.30.0.2"]
    );
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_follows_a_namespace_pinned_again_at_the_same_path() {
    need_root!();
    let ns = Netns::new("restart");
    let dns = server(Vec::new());
    dns.attach("c1", &ns.path).await.unwrap();
    // The container restarts: its namespace is made anew at the same path
    // (no detach in between).
    wharf_sys::netns::remove(&ns.path);
    wharf_sys::netns::create(&ns.path).unwrap();
    dns.attach("c1", &ns.path).await.unwrap();
    assert_eq!(
        data(&ask(&ns.path, "web", RecordType::A, false).await),
        ["172.30.0.2"]
    );
    dns.detach("c1");
}

/// Runs `getent ARGS` inside `ns` with `resolv` mounted over
/// /etc/resolv.conf in a private mount namespace: glibc's resolver, as in a
/// container. Returns (exit code, stdout).
async fn getent(ns: &Path, resolv: &Path, args: &[&str]) -> (i32, String) {
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec getent {}",
        resolv.display(),
        args.join(" ")
    );
    let ns = ns.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("nsenter")
            .arg(format!("--net={}", ns.display()))
            .args([
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
            ])
            .output()
            .expect("run nsenter")
    })
    .await
    .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glibc_resolves_through_the_written_resolv_conf() {
    need_root!();
    if std::process::Command::new("nsenter")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: needs nsenter");
        return;
    }
    let ns = Netns::new("glibc");
    let up = start_upstream(false).await;
    let dns = server(vec![up.addr]);
    dns.attach("c1", &ns.path).await.unwrap();
    let conf = wharf_network::dns::container_resolv_conf(
        "nameserver 127.0.0.53\nsearch corp.example\n",
        true,
        &[],
        &[],
        &[],
    );
    let resolv = ns.dir.join("resolv.conf");
    std::fs::write(&resolv, conf).unwrap();

    let (code, out) = getent(&ns.path, &resolv, &["hosts", "web"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("172.30.0.2 "), "{out}");
    let (code, out) = getent(&ns.path, &resolv, &["ahosts", "DB"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("172.30.0.3") && out.contains("fd00:30::3"),
        "{out}"
    );
    let (code, out) = getent(&ns.path, &resolv, &["hosts", "upstream.test"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("192.0.2.1 "), "{out}");
    // NXDOMAIN comes back at once as "not found" (exit 2), not a timeout.
    let started = Instant::now();
    let (code, out) = getent(&ns.path, &resolv, &["hosts", "missing.test"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(started.elapsed() < Duration::from_secs(2));
    dns.detach("c1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_to_a_missing_namespace_fails_cleanly() {
    need_root!();
    let dns = server(Vec::new());
    let missing =
        std::env::temp_dir().join(format!("wharf-dns-test-{}-missing/ns", std::process::id()));
    let err = dns.attach("c1", &missing).await.unwrap_err();
    assert!(err.to_string().contains("netns"), "{err}");
    assert!(!dns.is_attached("c1"));
}
