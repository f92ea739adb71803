//! Error classes at the API edge and the `{"message": ...}` body.

use serde::{Deserialize, Serialize};

/// What went wrong, independent of transport; the daemon maps each kind to
/// one HTTP status code (see `wharf_daemon::error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    InvalidArgument,
    NotModified,
    Unavailable,
    Other,
}

impl ErrorKind {
    /// Docker's status code for this kind of error.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::InvalidArgument => 400,
            ErrorKind::NotModified => 304,
            ErrorKind::Unavailable => 503,
            ErrorKind::Other => 500,
        }
    }
}

/// The body of every error answer: `{"message": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub message: String,
}
