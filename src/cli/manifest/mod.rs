//! `wharf manifest <sub>`: create, annotate, inspect, push, rm — Docker's
//! client-side manifest list commands. They talk to the registry straight
//! from the CLI (credentials from `config.json`, as `login` stores them);
//! a list being made lives under `$DOCKER_CONFIG/manifests/` until pushed.
//! One file per subcommand; the local list store is `store.rs`.

mod annotate;
mod create;
mod inspect;
mod push;
mod rm;
mod store;

use clap::Subcommand;
use wharf_registry::{Client, RemoteName};

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum ManifestCmd {
    /// Create a local manifest list for annotating and pushing to a registry
    Create(create::CreateArgs),
    /// Add additional information to a local image manifest
    Annotate(annotate::AnnotateArgs),
    /// Display an image manifest, or manifest list
    Inspect(inspect::InspectArgs),
    /// Push a manifest list to a repository
    Push(push::PushArgs),
    /// Delete one or more manifest lists from local storage
    Rm(rm::RmArgs),
}

pub async fn dispatch(_ctx: &Ctx, c: ManifestCmd) -> anyhow::Result<i32> {
    match c {
        ManifestCmd::Create(a) => create::run(a).await,
        ManifestCmd::Annotate(a) => annotate::run(a).await,
        ManifestCmd::Inspect(a) => inspect::run(a).await,
        ManifestCmd::Push(a) => push::run(a).await,
        ManifestCmd::Rm(a) => rm::run(a).await,
    }
}

/// Parses a reference; a missing tag means `latest`.
fn remote(s: &str) -> anyhow::Result<RemoteName> {
    Ok(RemoteName::parse(s, Some("latest"))?)
}

/// A registry client for `name`'s registry with the stored credentials;
/// `insecure` allows plain HTTP to it.
fn client_for(name: &RemoteName, insecure: bool) -> Client {
    let list = if insecure {
        vec![name.host.clone()]
    } else {
        Vec::new()
    };
    Client::new(
        list,
        super::registry_auth::for_image(&name.reference.to_string()),
    )
}

/// Runs registry work off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await?
}

/// JSON indented with tabs, as Docker prints manifests.
fn pretty(v: &serde_json::Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    let _ = v.serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}
