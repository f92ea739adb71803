//! Typed calls for the system endpoints: ping, version, info, df.

use serde_json::Value;
use wharf_api::system::SystemVersion;

use crate::client::Client;
use crate::error::ClientError;

/// `client.system()`: ping, version, info.
#[derive(Debug, Clone, Copy)]
pub struct System<'a> {
    client: &'a Client,
}

impl<'a> System<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        System { client }
    }

    /// `GET /_ping`: the daemon's `Api-Version` header.
    pub async fn ping(&self) -> Result<String, ClientError> {
        self.client.ping().await
    }

    /// `GET /version`, typed.
    pub async fn version(&self) -> Result<SystemVersion, ClientError> {
        self.client.get_json("/version").await
    }

    /// `GET /version` as JSON (every field, for templates).
    pub async fn version_raw(&self) -> Result<Value, ClientError> {
        self.client.get_json("/version").await
    }

    /// `GET /info` as JSON (Docker's `Info` has ~70 fields; read the ones
    /// you need).
    pub async fn info(&self) -> Result<Value, ClientError> {
        self.client.get_json("/info").await
    }

    /// `GET /info` as the daemon sent it (field order kept, for templates).
    pub async fn info_raw(&self) -> Result<bytes::Bytes, ClientError> {
        self.client.get("/info").await?.bytes().await
    }

    /// `GET /system/df` as JSON.
    pub async fn df(&self) -> Result<Value, ClientError> {
        self.client.get_json("/system/df").await
    }
}
