//! Uploads whose answer may come before the body is sent: the daemon can
//! refuse a tar import at once (no such volume, bad name) and close the
//! connection while we are still writing. The request is written by hand
//! while the answer is read at the same time, so a refusal is reported
//! with the daemon's message instead of a broken pipe.

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::client::Body;
use crate::error::ClientError;
use crate::hijack::{parse_head, read_error_body, BoxWrite, Conn, Head, MAX_HEAD};

/// Send `body` chunked; return the answer's body, or the daemon's error.
pub(crate) async fn upload(
    conn: Conn,
    method: &str,
    uri: &str,
    user_agent: &str,
    content_type: &str,
    body: Body,
) -> Result<Bytes, ClientError> {
    let (mut reader, mut writer) = conn.split();
    let head = format!(
        "{method} {uri} HTTP/1.1\r\nHost: docker\r\nUser-Agent: {user_agent}\r\nContent-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let send = send_body(&mut writer, head, body);
    let answer = read_answer(&mut reader);
    tokio::pin!(send);
    tokio::pin!(answer);
    let mut sent: Option<Result<(), SendError>> = None;
    loop {
        tokio::select! {
            r = &mut send, if sent.is_none() => {
                match r {
                    // The body source failed (a file read error): ours.
                    Err(SendError::Source(e)) => return Err(ClientError::Io(e)),
                    other => sent = Some(other),
                }
            }
            a = &mut answer => {
                let (head, data) = match a {
                    Ok(x) => x,
                    Err(e) => {
                        // No answer: report the write failure if there was one.
                        return Err(match sent {
                            Some(Err(SendError::Write(w))) => ClientError::Io(w),
                            _ => e,
                        });
                    }
                };
                if !(200..300).contains(&head.status) {
                    return Err(ClientError::from_body(head.status, &data));
                }
                // A success is the daemon's word, even when it stopped
                // reading before the whole body went out (a tar's end
                // marker came early); a source error is still ours.
                if sent.is_none() {
                    if let Err(SendError::Source(e)) = send.await {
                        return Err(ClientError::Io(e));
                    }
                }
                return Ok(Bytes::from(data));
            }
        }
    }
}

enum SendError {
    Source(std::io::Error),
    Write(std::io::Error),
}

async fn send_body(w: &mut BoxWrite, head: String, mut body: Body) -> Result<(), SendError> {
    w.write_all(head.as_bytes())
        .await
        .map_err(SendError::Write)?;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(SendError::Source)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if data.is_empty() {
            continue;
        }
        w.write_all(format!("{:x}\r\n", data.len()).as_bytes())
            .await
            .map_err(SendError::Write)?;
        w.write_all(&data).await.map_err(SendError::Write)?;
        w.write_all(b"\r\n").await.map_err(SendError::Write)?;
    }
    w.write_all(b"0\r\n\r\n").await.map_err(SendError::Write)?;
    w.flush().await.map_err(SendError::Write)?;
    Ok(())
}

async fn read_answer<R: AsyncRead + Unpin>(r: &mut R) -> Result<(Head, Vec<u8>), ClientError> {
    let mut buf = Vec::with_capacity(1024);
    let head = loop {
        let mut chunk = [0u8; 4096];
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Err(ClientError::Protocol(
                "connection closed before the daemon answered".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf)? {
            break head;
        }
        if buf.len() > MAX_HEAD {
            return Err(ClientError::Protocol("answer head too large".into()));
        }
    };
    let rest = buf.split_off(head.len);
    if matches!(head.status, 204 | 304) || head.content_length == Some(0) {
        return Ok((head, Vec::new()));
    }
    let body = read_error_body(r, rest, &head).await;
    Ok((head, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Client, Host};

    /// A daemon that answers 404 at once and closes, without reading the
    /// (large) body: the client reports the message, not a broken pipe.
    #[tokio::test]
    async fn early_refusal_reports_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("d.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 512];
            let _ = s.read(&mut buf).await.unwrap();
            let body = br#"{"message":"get a/b: no such volume"}"#;
            let head = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(body).await.unwrap();
            drop(s);
        });
        let client = Client::with_api_version(Host::Unix(sock), "1.44");
        let big = vec![7u8; 32 * 1024 * 1024];
        let err = client
            .upload(
                hyper::Method::PUT,
                "/volumes/a/import",
                "application/x-tar",
                Client::bytes_body(big),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Error response from daemon: get a/b: no such volume"
        );
    }
}
