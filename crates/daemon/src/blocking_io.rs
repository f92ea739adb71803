//! Bridges between async HTTP bodies and the blocking `Read`/`Write` the
//! image and volume stores use, so large tars stream instead of sitting
//! in memory.

use std::io::{self, Read, Write};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::mpsc;

/// A blocking reader fed by a task that pulls the request body.
pub struct BodyReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    cur: Bytes,
}

impl BodyReader {
    pub fn new(mut body: Incoming) -> Self {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Some(frame) = body.frame().await {
                let item = match frame {
                    Ok(f) => match f.into_data() {
                        Ok(b) => Ok(b),
                        Err(_) => continue,
                    },
                    Err(e) => Err(io::Error::other(e)),
                };
                let stop = item.is_err();
                if stop {
                    return;
                }
                if tx.send(item).await.is_err() {
                    drain(body).await;
                    return;
                }
            }
        });
        BodyReader {
            rx,
            cur: Bytes::new(),
        }
    }
}

/// The most of an abandoned upload that is read and dropped.
const DRAIN_LIMIT: u64 = 256 << 20;

/// The handler stopped reading (it failed: a full disk, a bad tar) and
/// answers now. Closing the socket under a client that is still sending
/// makes its next write fail with EPIPE, and most clients (hyper's, ours)
/// then report the broken pipe instead of the answer. Reading the rest
/// keeps the connection open until the answer is read; past the limit the
/// client has had time enough and the connection is closed.
async fn drain(mut body: Incoming) {
    let mut seen = 0u64;
    while let Some(Ok(frame)) = body.frame().await {
        if let Some(b) = frame.data_ref() {
            seen += b.len() as u64;
        }
        if seen > DRAIN_LIMIT {
            return;
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.cur = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        let _ = self.cur.split_to(n);
        Ok(n)
    }
}

/// A blocking writer whose bytes become a streamed response body.
pub struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    pub fn new(tx: mpsc::Sender<Bytes>) -> Self {
        ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
