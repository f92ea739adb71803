//! Errors of loading a compose project and of driving the engine.

use wharf_client::ClientError;

/// What went wrong, for exit codes and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The files or the command line are wrong: nothing was changed.
    Invalid,
    /// A file or an engine object is missing.
    NotFound,
    /// The engine refused or failed.
    Engine,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml from {dir} upwards)")]
    NoFile { dir: String },
    #[error("{file}: {message}")]
    Read { file: String, message: String },
    #[error("{file}: yaml: {message}")]
    Yaml { file: String, message: String },
    /// A value at `path` (`services.web.ports[1]`) is wrong.
    #[error("{file}: {path}: {message}")]
    Invalid {
        file: String,
        path: String,
        message: String,
    },
    /// A project-level problem (dependencies, profiles).
    #[error("{0}")]
    Project(String),
    /// The engine's answer to what was being done (the client error is
    /// part of the message, not a separate cause, so it prints once).
    #[error("{context}: {error}")]
    Engine { context: String, error: ClientError },
    #[error("{0}")]
    Failed(String),
}

impl ComposeError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ComposeError::NoFile { .. } => ErrorKind::NotFound,
            ComposeError::Engine { .. } | ComposeError::Failed(_) => ErrorKind::Engine,
            _ => ErrorKind::Invalid,
        }
    }

    pub(crate) fn invalid(
        file: &str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> ComposeError {
        ComposeError::Invalid {
            file: file.to_string(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Attach what was being done to an engine error.
pub(crate) trait EngineContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, ComposeError>;
}

impl<T> EngineContext<T> for Result<T, ClientError> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, ComposeError> {
        self.map_err(|error| ComposeError::Engine {
            context: context(),
            error,
        })
    }
}
