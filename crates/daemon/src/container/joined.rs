//! `--network container:NAME` (compose's `network_mode: service:x`): the
//! container joins another running container's network namespace and, as
//! in Docker, shares its `/etc/hosts`, `/etc/resolv.conf` and hostname. It
//! has no endpoint of its own, so nothing of the network is made or undone
//! for it.

use std::path::PathBuf;

use wharf_api::container::{ContainerConfig, HostConfig};

use super::mounts::RtMount;
use super::network::NetworkMode;
use super::record::{Container, Paths};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// The namespace a joined container runs in.
pub enum JoinedNs {
    /// The target runs in the host's network namespace.
    Host,
    /// `/proc/<target pid>/ns/net`.
    Path(PathBuf),
}

/// What start takes from the target.
pub struct Target {
    pub ns: JoinedNs,
    /// The target's files (hosts, resolv.conf, hostname) to bind.
    pub paths: Paths,
}

/// Create: the target must exist, options that belong to the target's
/// network are refused with Docker's messages, and the mode is stored with
/// the target's full id (as Docker stores it). The container takes the
/// target's hostname.
pub fn check_create(d: &Daemon, config: &mut ContainerConfig, hc: &mut HostConfig) -> Result<()> {
    let NetworkMode::Container(key) = NetworkMode::of(hc) else {
        return Ok(());
    };
    let conflicts = [
        (!config.hostname.is_empty(), "hostname and the network mode"),
        (
            hc.publish_all_ports
                || hc.port_bindings.as_ref().is_some_and(|b| {
                    b.values()
                        .any(|v| v.as_ref().is_some_and(|v| !v.is_empty()))
                }),
            "port publishing and the container type network mode",
        ),
        (
            hc.dns.as_ref().is_some_and(|v| !v.is_empty()),
            "dns and the network mode",
        ),
        (
            hc.extra_hosts.as_ref().is_some_and(|v| !v.is_empty()),
            "custom host-to-IP mapping and the network mode",
        ),
    ];
    if let Some((_, what)) = conflicts.iter().find(|(bad, _)| *bad) {
        return Err(Error::invalid(format!("conflicting options: {what}")));
    }
    if hc.links.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(Error::invalid(
            "conflicting options: container type network can't be used with links. This would result in undefined behavior",
        ));
    }
    // A 400, not a 404: the docker CLI answers a 404 from create by pulling
    // the image.
    let target = d
        .get(&key)
        .map_err(|_| Error::invalid(format!("No such container: {key}")))?;
    hc.network_mode = format!("container:{}", target.id);
    config.hostname = target.config.hostname.clone();
    config.domainname = target.config.domainname.clone();
    Ok(())
}

/// Start: the running target whose namespace to join, or `None` for any
/// other mode.
pub fn target(d: &Daemon, rec: &Container) -> Result<Option<Target>> {
    let NetworkMode::Container(key) = NetworkMode::of(&rec.host_config) else {
        return Ok(None);
    };
    let t = d.get(&key)?;
    if t.id == rec.id {
        return Err(Error::invalid("cannot join own network"));
    }
    if !t.state.status.is_active() || t.state.pid <= 0 {
        return Err(Error::conflict(format!(
            "cannot join network of a non running container: {}",
            t.id
        )));
    }
    let pid = t.state.pid;
    let owner = end_of_chain(d, t)?;
    let ns = if NetworkMode::of(&owner.host_config).is_host() {
        JoinedNs::Host
    } else {
        JoinedNs::Path(PathBuf::from(format!("/proc/{pid}/ns/net")))
    };
    Ok(Some(Target {
        ns,
        paths: d.paths(&owner.id),
    }))
}

/// The target's `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`.
pub fn etc_mounts(t: &Target) -> Vec<RtMount> {
    super::etc::binds(&t.paths)
}

/// The container whose namespace and files a join ends at: a target may
/// itself have joined another container.
fn end_of_chain(d: &Daemon, mut owner: Container) -> Result<Container> {
    for _ in 0..8 {
        match NetworkMode::of(&owner.host_config) {
            NetworkMode::Container(next) => owner = d.get(&next)?,
            _ => break,
        }
    }
    Ok(owner)
}

/// Whose `hosts`/`resolv.conf`/`hostname` a container uses (inspect's
/// `HostsPath` and friends): its own, or its target's.
pub fn etc_owner(d: &Daemon, rec: &Container) -> Paths {
    match NetworkMode::of(&rec.host_config) {
        NetworkMode::Container(_) => end_of_chain(d, rec.clone())
            .map(|o| d.paths(&o.id))
            .unwrap_or_else(|_| d.paths(&rec.id)),
        _ => d.paths(&rec.id),
    }
}
