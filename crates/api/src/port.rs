//! Docker's port specs: `-p/--publish`, `--expose` and the `80/tcp` keys of
//! `Config.ExposedPorts` / `HostConfig.PortBindings` /
//! `NetworkSettings.Ports`. Pure parsing, shared by the CLI (which builds
//! the create body) and the daemon (which reads it back).
//!
//! The grammar and the messages follow docker's `nat.ParsePortSpec`:
//! `[IP:][HOSTPORT:]CONTAINERPORT[/PROTO]`, where `IP` may be `[v6]`,
//! either port may be a range `A-B`, and a host range with a single
//! container port is a range to pick a free host port from.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::network::PortBinding;

/// A port spec that cannot be parsed; the message is docker's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpecError(pub String);

impl fmt::Display for PortSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PortSpecError {}

fn bad(msg: impl Into<String>) -> PortSpecError {
    PortSpecError(msg.into())
}

/// The protocols docker accepts in a spec (wharf's firewall publishes tcp
/// and udp; `sctp` parses, and is refused when ports are published).
pub const PROTOCOLS: [&str; 3] = ["tcp", "udp", "sctp"];

/// `80`, `8000-8010` → (start, end); docker's `nat.ParsePortRange`.
pub fn parse_port_range(s: &str) -> Result<(u16, u16), PortSpecError> {
    if s.is_empty() {
        return Err(bad("empty string specified for ports"));
    }
    let num = |p: &str| -> Result<u16, PortSpecError> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("invalid port: {p}")));
        }
        p.parse::<u16>()
            .map_err(|_| bad(format!("port out of range: {p}")))
    };
    match s.split_once('-') {
        None => {
            let p = num(s)?;
            Ok((p, p))
        }
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(bad(format!("invalid range specified: {s}")));
            }
            Ok((a, b))
        }
    }
}

/// `80/udp` → ("udp", "80"); `80` or `80/` → ("tcp", "80"); docker's
/// `nat.SplitProtoPort`.
pub fn split_proto_port(raw: &str) -> (String, String) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return (String::new(), String::new());
    }
    if parts.len() == 1 || parts[1].is_empty() {
        return ("tcp".into(), parts[0].into());
    }
    (parts[1].into(), parts[0].into())
}

/// A key of `ExposedPorts`/`PortBindings` (`80/tcp`, `53/udp`, `80`) →
/// (port, proto).
pub fn parse_port_key(key: &str) -> Result<(u16, String), PortSpecError> {
    let (proto, port) = split_proto_port(key);
    let proto = proto.to_ascii_lowercase();
    if !PROTOCOLS.contains(&proto.as_str()) {
        return Err(bad(format!("invalid proto: {proto}")));
    }
    let p: u16 = port
        .parse()
        .map_err(|_| bad(format!("invalid port: {key}")))?;
    Ok((p, proto))
}

/// `port/proto`, the key format.
pub fn port_key(port: u16, proto: &str) -> String {
    format!("{port}/{proto}")
}

/// One parsed `-p`: the exposed key and its host binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// `80/tcp`.
    pub key: String,
    pub binding: PortBinding,
}

/// Parses one `-p` value into one entry per container port.
pub fn parse_port_spec(raw: &str) -> Result<Vec<PublishedPort>, PortSpecError> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts[n - 1];
    let (ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let (proto, container) = split_proto_port(container);
    let mut ip = ip;
    if let Some(inner) = ip.strip_prefix('[') {
        match inner.strip_suffix(']') {
            Some(v6) => ip = v6.to_string(),
            None => return Err(bad(format!("invalid IP address: {ip}"))),
        }
    }
    if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
        return Err(bad(format!("invalid IP address: {ip}")));
    }
    if container.is_empty() {
        return Err(bad(format!("no port specified: {raw}<empty>")));
    }
    let (start, end) = parse_port_range(&container)
        .map_err(|_| bad(format!("invalid containerPort: {container}")))?;
    let (hstart, hend) = if host.is_empty() {
        (0, 0)
    } else {
        parse_port_range(host).map_err(|_| bad(format!("invalid hostPort: {host}")))?
    };
    if !host.is_empty() && end - start != hend - hstart && end != start {
        return Err(bad(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        )));
    }
    let proto = proto.to_ascii_lowercase();
    if !PROTOCOLS.contains(&proto.as_str()) {
        return Err(bad(format!("invalid proto: {proto}")));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let host_port = if host.is_empty() {
            String::new()
        } else if start == end && hstart != hend {
            // One container port, a host range to pick from.
            format!("{hstart}-{hend}")
        } else {
            (hstart + i).to_string()
        };
        out.push(PublishedPort {
            key: port_key(start + i, &proto),
            binding: PortBinding {
                host_ip: ip.clone(),
                host_port,
            },
        });
    }
    Ok(out)
}

