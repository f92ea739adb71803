//! Client errors: nothing listening, a daemon error answer, transport faults.

use wharf_api::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answered on the socket; the message tells how to start it.
    #[error("Cannot connect to the wharf daemon at {host}. Is the daemon running? Start it with: wharf daemon &")]
    Connect {
        host: String,
        #[source]
        source: std::io::Error,
    },
    /// The daemon answered with an error status and `{"message": ...}`.
    #[error("Error response from daemon: {message}")]
    Api { status: u16, message: String },
    #[error("invalid daemon host {0:?}: expected unix:///path or tcp://host:port")]
    InvalidHost(String),
    #[error("http error talking to the daemon: {0}")]
    Http(#[from] hyper::Error),
    #[error("i/o error talking to the daemon: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid json from the daemon: {0}")]
    Json(#[from] serde_json::Error),
    #[error("malformed answer from the daemon: {0}")]
    Protocol(String),
    #[error("invalid API version {0:?}: expected MAJOR.MINOR, such as 1.44 (is DOCKER_API_VERSION set?)")]
    BadVersion(String),
    #[error(
        "the daemon speaks API version {server}, older than {min}, the oldest this client speaks"
    )]
    DaemonTooOld { server: String, min: &'static str },
    /// An error the daemon reported inside a streamed answer (a JSON
    /// message's `error`, a stdcopy system-error frame), after a success
    /// status.
    #[error("{0}")]
    Stream(String),
}

impl ClientError {
    /// Classify by the daemon's status code where there is one.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::Api { status, .. } => match status {
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                400 => ErrorKind::InvalidArgument,
                304 => ErrorKind::NotModified,
                503 => ErrorKind::Unavailable,
                _ => ErrorKind::Other,
            },
            ClientError::InvalidHost(_) | ClientError::BadVersion(_) => ErrorKind::InvalidArgument,
            ClientError::Connect { .. } => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        }
    }

    /// The daemon's message for an error answer or a streamed error.
    pub fn message(&self) -> Option<&str> {
        match self {
            ClientError::Api { message, .. } => Some(message),
            ClientError::Stream(m) => Some(m),
            _ => None,
        }
    }

    /// The daemon answered 404 (no such object).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The HTTP status of a daemon error answer, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Build the error for a non-success answer from its status and body:
    /// the daemon's `message` when the body is Docker's error JSON, else the
    /// body text itself.
    pub fn from_body(status: u16, body: &[u8]) -> ClientError {
        let message = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) => match v.get("message").and_then(|m| m.as_str()) {
                Some(m) => m.to_string(),
                None => String::from_utf8_lossy(body).trim().to_string(),
            },
            Err(_) => String::from_utf8_lossy(body).trim().to_string(),
        };
        let message = if message.is_empty() {
            format!("status {status}")
        } else {
            message
        };
        ClientError::Api { status, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_message_from_json() {
        let e = ClientError::from_body(404, br#"{"message":"No such container: x"}"#);
        assert_eq!(
            e.to_string(),
            "Error response from daemon: No such container: x"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn api_message_from_text() {
        let e = ClientError::from_body(500, b"boom\n");
        assert_eq!(e.to_string(), "Error response from daemon: boom");
        let e = ClientError::from_body(500, b"");
        assert_eq!(e.to_string(), "Error response from daemon: status 500");
    }

    #[test]
    fn connect_message_says_how_to_start() {
        let e = ClientError::Connect {
            host: "unix:///run/wharf/wharf.sock".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert!(e.to_string().contains("Is the daemon running?"));
        assert!(e.to_string().contains("wharf daemon &"));
    }
}
