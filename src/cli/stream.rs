//! Moving bytes over a hijacked attach/exec connection: stdin in (with
//! detach-key detection), output out (stdcopy-demultiplexed unless raw),
//! terminal resizes, and signal forwarding for `run`/`attach`.

use std::io::Read;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use wharf_client::stdcopy;
use wharf_client::{Client, Hijacked};

use super::tty;

/// How an attached session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The output stream closed (the process exited or detached us).
    Done,
    /// The user typed the detach keys.
    Detached,
}

pub use wharf_api::detach::{detach_keys, DetachScanner, DEFAULT_DETACH};

/// Read our stdin on a plain thread (a blocked read must not hold up the
/// runtime) and hand chunks over; `None` at EOF.
fn stdin_chunks() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Copy the connection's output to our stdout/stderr until it closes.
async fn copy_output(
    reader: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    multiplexed: bool,
) -> anyhow::Result<()> {
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    if multiplexed {
        stdcopy::demux(reader, &mut stdout, &mut stderr).await?;
    } else {
        let mut reader = reader;
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            stdout.write_all(&buf[..n]).await?;
            stdout.flush().await?;
        }
    }
    Ok(())
}

/// Run an attached session to its end. With `stdin`, our input goes to
/// the container and EOF half-closes the connection; with `detach`, the
/// key sequence ends the session without stopping the container.
pub async fn pump(
    h: Hijacked,
    tty: bool,
    stdin: bool,
    detach: Option<Vec<u8>>,
) -> anyhow::Result<End> {
    let multiplexed = h.multiplexed(tty);
    let Hijacked {
        reader, mut writer, ..
    } = h;
    let mut output = tokio::spawn(copy_output(reader, multiplexed));
    let mut input = if stdin { Some(stdin_chunks()) } else { None };
    let mut scanner = detach.map(DetachScanner::new);
    loop {
        tokio::select! {
            res = &mut output => {
                res??;
                return Ok(End::Done);
            }
            chunk = async { input.as_mut()?.recv().await }, if input.is_some() => {
                match chunk {
                    Some(data) => {
                        let (data, detached) = match scanner.as_mut() {
                            Some(s) => s.feed(&data),
                            None => (data, false),
                        };
                        if !data.is_empty() && writer.write_all(&data).await.is_err() {
                            input = None;
                        }
                        let _ = writer.flush().await;
                        if detached {
                            return Ok(End::Detached);
                        }
                    }
                    None => {
                        // EOF: tell the daemon stdin ended, keep reading output.
                        let _ = writer.shutdown().await;
                        input = None;
                    }
                }
            }
        }
    }
}

/// What a terminal resize applies to.
#[derive(Debug, Clone)]
pub enum Resize {
    Container(String),
    Exec(String),
}

/// Keep the container's (or exec's) tty the size of ours: once now, then
/// on SIGWINCH.
pub fn follow_resizes(client: Client, target: Resize) {
    tokio::spawn(async move {
        let resize = |client: Client, target: Resize| async move {
            if let Some((h, w)) = tty::size() {
                let _ = match &target {
                    Resize::Container(id) => client.containers().resize(id, h, w).await,
                    Resize::Exec(id) => client.exec().resize(id, h, w).await,
                };
            }
        };
        resize(client.clone(), target.clone()).await;
        let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        else {
            return;
        };
        while sig.recv().await.is_some() {
            resize(client.clone(), target.clone()).await;
        }
    });
}

/// Forward the signals a user sends us to the container, as docker's
/// `--sig-proxy` does.
pub fn proxy_signals(client: Client, id: String) {
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::quit(), "SIGQUIT"),
        (SignalKind::user_defined1(), "SIGUSR1"),
        (SignalKind::user_defined2(), "SIGUSR2"),
    ];
    for (kind, name) in kinds {
        let Ok(mut sig) = signal(kind) else { continue };
        let client = client.clone();
        let id = id.clone();
        tokio::spawn(async move {
            while sig.recv().await.is_some() {
                let _ = client.containers().kill(&id, Some(name)).await;
            }
        });
    }
}
