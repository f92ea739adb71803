//! wharf-client owns the HTTP client side of the Docker Engine API over the
//! daemon's unix socket (or TCP): host resolution, plain and streamed
//! requests, hijacked attach/exec streams and Docker's stdcopy framing.
//! It is used by the `wharf` CLI and compose. It must not know about
//! command-line flags or output formatting (that is `src/cli`), and holds no
//! wire types of its own beyond what `wharf-api` defines (only request
//! options: which query parameters to send).
//!
//! Typed calls, grouped as the API is:
//! `client.containers().create(name, &body)`, `.start(id)`, `.stop(id, t)`,
//! `.logs(id, tty, &opts)`, `.attach(id, &opts)`, ...;
//! `client.images()`, `client.networks()`, `client.volumes()`,
//! `client.exec()`, `client.system()`, `client.events(&opts)`. Errors are
//! [`ClientError`]; a daemon error answer is `ClientError::Api { status,
//! message }`.

mod client;
mod containers;
mod error;
mod events;
mod exec;
mod hijack;
mod host;
mod images;
pub mod jsonstream;
mod logs;
mod networks;
pub mod query;
pub mod registry_auth;
mod response;
pub mod stdcopy;
mod system;
mod upload;
pub mod version;
mod volumes;

pub use client::{Body, Client};
pub use containers::{AttachOptions, Containers, ListOptions, LogsOptions, PendingWait};
pub use error::ClientError;
pub use events::{EventStream, EventsOptions};
pub use exec::Execs;
pub use hijack::Hijacked;
pub use host::{Host, DEFAULT_HOST};
/// HTTP methods, for [`Client::request`].
pub use hyper::Method;
pub use images::{BuildOptions, Images, ImportOptions};
pub use jsonstream::{JsonStream, MessageStream};
pub use logs::LogStream;
pub use networks::Networks;
pub use query::{seg, Filters};
pub use response::Response;
pub use system::System;
pub use volumes::Volumes;
/// Wire types, re-exported so a caller needs one dependency.
pub use wharf_api as api;

/// Percent-encode one query-string value (`name=a b` → `name=a+b`).
pub fn query_escape(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
