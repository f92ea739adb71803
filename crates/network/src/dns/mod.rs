//! The embedded DNS server containers on user-defined networks reach at
//! 127.0.0.11:53. The server's sockets are opened inside each container's
//! network namespace (through `wharf_sys::netns::run_in`) and served by the
//! daemon's tokio runtime; names come from the network layer through
//! [`NameTable`], and unknown names are relayed to the host's resolvers
//! from the host's namespace.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Where the DNS server looks names up: the network layer's view of which
/// containers share a network with the asking container.
pub trait NameTable: Send + Sync {
    /// Addresses of `name` (a container name, alias or short id, without the
    /// trailing dot, lower-cased) as seen by container `asker`: only
    /// endpoints on networks `asker` is attached to. `None` when the name is
    /// not one of ours (the query is then relayed upstream); `Some(empty)`
    /// is never returned.
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
/// container's namespace.
pub struct DnsServer {
    table: Arc<dyn NameTable>,
    upstreams: Vec<SocketAddr>,
    timeout: Duration,
}

impl DnsServer {
    /// A server answering from `table` and relaying other names to
    /// `upstreams` (addresses reached from the host's namespace, usually
    /// [`host_upstreams`] of the host's `/etc/resolv.conf`).
    pub fn new(table: Arc<dyn NameTable>, upstreams: Vec<SocketAddr>) -> Self {
        DnsServer {
            table,
            upstreams,
            timeout: Duration::from_secs(4),
        }
    }

    /// How long one upstream gets to answer a relayed query before the next
    /// is tried (Docker's 4 s by default).
    pub fn with_upstream_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Starts serving 127.0.0.11:53 (UDP and TCP) inside the network
    /// namespace pinned at `netns`, for container `container_id`. Must be
    /// called from within a tokio runtime.
    pub async fn attach(&self, container_id: &str, netns: &Path) -> io::Result<()> {
        let _ = (container_id, netns, &self.table, &self.upstreams);
        Err(io::Error::other("embedded dns: not implemented yet"))
    }

    /// Stops serving `container_id`'s namespace; idempotent.
    pub fn detach(&self, container_id: &str) {
        let _ = container_id;
    }
}

/// The nameservers of a host's resolv.conf (`nameserver` lines), port 53.
pub fn host_upstreams(resolv_conf: &str) -> Vec<SocketAddr> {
    let _ = resolv_conf;
    Vec::new()
}

/// A container's `/etc/resolv.conf` as Docker writes it, from the host's
/// file and the container's `--dns`, `--dns-search` and `--dns-option`.
/// `embedded`: the container uses the embedded server (user-defined
/// networks); otherwise (default bridge) the host's nameservers minus
/// loopback ones are written.
pub fn container_resolv_conf(
    host_resolv: &str,
    embedded: bool,
    dns: &[String],
    search: &[String],
    options: &[String],
) -> String {
    let _ = (host_resolv, embedded, dns, search, options);
    String::new()
}
