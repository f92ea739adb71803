//! Typed calls for `/containers`: create, start, stop, kill, remove,
//! inspect, list, wait, logs, attach and the rest of the container API.

use serde_json::Value;
use wharf_api::container::{
    ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerPruneResponse,
    ContainerSummary, ContainerTopResponse, ContainerUpdate, ContainerUpdateResponse,
    ContainerWaitResponse, FilesystemChange,
};

use crate::client::{Body, Client};
use crate::error::ClientError;
use crate::hijack::Hijacked;
use crate::jsonstream::JsonStream;
use crate::logs::LogStream;
use crate::query::{seg, Filters, Query};
use crate::response::Response;

/// `client.containers()`: the container endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Containers<'a> {
    client: &'a Client,
}

/// Options of `GET /containers/json` beyond `all` and `filters`.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub all: bool,
    /// Return this many most recently created containers (`-n`).
    pub limit: Option<i64>,
    /// Compute `SizeRw` and `SizeRootFs` (`-s`).
    pub size: bool,
    pub filters: Filters,
}

/// Options of `GET /containers/{id}/logs`.
#[derive(Debug, Clone)]
pub struct LogsOptions {
    pub follow: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// `all` or a number of lines.
    pub tail: Option<String>,
    pub timestamps: bool,
    pub details: bool,
    /// Unix time (`1700000000.5`) or RFC 3339.
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Default for LogsOptions {
    fn default() -> Self {
        LogsOptions {
            follow: false,
            stdout: true,
            stderr: true,
            tail: None,
            timestamps: false,
            details: false,
            since: None,
            until: None,
        }
    }
}

/// Which streams `attach` joins.
#[derive(Debug, Clone, Default)]
pub struct AttachOptions {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    /// Replay the logs first (`logs=1`).
    pub logs: bool,
    pub detach_keys: Option<String>,
}

impl<'a> Containers<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Containers { client }
    }

    fn path(id: &str, rest: &str) -> String {
        format!("/containers/{}{rest}", seg(id))
    }

    /// `POST /containers/create[?name=]`.
    pub async fn create(
        &self,
        name: Option<&str>,
        body: &ContainerCreateBody,
    ) -> Result<ContainerCreateResponse, ClientError> {
        let mut q = Query::new();
        q.opt("name", name.filter(|n| !n.is_empty()));
        self.client
            .post_json(&q.to_path("/containers/create"), Some(body))
            .await
    }

    /// `POST /containers/create` with a body the caller built as JSON
    /// (compose and tests that send fields wharf has no type for).
    pub async fn create_raw(
        &self,
        name: Option<&str>,
        body: &Value,
    ) -> Result<ContainerCreateResponse, ClientError> {
        let mut q = Query::new();
        q.opt("name", name.filter(|n| !n.is_empty()));
        self.client
            .post_json(&q.to_path("/containers/create"), Some(body))
            .await
    }

    /// `POST /containers/{id}/start`. Starting a running container is not
    /// an error (the daemon's 304 is taken as success).
    pub async fn start(&self, id: &str) -> Result<(), ClientError> {
        not_modified_ok(
            self.client
                .post::<()>(&Self::path(id, "/start"), None)
                .await,
        )
    }

    /// `POST /containers/{id}/stop[?t=]`; `t` is the grace period in
    /// seconds before SIGKILL (the container's own default when `None`).
    /// Stopping a stopped container is not an error.
    pub async fn stop(&self, id: &str, t: Option<i64>) -> Result<(), ClientError> {
        self.stop_with(id, t, None).await
    }

    /// `POST /containers/{id}/stop?t=&signal=`: stop with another signal
    /// than the container's `StopSignal`.
    pub async fn stop_with(
        &self,
        id: &str,
        t: Option<i64>,
        signal: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.opt("t", t.map(|t| t.to_string())).opt("signal", signal);
        not_modified_ok(
            self.client
                .post::<()>(&q.to_path(&Self::path(id, "/stop")), None)
                .await,
        )
    }

    /// `POST /containers/{id}/restart[?t=]`.
    pub async fn restart(&self, id: &str, t: Option<i64>) -> Result<(), ClientError> {
        self.restart_with(id, t, None).await
    }

    /// `POST /containers/{id}/restart?t=&signal=`.
    pub async fn restart_with(
        &self,
        id: &str,
        t: Option<i64>,
        signal: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.opt("t", t.map(|t| t.to_string())).opt("signal", signal);
        self.client
            .post::<()>(&q.to_path(&Self::path(id, "/restart")), None)
            .await
            .map(drop)
    }

    /// `POST /containers/{id}/kill[?signal=]` (SIGKILL when `None`).
    pub async fn kill(&self, id: &str, signal: Option<&str>) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.opt("signal", signal);
        self.client
            .post::<()>(&q.to_path(&Self::path(id, "/kill")), None)
            .await
            .map(drop)
    }

    /// `DELETE /containers/{id}?force=&v=`.
    pub async fn remove(&self, id: &str, force: bool, volumes: bool) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.flag("force", force).flag("v", volumes);
        self.client
            .delete(&q.to_path(&Self::path(id, "")))
            .await
            .map(drop)
    }

    /// `GET /containers/{id}/json`, typed.
    pub async fn inspect(&self, id: &str) -> Result<ContainerInspect, ClientError> {
        self.client.get_json(&Self::path(id, "/json")).await
    }

    /// `GET /containers/{id}/json[?size=1]` as the daemon sent it, every
    /// field and its order kept (for `inspect` and templates).
    pub async fn inspect_raw(&self, id: &str, size: bool) -> Result<bytes::Bytes, ClientError> {
        let mut q = Query::new();
        q.flag("size", size);
        self.client
            .get(&q.to_path(&Self::path(id, "/json")))
            .await?
            .bytes()
            .await
    }

    /// `GET /containers/json?all=&filters=`.
    pub async fn list(
        &self,
        all: bool,
        filters: &Filters,
    ) -> Result<Vec<ContainerSummary>, ClientError> {
        let o = ListOptions {
            all,
            filters: filters.clone(),
            ..ListOptions::default()
        };
        self.client.get_json(&list_path(&o)).await
    }

    /// `GET /containers/json` with every option, typed (what `ps` shows).
    pub async fn list_with(&self, o: &ListOptions) -> Result<Vec<ContainerSummary>, ClientError> {
        self.client.get(&list_path(o)).await?.json_direct().await
    }

    /// `GET /containers/json` with every option, as raw JSON objects.
    pub async fn list_raw(&self, o: &ListOptions) -> Result<Vec<Value>, ClientError> {
        self.client.get_json(&list_path(o)).await
    }

    /// `POST /containers/{id}/wait[?condition=]`: blocks until the
    /// container reaches the condition (`not-running` by default,
    /// `next-exit`, `removed`).
    pub async fn wait(
        &self,
        id: &str,
        condition: Option<&str>,
    ) -> Result<ContainerWaitResponse, ClientError> {
        let mut q = Query::new();
        q.opt("condition", condition);
        self.client
            .post_json::<(), _>(&q.to_path(&Self::path(id, "/wait")), None)
            .await
    }

    /// `POST /containers/{id}/wait` registered now, answered later: returns
    /// once the daemon has taken the wait (its headers arrived), so a
    /// container started afterwards cannot exit unseen. `result()` then
    /// blocks until the condition is met.
    pub async fn wait_pending(
        &self,
        id: &str,
        condition: Option<&str>,
    ) -> Result<PendingWait, ClientError> {
        let mut q = Query::new();
        q.opt("condition", condition);
        let r = self
            .client
            .post::<()>(&q.to_path(&Self::path(id, "/wait")), None)
            .await?;
        Ok(PendingWait(r))
    }

    /// `GET /containers/{id}/logs`: the raw answer, framed with stdcopy
    /// headers unless the container has a tty.
    pub async fn logs_raw(&self, id: &str, o: &LogsOptions) -> Result<Response, ClientError> {
        let mut q = Query::new();
        q.bool("stdout", o.stdout)
            .bool("stderr", o.stderr)
            .flag("follow", o.follow)
            .flag("timestamps", o.timestamps)
            .flag("details", o.details)
            .opt("tail", o.tail.as_deref())
            .opt("since", o.since.as_deref())
            .opt("until", o.until.as_deref());
        self.client.get(&q.to_path(&Self::path(id, "/logs"))).await
    }

    /// `GET /containers/{id}/logs` as a stream of (stream kind, bytes)
    /// chunks; `tty` says whether the container has a terminal (then all
    /// output arrives as stdout, unframed).
    pub async fn logs(
        &self,
        id: &str,
        tty: bool,
        o: &LogsOptions,
    ) -> Result<LogStream, ClientError> {
        Ok(LogStream::new(self.logs_raw(id, o).await?, tty))
    }

    /// `POST /containers/{id}/attach?stream=1`: the hijacked connection.
    pub async fn attach(&self, id: &str, o: &AttachOptions) -> Result<Hijacked, ClientError> {
        let mut q = Query::new();
        q.bool("stream", true)
            .bool("stdin", o.stdin)
            .bool("stdout", o.stdout)
            .bool("stderr", o.stderr)
            .flag("logs", o.logs)
            .opt("detachKeys", o.detach_keys.as_deref());
        self.client
            .hijack::<()>(&q.to_path(&Self::path(id, "/attach")), None)
            .await
    }

    /// `POST /containers/{id}/resize?h=&w=`.
    pub async fn resize(&self, id: &str, height: u16, width: u16) -> Result<(), ClientError> {
        self.client
            .post::<()>(
                &Self::path(id, &format!("/resize?h={height}&w={width}")),
                None,
            )
            .await
            .map(drop)
    }

    /// `POST /containers/{id}/rename?name=`.
    pub async fn rename(&self, id: &str, new_name: &str) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.push("name", new_name);
        self.client
            .post::<()>(&q.to_path(&Self::path(id, "/rename")), None)
            .await
            .map(drop)
    }

    /// `POST /containers/{id}/pause`.
    pub async fn pause(&self, id: &str) -> Result<(), ClientError> {
        self.client
            .post::<()>(&Self::path(id, "/pause"), None)
            .await
            .map(drop)
    }

    /// `POST /containers/{id}/unpause`.
    pub async fn unpause(&self, id: &str) -> Result<(), ClientError> {
        self.client
            .post::<()>(&Self::path(id, "/unpause"), None)
            .await
            .map(drop)
    }

    /// `GET /containers/{id}/top[?ps_args=]`.
    pub async fn top(
        &self,
        id: &str,
        ps_args: Option<&str>,
    ) -> Result<ContainerTopResponse, ClientError> {
        let mut q = Query::new();
        q.opt("ps_args", ps_args.filter(|a| !a.is_empty()));
        self.client
            .get_json(&q.to_path(&Self::path(id, "/top")))
            .await
    }

    /// `POST /containers/{id}/update`.
    pub async fn update(
        &self,
        id: &str,
        body: &ContainerUpdate,
    ) -> Result<ContainerUpdateResponse, ClientError> {
        self.client
            .post_json(&Self::path(id, "/update"), Some(body))
            .await
    }

    /// `POST /containers/{id}/update` with a JSON body built by the caller
    /// (only the fields set are sent).
    pub async fn update_raw(
        &self,
        id: &str,
        body: &Value,
    ) -> Result<ContainerUpdateResponse, ClientError> {
        self.client
            .post_json(&Self::path(id, "/update"), Some(body))
            .await
    }

    /// `GET /containers/{id}/changes`.
    pub async fn changes(&self, id: &str) -> Result<Vec<FilesystemChange>, ClientError> {
        let v: Option<Vec<FilesystemChange>> =
            self.client.get_json(&Self::path(id, "/changes")).await?;
        Ok(v.unwrap_or_default())
    }

    /// `GET /containers/{id}/export`: a tar stream of the filesystem.
    pub async fn export(&self, id: &str) -> Result<Response, ClientError> {
        self.client.get(&Self::path(id, "/export")).await
    }

    /// `GET /containers/{id}/stats?stream=false`: one sample.
    pub async fn stats_once(&self, id: &str) -> Result<Value, ClientError> {
        self.client
            .get_json(&Self::path(id, "/stats?stream=false"))
            .await
    }

    /// `GET /containers/{id}/stats?stream=true`: a sample per second.
    pub async fn stats(&self, id: &str) -> Result<JsonStream<Value>, ClientError> {
        Ok(JsonStream::new(
            self.client
                .get(&Self::path(id, "/stats?stream=true"))
                .await?,
        ))
    }

    /// `POST /containers/prune[?filters=]`.
    pub async fn prune(&self, filters: &Filters) -> Result<ContainerPruneResponse, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client
            .post_json::<(), _>(&q.to_path("/containers/prune"), None)
            .await
    }

    /// `GET /containers/{id}/archive?path=`: a tar of `path` and the
    /// `X-Docker-Container-Path-Stat` header.
    pub async fn archive_get(&self, id: &str, path: &str) -> Result<Response, ClientError> {
        let mut q = Query::new();
        q.push("path", path);
        self.client
            .get(&q.to_path(&Self::path(id, "/archive")))
            .await
    }

    /// `HEAD /containers/{id}/archive?path=`: the path's stat (base64 JSON
    /// in `X-Docker-Container-Path-Stat`), if it exists.
    pub async fn archive_stat(&self, id: &str, path: &str) -> Result<Response, ClientError> {
        let mut q = Query::new();
        q.push("path", path);
        self.client
            .head(&q.to_path(&Self::path(id, "/archive")))
            .await
    }

    /// `PUT /containers/{id}/archive?path=`: unpack a tar body into `path`.
    pub async fn archive_put(
        &self,
        id: &str,
        path: &str,
        no_overwrite_dir_non_dir: bool,
        tar: Body,
    ) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.push("path", path)
            .flag("noOverwriteDirNonDir", no_overwrite_dir_non_dir);
        self.client
            .request(
                hyper::Method::PUT,
                &q.to_path(&Self::path(id, "/archive")),
                Some("application/x-tar"),
                tar,
            )
            .await
            .map(drop)
    }
}

/// A wait the daemon has registered; see [`Containers::wait_pending`].
#[derive(Debug)]
pub struct PendingWait(Response);

impl PendingWait {
    /// The exit status, once the condition is met.
    pub async fn result(self) -> Result<ContainerWaitResponse, ClientError> {
        self.0.json().await
    }
}

fn list_path(o: &ListOptions) -> String {
    let mut q = Query::new();
    q.flag("all", o.all)
        .opt("limit", o.limit.map(|l| l.to_string()))
        .flag("size", o.size)
        .filters(&o.filters);
    q.to_path("/containers/json")
}

/// 304 Not Modified (already started/stopped) is success for the caller.
fn not_modified_ok(r: Result<Response, ClientError>) -> Result<(), ClientError> {
    match r {
        Ok(_) => Ok(()),
        Err(ClientError::Api { status: 304, .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_query() {
        let mut o = ListOptions {
            all: true,
            limit: Some(3),
            size: true,
            ..ListOptions::default()
        };
        o.filters.insert("status".into(), vec!["exited".into()]);
        assert_eq!(
            list_path(&o),
            "/containers/json?all=1&limit=3&size=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D"
        );
        assert_eq!(list_path(&ListOptions::default()), "/containers/json");
    }
}
