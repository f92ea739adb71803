//! The embedded DNS server containers on user-defined networks reach at
//! 127.0.0.11:53. The server's sockets are opened inside each container's
//! network namespace (through `wharf_sys::netns::run_in`) and served by the
//! daemon's tokio runtime; names come from the network layer through
//! [`NameTable`], and unknown names are relayed to the host's resolvers
//! from the host's namespace (or to a container's own `--dns` servers from
//! its namespace, as Docker does).
//!
//! The daemon's side, in order: [`DnsServer::new`] once, with
//! [`host_upstreams`] of the file at [`host_resolv_conf_path`];
//! [`container_resolv_conf`] for the file it mounts at each container's
//! `/etc/resolv.conf`; [`DnsServer::set_upstreams`] with the
//! container's `--dns` servers and [`DnsServer::set_external_access`] with
//! `false` when all its networks are `--internal`; [`DnsServer::attach`]
//! once its namespace has its interfaces; [`DnsServer::detach`] when it
//! stops.

mod handler;
mod resolv;
mod server;
mod upstream;

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use resolv::{
    container_resolv_conf, host_network_resolv_conf, host_resolv_conf_path, host_upstreams,
    EMBEDDED_ADDR,
};
use server::{lock, Attached, Shared};

/// Where the DNS server looks names up: the network layer's view of which
/// containers share a network with the asking container.
pub trait NameTable: Send + Sync {
    /// Addresses of `name` (a container name, alias or short id, without the
    /// trailing dot, lower-cased) as seen by container `asker`: only
    /// endpoints on networks `asker` is attached to. `None` when the name is
    /// not one of ours (the query is then relayed upstream); `Some(empty)`
    /// is never returned. Called on the daemon's runtime threads for every
    /// query: an in-memory look-up that never blocks on I/O.
    fn lookup(&self, asker: &str, name: &str) -> Option<Vec<IpAddr>>;
    /// The container name for a PTR query of `ip`, as seen by `asker`.
    fn reverse(&self, asker: &str, ip: IpAddr) -> Option<String>;
    /// Addresses of `name` on the network called `network` only, for
    /// Docker's `name.network` form (`web.backend` is `web` on network
    /// `backend`). Both lower-cased. The default knows no such names.
    fn lookup_on(&self, asker: &str, name: &str, network: &str) -> Option<Vec<IpAddr>> {
        let _ = (asker, name, network);
        None
    }
}

/// The embedded DNS server: one per daemon, serving every attached
/// container's namespace from the daemon's tokio runtime.
pub struct DnsServer {
    shared: Arc<Shared>,
    attached: Mutex<HashMap<String, Attached>>,
}

impl DnsServer {
    /// A server answering from `table` and relaying other names to
    /// `upstreams` (addresses reached from the host's namespace, usually
    /// [`host_upstreams`] of the host's `/etc/resolv.conf`).
    pub fn new(table: Arc<dyn NameTable>, upstreams: Vec<SocketAddr>) -> Self {
        Self::with_upstream_timeout(table, upstreams, UPSTREAM_TIMEOUT)
    }

    /// [`DnsServer::new`] with the time one upstream gets to answer a
    /// relayed query before the next is tried (Docker's 4 s by default).
    pub fn with_upstream_timeout(
        table: Arc<dyn NameTable>,
        upstreams: Vec<SocketAddr>,
        timeout: Duration,
    ) -> Self {
        DnsServer {
            shared: Arc::new(Shared {
                table,
                upstreams: upstreams.into(),
                timeout,
                relays: Mutex::new(HashMap::new()),
            }),
            attached: Mutex::new(HashMap::new()),
        }
    }

    /// Starts serving 127.0.0.11:53 (UDP and TCP) inside the network
    /// namespace pinned at `netns`, for container `container_id`. Must be
    /// called from within a tokio runtime; the serving tasks run on it.
    /// Attaching again to the same namespace is a no-op; to another one (a
    /// restarted container, even at the same path) the old sockets are
    /// closed first. The sockets keep the namespace alive: call
    /// [`DnsServer::detach`] when the container stops.
    pub async fn attach(&self, container_id: &str, netns: &Path) -> io::Result<()> {
        let identity = server::netns_identity(netns)?;
        let previous = {
            let mut attached = lock(&self.attached);
            match attached.get(container_id) {
                Some(a) if a.netns == identity => return Ok(()),
                _ => attached.remove(container_id),
            }
        };
        drop(previous);
        let served = server::start(self.shared.clone(), container_id, netns, identity).await?;
        tracing::debug!(container_id, netns = %netns.display(), "embedded dns attached");
        // A concurrent attach of the same container may have won: keep one.
        lock(&self.attached).insert(container_id.to_string(), served);
        Ok(())
    }

    /// Relays `container_id`'s unknown names to `upstreams` instead of the
    /// server's: a container's `--dns` on a user-defined network. As in
    /// Docker, these are reached from the container's own namespace (so a
    /// server on its network works, and an `--internal` network stays
    /// closed); an empty list goes back to the server's. Takes effect at
    /// once; may be called before [`DnsServer::attach`].
    pub fn set_upstreams(&self, container_id: &str, upstreams: Vec<SocketAddr>) {
        let mut relays = lock(&self.shared.relays);
        let relay = relays.entry(container_id.to_string()).or_default();
        relay.upstreams = upstreams;
    }

    /// Whether `container_id` may have its unknown names relayed through
    /// the host's namespace (the default). Docker turns this off for a
    /// container whose networks are all `--internal`: such names then get
    /// SERVFAIL, unless the container has its own `--dns` servers (see
    /// [`DnsServer::set_upstreams`]). Takes effect at once.
    pub fn set_external_access(&self, container_id: &str, allowed: bool) {
        let mut relays = lock(&self.shared.relays);
        let relay = relays.entry(container_id.to_string()).or_default();
        relay.internal = !allowed;
    }

    /// Stops serving `container_id`'s namespace and forgets its relay
    /// settings; idempotent. The sockets close as soon as the runtime drops the
    /// aborted tasks (at once on a running runtime).
    pub fn detach(&self, container_id: &str) {
        let gone = lock(&self.attached).remove(container_id);
        lock(&self.shared.relays).remove(container_id);
        if gone.is_some() {
            tracing::debug!(container_id, "embedded dns detached");
        }
    }

    /// Whether `container_id` is being served.
    pub fn is_attached(&self, container_id: &str) -> bool {
        lock(&self.attached).contains_key(container_id)
    }
}

/// Docker's `extIOTimeout`.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(4);
