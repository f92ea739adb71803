//! Request parsing and response building shared by every route: query
//! strings, filters, JSON bodies (400 on malformed input), streamed bodies.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::{Error, Result};

pub type Body = BoxBody<Bytes, std::io::Error>;
pub type Reply = Response<Body>;

/// Largest JSON body the daemon reads; bigger requests are refused.
const MAX_JSON_BODY: usize = 16 << 20;

/// Parsed query string: last value wins for `get`, all values for `all`.
#[derive(Debug, Default)]
pub struct Query(HashMap<String, Vec<String>>);

impl Query {
    pub fn parse(q: Option<&str>) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(q) = q {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                map.entry(k.into_owned()).or_default().push(v.into_owned());
            }
        }
        Query(map)
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.last()).map(|s| s.as_str())
    }
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.get(key).cloned().unwrap_or_default()
    }
    /// Docker's boolean query values: 1/true/True are true, absent is `default`.
    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some("") => Ok(default),
            Some("1") | Some("true") | Some("True") | Some("TRUE") => Ok(true),
            Some("0") | Some("false") | Some("False") | Some("FALSE") => Ok(false),
            Some(v) => Err(Error::invalid(format!(
                "invalid boolean value for {key}: {v:?}"
            ))),
        }
    }
    pub fn int(&self, key: &str) -> Result<Option<i64>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| Error::invalid(format!("invalid value for {key}: {v:?}"))),
        }
    }
    /// The `filters` parameter: `{"key":["v1","v2"]}` or the legacy
    /// `{"key":{"v1":true}}` form.
    pub fn filters(&self) -> Result<Filters> {
        Filters::parse(self.get("filters"))
    }
}

/// Parsed `filters` query parameter.
#[derive(Debug, Default, Clone)]
pub struct Filters(pub BTreeMap<String, Vec<String>>);

impl Filters {
    pub fn parse(raw: Option<&str>) -> Result<Self> {
        let Some(raw) = raw.filter(|s| !s.is_empty()) else {
            return Ok(Filters::default());
        };
        let v: serde_json::Value = serde_json::from_str(raw)
            .map_err(|e| Error::invalid(format!("invalid filter: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| Error::invalid("invalid filter: expected a JSON object"))?;
        let mut out = BTreeMap::new();
        for (k, v) in obj {
            let values: Vec<String> = match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| Error::invalid(format!("invalid filter '{k}'")))?,
                serde_json::Value::Object(m) => m.keys().cloned().collect(),
                _ => return Err(Error::invalid(format!("invalid filter '{k}'"))),
            };
            out.insert(k.clone(), values);
        }
        Ok(Filters(out))
    }
    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map(|v| v.as_slice()).unwrap_or(&[])
    }
    /// Refuses filter keys the endpoint does not know, as Docker does.
    pub fn only(&self, allowed: &[&str]) -> Result<()> {
        for k in self.0.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(Error::invalid(format!("invalid filter '{k}'")));
            }
        }
        Ok(())
    }
}

/// Reads the whole body, bounded.
pub async fn read_body(body: Incoming) -> Result<Bytes> {
    let limited = http_body_util::Limited::new(body, MAX_JSON_BODY);
    limited
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| Error::invalid(format!("error reading request body: {e}")))
}

/// Parses a JSON body; an empty body gives the default value.
pub async fn json_body<T: DeserializeOwned + Default>(body: Incoming) -> Result<T> {
    let bytes = read_body(body).await?;
    parse_json(&bytes)
}

pub fn parse_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(T::default());
    }
    let mut v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Error::invalid(format!("invalid JSON: {e}")))?;
    wharf_api::strip_nulls(&mut v);
    serde_json::from_value(v).map_err(|e| Error::invalid(format!("invalid JSON: {e}")))
}

pub fn full(status: StatusCode, content_type: &str, data: impl Into<Bytes>) -> Reply {
    let body = Full::new(data.into())
        .map_err(|never| match never {})
        .boxed();
    Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .body(body)
        .unwrap_or_else(|_| Response::new(empty_body()))
}

pub fn empty_body() -> Body {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed()
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(mut v) => {
            v.push(b'\n');
            full(status, "application/json", v)
        }
        Err(e) => error(&Error::internal(e.to_string())),
    }
}

pub fn ok_json<T: Serialize>(value: &T) -> Reply {
    json(StatusCode::OK, value)
}

pub fn no_content() -> Reply {
    full(StatusCode::NO_CONTENT, "text/plain", Bytes::new())
}

pub fn error(e: &Error) -> Reply {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(
        status,
        &wharf_api::error::ErrorResponse {
            message: e.message.clone(),
        },
    )
}

/// A streamed response fed through a channel; the stream ends when the
/// sender is dropped.
pub fn stream(content_type: &str) -> (mpsc::Sender<Bytes>, Reply) {
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let s = tokio_stream_from(rx).map(|b| Ok::<_, std::io::Error>(Frame::data(b)));
    let body = BodyExt::boxed(StreamBody::new(s));
    let resp = Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", content_type)
        .body(body)
        .unwrap_or_else(|_| Response::new(empty_body()));
    (tx, resp)
}

fn tokio_stream_from(mut rx: mpsc::Receiver<Bytes>) -> impl futures_util::Stream<Item = Bytes> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Docker's multiplexed-stream frame header + payload.
pub fn frame(stream: u8, payload: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    Bytes::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_accept_both_forms() {
        let f = Filters::parse(Some(r#"{"name":["a","b"],"status":{"running":true}}"#)).unwrap();
        assert_eq!(f.get("name"), ["a", "b"]);
        assert_eq!(f.get("status"), ["running"]);
        assert!(Filters::parse(Some("{bad")).is_err());
        assert!(Filters::parse(Some(r#"{"name":3}"#)).is_err());
    }

    #[test]
    fn query_bools() {
        let q = Query::parse(Some("force=1&v=false&x=maybe"));
        assert!(q.bool("force", false).unwrap());
        assert!(!q.bool("v", true).unwrap());
        assert!(q.bool("x", false).is_err());
        assert!(q.bool("absent", true).unwrap());
    }

    #[test]
    fn frame_header() {
        let f = frame(2, b"hi");
        assert_eq!(&f[..], &[2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }
}
