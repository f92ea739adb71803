//! A daemon answer: status, headers and a body read whole or chunk by chunk.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ClientError;

/// An answer whose body has not been read yet.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    body: Incoming,
}

impl Response {
    pub(crate) fn new(r: hyper::Response<Incoming>) -> Response {
        let (parts, body) = r.into_parts();
        Response {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// A header's value as text, if present and valid.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The next chunk of the body as it arrives; `None` at the end. Used
    /// for `logs -f`, `events` and `save`.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, ClientError>> {
        loop {
            match self.body.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        if data.is_empty() {
                            continue;
                        }
                        return Some(Ok(data));
                    }
                    // Trailers carry nothing we use.
                }
                Err(e) => return Some(Err(e.into())),
            }
        }
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, ClientError> {
        Ok(self.body.collect().await?.to_bytes())
    }

    /// The body decoded as JSON.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        decode_stripped(&self.bytes().await?)
    }

    /// The body decoded straight into `T`, in one pass; only when that
    /// fails (a Go engine's `null` where `T` has a list or map) through
    /// [`Response::json`]'s null stripping. For big answers of types with
    /// no free-form JSON inside (the container list: `ps` with 200
    /// containers), where the detour through `serde_json::Value` costs
    /// more than the request.
    pub async fn json_direct<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        let b = self.bytes().await?;
        match serde_json::from_slice(&b) {
            Ok(v) => Ok(v),
            Err(_) => decode_stripped(&b),
        }
    }
}

/// Go engines send `null` for every empty slice and map (Docker 20.10's
/// volume list has `"Warnings": null`); our types read it as unset.
fn decode_stripped<T: DeserializeOwned>(b: &[u8]) -> Result<T, ClientError> {
    let mut v: serde_json::Value = serde_json::from_slice(b)?;
    wharf_api::strip_nulls(&mut v);
    Ok(serde_json::from_value(v)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_api::container::ContainerSummary;

    #[test]
    fn stripped_decode_reads_go_nulls_as_unset() {
        // What `json_direct` falls back to when the one-pass decode fails.
        let raw = br#"[{"Id":"a","Names":null,"Labels":null,"Ports":null,"Mounts":null}]"#;
        assert!(serde_json::from_slice::<Vec<ContainerSummary>>(raw).is_err());
        let v: Vec<ContainerSummary> = decode_stripped(raw).unwrap();
        assert_eq!(v[0].id, "a");
        assert!(v[0].names.is_empty() && v[0].labels.is_empty());
    }
}
