//! wharf-network owns networks and endpoints: the network store (records on
//! disk), IPAM, the `NetworkDriver`s (`bridge`, `host`, `null`), links and
//! addresses through netlink, the `FirewallDriver` (NAT, published ports,
//! isolation) and the embedded DNS server that containers reach at
//! 127.0.0.11.
//!
//! It must not touch containers' records, HTTP or the CLI: the daemon asks
//! it to connect a container's network namespace and records the endpoint it
//! gets back. Namespace entry goes through `wharf_sys::netns`; no `unsafe`
//! here.

/// Published ports: allocation, and the maps inspect and `ps` show.
pub mod ports;

pub mod dns;
pub mod driver;
pub mod error;
pub mod firewall;
pub mod ipam;
pub mod name;
pub mod netlink;
pub mod record;
pub mod store;
mod teardown;

pub use driver::NetworkDriver;
pub use error::NetworkError;
pub use name::NetworkName;
pub use record::{Endpoint, EndpointConfig, Network};
pub use store::{ContainerRef, DefaultBridge, NetworkStore};

#[cfg(test)]
mod store_tests;
