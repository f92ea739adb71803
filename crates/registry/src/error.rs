//! Registry errors and their class at the API edge.

use wharf_api::error::ErrorKind;
use wharf_image::ImageError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry does not know the repository or the tag/digest.
    #[error("{0}")]
    NotFound(String),
    /// Credentials missing or refused.
    #[error("{0}")]
    Unauthorized(String),
    /// A name, platform or flag the client cannot use.
    #[error("{0}")]
    Invalid(String),
    /// What the registry sent is not what it announced (digest, size, JSON).
    #[error("{0}")]
    BadContent(String),
    /// Transport failures and unexpected statuses.
    #[error("{0}")]
    Transport(String),
    #[error(transparent)]
    Image(#[from] ImageError),
}

impl RegistryError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            RegistryError::NotFound(_) => ErrorKind::NotFound,
            // Docker answers a refused pull with 404 ("pull access denied").
            RegistryError::Unauthorized(_) => ErrorKind::NotFound,
            RegistryError::Invalid(_) => ErrorKind::InvalidArgument,
            RegistryError::BadContent(_) | RegistryError::Transport(_) => ErrorKind::Other,
            RegistryError::Image(e) => e.kind(),
        }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
