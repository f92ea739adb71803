//! wharf-api owns the Docker Engine API v1.44 wire types (serde), shared by
//! the daemon, the client, the CLI and compose. No I/O lives here.
//! Field names follow the spec (`../shared/specs/docker-engine-api-v1.44.yaml`);
//! unknown fields are ignored on input, as the spec asks, and `null` is
//! accepted wherever docker's own clients send it (hence the `Option`s).

pub mod container;
pub mod duration;
pub mod error;
pub mod exec;
pub mod image;
pub mod mount;
pub mod network;
pub mod port;
pub mod system;
pub mod volume;

/// The API version wharf serves.
pub const API_VERSION: &str = "1.44";
/// The oldest API version wharf accepts in a versioned path.
pub const MIN_API_VERSION: &str = "1.24";
