//! wharf-image owns the local image store under `<data-root>/image`:
//! image configs by digest, layers by diff ID unpacked once and shared as
//! overlayfs lower directories, the tag → image-ID map, and the operations
//! that feed or read it (`import`, `load`, `save`, `tag`, `remove`,
//! `history`), plus the safe tar unpacker other crates reuse
//! ([`unpack::unpack_tar`]). Dockerfile builds and registry pulls are to
//! feed the same [`ImageStore`] (stage layers, then commit a config).
//!
//! It must not touch containers, mounts or HTTP: the daemon tells it which
//! images are in use through a callback, mounts the layer directories it
//! returns ([`ImageStore::layer_dirs`], lowest layer first), and maps
//! [`ImageError::kind`] to status codes. Every method blocks: call it from
//! `spawn_blocking`.

pub mod archive;
pub mod build_cache;
pub mod changes;
pub mod config;
pub mod digest;
pub mod error;
pub mod import;
pub mod layer;
pub mod load;
pub mod pull;
pub mod reference;
pub mod remove;
pub mod save;
pub mod snapshot;
pub mod store;
/// The safe tar unpacker, shared with volume imports (see wharf-archive).
pub use wharf_archive::unpack;
pub mod wire;

pub use config::ImageConfig;
pub use error::{ImageError, Result};
pub use remove::{DeleteItem, InUse};
pub use snapshot::{pack_upper, Transaction};
pub use store::{short_id, Image, ImageStore};
pub use unpack::{unpack_tar, unpack_tar_with, UnpackError, UnpackOptions, UnpackStats};
