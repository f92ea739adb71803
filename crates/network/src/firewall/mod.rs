//! The firewall seam: what the network layer asks of a packet filter.
//! Each daemon keeps all of its rules in one table of its own (named at
//! construction), so two daemons never touch each other's rules, and
//! removing that table removes everything the daemon made.

use std::net::IpAddr;

pub mod iptables;
pub mod nftables;

pub use nftables::{set_hairpin, NftFirewall};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A bridge network as the firewall sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRules {
    /// The network's id (rules are keyed by it, so they can be removed).
    pub id: String,
    /// The Linux bridge the network's containers hang off.
    pub bridge: String,
    /// The network's subnets (IPv4 and/or IPv6).
    pub subnets: Vec<IpNet>,
    /// `--internal`: no traffic leaves the bridge, no masquerade, no ports.
    pub internal: bool,
    /// Masquerade traffic from the subnets to other interfaces
    /// (`com.docker.network.bridge.enable_ip_masquerade`, on by default).
    pub masquerade: bool,
}

/// A transport protocol of a published port (`"tcp"`, `"udp"` on disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

/// One published port: `host_ip:host_port` → `container_ip:container_port`.
/// Serializable, so an endpoint record can keep the ports it was given
/// (ephemeral host ports must survive a daemon restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// `None` means every host address (`0.0.0.0` / `::`).
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: Proto,
}

/// A container endpoint's published ports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointPorts {
    /// The network the endpoint is on (its rules go with that network).
    pub network_id: String,
    pub bridge: String,
    pub container_ip: IpAddr,
    pub ports: Vec<PortMapping>,
}

/// A firewall failure, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("firewall: {op}: {message}")]
pub struct FirewallError {
    pub op: String,
    pub message: String,
}

impl FirewallError {
    /// The API error class: a firewall failure is the host's, not the
    /// request's.
    pub fn kind(&self) -> wharf_api::error::ErrorKind {
        wharf_api::error::ErrorKind::Other
    }
}

/// What the network layer needs from a packet filter. Every call is
/// idempotent: adding what exists or removing what is gone succeeds.
pub trait FirewallDriver: Send + Sync {
    /// Creates this daemon's table and base chains.
    fn init(&self) -> Result<(), FirewallError>;
    /// Forwarding, masquerade and isolation for one bridge network.
    fn add_network(&self, net: &NetworkRules) -> Result<(), FirewallError>;
    fn remove_network(&self, net: &NetworkRules) -> Result<(), FirewallError>;
    /// DNAT (and hairpin) for an endpoint's published ports.
    fn add_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError>;
    fn remove_ports(&self, ep: &EndpointPorts) -> Result<(), FirewallError>;
    /// Removes the whole table (daemon shutdown, tests).
    fn shutdown(&self) -> Result<(), FirewallError>;
}

/// Runs `tool ARGS` with `script` on its stdin (`nft -f -`,
/// `iptables-restore`): the error names the tool and carries its stderr;
/// `missing` is the message when the tool is not installed at all.
pub(crate) fn run_script(
    tool: &str,
    args: &[&str],
    script: &str,
    missing: Option<&str>,
) -> Result<(), String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match missing {
            Some(m) if e.kind() == std::io::ErrorKind::NotFound => m.to_string(),
            _ => format!("run {tool}: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("write to {tool}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("wait for {tool}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
