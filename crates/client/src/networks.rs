//! Typed calls for `/networks`: create, list, inspect, remove, connect,
//! disconnect, prune.

use wharf_api::network::{
    NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest,
    NetworkPruneResponse, NetworkResource,
};

use crate::client::Client;
use crate::error::ClientError;
use crate::query::{seg, Filters, Query};

/// `client.networks()`: the network endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Networks<'a> {
    client: &'a Client,
}

impl<'a> Networks<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Networks { client }
    }

    fn path(id: &str, rest: &str) -> String {
        format!("/networks/{}{rest}", seg(id))
    }

    /// `POST /networks/create`.
    pub async fn create(
        &self,
        body: &NetworkCreateRequest,
    ) -> Result<NetworkCreateResponse, ClientError> {
        self.client.post_json("/networks/create", Some(body)).await
    }

    /// `GET /networks[?filters=]`.
    pub async fn list(&self, filters: &Filters) -> Result<Vec<NetworkResource>, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client.get_json(&q.to_path("/networks")).await
    }

    /// `GET /networks/{id}`, typed.
    pub async fn inspect(&self, id: &str) -> Result<NetworkResource, ClientError> {
        self.client.get_json(&Self::path(id, "")).await
    }

    /// `GET /networks/{id}` as sent, every field and its order kept.
    pub async fn inspect_raw(&self, id: &str) -> Result<bytes::Bytes, ClientError> {
        self.client.get(&Self::path(id, "")).await?.bytes().await
    }

    /// `DELETE /networks/{id}`.
    pub async fn remove(&self, id: &str) -> Result<(), ClientError> {
        self.client.delete(&Self::path(id, "")).await.map(drop)
    }

    /// `POST /networks/{id}/connect`.
    pub async fn connect(&self, id: &str, body: &NetworkConnectRequest) -> Result<(), ClientError> {
        self.client
            .post(&Self::path(id, "/connect"), Some(body))
            .await
            .map(drop)
    }

    /// `POST /networks/{id}/disconnect`.
    pub async fn disconnect(
        &self,
        id: &str,
        body: &NetworkDisconnectRequest,
    ) -> Result<(), ClientError> {
        self.client
            .post(&Self::path(id, "/disconnect"), Some(body))
            .await
            .map(drop)
    }

    /// `POST /networks/prune[?filters=]`.
    pub async fn prune(&self, filters: &Filters) -> Result<NetworkPruneResponse, ClientError> {
        let mut q = Query::new();
        q.filters(filters);
        self.client
            .post_json::<(), _>(&q.to_path("/networks/prune"), None)
            .await
    }
}
