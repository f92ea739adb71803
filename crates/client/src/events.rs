//! `GET /events`: the daemon's event stream, typed.

use wharf_api::system::EventMessage;

use crate::client::Client;
use crate::error::ClientError;
use crate::jsonstream::JsonStream;
use crate::query::{Filters, Query};

/// Options of `GET /events`.
#[derive(Debug, Clone, Default)]
pub struct EventsOptions {
    /// Unix time or RFC 3339: replay events since then.
    pub since: Option<String>,
    /// End the stream at this time.
    pub until: Option<String>,
    pub filters: Filters,
}

/// Events as they happen (and replayed since `since`), until `until` or
/// until the caller drops the stream.
pub type EventStream = JsonStream<EventMessage>;

impl Client {
    /// `GET /events?since=&until=&filters=`.
    pub async fn events(&self, o: &EventsOptions) -> Result<EventStream, ClientError> {
        let mut q = Query::new();
        q.opt("since", o.since.as_deref())
            .opt("until", o.until.as_deref())
            .filters(&o.filters);
        Ok(JsonStream::new(self.get(&q.to_path("/events")).await?))
    }

    /// `GET /events` decoded as any `T` (a caller's own order-keeping JSON
    /// type, for templates).
    pub async fn events_as<T: serde::de::DeserializeOwned>(
        &self,
        o: &EventsOptions,
    ) -> Result<JsonStream<T>, ClientError> {
        let mut q = Query::new();
        q.opt("since", o.since.as_deref())
            .opt("until", o.until.as_deref())
            .filters(&o.filters);
        Ok(JsonStream::new(self.get(&q.to_path("/events")).await?))
    }

    /// `GET /events` as raw JSON objects (every field, for templates).
    pub async fn events_raw(
        &self,
        o: &EventsOptions,
    ) -> Result<JsonStream<serde_json::Value>, ClientError> {
        let mut q = Query::new();
        q.opt("since", o.since.as_deref())
            .opt("until", o.until.as_deref())
            .filters(&o.filters);
        Ok(JsonStream::new(self.get(&q.to_path("/events")).await?))
    }
}
