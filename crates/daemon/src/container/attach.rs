//! Hijacked attach streams: the HTTP connection is upgraded to a raw
//! duplex stream and bridged to the container's monitor.

use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::error::{Error, Result};
use crate::http::{self, Reply};

/// Work to finish before the client sees the stream end.
pub type AfterOutput = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

use wharf_api::detach::DetachScanner;

/// The detach sequence a client asked for (`detachKeys`), or Docker's
/// default Ctrl-P Ctrl-Q; a malformed one is the client's error.
pub fn detach_keys(spec: Option<&str>) -> Result<Vec<u8>> {
    match spec.filter(|s| !s.is_empty()) {
        None => Ok(wharf_api::detach::DEFAULT_DETACH.to_vec()),
        Some(s) => wharf_api::detach::detach_keys(s)
            .map_err(|e| Error::invalid(format!("Invalid detach keys ({s}) provided: {e}"))),
    }
}

/// Takes the upgrade handle of a request that asked to be hijacked
/// (`Connection: Upgrade`, `Upgrade: tcp`), before its body is read.
pub fn upgrade_handle(req: &mut Request<Incoming>) -> Result<OnUpgrade> {
    if req.headers().get(hyper::header::UPGRADE).is_none() {
        return Err(Error::invalid(
            "attach needs a hijackable connection: send 'Connection: Upgrade' and 'Upgrade: tcp'",
        ));
    }
    Ok(hyper::upgrade::on(req))
}

/// Answers 101 and, once the client has switched protocols, bridges the
/// upgraded connection to the stream `open` yields.
/// `after_output` runs once the output has ended and before the client
/// sees the end of the stream, so what it records (an exec's exit code) is
/// visible to a client that inspects right after.
/// `detach_keys`: the sequence that ends the session and leaves the
/// container running (only watched with a tty and stdin), or `None`.
pub fn hijack<F>(
    on_upgrade: OnUpgrade,
    tty: bool,
    detach_keys: Option<Vec<u8>>,
    open: F,
    after_output: Option<AfterOutput>,
) -> Reply
where
    F: std::future::Future<Output = Result<UnixStream>> + Send + 'static,
{
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "attach upgrade failed");
                return;
            }
        };
        let client = TokioIo::new(upgraded);
        let monitor = match open.await {
            Ok(s) => s,
            Err(e) => {
                let mut client = client;
                let msg = format!("{}\n", e.message);
                let out = if tty {
                    msg.into_bytes().into()
                } else {
                    http::frame(2, msg.as_bytes())
                };
                let _ = client.write_all(&out).await;
                let _ = client.shutdown().await;
                return;
            }
        };
        let keys = detach_keys.filter(|k| tty && !k.is_empty());
        bridge(client, monitor, keys, after_output).await;
    });
    let content_type = if tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("Content-Type", content_type)
        .header("Connection", "Upgrade")
        .header("Upgrade", "tcp")
        .body(http::empty_body())
        .unwrap_or_else(|_| Response::new(http::empty_body()))
}

/// Copies both ways. Client EOF half-closes the monitor side (closing the
/// container's stdin); monitor EOF (the process ended) ends the session.
async fn bridge<C>(
    client: C,
    monitor: UnixStream,
    detach_keys: Option<Vec<u8>>,
    after_output: Option<AfterOutput>,
) where
    C: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut mr, mut mw) = monitor.into_split();
    let to_container = async move {
        let mut buf = vec![0u8; 32 * 1024];
        let mut scanner = detach_keys.map(DetachScanner::new);
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let (forward, detached) = match scanner.as_mut() {
                Some(s) => s.feed(&buf[..n]),
                None => (buf[..n].to_vec(), false),
            };
            if mw.write_all(&forward).await.is_err() {
                break;
            }
            if detached {
                return true;
            }
        }
        let _ = mw.shutdown().await;
        false
    };
    let to_client = async move {
        let _ = tokio::io::copy(&mut mr, &mut cw).await;
        if let Some(f) = after_output {
            f.await;
        }
        let _ = cw.shutdown().await;
    };
    let mut out = tokio::spawn(to_client);
    let detached = tokio::select! {
        d = to_container => Some(d),
        _ = &mut out => None,
    };
    match detached {
        // Detach keys: leave the container running, end the session.
        Some(true) => out.abort(),
        // stdin closed: keep delivering output until the process ends.
        Some(false) => {
            let _ = out.await;
        }
        None => {}
    }
}
