//! Typed calls for `/images` and `/build`: list, inspect, tag, remove,
//! history, build, pull, push, import, load, save, prune.

use std::collections::BTreeMap;

use wharf_api::image::{
    HistoryItem, ImageDeleteItem, ImageInspect, ImagePruneResponse, ImageSearchResult, ImageSummary,
};

use crate::client::{Body, Client};
use crate::error::ClientError;
use crate::jsonstream::MessageStream;
use crate::query::{seg, Filters, Query};
use crate::response::Response;

/// `client.images()`: the image endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Images<'a> {
    client: &'a Client,
}

/// Query parameters of `POST /build` (docker's `ImageBuildOptions`).
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `-t name:tag`, repeatable.
    pub tags: Vec<String>,
    /// Path of the Dockerfile inside the context (`Dockerfile` if unset).
    pub dockerfile: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub target: Option<String>,
    pub no_cache: bool,
    /// Remove intermediate containers after a successful build (docker's
    /// default is true; `rm=0` is only sent when this is false).
    pub remove: Option<bool>,
    pub force_remove: bool,
    /// Always attempt to pull a newer base image.
    pub pull: bool,
    pub quiet: bool,
    pub network_mode: Option<String>,
    pub platform: Option<String>,
    /// `X-Registry-Config`: base64url JSON of every stored credential by
    /// registry, for a `FROM` on a registry that needs auth.
    pub registry_config: Option<String>,
}

impl BuildOptions {
    fn to_path(&self) -> String {
        let mut q = Query::new();
        for t in &self.tags {
            q.push("t", t);
        }
        q.opt("dockerfile", self.dockerfile.as_deref())
            .json_map("buildargs", &self.build_args)
            .json_map("labels", &self.labels)
            .opt("target", self.target.as_deref())
            .flag("nocache", self.no_cache)
            .flag("forcerm", self.force_remove)
            .flag("pull", self.pull)
            .flag("q", self.quiet)
            .opt("networkmode", self.network_mode.as_deref())
            .opt("platform", self.platform.as_deref());
        if self.remove == Some(false) {
            q.bool("rm", false);
        }
        q.to_path("/build")
    }
}

/// Query parameters of an import (`POST /images/create?fromSrc=`).
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `-` for the request body, or a URL the daemon fetches.
    pub source: String,
    pub repo: Option<String>,
    pub tag: Option<String>,
    pub message: Option<String>,
    pub platform: Option<String>,
    /// Dockerfile instructions applied to the image (`-c`).
    pub changes: Vec<String>,
}

impl ImportOptions {
    /// The request path, query included.
    pub fn to_path(&self) -> String {
        let mut q = Query::new();
        q.push(
            "fromSrc",
            if self.source.is_empty() {
                "-"
            } else {
                &self.source
            },
        )
        .opt("repo", self.repo.as_deref())
        .opt("tag", self.tag.as_deref().filter(|t| !t.is_empty()))
        .opt("message", self.message.as_deref())
        .opt("platform", self.platform.as_deref());
        for c in &self.changes {
            q.push("changes", c);
        }
        q.to_path("/images/create")
    }
}

