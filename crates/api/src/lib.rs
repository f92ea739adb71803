//! wharf-api owns the Docker Engine API v1.44 wire types (serde), shared by
//! the daemon, the client, the CLI and compose, and the pure parsing the
//! CLI and the daemon share (mount specs, volume names, sizes). No I/O lives
//! here (save `VolumeName::random`, which reads `/dev/urandom`).
//! Field names follow the spec (`../shared/specs/docker-engine-api-v1.44.yaml`);
//! unknown fields are ignored on input, as the spec asks, and `null` is
//! accepted wherever docker's own clients send it (hence the `Option`s).

pub mod archive;
pub mod auth_key;
pub mod container;
pub mod detach;
pub mod duration;
pub mod error;
pub mod exec;
pub mod image;
pub mod jsonmessage;
pub mod mount;
pub mod mount_spec;
pub mod network;
pub mod port;
pub mod size;
pub mod strslice;
pub mod system;
pub mod volume;
pub mod volume_name;

/// The API version wharf serves.
pub const API_VERSION: &str = "1.44";
/// The oldest API version wharf accepts in a versioned path.
pub const MIN_API_VERSION: &str = "1.24";

/// Drops every object member whose value is `null`, at any depth.
///
/// Go clients (the docker CLI, Docker Compose) send `null` for every empty
/// map and slice, and the API treats `null` as "not set" for every optional
/// field; removing the member lets each type's `default` apply, instead of
/// annotating every field of every type. Array elements are kept: a `null`
/// inside a list is still an error.
pub fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
