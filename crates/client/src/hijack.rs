//! The connection to the daemon, and the hijacked raw stream of attach and
//! exec start. The hijack request is written by hand, as docker's CLI does,
//! so a daemon answering `200 OK` with a raw stream (instead of
//! `101 UPGRADED`) works just as well.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use crate::error::ClientError;
use crate::host::Host;

/// An open connection to the daemon.
pub(crate) enum Conn {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Conn {
    pub(crate) async fn connect(host: &Host) -> Result<Conn, ClientError> {
        let res = match host {
            Host::Unix(p) => UnixStream::connect(p).await.map(Conn::Unix),
            Host::Tcp(a) => TcpStream::connect(a).await.map(Conn::Tcp),
        };
        res.map_err(|source| ClientError::Connect {
            host: host.to_string(),
            source,
        })
    }

    pub(crate) fn split(self) -> (BoxRead, BoxWrite) {
        match self {
            Conn::Unix(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
            Conn::Tcp(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_write(cx, b),
            Conn::Tcp(s) => Pin::new(s).poll_write(cx, b),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_flush(cx),
            Conn::Tcp(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tcp(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

pub(crate) type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
pub(crate) type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// The raw stream after a successful hijack. Shutting `writer` down
/// half-closes the connection, which tells the daemon stdin has ended.
pub struct Hijacked {
    /// Output from the container (stdcopy-framed unless the stream is raw).
    pub reader: BoxRead,
    /// Input to the container.
    pub writer: BoxWrite,
    /// The answer's `Content-Type`, if any.
    pub content_type: Option<String>,
}

impl Hijacked {
    /// Whether the output is stdcopy-framed. The content type says so when
    /// present; otherwise Docker frames exactly the non-TTY streams.
    pub fn multiplexed(&self, tty: bool) -> bool {
        match self.content_type.as_deref() {
            Some("application/vnd.docker.multiplexed-stream") => true,
            Some("application/vnd.docker.raw-stream") => false,
            _ => !tty,
        }
    }
}

/// Largest response head we accept before the raw stream begins.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

pub(crate) async fn hijack(
    mut conn: Conn,
    uri: &str,
    user_agent: &str,
    body: Option<Vec<u8>>,
) -> Result<Hijacked, ClientError> {
    let mut req = format!(
        "POST {uri} HTTP/1.1\r\nHost: docker\r\nUser-Agent: {user_agent}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
    );
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    conn.write_all(req.as_bytes()).await?;
    conn.write_all(&body).await?;
    conn.flush().await?;

    let mut buf = Vec::with_capacity(1024);
    let head = loop {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(ClientError::Protocol(
                "connection closed before the answer to a hijack request".into(),
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
    match head.status {
        101 | 200 => {
            let (reader, writer) = conn.split();
            let reader: BoxRead = Box::new(std::io::Cursor::new(rest).chain(reader));
            Ok(Hijacked {
                reader,
                writer,
                content_type: head.content_type,
            })
        }
        status => {
            let body = read_error_body(conn, rest, &head).await;
            Err(ClientError::from_body(status, &body))
        }
    }
}

#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) len: usize,
    pub(crate) content_type: Option<String>,
    pub(crate) content_length: Option<usize>,
    pub(crate) chunked: bool,
}

/// Parse a response head if `buf` holds all of it.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, ClientError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(ClientError::Protocol(e.to_string())),
    };
    let mut head = Head {
        status: resp.code.unwrap_or(0),
        len,
        content_type: None,
        content_length: None,
        chunked: false,
    };
    for h in resp.headers.iter() {
        let v = String::from_utf8_lossy(h.value).trim().to_string();
        if h.name.eq_ignore_ascii_case("content-type") {
            head.content_type = Some(v);
        } else if h.name.eq_ignore_ascii_case("content-length") {
            head.content_length = v.parse().ok();
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = v.eq_ignore_ascii_case("chunked");
        }
    }
    Ok(Some(head))
}

/// Read the body of an error answer (best effort: it only feeds a message).
pub(crate) async fn read_error_body<R: AsyncRead + Unpin>(
    mut conn: R,
    mut body: Vec<u8>,
    head: &Head,
) -> Vec<u8> {
    let limit = head.content_length.unwrap_or(MAX_HEAD).min(MAX_HEAD);
    let mut chunk = [0u8; 4096];
    while body.len() < limit {
        if head.chunked && body.ends_with(b"0\r\n\r\n") {
            break;
        }
        match tokio::time::timeout(std::time::Duration::from_secs(5), conn.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    if head.chunked {
        dechunk(&body)
    } else {
        body.truncate(limit);
        body
    }
}

/// Decode a chunked body (enough for a short error message).
fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size_txt = String::from_utf8_lossy(&data[..pos]);
        let size_txt = size_txt.split(';').next().unwrap_or("").trim().to_string();
        let Ok(size) = usize::from_str_radix(&size_txt, 16) else {
            break;
        };
        if size == 0 {
            break;
        }
        let start = pos + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = data.get(end + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_parses_101() {
        let buf = b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello";
        let h = parse_head(buf).unwrap().unwrap();
        assert_eq!(h.status, 101);
        assert_eq!(&buf[h.len..], b"hello");
        assert_eq!(
            h.content_type.as_deref(),
            Some("application/vnd.docker.raw-stream")
        );
    }

    #[test]
    fn head_partial() {
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n")
            .unwrap()
            .is_none());
    }

    #[test]
    fn dechunks() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
    }

    #[tokio::test]
    async fn hijack_against_fake_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("d.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap();
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            s.write_all(b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nout:")
                .await
                .unwrap();
            // Echo stdin until the client half-closes.
            let mut input = Vec::new();
            s.read_to_end(&mut input).await.unwrap();
            s.write_all(&input).await.unwrap();
            req
        });
        let client = crate::Client::with_api_version(Host::Unix(sock), "1.44");
        let mut h = client
            .hijack::<()>("/containers/x/attach?stream=1", None)
            .await
            .unwrap();
        assert!(!h.multiplexed(false));
        h.writer.write_all(b"ping").await.unwrap();
        h.writer.shutdown().await.unwrap();
        let mut out = Vec::new();
        h.reader.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"out:ping");
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /v1.44/containers/x/attach?stream=1 HTTP/1.1\r\n"));
        assert!(req.contains("Upgrade: tcp"));
    }

    #[tokio::test]
    async fn hijack_error_answer() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("d.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let _ = s.read(&mut buf).await.unwrap();
            let body = br#"{"message":"No such container: x"}"#;
            let head = format!(
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(body).await.unwrap();
        });
        let client = crate::Client::with_api_version(Host::Unix(sock), "1.44");
        let err = client
            .hijack::<()>("/containers/x/attach", None)
            .await
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "Error response from daemon: No such container: x"
        );
    }

    #[tokio::test]
    async fn nothing_listening_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let client =
            crate::Client::with_api_version(Host::Unix(dir.path().join("none.sock")), "1.44");
        let err = client.ping().await.err().unwrap();
        assert!(matches!(err, ClientError::Connect { .. }));
        assert!(err
            .to_string()
            .starts_with("Cannot connect to the wharf daemon at unix://"));
    }
}
