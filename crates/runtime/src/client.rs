//! Async client of the monitor's control socket, for the daemon.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use wharf_api::error::ErrorKind;

use crate::protocol::{ContainerState, ExecConfig, ExecStatus, Reply, Request};

/// Errors talking to a monitor.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("monitor at {path:?} is not reachable: {source}")]
    Unreachable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("monitor at {path:?}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("monitor at {path:?} sent a bad reply: {detail}")]
    BadReply { path: PathBuf, detail: String },
    /// The monitor refused the request; `kind` is its classification.
    #[error("{message}")]
    Refused { message: String, kind: String },
}

impl ClientError {
    /// Classification for the API edge.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Refused { kind, .. } => match kind.as_str() {
                "not_found" => ErrorKind::NotFound,
                "conflict" => ErrorKind::Conflict,
                "invalid_argument" => ErrorKind::InvalidArgument,
                _ => ErrorKind::Other,
            },
            _ => ErrorKind::Other,
        }
    }
}

/// Answer to `start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartResult {
    pub pid: Option<u32>,
    /// Set when the container could not start (Docker's wording).
    pub start_error: Option<String>,
    /// 127 / 126 for a missing / non-executable command.
    pub exit_code: Option<i32>,
}

/// A client for one monitor's socket; each call opens one connection.
#[derive(Debug, Clone)]
pub struct MonitorClient {
    path: PathBuf,
    state_dir: Option<PathBuf>,
}

impl MonitorClient {
    pub fn new(socket_path: impl Into<PathBuf>) -> Self {
        MonitorClient {
            path: socket_path.into(),
            state_dir: None,
        }
    }

    /// Lets `wait` and `state` answer from `<state_dir>/exit.json` once the
    /// monitor has exited.
    pub fn with_state_dir(mut self, state_dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(state_dir.into());
        self
    }

    fn exit_record(&self) -> Option<crate::protocol::ExitRecord> {
        crate::config::read_exit_record(self.state_dir.as_deref()?)
    }

    pub fn socket_path(&self) -> &Path {
        &self.path
    }