/// `Config.ExposedPorts` (values are `{}`).
pub type ExposedPorts = BTreeMap<String, serde_json::Value>;
/// `HostConfig.PortBindings`.
pub type PortBindings = BTreeMap<String, Option<Vec<PortBinding>>>;

/// `-p published=8080,target=80,protocol=udp` (the long syntax) →
/// `8080:80/udp`; other values are returned as they are.
pub fn standard_notation(raw: &str) -> Result<String, PortSpecError> {
    if !raw.contains('=') {
        return Ok(raw.to_string());
    }
    let mut params: BTreeMap<&str, &str> = BTreeMap::new();
    params.insert("protocol", "tcp");
    for param in raw.split(',') {
        match param.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                params.insert(k, v);
            }
            _ => {
                return Err(bad(format!(
                    "invalid publish opts format (should be name=value but got '{param}')"
                )))
            }
        }
    }
    let get = |k: &str| params.get(k).copied().unwrap_or("");
    Ok(format!(
        "{}:{}/{}",
        get("published"),
        get("target"),
        get("protocol")
    ))
}

/// Every `-p` and `--expose` of a command line → `ExposedPorts` (published
/// ports are exposed too) and `PortBindings`.
pub fn parse_publish_expose(
    publish: &[String],
    expose: &[String],
) -> Result<(ExposedPorts, PortBindings), PortSpecError> {
    let mut exposed = ExposedPorts::new();
    let mut bindings = PortBindings::new();
    for raw in publish {
        let raw = standard_notation(raw)?;
        for p in parse_port_spec(&raw)? {
            exposed
                .entry(p.key.clone())
                .or_insert_with(|| serde_json::json!({}));
            bindings
                .entry(p.key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(p.binding);
        }
    }
    for e in expose {
        if e.contains(':') {
            return Err(bad(format!("invalid port format for --expose: {e}")));
        }
        let (proto, port) = split_proto_port(e);
        let (start, end) = parse_port_range(&port).map_err(|err| {
            bad(format!(
                "invalid range format for --expose: {e}, error: {err}"
            ))
        })?;
        let proto = proto.to_ascii_lowercase();
        if !PROTOCOLS.contains(&proto.as_str()) {
            return Err(bad(format!("invalid proto: {proto}")));
        }
        for p in start..=end {
            exposed
                .entry(port_key(p, &proto))
                .or_insert_with(|| serde_json::json!({}));
        }
    }
    Ok((exposed, bindings))
}

/// The lines of `docker port CONTAINER [PRIVATE_PORT[/PROTO]]` from
/// `NetworkSettings.Ports`: `80/tcp -> 0.0.0.0:8080` for all ports, or
/// `0.0.0.0:8080` for one. `None` when the asked port is not published.
pub fn port_lines(ports: &PortBindings, filter: Option<(u16, &str)>) -> Option<Vec<String>> {
    let mut keyed: Vec<((u16, String), &Vec<PortBinding>)> = ports
        .iter()
        .filter_map(|(k, v)| {
            let v = v.as_ref()?;
            let k = parse_port_key(k).ok()?;
            Some((k, v))
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    for ((port, proto), bindings) in keyed {
        if let Some((fp, fproto)) = filter {
            if fp != port || fproto != proto {
                continue;
            }
        }
        for b in bindings {
            let addr = match b.host_ip.parse::<IpAddr>() {
                Ok(IpAddr::V6(a)) => format!("[{a}]:{}", b.host_port),
                _ => format!("{}:{}", b.host_ip, b.host_port),
            };
            if filter.is_some() {
                out.push(addr);
            } else {
                out.push(format!("{port}/{proto} -> {addr}"));
            }
        }
    }
    if filter.is_some() && out.is_empty() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &str) -> (String, String, String) {
        let v = parse_port_spec(raw).unwrap();
        assert_eq!(v.len(), 1, "{raw}");
        let p = &v[0];
        (
            p.key.clone(),
            p.binding.host_ip.clone(),
            p.binding.host_port.clone(),
        )
    }

    #[test]
    fn docker_forms() {
        assert_eq!(one("8080:80"), ("80/tcp".into(), "".into(), "8080".into()));
        assert_eq!(
            one("127.0.0.1:8080:80"),
            ("80/tcp".into(), "127.0.0.1".into(), "8080".into())
        );
        assert_eq!(one("80"), ("80/tcp".into(), "".into(), "".into()));
        assert_eq!(one("53/udp"), ("53/udp".into(), "".into(), "".into()));
        assert_eq!(
            one("5353:53/UDP"),
            ("53/udp".into(), "".into(), "5353".into())
        );
        assert_eq!(
            one("[::1]:8080:80"),
            ("80/tcp".into(), "::1".into(), "8080".into())
        );
        assert_eq!(
            one("127.0.0.1::80"),
            ("80/tcp".into(), "127.0.0.1".into(), "".into())
        );
        assert_eq!(
            one("8000-8010:80"),
            ("80/tcp".into(), "".into(), "8000-8010".into())
        );
        assert_eq!(
            one("::1:8080:80"),
            ("80/tcp".into(), "::1".into(), "8080".into())
        );
    }

    #[test]
    fn ranges_expand() {
        let v = parse_port_spec("8000-8002:9000-9002/udp").unwrap();
        let got: Vec<(String, String)> = v
            .iter()
            .map(|p| (p.key.clone(), p.binding.host_port.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("9000/udp".into(), "8000".into()),
                ("9001/udp".into(), "8001".into()),
                ("9002/udp".into(), "8002".into()),
            ]
        );
        assert_eq!(parse_port_spec("80-81").unwrap().len(), 2);
    }

    #[test]
    fn errors_are_dockers() {
        let e = |raw: &str| parse_port_spec(raw).unwrap_err().to_string();
        assert_eq!(e("70000:80"), "invalid hostPort: 70000");
        assert_eq!(e("abc"), "invalid containerPort: abc");
        assert_eq!(e("8080:99999"), "invalid containerPort: 99999");
        assert_eq!(e("1.2.3:80:80"), "invalid IP address: 1.2.3");
        assert_eq!(e("80/icmp"), "invalid proto: icmp");
        assert_eq!(
            e("8000-8001:80-82"),
            "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"
        );
        assert_eq!(e("8080:"), "no port specified: 8080:<empty>");
        assert!(parse_port_spec("90-80").is_err());
    }

    #[test]
    fn publish_and_expose_merge() {
        let (exp, b) = parse_publish_expose(
            &["8080:80".into(), "127.0.0.1:8081:80".into()],
            &["90-91/udp".into(), "80".into()],
        )
        .unwrap();
        let keys: Vec<&String> = exp.keys().collect();
        assert_eq!(keys, ["80/tcp", "90/udp", "91/udp"]);
        let bs = b["80/tcp"].as_ref().unwrap();
        assert_eq!(bs.len(), 2);
        assert_eq!(bs[1].host_ip, "127.0.0.1");
        assert!(parse_publish_expose(&[], &["1:2".into()]).is_err());
        assert!(parse_publish_expose(&[], &["x".into()]).is_err());
    }

    #[test]
    fn docker_port_lines() {
        let mut p = PortBindings::new();
        p.insert("443/tcp".into(), None);
        p.insert(
            "80/tcp".into(),
            Some(vec![
                PortBinding {
                    host_ip: "0.0.0.0".into(),
                    host_port: "8080".into(),
                },
                PortBinding {
                    host_ip: "::1".into(),
                    host_port: "8081".into(),
                },
            ]),
        );
        p.insert(
            "9/udp".into(),
            Some(vec![PortBinding {
                host_ip: "127.0.0.1".into(),
                host_port: "9".into(),
            }]),
        );
        assert_eq!(
            port_lines(&p, None).unwrap(),
            vec![
                "9/udp -> 127.0.0.1:9",
                "80/tcp -> 0.0.0.0:8080",
                "80/tcp -> [::1]:8081"
            ]
        );
        assert_eq!(
            port_lines(&p, Some((80, "tcp"))).unwrap(),
            vec!["0.0.0.0:8080", "[::1]:8081"]
        );
        assert!(port_lines(&p, Some((443, "tcp"))).is_none());
        assert!(port_lines(&p, Some((80, "udp"))).is_none());
    }

    #[test]
    fn long_syntax() {
        let (e, b) = parse_publish_expose(
            &[
                "published=8080,target=80,protocol=udp".into(),
                "target=81".into(),
            ],
            &[],
        )
        .unwrap();
        assert!(e.contains_key("80/udp") && e.contains_key("81/tcp"));
        assert_eq!(b["80/udp"].as_ref().unwrap()[0].host_port, "8080");
        assert_eq!(b["81/tcp"].as_ref().unwrap()[0].host_port, "");
        assert!(parse_publish_expose(&["target=80,junk".into()], &[]).is_err());
    }

    #[test]
    fn keys() {
        assert_eq!(parse_port_key("80/tcp").unwrap(), (80, "tcp".into()));
        assert_eq!(parse_port_key("53/udp").unwrap(), (53, "udp".into()));
        assert_eq!(parse_port_key("80").unwrap(), (80, "tcp".into()));
        assert!(parse_port_key("x/tcp").is_err());
        assert!(parse_port_key("80/foo").is_err());
    }
}
