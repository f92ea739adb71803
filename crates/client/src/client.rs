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
    /// spoken to in its own version.
    pub async fn api_version(&self) -> Result<String, ClientError> {
        self.version
            .get_or_try_init(|| async {
                match std::env::var("DOCKER_API_VERSION") {
                    Ok(v) if !v.is_empty() => version::parse(&v)
                        .map(|_| v.clone())
                        .ok_or_else(|| ClientError::BadVersion(v)),
                    _ => version::negotiate(&self.ping().await?),
                }
            })
            .await
            .cloned()
    }

    /// `/v1.NN` + `path`.
    async fn versioned(&self, path: &str) -> Result<String, ClientError> {
        Ok(format!("/v{}{path}", self.api_version().await?))
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
        let uri = self.versioned(path).await?;
        self.send(method, uri, headers, content_type, body).await
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
        let uri = self.versioned(path).await?;
        let conn = self.connect().await?;
        let mut h = hijack::hijack(conn, &uri, USER_AGENT, body).await?;
        // Before 1.42 Docker labels every attach stream "raw", framed or
        // not; then only the container's TTY setting tells.
        if version::parse(&self.api_version().await?) < Some((1, 42)) {
            h.content_type = None;
        }
        Ok(h)
    }
}
