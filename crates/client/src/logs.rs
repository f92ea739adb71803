//! A container's log (or attach) output read from an HTTP answer, frame by
//! frame: stdcopy-demultiplexed, or raw stdout for a tty container.

use bytes::Bytes;

use crate::error::ClientError;
use crate::response::Response;
use crate::stdcopy::{Demuxer, StreamKind};

/// Output of `containers().logs(..)`.
#[derive(Debug)]
pub struct LogStream {
    resp: Response,
    tty: bool,
    demux: Demuxer,
    done: bool,
}

impl LogStream {
    pub(crate) fn new(resp: Response, tty: bool) -> LogStream {
        LogStream {
            resp,
            tty,
            demux: Demuxer::new(),
            done: false,
        }
    }

    /// The next chunk of output with the stream it belongs to; `None` at
    /// the end. A daemon error frame ends the stream with its message.
    pub async fn next(&mut self) -> Option<Result<(StreamKind, Bytes), ClientError>> {
        loop {
            if !self.tty {
                match self.demux.next_frame() {
                    Ok(Some((StreamKind::SystemErr, payload))) => {
                        self.done = true;
                        return Some(Err(ClientError::Stream(
                            String::from_utf8_lossy(&payload).trim().to_string(),
                        )));
                    }
                    Ok(Some((kind, payload))) => return Some(Ok((kind, Bytes::from(payload)))),
                    Ok(None) => {}
                    Err(e) => {
                        self.done = true;
                        return Some(Err(ClientError::Protocol(e.to_string())));
                    }
                }
            }
            if self.done {
                return None;
            }
            match self.resp.chunk().await {
                Some(Ok(c)) if self.tty => return Some(Ok((StreamKind::Stdout, c))),
                Some(Ok(c)) => self.demux.push(&c),
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                None => self.done = true,
            }
        }
    }
}
