//! Generated /etc/hostname, /etc/hosts and /etc/resolv.conf, bind-mounted
//! into the container from its data directory.

use super::mounts::RtMount;
use super::record::{Container, Paths};
use crate::error::Result;

pub fn write(paths: &Paths, rec: &Container) -> Result<Vec<RtMount>> {
    let hostname = &rec.config.hostname;
    let host_net = rec.host_config.network_mode == "host";
    let hostname_content = format!("{hostname}\n");
    let mut hosts = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
    );
    if host_net {
        hosts = std::fs::read_to_string("/etc/hosts").unwrap_or(hosts);
    } else {
        hosts.push_str(&format!("127.0.1.1\t{hostname}\n"));
    }
    for extra in rec.host_config.extra_hosts.iter().flatten() {
        if let Some((name, ip)) = extra.split_once(':') {
            hosts.push_str(&format!("{ip}\t{name}\n"));
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
/// from a separate network namespace (Docker does the same filtering).
fn resolv_conf(rec: &Container) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let host_net = rec.host_config.network_mode == "host";
    let mut out = String::new();
    let user_dns: Vec<String> = rec.host_config.dns.clone().unwrap_or_default();
    for line in host.lines() {
        let t = line.trim();
        if t.starts_with("nameserver") {
            if !user_dns.is_empty() {
                continue;
            }
            let ip = t.split_whitespace().nth(1).unwrap_or("");
            if !host_net && (ip.starts_with("127.") || ip == "::1") {
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    for ns in user_dns {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    out
}
