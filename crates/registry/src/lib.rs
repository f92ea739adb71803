//! wharf-registry: a blocking client of the OCI distribution API (Docker
//! registries) that pulls into and pushes from the [`wharf_image`] store.
//!
//! Why not `oci-client`: it is async over reqwest, and its image pull keeps
//! whole layers in memory; the store is blocking, and layers here stream
//! to disk with their digest checked on the way. HTTP is `ureq` (rustls).
//!
//! Plain HTTP is used only for registries on loopback (`localhost`,
//! `127.0.0.0/8`, `::1`) and for the daemon's `--insecure-registry` list.

pub mod auth;
pub mod client;
pub mod error;
pub mod index;
pub mod name;
pub mod pull;
pub mod push;
pub mod search;

pub use auth::Credentials;
pub use client::Client;
pub use error::{RegistryError, Result};
pub use name::RemoteName;
pub use wharf_image::archive::Descriptor;