impl<'a> Images<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Images { client }
    }

    fn path(name: &str, rest: &str) -> String {
        format!("/images/{}{rest}", seg(name))
    }

    /// `GET /images/json?all=&filters=`.
    pub async fn list(
        &self,
        all: bool,
        filters: &Filters,
    ) -> Result<Vec<ImageSummary>, ClientError> {
        let mut q = Query::new();
        q.flag("all", all).filters(filters);
        self.client.get_json(&q.to_path("/images/json")).await
    }

    /// `GET /images/{name}/json`, typed.
    pub async fn inspect(&self, name: &str) -> Result<ImageInspect, ClientError> {
        self.client.get_json(&Self::path(name, "/json")).await
    }

    /// `GET /images/{name}/json` as sent, every field and its order kept.
    pub async fn inspect_raw(&self, name: &str) -> Result<bytes::Bytes, ClientError> {
        self.client
            .get(&Self::path(name, "/json"))
            .await?
            .bytes()
            .await
    }

    /// `GET /images/{name}/history`.
    pub async fn history(&self, name: &str) -> Result<Vec<HistoryItem>, ClientError> {
        self.client.get_json(&Self::path(name, "/history")).await
    }

    /// `POST /images/{name}/tag?repo=&tag=`.
    pub async fn tag(
        &self,
        source: &str,
        repo: &str,
        tag: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.push("repo", repo)
            .opt("tag", tag.filter(|t| !t.is_empty()));
        self.client
            .post::<()>(&q.to_path(&Self::path(source, "/tag")), None)
            .await
            .map(drop)
    }

    /// `DELETE /images/{name}?force=&noprune=`.
    pub async fn remove(
        &self,
        name: &str,
        force: bool,
        no_prune: bool,
    ) -> Result<Vec<ImageDeleteItem>, ClientError> {
        let mut q = Query::new();
        q.flag("force", force).flag("noprune", no_prune);
        self.client
            .delete(&q.to_path(&Self::path(name, "")))
            .await?
            .json()
            .await
    }

    /// `POST /build`: send a tar of the build context, read the build's
    /// JSON messages (output in `stream`, the image ID in `aux`).
    pub async fn build(
        &self,
        context_tar: Body,
        o: &BuildOptions,
    ) -> Result<MessageStream, ClientError> {
        let headers: Vec<(&str, &str)> = match &o.registry_config {
            Some(v) => vec![("X-Registry-Config", v.as_str())],
            None => Vec::new(),
        };
        let r = self
            .client
            .request_with_headers(
                hyper::Method::POST,
                &o.to_path(),
                &headers,
                Some("application/x-tar"),
                context_tar,
            )
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `POST /images/create?fromImage=&tag=`: pull, as progress messages.
    pub async fn pull(
        &self,
        image: &str,
        tag: Option<&str>,
        platform: Option<&str>,
    ) -> Result<MessageStream, ClientError> {
        let mut q = Query::new();
        q.push("fromImage", image)
            .opt("tag", tag.filter(|t| !t.is_empty()))
            .opt("platform", platform);
        let r = self
            .client
            .post::<()>(&q.to_path("/images/create"), None)
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `POST /images/create?fromImage=NAME[:TAG|@DIGEST]&platform=` with
    /// `X-Registry-Auth` (`e30=` for none).
    pub async fn pull_with_auth(
        &self,
        image: &str,
        platform: Option<&str>,
        registry_auth: &str,
    ) -> Result<MessageStream, ClientError> {
        let mut q = Query::new();
        q.push("fromImage", image).opt("platform", platform);
        let r = self
            .client
            .request_with_headers(
                hyper::Method::POST,
                &q.to_path("/images/create"),
                &[("X-Registry-Auth", registry_auth)],
                None,
                Client::empty(),
            )
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `POST /images/{name}/push[?tag=]` with `X-Registry-Auth` (base64
    /// JSON; `e30=`, i.e. `{}`, when there are no credentials).
    pub async fn push(
        &self,
        name: &str,
        tag: Option<&str>,
        registry_auth: Option<&str>,
    ) -> Result<MessageStream, ClientError> {
        let mut q = Query::new();
        q.opt("tag", tag.filter(|t| !t.is_empty()));
        let r = self
            .client
            .request_with_headers(
                hyper::Method::POST,
                &q.to_path(&Self::path(name, "/push")),
                &[("X-Registry-Auth", registry_auth.unwrap_or("e30="))],
                None,
                Client::empty(),
            )
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `POST /images/create?fromSrc=`: import a root filesystem tar (the
    /// body, when `source` is `-`).
    pub async fn import(&self, tar: Body, o: &ImportOptions) -> Result<MessageStream, ClientError> {
        let r = self
            .client
            .request(
                hyper::Method::POST,
                &o.to_path(),
                Some("application/x-tar"),
                tar,
            )
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `POST /images/load?quiet=`: load a `docker save` tar.
    pub async fn load(&self, tar: Body, quiet: bool) -> Result<MessageStream, ClientError> {
        let r = self
            .client
            .request(
                hyper::Method::POST,
                &format!("/images/load?quiet={}", quiet as u8),
                Some("application/x-tar"),
                tar,
            )
            .await?;
        Ok(MessageStream::new(r))
    }

    /// `GET /images/get?names=..`: a `docker save` tar stream.
    pub async fn save(&self, names: &[String]) -> Result<Response, ClientError> {
        let mut q = Query::new();
        for n in names {
            q.push("names", n);
        }
        self.client.get(&q.to_path("/images/get")).await
    }

    /// `POST /images/prune[?filters=]`.
    pub async fn prune(&self, filters: &Filters) -> Result<ImagePruneResponse, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client
            .post_json::<(), _>(&q.to_path("/images/prune"), None)
            .await
    }

    /// `GET /images/search?term=[&limit=][&filters=]` with `X-Registry-Auth`.
    pub async fn search(
        &self,
        term: &str,
        limit: Option<i64>,
        filters: &Filters,
        registry_auth: &str,
    ) -> Result<Vec<ImageSearchResult>, ClientError> {
        let mut q = Query::new();
        q.push("term", term)
            .opt("limit", limit.map(|l| l.to_string()))
            .filters(filters);
        self.client
            .request_with_headers(
                hyper::Method::GET,
                &q.to_path("/images/search"),
                &[("X-Registry-Auth", registry_auth)],
                None,
                Client::empty(),
            )
            .await?
            .json()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_query() {
        let mut o = BuildOptions {
            tags: vec!["a:1".into(), "b".into()],
            dockerfile: Some("sub/Dockerfile".into()),
            no_cache: true,
            remove: Some(false),
            ..BuildOptions::default()
        };
        o.build_args.insert("X".into(), "1".into());
        assert_eq!(
            o.to_path(),
            "/build?t=a%3A1&t=b&dockerfile=sub%2FDockerfile&buildargs=%7B%22X%22%3A%221%22%7D&nocache=1&rm=0"
        );
        assert_eq!(BuildOptions::default().to_path(), "/build");
    }

    #[test]
    fn import_query() {
        let o = ImportOptions {
            source: "-".into(),
            repo: Some("busybox".into()),
            tag: Some("latest".into()),
            changes: vec!["CMD [\"sh\"]".into(), "ENV A=1".into()],
            ..ImportOptions::default()
        };
        assert_eq!(
            o.to_path(),
            "/images/create?fromSrc=-&repo=busybox&tag=latest&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1"
        );
    }
}
