//! Typed calls for `/volumes`: create, list, inspect, remove, prune, and
//! wharf's tar import/export of a volume's content.

use wharf_api::volume::{Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse};

use crate::client::{Body, Client};
use crate::error::ClientError;
use crate::query::{seg, Filters, Query};
use crate::response::Response;

/// `client.volumes()`: the volume endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Volumes<'a> {
    client: &'a Client,
}

impl<'a> Volumes<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Volumes { client }
    }

    fn path(name: &str, rest: &str) -> String {
        format!("/volumes/{}{rest}", seg(name))
    }

    /// `POST /volumes/create`.
    pub async fn create(&self, body: &VolumeCreateOptions) -> Result<Volume, ClientError> {
        self.client.post_json("/volumes/create", Some(body)).await
    }

    /// `GET /volumes[?filters=]`.
    pub async fn list(&self, filters: &Filters) -> Result<VolumeListResponse, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client.get_json(&q.to_path("/volumes")).await
    }

    /// `GET /volumes/{name}`, typed.
    pub async fn inspect(&self, name: &str) -> Result<Volume, ClientError> {
        self.client.get_json(&Self::path(name, "")).await
    }

    /// `GET /volumes/{name}` as sent, every field and its order kept.
    pub async fn inspect_raw(&self, name: &str) -> Result<bytes::Bytes, ClientError> {
        self.client.get(&Self::path(name, "")).await?.bytes().await
    }

    /// `DELETE /volumes/{name}[?force=1]`.
    pub async fn remove(&self, name: &str, force: bool) -> Result<(), ClientError> {
        let mut q = Query::new();
        q.flag("force", force);
        self.client
            .delete(&q.to_path(&Self::path(name, "")))
            .await
            .map(drop)
    }

    /// `POST /volumes/prune[?filters=]` (`all=true` in the filters removes
    /// named volumes too).
    pub async fn prune(&self, filters: &Filters) -> Result<VolumePruneResponse, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client
            .post_json::<(), _>(&q.to_path("/volumes/prune"), None)
            .await
    }

    /// `GET /volumes/{name}/export` (wharf extension): a tar of the
    /// volume's content.
    pub async fn export(&self, name: &str) -> Result<Response, ClientError> {
        self.client.get(&Self::path(name, "/export")).await
    }

    /// `PUT /volumes/{name}/import` (wharf extension): unpack a tar into the
    /// volume. A refusal the daemon sends before reading the whole body is
    /// returned as its error answer.
    pub async fn import(&self, name: &str, tar: Body) -> Result<(), ClientError> {
        self.client
            .upload(
                hyper::Method::PUT,
                &Self::path(name, "/import"),
                "application/x-tar",
                tar,
            )
            .await
            .map(drop)
    }
}
