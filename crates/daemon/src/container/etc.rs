//! Generated /etc/hostname, /etc/hosts and /etc/resolv.conf, bind-mounted
//! into the container from its data directory.

use wharf_network::Endpoint;

use super::mounts::RtMount;
use super::network::{self, NetworkMode};
use super::record::{Container, Paths};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// The lines `--add-host` adds to /etc/hosts (`host-gateway` is the
/// default bridge's gateway, as Docker's).
pub fn extra_hosts(d: &Daemon, rec: &Container) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for extra in rec.host_config.extra_hosts.iter().flatten() {
        let (name, ip) = extra
            .split_once(':')
            .or_else(|| extra.split_once('='))
            .ok_or_else(|| Error::invalid(format!("bad format for add-host: {extra:?}")))?;
        let ip = if ip == "host-gateway" {
            network::host_gateway(d)
                .map(|g| g.to_string())
                .ok_or_else(|| Error::invalid("host-gateway: the default bridge has no gateway"))?
        } else {
            ip.trim_start_matches('[').trim_end_matches(']').to_string()
        };
        out.push((name.to_string(), ip));
    }
    Ok(out)
}

pub fn write(
    d: &Daemon,
    paths: &Paths,
    rec: &Container,
    endpoints: &[Endpoint],
) -> Result<Vec<RtMount>> {
    let hostname = &rec.config.hostname;
    let host_net = NetworkMode::of(&rec.host_config).is_host();
    let hostname_content = format!("{hostname}\n");
    let mut hosts = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
    );
    if host_net {
        hosts = std::fs::read_to_string("/etc/hosts").unwrap_or(hosts);
    }
    for (name, ip) in extra_hosts(d, rec)? {
        hosts.push_str(&format!("{ip}\t{name}\n"));
    }
    // Legacy links on the default bridge: `IP ALIAS NAME`.
    for (alias, ip, name) in links(d, rec) {
        if alias == name {
            hosts.push_str(&format!("{ip}\t{name}\n"));
        } else {
            hosts.push_str(&format!("{ip}\t{alias} {name}\n"));
        }
    }
    if !host_net {
        // Docker's line for the container itself: its address and hostname.
        match network::primary_ip(endpoints) {
            Some(ip) => {
                let mut names = hostname.clone();
                if !rec.config.domainname.is_empty() {
                    names = format!("{hostname}.{} {hostname}", rec.config.domainname);
                }
                hosts.push_str(&format!("{ip}\t{names}\n"));
            }
            None => hosts.push_str(&format!("127.0.1.1\t{hostname}\n")),
        }
    }
    let resolv = resolv_conf(rec, network::uses_embedded_dns(d, endpoints));
    wharf_sys::fs::write_replace(&paths.hostname(), hostname_content.as_bytes())?;
    wharf_sys::fs::write_replace(&paths.hosts(), hosts.as_bytes())?;
    wharf_sys::fs::write_replace(&paths.resolv(), resolv.as_bytes())?;
    Ok(binds(paths))
}

/// `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` bound from the
/// files under `paths` (a container's own, or the target's of a
/// `container:X` join).
pub fn binds(paths: &Paths) -> Vec<RtMount> {
    [
        (paths.hostname(), "/etc/hostname"),
        (paths.hosts(), "/etc/hosts"),
        (paths.resolv(), "/etc/resolv.conf"),
    ]
    .into_iter()
    .map(|(source, dst)| RtMount {
        destination: dst.into(),
        kind: "bind".into(),
        source,
        options: vec!["rbind".into(), "rprivate".into()],
    })
    .collect()
}

/// `/etc/resolv.conf` as Docker writes it: the host's file for `host`,
/// the embedded server (127.0.0.11) on user-defined networks, else the
/// host's servers minus loopback ones; `--dns`, `--dns-search` and
/// `--dns-option` applied.
fn resolv_conf(rec: &Container, embedded: bool) -> String {
    use wharf_network::dns;
    let host = std::fs::read_to_string(dns::host_resolv_conf_path()).unwrap_or_default();
    let hc = &rec.host_config;
    let dns_servers = hc.dns.clone().unwrap_or_default();
    let search = hc.dns_search.clone().unwrap_or_default();
    let options = hc.dns_options.clone().unwrap_or_default();
    if NetworkMode::of(hc).is_host() {
        dns::host_network_resolv_conf(&host, &dns_servers, &search, &options)
    } else {
        dns::container_resolv_conf(&host, embedded, &dns_servers, &search, &options)
    }
}

