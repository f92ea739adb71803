//! Relaying a query to the upstream resolvers: the host's from the host's
//! namespace (the tasks run on the daemon's runtime, whose threads never
//! leave it), a container's own `--dns` servers from the container's
//! namespace (sockets made there on a short-lived thread), as Docker does.
//!
//! The query's bytes go out as the client sent them and the first answer
//! comes back as the upstream wrote it, so NXDOMAIN stays NXDOMAIN and an
//! empty NOERROR stays NODATA. Upstreams are tried in order, each with its
//! own timeout; a SERVFAIL or REFUSED makes us try the next one, and is
//! passed on when no other upstream does better.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{timeout, Instant};

use super::handler::Transport;

const SERVFAIL: u8 = 2;
const REFUSED: u8 = 5;

/// Which namespace the relay's sockets live in.
#[derive(Debug, Clone)]
pub(crate) enum Via {
    Host,
    Netns(Arc<Path>),
}

/// The first usable upstream answer to `query`, or `None` when none came.
pub(crate) async fn relay(
    query: &[u8],
    upstreams: &[SocketAddr],
    via: &Via,
    transport: Transport,
    limit: Duration,
) -> Option<Vec<u8>> {
    let mut fallback = None;
    for upstream in upstreams {
        let got = match transport {
            Transport::Udp => over_udp(query, *upstream, via, limit).await,
            Transport::Tcp => over_tcp(query, *upstream, via, limit).await,
        };
        match got {
            Some(answer) if matches!(answer[3] & 0x0f, SERVFAIL | REFUSED) => {
                tracing::debug!(%upstream, rcode = answer[3] & 0x0f, "upstream failed the query");
                fallback = Some(answer);
            }
            Some(answer) => return Some(answer),
            None => tracing::debug!(%upstream, "no answer from upstream"),
        }
    }
    fallback
}

/// Whether `answer` is a response to `query`: same id, QR set.
fn answers(query: &[u8], answer: &[u8]) -> bool {
    answer.len() >= 12 && answer[..2] == query[..2] && answer[2] & 0x80 != 0
}

/// Runs `f` on a short-lived thread inside `netns`, off the runtime.
async fn in_netns<R, F>(netns: &Arc<Path>, f: F) -> io::Result<R>
where
    F: FnOnce() -> io::Result<R> + Send + 'static,
    R: Send + 'static,
{
    let netns = netns.clone();
    tokio::task::spawn_blocking(move || wharf_sys::netns::run_in(&netns, f))
        .await
        .map_err(io::Error::other)??
}

async fn over_udp(
    query: &[u8],
    upstream: SocketAddr,
    via: &Via,
    limit: Duration,
) -> Option<Vec<u8>> {
    let local: SocketAddr = if upstream.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    // A fresh socket per query: a random source port, and a connected
    // socket only hears from the upstream.
    let socket = match via {
        Via::Host => UdpSocket::bind(local).await.ok()?,
        Via::Netns(netns) => {
            let std = in_netns(netns, move || {
                let s = std::net::UdpSocket::bind(local)?;
                s.set_nonblocking(true)?;
                Ok(s)
            })
            .await
            .ok()?;
            UdpSocket::from_std(std).ok()?
        }
    };
    socket.connect(upstream).await.ok()?;
    socket.send(query).await.ok()?;
    let deadline = Instant::now() + limit;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => n,
            // ICMP unreachable and the like: this upstream is down.
            Ok(Err(_)) | Err(_) => return None,
        };
        if answers(query, &buf[..n]) {
            buf.truncate(n);
            return Some(buf);
        }
    }
}

async fn over_tcp(
    query: &[u8],
    upstream: SocketAddr,
    via: &Via,
    limit: Duration,
) -> Option<Vec<u8>> {
    let exchange = async {
        let mut stream = match via {
            Via::Host => TcpStream::connect(upstream).await.ok()?,
            Via::Netns(netns) => {
                let std = in_netns(netns, move || {
                    let s = std::net::TcpStream::connect_timeout(&upstream, limit)?;
                    s.set_nonblocking(true)?;
                    Ok(s)
                })
                .await
                .ok()?;
                TcpStream::from_std(std).ok()?
            }
        };
        let len = u16::try_from(query.len()).ok()?;
        let mut framed = Vec::with_capacity(query.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(query);
        stream.write_all(&framed).await.ok()?;
        loop {
            let mut len = [0u8; 2];
            stream.read_exact(&mut len).await.ok()?;
            let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
            stream.read_exact(&mut answer).await.ok()?;
            if answers(query, &answer) {
                return Some(answer);
            }
        }
    };
    timeout(limit, exchange).await.ok().flatten()
}
