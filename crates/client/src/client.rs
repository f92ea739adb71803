//! The client: one HTTP/1.1 connection per request (as docker's CLI does for
//! unix sockets), typed helpers for JSON, streamed bodies both ways.

use bytes::Bytes;
use futures_util::stream;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::OnceCell;

use crate::containers::Containers;
use crate::error::ClientError;
use crate::exec::Execs;
use crate::hijack::{self, Conn, Hijacked};
use crate::host::Host;
use crate::images::Images;
use crate::networks::Networks;
use crate::response::Response;
use crate::system::System;
use crate::version;
use crate::volumes::Volumes;
use wharf_api::system::SystemVersion;

/// A request or response body: whole or streamed.
pub type Body = UnsyncBoxBody<Bytes, std::io::Error>;

const USER_AGENT: &str = concat!("wharf-cli/", env!("CARGO_PKG_VERSION"));

/// A handle on one daemon; cheap to clone, connects per request.
#[derive(Debug, Clone)]
pub struct Client {
    host: Host,
    /// The API version every request carries, agreed once per client.
    version: Arc<OnceCell<String>>,
}

impl Client {
    /// Resolve the daemon from `-H/--host`, `WHARF_HOST`, or the default.
    pub fn from_host(flag: Option<&str>) -> Result<Client, ClientError> {
        Ok(Self::new(Host::resolve(flag)?))
    }

    /// A client for an already parsed address.
    pub fn new(host: Host) -> Client {
        Client {
            host,
            version: Arc::new(OnceCell::new()),
        }
    }

    /// A client that speaks `version` without asking the daemon (tests
    /// against a scripted daemon, or a caller that knows the engine).
    pub fn with_api_version(host: Host, version: &str) -> Client {
        Client {
            host,
            version: Arc::new(OnceCell::new_with(Some(version.to_string()))),
        }
    }

    /// The API version requests are sent with: `DOCKER_API_VERSION` when
    /// set (as the docker CLI), else the lower of ours and the daemon's
    /// (`GET /_ping`), so an older engine (Docker 20.10 speaks 1.41) is
    /// spoken to in its own version. Requests do not call this up front:
    /// they try ours and negotiate only on a "too new" refusal (see
    /// `request_with_headers`).
    pub async fn api_version(&self) -> Result<String, ClientError> {
        if let Some(v) = self.settled_version()? {
            return Ok(v);
        }
        self.version
            .get_or_try_init(|| async { version::negotiate(&self.ping().await?) })
            .await
            .cloned()
    }

    /// `/v1.NN` + `path`.
    async fn versioned(&self, path: &str) -> Result<String, ClientError> {
        Ok(format!("/v{}{path}", self.api_version().await?))
    }

    /// The version already settled (`DOCKER_API_VERSION`, or agreed by an
    /// earlier request), without asking the daemon.
    fn settled_version(&self) -> Result<Option<String>, ClientError> {
        match std::env::var("DOCKER_API_VERSION") {
            Ok(v) if !v.is_empty() => version::parse(&v)
                .map(|_| Some(v.clone()))
                .ok_or(ClientError::BadVersion(v)),
            _ => Ok(self.version.get().cloned()),
        }
    }

