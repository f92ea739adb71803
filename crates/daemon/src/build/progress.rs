//! The build's progress stream, as Docker's classic builder sends it: one
//! JSON object per line, `{"stream":"Step 1/5 : FROM busybox\n"}`,
//! `{"aux":{"ID":"sha256:…"}}`, and `{"errorDetail":{…},"error":"…"}` last
//! on failure. Quiet builds send only the error or the final ID.

use bytes::Bytes;
use tokio::sync::mpsc;

pub struct Progress {
    tx: mpsc::Sender<Bytes>,
    quiet: bool,
}

impl Progress {
    pub fn new(tx: mpsc::Sender<Bytes>, quiet: bool) -> Progress {
        Progress { tx, quiet }
    }

    fn line(v: serde_json::Value) -> Bytes {
        let mut line = v.to_string().into_bytes();
        line.push(b'\n');
        line.into()
    }

    /// Sends from a blocking thread (the builder runs on one).
    fn send(&self, v: serde_json::Value) {
        let _ = self.tx.blocking_send(Self::line(v));
    }

    /// Text for the user (`{"stream": …}`), dropped when quiet.
    pub fn stream(&self, text: &str) {
        if !self.quiet && !text.is_empty() {
            self.send(serde_json::json!({ "stream": text }));
        }
    }

    /// [`Progress::stream`] from async code (a `RUN` container's output).
    pub async fn stream_async(&self, text: &str) {
        if !self.quiet && !text.is_empty() {
            let _ = self
                .tx
                .send(Self::line(serde_json::json!({ "stream": text })))
                .await;
        }
    }

    /// A message of another stream passed on as it is (a base image's
    /// pull progress), dropped when quiet.
    pub fn message(&self, v: serde_json::Value) {
        if !self.quiet {
            self.send(v);
        }
    }

    /// The built image's ID (`{"aux":{"ID":…}}`); a quiet build prints it.
    pub fn aux(&self, id: &str) {
        self.send(serde_json::json!({ "aux": { "ID": id } }));
        if self.quiet {
            self.send(serde_json::json!({ "stream": format!("{id}\n") }));
        }
    }

    /// The error that ended the build.
    pub fn error(&self, message: &str) {
        self.send(serde_json::json!({
            "errorDetail": { "message": message },
            "error": message,
        }));
    }

    /// Whether the client went away.
    pub fn closed(&self) -> bool {
        self.tx.is_closed()
    }
}
