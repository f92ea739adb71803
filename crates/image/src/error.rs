//! The image store's error type and its class at the API edge.

use std::io;

use wharf_api::error::ErrorKind;

use crate::unpack::UnpackError;

/// Everything the image store can fail with. Messages follow Docker's
/// wording where a client may show them (`No such image: busybox:latest`).
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// No image answers to the reference (already in its familiar form).
    #[error("No such image: {0}")]
    NotFound(String),
    /// A reference or tag that breaks Docker's grammar; the message is Docker's.
    #[error("{0}")]
    InvalidReference(String),
    /// A `--change` line that cannot be applied.
    #[error("invalid change {line:?}: {reason}")]
    InvalidChange { line: String, reason: String },
    /// An archive given to `load` or `import` that is not what it claims.
    #[error("invalid image archive: {0}")]
    InvalidArchive(String),
    /// Content whose digest is not the one announced for it.
    #[error("layer digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch { expected: String, actual: String },
    /// Removal refused (image in use, several repositories); Docker's wording.
    #[error("{0}")]
    Conflict(String),
    /// A tar entry refused by the safe unpacker.
    #[error(transparent)]
    Unpack(#[from] UnpackError),
    /// A filesystem failure inside the store.
    #[error("image store: {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
}

impl ImageError {
    /// The class of this error, which the daemon maps to an HTTP status.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ImageError::NotFound(_) => ErrorKind::NotFound,
            ImageError::InvalidReference(_)
            | ImageError::InvalidChange { .. }
            | ImageError::InvalidArchive(_)
            | ImageError::DigestMismatch { .. } => ErrorKind::InvalidArgument,
            ImageError::Conflict(_) => ErrorKind::Conflict,
            ImageError::Unpack(e) => e.kind(),
            ImageError::Io { .. } => ErrorKind::Other,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        ImageError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

/// Attaches a context string to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| ImageError::io(context(), e))
    }
}