    /// A request answered at our own version settles it: the daemon speaks
    /// it (it refuses a version newer than its own), which is what `/_ping`
    /// negotiation would have picked.
    fn settle_current(&self) {
        let _ = self.version.set(version::CURRENT.to_string());
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// An empty body.
    pub fn empty() -> Body {
        Empty::new().map_err(|never| match never {}).boxed_unsync()
    }

    /// A body from bytes in memory.
    pub fn bytes_body(b: impl Into<Bytes>) -> Body {
        Full::new(b.into())
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    /// A JSON body.
    pub fn json_body<T: Serialize + ?Sized>(v: &T) -> Result<Body, ClientError> {
        Ok(Self::bytes_body(serde_json::to_vec(v)?))
    }

    /// A body streamed from a reader (a tar file or stdin) in 64 KiB chunks.
    pub fn reader_body<R: AsyncRead + Send + Unpin + 'static>(reader: R) -> Body {
        let s = stream::unfold(reader, |mut r| async move {
            let mut buf = vec![0u8; 64 * 1024];
            match r.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Frame::data(Bytes::from(buf))), r))
                }
                Err(e) => Some((Err(e), r)),
            }
        });
        BodyExt::boxed_unsync(StreamBody::new(s))
    }

    pub(crate) async fn connect(&self) -> Result<Conn, ClientError> {
        Conn::connect(&self.host).await
    }

    /// Send one request; a non-2xx answer becomes [`ClientError::Api`] with
    /// the daemon's message.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Body,
    ) -> Result<Response, ClientError> {
        self.request_with_headers(method, path, &[], content_type, body)
            .await
    }

    /// [`Client::request`] with extra headers (`X-Registry-Auth`, ...).
    pub async fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Body,
    ) -> Result<Response, ClientError> {
        if let Some(v) = self.settled_version()? {
            let uri = format!("/v{v}{path}");
            return self.send(method, uri, headers, content_type, body).await;
        }
        // Nothing agreed yet: speak our own version first and negotiate
        // through `/_ping` only when the daemon refuses it as too new, so
        // a command against a current daemon costs one request, not two.
        // That needs the body twice: one of known size is held in memory;
        // a stream (an upload) negotiates first.
        if hyper::body::Body::size_hint(&body).exact().is_none() {
            let uri = self.versioned(path).await?;
            return self.send(method, uri, headers, content_type, body).await;
        }
        let bytes = body.collect().await?.to_bytes();
        let body_again = |b: &Bytes| {
            if b.is_empty() {
                Self::empty()
            } else {
                Self::bytes_body(b.clone())
            }
        };
        let uri = format!("/v{}{path}", version::CURRENT);
        match self
            .send(
                method.clone(),
                uri,
                headers,
                content_type,
                body_again(&bytes),
            )
            .await
        {
            Ok(r) => {
                self.settle_current();
                Ok(r)
            }
            Err(e) if version::is_too_new(&e) => {
                let uri = self.versioned(path).await?;
                self.send(method, uri, headers, content_type, body_again(&bytes))
                    .await
            }
            Err(e) => Err(e),
        }
    }

    /// One request to `uri` as given (the versioned path, or `/_ping`).
    async fn send(
        &self,
        method: Method,
        uri: String,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Body,
    ) -> Result<Response, ClientError> {
        let conn = self.connect().await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(conn)).await?;
        // The connection task lives until the response body is consumed.
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(hyper::header::HOST, "docker")
            .header(hyper::header::USER_AGENT, USER_AGENT);
        if let Some(ct) = content_type {
            req = req.header(hyper::header::CONTENT_TYPE, ct);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let resp = sender.send_request(req).await?;
        let resp = Response::new(resp);
        if !resp.status.is_success() {
            let status = resp.status.as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            return Err(ClientError::from_body(status, &body));
        }
        Ok(resp)
    }

    /// Stream a body up (a tar) and read the whole answer, reading it while
    /// still sending: a daemon that refuses before taking the whole body
    /// yields its error answer, not a broken pipe.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Body,
    ) -> Result<Bytes, ClientError> {
        let uri = self.versioned(path).await?;
        let conn = self.connect().await?;
        crate::upload::upload(conn, method.as_str(), &uri, USER_AGENT, content_type, body).await
    }

    /// The container endpoints.
    pub fn containers(&self) -> Containers<'_> {
        Containers::new(self)
    }

    /// The image endpoints (and `/build`).
    pub fn images(&self) -> Images<'_> {
        Images::new(self)
    }

    /// The network endpoints.
    pub fn networks(&self) -> Networks<'_> {
        Networks::new(self)
    }

    /// The volume endpoints.
    pub fn volumes(&self) -> Volumes<'_> {
        Volumes::new(self)
    }

    /// The exec endpoints.
    pub fn exec(&self) -> Execs<'_> {
        Execs::new(self)
    }

    /// Ping, version, info.
    pub fn system(&self) -> System<'_> {
        System::new(self)
    }

    /// `GET /version`, typed.
    pub async fn version(&self) -> Result<SystemVersion, ClientError> {
        self.system().version().await
    }

    /// `GET /info` as JSON.
    pub async fn info(&self) -> Result<serde_json::Value, ClientError> {
        self.system().info().await
    }

    pub async fn get(&self, path: &str) -> Result<Response, ClientError> {
        self.request(Method::GET, path, None, Self::empty()).await
    }

    pub async fn head(&self, path: &str) -> Result<Response, ClientError> {
        self.request(Method::HEAD, path, None, Self::empty()).await
    }

    pub async fn delete(&self, path: &str) -> Result<Response, ClientError> {
        self.request(Method::DELETE, path, None, Self::empty())
            .await
    }

    /// POST with an optional JSON body.
    pub async fn post<T: Serialize + ?Sized>(
        &self,
        path: &str,
        body: Option<&T>,
    ) -> Result<Response, ClientError> {
        match body {
            Some(b) => {
                self.request(
                    Method::POST,
                    path,
                    Some("application/json"),
                    Self::json_body(b)?,
                )
                .await
            }
            None => self.request(Method::POST, path, None, Self::empty()).await,
        }
    }

    /// GET and decode the JSON answer.
    pub async fn get_json<R: DeserializeOwned>(&self, path: &str) -> Result<R, ClientError> {
        self.get(path).await?.json().await
    }

    /// POST a JSON body and decode the JSON answer.
    pub async fn post_json<T: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&T>,
    ) -> Result<R, ClientError> {
        self.post(path, body).await?.json().await
    }

    /// `GET /_ping` (unversioned, as docker's CLI sends it): the daemon's
    /// `Api-Version`, or the connect error.
    pub async fn ping(&self) -> Result<String, ClientError> {
        let r = self
            .send(Method::GET, "/_ping".into(), &[], None, Self::empty())
            .await?;
        Ok(r.header("api-version").unwrap_or_default())
    }

    /// Send a request that takes over the connection (attach, exec start):
    /// `Connection: Upgrade`, `Upgrade: tcp`. Docker answers 101, older
    /// daemons 200 followed by the raw stream; both are accepted.
    pub async fn hijack<T: Serialize + ?Sized>(
        &self,
        path: &str,
        body: Option<&T>,
    ) -> Result<Hijacked, ClientError> {
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b)?),
            None => None,
        };
        let mut h = match self.settled_version()? {
            Some(v) => {
                let conn = self.connect().await?;
                hijack::hijack(conn, &format!("/v{v}{path}"), USER_AGENT, body).await?
            }
            // As `request_with_headers`: our version first, `/_ping` only
            // on a refusal.
            None => {
                let uri = format!("/v{}{path}", version::CURRENT);
                let conn = self.connect().await?;
                match hijack::hijack(conn, &uri, USER_AGENT, body.clone()).await {
                    Ok(h) => {
                        self.settle_current();
                        h
                    }
                    Err(e) if version::is_too_new(&e) => {
                        let uri = self.versioned(path).await?;
                        let conn = self.connect().await?;
                        hijack::hijack(conn, &uri, USER_AGENT, body).await?
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        // Before 1.42 Docker labels every attach stream "raw", framed or
        // not; then only the container's TTY setting tells.
        if version::parse(&self.api_version().await?) < Some((1, 42)) {
            h.content_type = None;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::io::AsyncWriteExt;

    /// A scripted daemon that speaks API `max` and records each request
    /// line; `/_ping` announces `max`, a newer version is refused as
    /// Docker refuses it.
    fn fake_daemon(max: &'static str) -> (tempfile::TempDir, Host, Arc<Mutex<Vec<String>>>) {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("d.sock");
        let listener = tokio::net::UnixListener::bind(&sock).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if s.read(&mut b).await.unwrap_or(0) == 0 {
                        break;
                    }
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                s.read_exact(&mut body).await.unwrap();
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(line.clone());
                let path = line.split(' ').nth(1).unwrap_or_default();
                let (status, text) = if path == "/_ping" {
                    ("200 OK", "OK".to_string())
                } else if path.starts_with(&format!("/v{max}/")) {
                    ("200 OK", String::from_utf8_lossy(&body).into_owned())
                } else {
                    (
                        "400 Bad Request",
                        format!(
                            r#"{{"message":"client version 1.44 is too new. Maximum supported API version is {max}"}}"#
                        ),
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nApi-Version: {max}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            }
        });
        (dir, Host::Unix(sock), seen)
    }

    #[tokio::test]
    async fn a_current_daemon_gets_one_request_and_no_ping() {
        if std::env::var_os("DOCKER_API_VERSION").is_some() {
            return;
        }
        let (_dir, host, seen) = fake_daemon("1.44");
        let c = Client::new(host);
        let echoed: serde_json::Value = c.post_json("/x", Some(&[1, 2])).await.unwrap();
        assert_eq!(echoed, serde_json::json!([1, 2]));
        c.get("/y").await.unwrap();
        assert_eq!(c.api_version().await.unwrap(), "1.44");
        assert_eq!(
            *seen.lock().unwrap(),
            ["POST /v1.44/x HTTP/1.1", "GET /v1.44/y HTTP/1.1"]
        );
    }

    #[tokio::test]
    async fn an_older_daemon_is_negotiated_on_refusal_and_the_body_resent() {
        if std::env::var_os("DOCKER_API_VERSION").is_some() {
            return;
        }
        let (_dir, host, seen) = fake_daemon("1.41");
        let c = Client::new(host);
        let echoed: serde_json::Value = c.post_json("/x", Some(&[1, 2])).await.unwrap();
        assert_eq!(echoed, serde_json::json!([1, 2]));
        c.get("/y").await.unwrap();
        assert_eq!(c.api_version().await.unwrap(), "1.41");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "POST /v1.44/x HTTP/1.1",
                "GET /_ping HTTP/1.1",
                "POST /v1.41/x HTTP/1.1",
                "GET /v1.41/y HTTP/1.1"
            ]
        );
    }
}
