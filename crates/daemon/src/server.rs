//! The unix-socket HTTP server: one hyper connection task per client,
//! upgrades enabled for attach/exec hijacking.

use std::convert::Infallible;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::UnixListener;

use crate::daemon::Daemon;

/// Binds the socket (mode 0660, root-owned), replacing a stale one.
pub fn bind(path: &Path) -> anyhow::Result<UnixListener> {
    use anyhow::Context;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            anyhow::bail!(
                "another daemon is already listening on {}; stop it or pass a different -H",
                path.display()
            );
        }
        std::fs::remove_file(path)
            .with_context(|| format!("remove stale socket {}", path.display()))?;
    }
    let listener = UnixListener::bind(path).with_context(|| format!("bind {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

pub async fn serve(
    d: Arc<Daemon>,
    listener: UnixListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = &mut shutdown => return,
        };
        let (stream, _) = match conn {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        crate::memory::note_activity();
        let d = d.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let d = d.clone();
                async move {
                    // `RUST_LOG=wharf::requests=debug`: each request's time
                    // in the daemon (bench/compose-trace.sh)
                    if !tracing::enabled!(target: "wharf::requests", tracing::Level::DEBUG) {
                        return Ok::<_, Infallible>(crate::router::route(d, req).await);
                    }
                    let t0 = std::time::Instant::now();
                    let what = format!("{} {}", req.method(), req.uri().path());
                    let reply = crate::router::route(d, req).await;
                    tracing::debug!(
                        target: "wharf::requests",
                        status = reply.status().as_u16(),
                        us = t0.elapsed().as_micros() as u64,
                        "request: {what}"
                    );
                    Ok::<_, Infallible>(reply)
                }
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            // Its end counts too: the trim waits for the burst's last
            // replies, whose buffers are the peak (issue 13).
            crate::memory::note_activity();
        });
    }
}
