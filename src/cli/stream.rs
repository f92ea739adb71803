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

/// Parse docker's `--detach-keys` (`ctrl-p,ctrl-q`, `a,ctrl-@`).
pub fn detach_keys(spec: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for k in spec.split(',') {
        let k = k.trim();
        let b = if let Some(c) = k.strip_prefix("ctrl-") {
            let c = c.as_bytes();
            if c.len() != 1 {
                return Err(format!("Unknown character: '{k}'"));
            }
            match c[0].to_ascii_lowercase() {
                x @ b'a'..=b'z' => x - b'a' + 1,
                b'@' => 0,
                b'[' => 27,
                b'\\' => 28,
                b']' => 29,
                b'^' => 30,
                b'_' => 31,
                _ => return Err(format!("Unknown character: '{k}'")),
            }
        } else if k.len() == 1 {
            k.as_bytes()[0]
        } else {
            return Err(format!("Unknown character: '{k}'"));
        };
        out.push(b);
    }
    Ok(out)
}

/// Ctrl-P Ctrl-Q, docker's default.
pub const DEFAULT_DETACH: &[u8] = &[0x10, 0x11];

/// Watches input for the detach sequence; bytes of a partial match are held
/// back and released if the sequence breaks.
#[derive(Debug)]
pub struct DetachScanner {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachScanner {
    pub fn new(keys: Vec<u8>) -> Self {
        DetachScanner { keys, matched: 0 }
    }

    /// Returns the bytes to forward and whether the sequence completed.
    pub fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::with_capacity(data.len());
        if self.keys.is_empty() {
            out.extend_from_slice(data);
            return (out, false);
        }
        for &b in data {
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return (out, true);
                }
            } else {
                out.extend_from_slice(&self.keys[..self.matched]);
                self.matched = 0;
                if b == self.keys[0] {
                    self.matched = 1;
                    if self.keys.len() == 1 {
                        return (out, true);
                    }
                } else {
                    out.push(b);
                }
            }
        }
        (out, false)
    }
}

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

/// Keep the container's tty the size of ours: once now, then on SIGWINCH.
/// `path` is `/containers/{id}/resize` or `/exec/{id}/resize`.
pub fn follow_resizes(client: Client, path: String) {
    tokio::spawn(async move {
        let resize = |client: Client, path: String| async move {
            if let Some((h, w)) = tty::size() {
                let _ = client
                    .post::<()>(&format!("{path}?h={h}&w={w}"), None)
                    .await;
            }
        };
        resize(client.clone(), path.clone()).await;
        let Ok(mut sig) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        else {
            return;
        };
        while sig.recv().await.is_some() {
            resize(client.clone(), path.clone()).await;
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
                let path = format!("/containers/{}/kill?signal={name}", super::seg(&id));
                let _ = client.post::<()>(&path, None).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_detach_keys() {
        assert_eq!(detach_keys("ctrl-p,ctrl-q").unwrap(), DEFAULT_DETACH);
        assert_eq!(detach_keys("a,ctrl-@").unwrap(), vec![b'a', 0]);
        assert!(detach_keys("ctrl-pp").is_err());
        assert!(detach_keys("abc").is_err());
    }

    #[test]
    fn scanner_detects_across_chunks() {
        let mut s = DetachScanner::new(DEFAULT_DETACH.to_vec());
        assert_eq!(s.feed(b"ls\x10"), (b"ls".to_vec(), false));
        assert_eq!(s.feed(b"\x11rest"), (Vec::new(), true));
    }

    #[test]
    fn scanner_releases_broken_sequence() {
        let mut s = DetachScanner::new(DEFAULT_DETACH.to_vec());
        assert_eq!(s.feed(b"\x10x"), (b"\x10x".to_vec(), false));
        assert_eq!(s.feed(b"\x10\x10\x11"), (b"\x10".to_vec(), true));
    }
}
