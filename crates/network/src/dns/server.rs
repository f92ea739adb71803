//! The sockets and their loops: 127.0.0.11:53 bound inside each attached
//! container's namespace on a short-lived thread, then served by tasks on
//! the caller's tokio runtime.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, SocketAddrV4};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::{JoinHandle, JoinSet};

use super::handler::{self, Outcome, Transport};
use super::resolv::EMBEDDED_ADDR;
use super::upstream::{self, Via};
use super::NameTable;

/// Queries relayed at once per container and transport; beyond it new
/// ones are answered SERVFAIL at once (Docker caps at 1024 per server).
const MAX_INFLIGHT: usize = 256;
/// A TCP client that sends nothing for this long is hung up on.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// What every loop needs: the table and where to relay.
pub(super) struct Shared {
    pub(super) table: Arc<dyn NameTable>,
    pub(super) upstreams: Arc<[SocketAddr]>,
    pub(super) timeout: Duration,
    /// Per-container relay settings; absent means the defaults.
    pub(super) relays: Mutex<HashMap<String, Relay>>,
}

/// How one container's unknown names are relayed.
#[derive(Debug, Clone, Default)]
pub(super) struct Relay {
    /// Its own `--dns` servers, reached from its namespace; empty: the
    /// server's upstreams, from the host's.
    pub(super) upstreams: Vec<SocketAddr>,
    /// No relay through the host's namespace (all its networks are
    /// `--internal`).
    pub(super) internal: bool,
}

/// One attached container, as its loops see it.
struct Ctx {
    id: Arc<str>,
    netns: Arc<Path>,
}

impl Shared {
    fn route(&self, ctx: &Ctx) -> (Arc<[SocketAddr]>, Via) {
        let relay = lock(&self.relays)
            .get(&*ctx.id)
            .cloned()
            .unwrap_or_default();
        if !relay.upstreams.is_empty() {
            (relay.upstreams.into(), Via::Netns(ctx.netns.clone()))
        } else if relay.internal {
            (Arc::from([]), Via::Host)
        } else {
            (self.upstreams.clone(), Via::Host)
        }
    }
}

/// One container's serving tasks; dropping it stops them (and closes the
/// sockets they own).
pub(super) struct Attached {
    /// The namespace served, by identity (device and inode of its nsfs
    /// file): a path pinned again for a restarted container is another one.
    pub(super) netns: (u64, u64),
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves a plain map behind: still valid.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Which namespace `path` pins: device and inode of its nsfs file.
pub(super) fn netns_identity(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| io::Error::new(e.kind(), format!("netns {}: {e}", path.display())))?;
    Ok((meta.dev(), meta.ino()))
}

/// Binds 127.0.0.11:53, UDP and TCP, inside the namespace at `netns`.
async fn bind_in(netns: &Path) -> io::Result<(std::net::UdpSocket, std::net::TcpListener)> {
    let path = netns.to_path_buf();
    let bound = tokio::task::spawn_blocking(move || {
        wharf_sys::netns::run_in(&path, || -> io::Result<_> {
            let addr = SocketAddrV4::new(EMBEDDED_ADDR, 53);
            let udp = match std::net::UdpSocket::bind(addr) {
                Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => {
                    // 127.0.0.0/8 is on `lo` as soon as it is up.
                    wharf_sys::net::loopback_up()?;
                    std::net::UdpSocket::bind(addr)?
                }
                other => other?,
            };
            let tcp = std::net::TcpListener::bind(addr)?;
            udp.set_nonblocking(true)?;
            tcp.set_nonblocking(true)?;
            Ok((udp, tcp))
        })
    })
    .await
    .map_err(|e| io::Error::other(format!("dns bind thread: {e}")))?;
    bound?.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("bind {}:53 in {}: {e}", EMBEDDED_ADDR, netns.display()),
        )
    })
}

