//! wharf-client owns the HTTP client side of the Docker Engine API over the
//! daemon's unix socket (or TCP): host resolution, plain and streamed
//! requests, hijacked attach/exec streams and Docker's stdcopy framing.
//! It is used by the `wharf` CLI and compose. It must not know about
//! command-line flags or output formatting (that is `src/cli`), and holds no
//! wire types of its own beyond what `wharf-api` defines.

mod client;
mod error;
mod hijack;
mod host;
mod response;
pub mod stdcopy;

pub use client::{Body, Client};
pub use error::ClientError;
pub use hijack::Hijacked;
pub use host::{Host, DEFAULT_HOST};
/// HTTP methods, for [`Client::request`].
pub use hyper::Method;
pub use response::Response;

/// Percent-encode one query-string value (`name=a b` → `name=a+b`).
pub fn query_escape(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
