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
    let resolv = resolv_conf(rec);
    wharf_sys::fs::write_atomic(&paths.hostname(), hostname_content.as_bytes())?;
    wharf_sys::fs::write_atomic(&paths.hosts(), hosts.as_bytes())?;
    wharf_sys::fs::write_atomic(&paths.resolv(), resolv.as_bytes())?;
    let bind = |src: std::path::PathBuf, dst: &str| RtMount {
        destination: dst.into(),
        kind: "bind".into(),
        source: src,
        options: vec!["rbind".into(), "rprivate".into()],
    };
    Ok(vec![
        bind(paths.hostname(), "/etc/hostname"),
        bind(paths.hosts(), "/etc/hosts"),
        bind(paths.resolv(), "/etc/resolv.conf"),
    ])
}

/// The host's resolv.conf, minus loopback nameservers that cannot work
/// from a separate network namespace (Docker does the same filtering);
/// `--dns`, `--dns-search` and `--dns-option` replace the host's
/// nameservers, search domains and options.
fn resolv_conf(rec: &Container) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let host_net = NetworkMode::of(&rec.host_config).is_host();
    let user_dns: Vec<String> = rec.host_config.dns.clone().unwrap_or_default();
    let user_search: Vec<String> = rec.host_config.dns_search.clone().unwrap_or_default();
    let user_opts: Vec<String> = rec.host_config.dns_options.clone().unwrap_or_default();
    let mut out = String::new();
    for line in host.lines() {
        let t = line.trim();
        let key = t.split_whitespace().next().unwrap_or("");
        match key {
            "nameserver" => {
                if !user_dns.is_empty() {
                    continue;
                }
                let ip = t.split_whitespace().nth(1).unwrap_or("");
                if !host_net && (ip.starts_with("127.") || ip == "::1") {
                    continue;
                }
            }
            "search" | "domain" if !user_search.is_empty() => continue,
            "options" if !user_opts.is_empty() => continue,
            _ => {}
        }
        out.push_str(line);
        out.push('\n');
    }
    for ns in user_dns {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    // `--dns-search .` means no search domains.
    let search: Vec<&String> = user_search.iter().filter(|s| s.as_str() != ".").collect();
    if !search.is_empty() {
        let joined: Vec<&str> = search.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!("search {}\n", joined.join(" ")));
    }
    if !user_opts.is_empty() {
        out.push_str(&format!("options {}\n", user_opts.join(" ")));
    }
    out
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
