//! `GET /containers/{id}/attach/ws`: attach over a WebSocket (RFC 6455),
//! as Docker serves it: the handshake answers `101` with
//! `Sec-WebSocket-Accept`, the container's output goes to the client as
//! binary messages (stdout and stderr as they come, never multiplexed),
//! and every data message from the client is written to the container's
//! stdin. A close message from the client closes stdin; the end of the
//! output sends a close message (1000) and ends the connection.

use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::error::{Error, Result};
use crate::http::{self, Reply};

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// Largest client message accepted (stdin input).
const MAX_FRAME: u64 = 16 << 20;

/// Checks the handshake and takes the upgrade handle; the answer to send
/// carries `Sec-WebSocket-Accept`.
pub fn handshake(req: &mut Request<Incoming>) -> Result<(OnUpgrade, String)> {
    let h = req.headers();
    let upgrade = h
        .get(hyper::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return Err(Error::invalid("websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Upgrade' header"));
    }
    let key = h
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::invalid(
                "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header is missing",
            )
        })?;
    let accept = accept_key(key.trim());
    Ok((hyper::upgrade::on(req), accept))
}

/// `base64(sha1(key + GUID))`.
pub fn accept_key(key: &str) -> String {
    wharf_api::archive::base64_encode(&sha1(format!("{key}{GUID}").as_bytes()))
}

/// Answers 101 and bridges the upgraded connection to the stream `open` yields.
pub fn serve<F>(on_upgrade: OnUpgrade, accept: String, tty: bool, open: F) -> Reply
where
    F: std::future::Future<Output = Result<UnixStream>> + Send + 'static,
{
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "attach ws upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(upgraded);
        match open.await {
            Ok(monitor) => bridge(client, monitor, tty).await,
            Err(e) => {
                let _ = client
                    .write_all(&frame(0x2, format!("{}\n", e.message).as_bytes()))
                    .await;
                let _ = client.write_all(&frame(0x8, &1011u16.to_be_bytes())).await;
                let _ = client.shutdown().await;
            }
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Accept", accept)
        .body(http::empty_body())
        .unwrap_or_else(|_| Response::new(http::empty_body()))
}

/// One unmasked server frame, FIN set.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 10);
    v.push(0x80 | opcode);
    let n = payload.len();
    if n < 126 {
        v.push(n as u8);
    } else if n <= 0xffff {
        v.push(126);
        v.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        v.push(127);
        v.extend_from_slice(&(n as u64).to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

/// A client frame: (opcode, unmasked payload).
async fn read_frame<R: AsyncRead + Unpin>(r: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let mut h = [0u8; 2];
    r.read_exact(&mut h).await?;
    let opcode = h[0] & 0x0f;
    let masked = h[1] & 0x80 != 0;
    let mut len = u64::from(h[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        r.read_exact(&mut b).await?;
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        r.read_exact(&mut b).await?;
        len = u64::from_be_bytes(b);
    }
    if len > MAX_FRAME {
        return Err(std::io::Error::other("websocket frame too large"));
    }
    let mut mask = [0u8; 4];
    if masked {
        r.read_exact(&mut mask).await?;
    }
    let mut payload = vec![0u8; len as usize];
    r.read_exact(&mut payload).await?;
    if masked {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
    }
    Ok((opcode, payload))
}

async fn bridge<C>(client: C, monitor: UnixStream, tty: bool)
where
    C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut cr, cw) = tokio::io::split(client);
    let cw = std::sync::Arc::new(tokio::sync::Mutex::new(cw));
    let (mut mr, mut mw) = monitor.into_split();
    let cw_in = cw.clone();
    // Ends when the client closes (or goes away): true when it sent a close.
    let to_container = async move {
        let closed = loop {
            let Ok((opcode, payload)) = read_frame(&mut cr).await else {
                break false;
            };
            match opcode {
                // Continuation, text, binary: stdin.
                0x0..=0x2 if mw.write_all(&payload).await.is_err() => break false,
                0x0..=0x2 => {}
                0x8 => break true,
                0x9 => {
                    let _ = cw_in.lock().await.write_all(&frame(0xA, &payload)).await;
                }
                _ => {}
            }
        };
        // The monitor closes the container's stdin if it is `StdinOnce`.
        let _ = mw.shutdown().await;
        closed
    };
    let cw_out = cw.clone();
    let to_client = async move {
        let mut buf = vec![0u8; 32 * 1024];
        // Without a tty the monitor multiplexes: strip the 8-byte headers.
        let mut pending: Vec<u8> = Vec::new();
        loop {
            let n = match mr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let out = if tty {
                buf[..n].to_vec()
            } else {
                pending.extend_from_slice(&buf[..n]);
                let mut out = Vec::new();
                while pending.len() >= 8 {
                    let len = u32::from_be_bytes([pending[4], pending[5], pending[6], pending[7]])
                        as usize;
                    if pending.len() < 8 + len {
                        break;
                    }
                    out.extend_from_slice(&pending[8..8 + len]);
                    pending.drain(..8 + len);
                }
                out
            };
            if !out.is_empty()
                && cw_out
                    .lock()
                    .await
                    .write_all(&frame(0x2, &out))
                    .await
                    .is_err()
            {
                return;
            }
        }
    };
    let mut out = tokio::spawn(to_client);
    let mut input = tokio::spawn(to_container);
    tokio::select! {
        // The output ended (the process exited): close with 1000.
        _ = &mut out => {}
        // The client closed: answer its close and end the session (the
        // container keeps running unless its stdin was `StdinOnce`).
        closed = &mut input => {
            out.abort();
            if !matches!(closed, Ok(true)) {
                return;
            }
        }
    }
    input.abort();
    let mut w = cw.lock().await;
    let _ = w.write_all(&frame(0x8, &1000u16.to_be_bytes())).await;
    let _ = w.shutdown().await;
}

/// SHA-1 (FIPS 180-4), for the handshake's accept key only.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, c) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_rfc6455() {
        // The example of RFC 6455 section 1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn frames() {
        assert_eq!(frame(0x2, b"hi"), vec![0x82, 2, b'h', b'i']);
        assert_eq!(frame(0x2, &[0; 200])[..4], [0x82, 126, 0, 200]);
    }
}
