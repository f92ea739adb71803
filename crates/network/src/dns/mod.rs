//! The embedded DNS server containers on user-defined networks reach at
//! 127.0.0.11:53. The server's sockets are opened inside each container's
//! network namespace (through `wharf_sys::netns::run_in`) and served by the
//! daemon's tokio runtime; names come from the network layer through
//! [`NameTable`], and unknown names are relayed to the host's resolvers
//! from the host's namespace.

use std::net::IpAddr;

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
}
