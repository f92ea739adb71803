//! Typed calls for exec: create in a container, start (attached or
//! detached), inspect, resize.

use wharf_api::exec::{ExecConfig, ExecInspect, ExecStartConfig, IdResponse};

use crate::client::Client;
use crate::error::ClientError;
use crate::hijack::Hijacked;
use crate::query::seg;

/// `client.exec()`: the exec endpoints.
#[derive(Debug, Clone, Copy)]
pub struct Execs<'a> {
    client: &'a Client,
}

impl<'a> Execs<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Execs { client }
    }

    /// `POST /containers/{id}/exec`: the new exec's ID.
    pub async fn create(
        &self,
        container: &str,
        config: &ExecConfig,
    ) -> Result<String, ClientError> {
        let r: IdResponse = self
            .client
            .post_json(
                &format!("/containers/{}/exec", seg(container)),
                Some(config),
            )
            .await?;
        Ok(r.id)
    }

    /// `POST /exec/{id}/start` attached: the hijacked connection carrying
    /// the process's stdin and output.
    pub async fn start(&self, id: &str, config: &ExecStartConfig) -> Result<Hijacked, ClientError> {
        self.client
            .hijack(&format!("/exec/{}/start", seg(id)), Some(config))
            .await
    }

    /// `POST /exec/{id}/start` with `Detach: true`: returns once started.
    pub async fn start_detached(&self, id: &str, tty: bool) -> Result<(), ClientError> {
        let body = ExecStartConfig {
            detach: true,
            tty,
            console_size: None,
        };
        self.client
            .post(&format!("/exec/{}/start", seg(id)), Some(&body))
            .await
            .map(drop)
    }

    /// `GET /exec/{id}/json`.
    pub async fn inspect(&self, id: &str) -> Result<ExecInspect, ClientError> {
        self.client
            .get_json(&format!("/exec/{}/json", seg(id)))
            .await
    }

    /// `POST /exec/{id}/resize?h=&w=`.
    pub async fn resize(&self, id: &str, height: u16, width: u16) -> Result<(), ClientError> {
        self.client
            .post::<()>(
                &format!("/exec/{}/resize?h={height}&w={width}", seg(id)),
                None,
            )
            .await
            .map(drop)
    }
}