    /// Sends `req` and reads the reply line; the stream is left positioned
    /// after it.
    async fn call(&self, req: &Request) -> Result<(Reply, UnixStream), ClientError> {
        let unreachable = |source| ClientError::Unreachable {
            path: self.path.clone(),
            source,
        };
        // A deep exec root makes the plain path too long for a socket address.
        let addr = wharf_sys::sockpath::SocketPath::new(&self.path).map_err(unreachable)?;
        let mut s = UnixStream::connect(addr.as_path())
            .await
            .map_err(unreachable)?;
        let io = |source| ClientError::Io {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(req).map_err(|e| io(std::io::Error::other(e)))?;
        line.push(b'\n');
        s.write_all(&line).await.map_err(io)?;
        let reply = read_line(&mut s).await.map_err(io)?;
        if reply.is_empty() {
            return Err(ClientError::BadReply {
                path: self.path.clone(),
                detail: "connection closed without a reply".into(),
            });
        }
        let reply: Reply = serde_json::from_slice(&reply).map_err(|e| ClientError::BadReply {
            path: self.path.clone(),
            detail: e.to_string(),
        })?;
        if let Reply::Error { message, kind } = reply {
            return Err(ClientError::Refused { message, kind });
        }
        Ok((reply, s))
    }

    fn unexpected(&self, r: Reply) -> ClientError {
        ClientError::BadReply {
            path: self.path.clone(),
            detail: format!("unexpected reply {r:?}"),
        }
    }

    async fn ok(&self, req: Request) -> Result<(), ClientError> {
        match self.call(&req).await?.0 {
            Reply::Ok => Ok(()),
            r => Err(self.unexpected(r)),
        }
    }

    /// Starts the container (already created by the monitor).
    pub async fn start(&self) -> Result<StartResult, ClientError> {
        match self.call(&Request::Start).await?.0 {
            Reply::Started {
                pid,
                start_error,
                exit_code,
            } => Ok(StartResult {
                pid,
                start_error,
                exit_code,
            }),
            r => Err(self.unexpected(r)),
        }
    }

    pub async fn state(&self) -> Result<ContainerState, ClientError> {
        let reply = match self.call(&Request::State).await {
            Err(ClientError::Unreachable { path, source }) => match self.exit_record() {
                Some(r) => {
                    return Ok(ContainerState {
                        pid: r.pid,
                        status: crate::protocol::Status::Stopped,
                        exit_code: Some(r.exit_code),
                        started_at: r.started_at,
                        finished_at: Some(r.finished_at),
                        error: r.error,
                    })
                }
                None => return Err(ClientError::Unreachable { path, source }),
            },
            r => r?,
        };
        match reply.0 {
            Reply::State(s) => Ok(s),
            r => Err(self.unexpected(r)),
        }
    }

    pub async fn kill(&self, signal: i32) -> Result<(), ClientError> {
        self.ok(Request::Kill { signal }).await
    }

    pub async fn resize(&self, height: u16, width: u16) -> Result<(), ClientError> {
        self.ok(Request::Resize { height, width }).await
    }

    /// Attaches: the returned stream takes stdin and yields output
    /// (multiplexed frames without a tty, raw with one).
    pub async fn attach(
        &self,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> Result<UnixStream, ClientError> {
        match self
            .call(&Request::Attach {
                stdin,
                stdout,
                stderr,
            })
            .await?
        {
            (Reply::Ok, s) => Ok(s),
            (r, _) => Err(self.unexpected(r)),
        }
    }

    /// Waits for the container to exit and returns its exit code.
    pub async fn wait(&self) -> Result<i32, ClientError> {
        let reply = match self.call(&Request::Wait).await {
            Err(ClientError::Unreachable { path, source }) => match self.exit_record() {
                Some(r) => return Ok(r.exit_code),
                None => return Err(ClientError::Unreachable { path, source }),
            },
            r => r?,
        };
        match reply.0 {
            Reply::Exited { exit_code } => Ok(exit_code),
            r => Err(self.unexpected(r)),
        }
    }

    /// Waits for the container's exit code, answered as soon as the
    /// monitor has recorded it (before its runtime delete). The returned
    /// stream reaches its end when the monitor is done; `None` when the
    /// answer came from `exit.json` (the monitor had already exited). A
    /// monitor that does not know the request (an older build) is waited
    /// for with `Wait`.
    pub async fn wait_exit(&self) -> Result<(i32, Option<UnixStream>), ClientError> {
        let reply = match self.call(&Request::WaitExit).await {
            Err(ClientError::Unreachable { path, source }) => match self.exit_record() {
                Some(r) => return Ok((r.exit_code, None)),
                None => return Err(ClientError::Unreachable { path, source }),
            },
            Err(ClientError::Refused { .. }) => return self.wait().await.map(|c| (c, None)),
            r => r?,
        };
        match reply {
            (Reply::Exited { exit_code }, s) => Ok((exit_code, Some(s))),
            (r, _) => Err(self.unexpected(r)),
        }
    }

    /// Registers an exec and returns its id.
    pub async fn exec(&self, config: ExecConfig) -> Result<String, ClientError> {
        match self.call(&Request::Exec(config)).await?.0 {
            Reply::ExecCreated { id } => Ok(id),
            r => Err(self.unexpected(r)),
        }
    }

    /// Starts an exec; the returned stream is its stdio (framed without tty).
    pub async fn exec_start(&self, id: &str) -> Result<UnixStream, ClientError> {
        match self
            .call(&Request::ExecStart { id: id.to_string() })
            .await?
        {
            (Reply::Ok, s) => Ok(s),
            (r, _) => Err(self.unexpected(r)),
        }
    }

    pub async fn exec_resize(&self, id: &str, height: u16, width: u16) -> Result<(), ClientError> {
        self.ok(Request::ExecResize {
            id: id.to_string(),
            height,
            width,
        })
        .await
    }

    pub async fn exec_state(&self, id: &str) -> Result<ExecStatus, ClientError> {
        match self
            .call(&Request::ExecState { id: id.to_string() })
            .await?
            .0
        {
            Reply::ExecState(s) => Ok(s),
            r => Err(self.unexpected(r)),
        }
    }
}

/// Reads the reply line and no further (an attach stream follows it):
/// peeks at what has arrived, then takes up to the end of the line, so a
/// reply costs a call or two instead of one per byte.
async fn read_line(s: &mut UnixStream) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut peeked = vec![0u8; 4096];
    loop {
        let n = s
            .async_io(tokio::io::Interest::READABLE, || {
                rustix::net::recv(&*s, &mut peeked[..], rustix::net::RecvFlags::PEEK)
                    .map(|(_, n)| n)
                    .map_err(std::io::Error::from)
            })
            .await?
            .min(peeked.len());
        if n == 0 {
            return Ok(line);
        }
        let (take, done) = match peeked[..n].iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (n, false),
        };
        let start = line.len();
        line.resize(start + take, 0);
        s.read_exact(&mut line[start..]).await?;
        if done {
            line.pop();
            return Ok(line);
        }
        if line.len() > 1 << 20 {
            return Err(std::io::Error::other("reply line too long"));
        }
    }
}