/// Opens the sockets in `netns` (whose [`netns_identity`] is `identity`)
/// and spawns their loops on the current runtime.
pub(super) async fn start(
    shared: Arc<Shared>,
    container_id: &str,
    netns: &Path,
    identity: (u64, u64),
) -> io::Result<Attached> {
    let (udp, tcp) = bind_in(netns).await?;
    let udp = Arc::new(UdpSocket::from_std(udp)?);
    let tcp = TcpListener::from_std(tcp)?;
    let ctx = Arc::new(Ctx {
        id: Arc::from(container_id),
        netns: Arc::from(netns),
    });
    let tasks = vec![
        tokio::spawn(serve_udp(udp, shared.clone(), ctx.clone())),
        tokio::spawn(serve_tcp(tcp, shared, ctx)),
    ];
    Ok(Attached {
        netns: identity,
        tasks,
    })
}

async fn serve_udp(socket: Arc<UdpSocket>, shared: Arc<Shared>, ctx: Arc<Ctx>) {
    let mut buf = vec![0u8; 65535];
    // Relays in flight; dropped (aborted) with this task on detach.
    let mut relays = JoinSet::new();
    loop {
        while relays.try_join_next().is_some() {}
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                tracing::debug!(container_id = %ctx.id, error = %e, "dns udp receive");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let query = buf[..n].to_vec();
        match handler::handle(&*shared.table, &ctx.id, &query, Transport::Udp) {
            Outcome::Reply(answer) => {
                let _ = socket.send_to(&answer, peer).await;
            }
            Outcome::Ignore => {}
            Outcome::Relay => {
                if relays.len() >= MAX_INFLIGHT {
                    if let Some(fail) = handler::error_reply(&query, ResponseCode::ServFail) {
                        let _ = socket.send_to(&fail, peer).await;
                    }
                    continue;
                }
                let (socket, shared, ctx) = (socket.clone(), shared.clone(), ctx.clone());
                relays.spawn(async move {
                    let answer = relayed(&shared, &ctx, &query, Transport::Udp).await;
                    if let Some(answer) = answer {
                        let _ = socket.send_to(&answer, peer).await;
                    }
                });
            }
        }
    }
}

/// The upstream's answer to `query`, or SERVFAIL when none answered.
async fn relayed(
    shared: &Shared,
    ctx: &Ctx,
    query: &[u8],
    transport: Transport,
) -> Option<Vec<u8>> {
    let (upstreams, via) = shared.route(ctx);
    match upstream::relay(query, &upstreams, &via, transport, shared.timeout).await {
        Some(answer) => Some(answer),
        None => {
            tracing::debug!(container_id = %ctx.id, "no upstream answered, servfail");
            handler::error_reply(query, ResponseCode::ServFail)
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>, ctx: Arc<Ctx>) {
    let mut conns = JoinSet::new();
    loop {
        while conns.try_join_next().is_some() {}
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::debug!(container_id = %ctx.id, error = %e, "dns tcp accept");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if conns.len() >= MAX_INFLIGHT {
            continue; // dropped: the client retries
        }
        conns.spawn(serve_conn(stream, shared.clone(), ctx.clone()));
    }
}

/// One TCP client: length-prefixed queries, answered in order.
async fn serve_conn(mut stream: TcpStream, shared: Arc<Shared>, ctx: Arc<Ctx>) {
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
        match tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut query)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        let answer = match handler::handle(&*shared.table, &ctx.id, &query, Transport::Tcp) {
            Outcome::Reply(answer) => answer,
            Outcome::Ignore => continue,
            Outcome::Relay => match relayed(&shared, &ctx, &query, Transport::Tcp).await {
                Some(answer) => answer,
                None => continue,
            },
        };
        let Ok(n) = u16::try_from(answer.len()) else {
            return;
        };
        let mut framed = Vec::with_capacity(answer.len() + 2);
        framed.extend_from_slice(&n.to_be_bytes());
        framed.extend_from_slice(&answer);
        if stream.write_all(&framed).await.is_err() {
            return;
        }
    }
}
