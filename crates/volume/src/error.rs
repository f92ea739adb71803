//! Errors of the volume drivers and the store, with Docker's wording where
//! users see it (`get x: no such volume`, `remove x: volume is in use - [..]`).

use std::io;
use std::path::PathBuf;

use wharf_api::error::ErrorKind;

use crate::archive::ArchiveError;
use crate::name::NameError;

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("get {0}: no such volume")]
    NotFound(String),
    #[error("create {name}: {source}")]
    InvalidName {
        name: String,
        #[source]
        source: NameError,
    },
    #[error("remove {name}: volume is in use - [{}]", ids.join(", "))]
    InUse { name: String, ids: Vec<String> },
    #[error("{op} {name}: volume is mounted by running containers - [{}]", ids.join(", "))]
    Busy {
        op: &'static str,
        name: String,
        ids: Vec<String>,
    },
    #[error("create {name}: driver '{existing}' already has volume '{name}': volume name must be unique")]
    NameConflict { name: String, existing: String },
    #[error("error looking up volume plugin {0}: plugin {0:?} not found")]
    DriverNotFound(String),
    #[error("invalid option: {0:?}")]
    InvalidOption(String),
    #[error("missing required option: {0:?}")]
    MissingOption(String),
    #[error("invalid value for volume option {key}: {reason}")]
    InvalidOptionValue { key: String, reason: String },
    #[error("volume {name}: {path} is not a real directory inside the volume root (symlink or escape), refusing to use it")]
    Escape { name: String, path: PathBuf },
    #[error("{op} volume {name}: {reason}")]
    Unsupported {
        op: &'static str,
        name: String,
        reason: String,
    },
    #[error("invalid filter '{0}'")]
    InvalidFilter(String),
    #[error("{op} volume {name}: {source}")]
    Io {
        op: &'static str,
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("{op} volume {name}: {source}")]
    Archive {
        op: &'static str,
        name: String,
        #[source]
        source: ArchiveError,
    },
}

impl VolumeError {
    pub fn kind(&self) -> ErrorKind {
        use VolumeError::*;
        match self {
            NotFound(_) | DriverNotFound(_) => ErrorKind::NotFound,
            InUse { .. } | Busy { .. } | NameConflict { .. } => ErrorKind::Conflict,
            InvalidName { .. }
            | InvalidOption(_)
            | MissingOption(_)
            | InvalidOptionValue { .. }
            | Unsupported { .. }
            | InvalidFilter(_) => ErrorKind::InvalidArgument,
            Archive { source, .. } => source.kind(),
            Escape { .. } | Io { .. } => ErrorKind::Other,
        }
    }

    pub(crate) fn io(op: &'static str, name: &str) -> impl FnOnce(io::Error) -> VolumeError {
        let name = name.to_string();
        move |source| VolumeError::Io { op, name, source }
    }
}

pub type Result<T> = std::result::Result<T, VolumeError>;
