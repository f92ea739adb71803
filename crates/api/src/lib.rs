//! wharf-api owns the Docker Engine API v1.44 wire types (serde), shared by
//! the daemon, the client, the CLI and compose. No I/O lives here.
//! Field names follow the spec (`../shared/specs/docker-engine-api-v1.44.yaml`);
//! unknown fields are ignored on input, as the spec asks.

pub mod mount;
