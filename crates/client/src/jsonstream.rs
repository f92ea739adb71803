//! Streams of JSON values as the daemon sends them: events, stats, and
//! Docker's JSON messages (build, pull, push, import, load). Values may be
//! separated by newlines or simply concatenated, and may be split across
//! chunks; each is decoded as soon as it is whole.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use wharf_api::jsonmessage::JsonMessage;

use crate::error::ClientError;
use crate::response::Response;

/// A stream of `T`s read from a daemon answer.
#[derive(Debug)]
pub struct JsonStream<T> {
    resp: Response,
    buf: Vec<u8>,
    done: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> JsonStream<T> {
    pub fn new(resp: Response) -> JsonStream<T> {
        JsonStream {
            resp,
            buf: Vec::new(),
            done: false,
            _t: PhantomData,
        }
    }

    /// The answer's headers (e.g. `Content-Type`).
    pub fn response(&self) -> &Response {
        &self.resp
    }

    /// The next value; `None` when the daemon closes the stream. Bytes that
    /// are not JSON fail with [`ClientError::Json`].
    pub async fn next(&mut self) -> Option<Result<T, ClientError>> {
        loop {
            match take_value::<T>(&mut self.buf, self.done) {
                Ok(Some(v)) => return Some(Ok(v)),
                Ok(None) if self.done => return None,
                Ok(None) => {}
                Err(e) => {
                    self.buf.clear();
                    self.done = true;
                    return Some(Err(e.into()));
                }
            }
            match self.resp.chunk().await {
                Some(Ok(c)) => self.buf.extend_from_slice(&c),
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                None => self.done = true,
            }
        }
    }
}

/// Take one whole value off the front of `buf`; `Ok(None)` when more bytes
/// are needed (or, at the end, when only whitespace is left).
fn take_value<T: DeserializeOwned>(
    buf: &mut Vec<u8>,
    at_end: bool,
) -> Result<Option<T>, serde_json::Error> {
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    if start == buf.len() {
        buf.clear();
        return Ok(None);
    }
    let mut it = serde_json::Deserializer::from_slice(&buf[start..]).into_iter::<T>();
    match it.next() {
        Some(Ok(v)) => {
            let used = start + it.byte_offset();
            buf.drain(..used);
            Ok(Some(v))
        }
        Some(Err(e)) if e.is_eof() && !at_end => Ok(None),
        Some(Err(e)) => Err(e),
        None => Ok(None),
    }
}

/// Docker's JSON message stream (build, pull, push, import, load).
pub type MessageStream = JsonStream<JsonMessage>;

impl MessageStream {
    /// Read the stream to its end, handing each message to `f`; the first
    /// message carrying an `error` ends it with that error as
    /// [`ClientError::Stream`].
    pub async fn for_each(&mut self, mut f: impl FnMut(&JsonMessage)) -> Result<(), ClientError> {
        while let Some(m) = self.next().await {
            let m = m?;
            if let Some(e) = m.error_message() {
                return Err(ClientError::Stream(e.to_string()));
            }
            f(&m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_and_concatenated() {
        let mut buf = br#"{"a":1}{"a":2}
 {"a""#
            .to_vec();
        let v: serde_json::Value = take_value(&mut buf, false).unwrap().unwrap();
        assert_eq!(v["a"], 1);
        let v: serde_json::Value = take_value(&mut buf, false).unwrap().unwrap();
        assert_eq!(v["a"], 2);
        assert!(take_value::<serde_json::Value>(&mut buf, false)
            .unwrap()
            .is_none());
        buf.extend_from_slice(b":3}\n");
        let v: serde_json::Value = take_value(&mut buf, false).unwrap().unwrap();
        assert_eq!(v["a"], 3);
        assert!(take_value::<serde_json::Value>(&mut buf, true)
            .unwrap()
            .is_none());
    }

    #[test]
    fn garbage_is_an_error() {
        let mut buf = b"not json\n".to_vec();
        assert!(take_value::<serde_json::Value>(&mut buf, false).is_err());
        let mut buf = br#"{"a":"#.to_vec();
        assert!(take_value::<serde_json::Value>(&mut buf, true).is_err());
    }
}