/// `--link NAME[:ALIAS]` targets that are running on the default bridge:
/// (alias, address, container name).
pub fn links(d: &Daemon, rec: &Container) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for l in rec.host_config.links.iter().flatten() {
        let (target, alias) = match l.split_once(':') {
            Some((t, a)) => (t, a),
            None => (l.as_str(), l.as_str()),
        };
        let target = target.trim_start_matches('/');
        let alias = alias.rsplit('/').next().unwrap_or(alias);
        let Ok(other) = d.get(target) else { continue };
        let ip = other
            .networks
            .values()
            .filter_map(|a| a.endpoint.as_ref())
            .find_map(|e| e.ipv4);
        if let Some(ip) = ip {
            out.push((alias.to_string(), ip.to_string(), other.name.clone()));
        }
    }
    out
}

/// Rewrites a running container's resolv.conf when it joins or leaves
/// user-defined networks (Docker points it at the embedded server then).
/// Written in place: the file is bind-mounted, and a rename would leave
/// the container with the old one.
pub fn refresh_resolv(paths: &Paths, rec: &Container, embedded: bool) {
    use std::io::Write;
    let want = resolv_conf(rec, embedded);
    if std::fs::read_to_string(paths.resolv()).is_ok_and(|have| have == want) {
        return;
    }
    let res = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(paths.resolv())
        .and_then(|mut f| {
            f.write_all(want.as_bytes())?;
            f.sync_all()
        });
    if let Err(e) = res {
        tracing::warn!(container_id = %rec.id, error = %e, "cannot update resolv.conf");
    }
}

/// Docker's environment for legacy links: for `--link web:db`,
/// `DB_NAME=/<this container>/db`, `DB_PORT_80_TCP=tcp://IP:80` (with
/// `_ADDR`, `_PORT`, `_PROTO`) for each exposed port, `DB_PORT` for the
/// lowest, and `DB_ENV_<VAR>` for the target's variables but HOME and PATH.
pub fn link_env(d: &Daemon, rec: &Container) -> Vec<String> {
    let mut out = Vec::new();
    for l in rec.host_config.links.iter().flatten() {
        let (target, alias) = match l.split_once(':') {
            Some((t, a)) => (t, a),
            None => (l.as_str(), l.as_str()),
        };
        let alias = alias.rsplit('/').next().unwrap_or(alias);
        let Ok(other) = d.get(target.trim_start_matches('/')) else {
            continue;
        };
        let Some(ip) = other
            .networks
            .values()
            .filter_map(|a| a.endpoint.as_ref())
            .find_map(|e| e.ipv4)
        else {
            continue;
        };
        let prefix: String = alias
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        out.push(format!("{prefix}_NAME=/{}/{alias}", rec.name));
        let mut ports: Vec<(u16, String)> = other
            .config
            .exposed_ports
            .iter()
            .flat_map(|m| m.keys())
            .filter_map(|k| {
                let (p, proto) = k.split_once('/').unwrap_or((k, "tcp"));
                p.parse().ok().map(|p| (p, proto.to_string()))
            })
            .collect();
        ports.sort();
        if let Some((p, proto)) = ports.first() {
            out.push(format!("{prefix}_PORT={proto}://{ip}:{p}"));
        }
        for (p, proto) in &ports {
            let up = proto.to_ascii_uppercase();
            out.push(format!("{prefix}_PORT_{p}_{up}={proto}://{ip}:{p}"));
            out.push(format!("{prefix}_PORT_{p}_{up}_ADDR={ip}"));
            out.push(format!("{prefix}_PORT_{p}_{up}_PORT={p}"));
            out.push(format!("{prefix}_PORT_{p}_{up}_PROTO={proto}"));
        }
        for e in other.config.env.iter().flatten() {
            if let Some((k, v)) = e.split_once('=') {
                if k != "HOME" && k != "PATH" {
                    out.push(format!("{prefix}_ENV_{k}={v}"));
                }
            }
        }
    }
    out
}
