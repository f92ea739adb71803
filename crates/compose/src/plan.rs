//! Pure planning: dependency order, the config hash Docker Compose labels
//! containers with, and the Engine API create body for a service.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::model::{Project, Service};

pub const LABEL_PROJECT: &str = "com.docker.compose.project";
pub const LABEL_SERVICE: &str = "com.docker.compose.service";
pub const LABEL_NUMBER: &str = "com.docker.compose.container-number";
pub const LABEL_HASH: &str = "com.docker.compose.config-hash";
pub const LABEL_ONEOFF: &str = "com.docker.compose.oneoff";
pub const LABEL_WORKDIR: &str = "com.docker.compose.project.working_dir";
pub const LABEL_FILES: &str = "com.docker.compose.project.config_files";
pub const LABEL_VERSION: &str = "com.docker.compose.version";
pub const LABEL_IMAGE: &str = "com.docker.compose.image";
pub const LABEL_DEPENDS: &str = "com.docker.compose.depends_on";
pub const LABEL_NETWORK: &str = "com.docker.compose.network";
pub const LABEL_VOLUME: &str = "com.docker.compose.volume";
/// The Compose version wharf speaks for in labels.
pub const COMPOSE_VERSION: &str = "2.29.7";

/// A dependency cycle, as the list of services round it.
pub fn find_cycle(p: &Project) -> Option<Vec<String>> {
    fn visit(
        p: &Project,
        n: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|x| x == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        if let Some(s) = p.services.get(n) {
            for d in s.depends_on.keys() {
                if let Some(c) = visit(p, d, stack, done) {
                    return Some(c);
                }
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in p.services.keys() {
        if let Some(c) = visit(p, n, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// Services in start order, as levels: each level depends only on
/// earlier ones, so a level's services start concurrently.
pub fn levels(p: &Project, only: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut left: BTreeSet<String> = only.clone();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    while !left.is_empty() {
        let level: Vec<String> = left
            .iter()
            .filter(|n| {
                p.services[*n]
                    .depends_on
                    .keys()
                    .all(|d| placed.contains(d) || !left.contains(d))
            })
            .cloned()
            .collect();
        if level.is_empty() {
            // a cycle: load rejects it, but never loop
            out.push(left.iter().cloned().collect());
            break;
        }
        for n in &level {
            left.remove(n);
            placed.insert(n.clone());
        }
        out.push(level);
    }
    out
}

/// The named services and, unless `no_deps`, what they depend on.
pub fn with_deps(p: &Project, names: &[String], no_deps: bool) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut todo: Vec<String> = if names.is_empty() {
        p.services.keys().cloned().collect()
    } else {
        names.to_vec()
    };
    while let Some(n) = todo.pop() {
        if !set.insert(n.clone()) || no_deps {
            continue;
        }
        if let Some(s) = p.services.get(&n) {
            todo.extend(
                s.depends_on
                    .keys()
                    .filter(|d| p.services.contains_key(*d))
                    .cloned(),
            );
        }
    }
    set
}

/// The config hash: sha256 of the service as Docker Compose serialises
/// it, without build, pull policy, scale, depends_on and deploy.replicas,
/// so that Docker Compose and wharf compose agree on what changed.
pub fn config_hash(s: &Service) -> String {
    let v = crate::dockerjson::hash_input(s);
    let mut h = Sha256::new();
    h.update(v.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Go-style duration (`1m30s`, `200ms`, `10`) in nanoseconds.
pub fn duration_ns(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return Ok((n * 1e9) as i64);
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
        num.clear();
        let mul = match unit.as_str() {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("invalid duration {s:?}")),
        };
        total += n * mul;
    }
    if !num.is_empty() {
        return Err(format!("invalid duration {s:?}: missing unit"));
    }
    Ok(total as i64)
}

/// `512m`, `1g`, `1024` into bytes.
pub fn bytes(s: &str) -> Result<i64, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_end_matches('b');
    let (n, mul) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let n: f64 = n.parse().map_err(|_| format!("invalid size {s:?}"))?;
    Ok((n * mul as f64) as i64)
}

/// What a service's container is created with, beyond the labels.
pub struct CreateSpec {
    pub name: String,
    pub body: Value,
    /// Networks to connect after create, with their endpoint configs.
    pub extra_networks: Vec<(String, Value)>,
}

/// The `POST /containers/create` body of container `number` of `service`.
#[allow(clippy::too_many_arguments)]
pub fn create_spec(
    p: &Project,
    service: &str,
    s: &Service,
    name: &str,
    number: u32,
    oneoff: bool,
    image_id: Option<&str>,
) -> Result<CreateSpec, String> {
    let mut labels: BTreeMap<String, String> = s.labels.clone();
    labels.insert(LABEL_PROJECT.into(), p.name.clone());
    labels.insert(LABEL_SERVICE.into(), service.into());
    labels.insert(LABEL_NUMBER.into(), number.to_string());
    labels.insert(LABEL_HASH.into(), config_hash(s));
    labels.insert(
        LABEL_ONEOFF.into(),
        if oneoff { "True" } else { "False" }.into(),
    );
    labels.insert(LABEL_WORKDIR.into(), p.working_dir.clone());
    labels.insert(LABEL_FILES.into(), p.config_files.join(","));
    labels.insert(LABEL_VERSION.into(), COMPOSE_VERSION.into());
    if let Some(id) = image_id {
        labels.insert(LABEL_IMAGE.into(), id.into());
    }
    labels.insert(
        LABEL_DEPENDS.into(),
        s.depends_on
            .iter()
            .map(|(d, c)| format!("{d}:{}:{}", c.condition, c.restart))
            .collect::<Vec<_>>()
            .join(","),
    );
    let env: Vec<String> = s
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    let mut body = Map::new();
    body.insert("Image".into(), s.image_name(&p.name, service).into());
    body.insert("Labels".into(), json!(labels));
    if !env.is_empty() {
        body.insert("Env".into(), json!(env));
    }
    if let Some(c) = &s.command {
        body.insert("Cmd".into(), json!(c));
    }
    if let Some(e) = &s.entrypoint {
        body.insert("Entrypoint".into(), json!(e));
    }
    let short_id = name.to_string();
    body.insert(
        "Hostname".into(),
        s.hostname.clone().unwrap_or_default().into(),
    );
    let _ = short_id;
    if let Some(d) = &s.domainname {
        body.insert("Domainname".into(), d.clone().into());
    }
    if let Some(u) = &s.user {
        body.insert("User".into(), u.clone().into());
    }
    if let Some(w) = &s.working_dir {
        body.insert("WorkingDir".into(), w.clone().into());
    }
    body.insert("Tty".into(), s.tty.unwrap_or(false).into());
    body.insert("OpenStdin".into(), s.stdin_open.unwrap_or(false).into());
    if let Some(sig) = &s.stop_signal {
        body.insert("StopSignal".into(), sig.clone().into());
    }
    if let Some(g) = &s.stop_grace_period {
        body.insert(
            "StopTimeout".into(),
            (duration_ns(g).map_err(|e| format!("stop_grace_period: {e}"))? / 1_000_000_000).into(),
        );
    }
    if let Some(h) = &s.healthcheck {
        let mut hc = Map::new();
        if h.disable == Some(true) {
            hc.insert("Test".into(), json!(["NONE"]));
        } else {
            if !h.test.is_empty() {
                hc.insert("Test".into(), json!(h.test));
            }
            for (k, v) in [
                ("Interval", &h.interval),
                ("Timeout", &h.timeout),
                ("StartPeriod", &h.start_period),
                ("StartInterval", &h.start_interval),
            ] {
                if let Some(v) = v {
                    hc.insert(
                        k.into(),
                        duration_ns(v)
                            .map_err(|e| format!("healthcheck: {e}"))?
                            .into(),
                    );
                }
            }
            if let Some(r) = h.retries {
                hc.insert("Retries".into(), r.into());
            }
        }
        body.insert("Healthcheck".into(), Value::Object(hc));
    }
    let mut exposed = Map::new();
    for e in &s.expose {
        let e = if e.contains('/') {
            e.clone()
        } else {
            format!("{e}/tcp")
        };
        exposed.insert(e, json!({}));
    }
    // host config
    let mut hc = Map::new();
    let mut bindings: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    if !oneoff || number == 0 {
        for port in &s.ports {
            let key = format!(
                "{}/{}",
                port.target,
                port.protocol.as_deref().unwrap_or("tcp")
            );
            exposed.insert(key.clone(), json!({}));
            bindings.entry(key).or_default().push(json!({
                "HostIp": port.host_ip.clone().unwrap_or_default(),
                "HostPort": port.published.clone().unwrap_or_default(),
            }));
        }
    }
    if !exposed.is_empty() {
        body.insert("ExposedPorts".into(), Value::Object(exposed));
    }
    if !bindings.is_empty() {
        hc.insert("PortBindings".into(), json!(bindings));
    }
    let mut mounts = Vec::new();
    for v in &s.volumes {
        let mut m = Map::new();
        m.insert("Target".into(), v.target.clone().into());
        m.insert("ReadOnly".into(), v.read_only.unwrap_or(false).into());
        match v.kind.as_str() {
            "bind" => {
                let src = v.source.clone().unwrap_or_default();
                let create = v
                    .bind
                    .as_ref()
                    .and_then(|b| b.create_host_path)
                    .unwrap_or(false);
                if !std::path::Path::new(&src).exists() {
                    if create {
                        std::fs::create_dir_all(&src)
                            .map_err(|e| format!("cannot create bind source {src}: {e}"))?;
                    } else {
                        return Err(format!("bind source path does not exist: {src}"));
                    }
                }
                m.insert("Type".into(), "bind".into());
                m.insert("Source".into(), src.into());
                if let Some(pg) = v.bind.as_ref().and_then(|b| b.propagation.clone()) {
                    m.insert("BindOptions".into(), json!({"Propagation": pg}));
                }
            }
            "volume" => {
                m.insert("Type".into(), "volume".into());
                if let Some(src) = &v.source {
                    let name = p
                        .volumes
                        .get(src)
                        .and_then(|vol| vol.name.clone())
                        .unwrap_or_else(|| src.clone());
                    m.insert("Source".into(), name.into());
                }
                if let Some(o) = &v.volume {
                    m.insert(
                        "VolumeOptions".into(),
                        json!({"NoCopy": o.nocopy.unwrap_or(false)}),
                    );
                }
            }
            "tmpfs" => {
                m.insert("Type".into(), "tmpfs".into());
                let mut o = Map::new();
                if let Some(t) = &v.tmpfs {
                    if let Some(sz) = &t.size {
                        o.insert("SizeBytes".into(), bytes(sz)?.into());
                    }
                    if let Some(mode) = t.mode {
                        o.insert("Mode".into(), mode.into());
                    }
                }
                m.insert("TmpfsOptions".into(), Value::Object(o));
            }
            other => return Err(format!("volume type {other:?} is not supported")),
        }
        mounts.push(Value::Object(m));
    }
    for (kind, refs, defs) in [
        ("configs", &s.configs, &p.configs),
        ("secrets", &s.secrets, &p.secrets),
    ] {
        for r in refs {
            let d = &defs[&r.source];
            let Some(file) = &d.file else {
                return Err(format!(
                    "{kind} {:?}: only file-based {kind} are supported",
                    r.source
                ));
            };
            let target = match &r.target {
                Some(t) if t.starts_with('/') => t.clone(),
                Some(t) if kind == "secrets" => format!("/run/secrets/{t}"),
                Some(t) => format!("/{t}"),
                None if kind == "secrets" => format!("/run/secrets/{}", r.source),
                None => format!("/{}", r.source),
            };
            mounts
                .push(json!({"Type": "bind", "Source": file, "Target": target, "ReadOnly": true}));
        }
    }
    if !mounts.is_empty() {
        hc.insert("Mounts".into(), Value::from(mounts));
    }
    if !s.tmpfs.is_empty() {
        let t: BTreeMap<String, String> = s
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => (t.clone(), String::new()),
            })
            .collect();
        hc.insert("Tmpfs".into(), json!(t));
    }
    if let Some(r) = &s.restart {
        let (n, max) = match r.split_once(':') {
            Some((n, m)) => (
                n.to_string(),
                m.parse::<i64>()
                    .map_err(|_| format!("invalid restart policy {r:?}"))?,
            ),
            None => (r.clone(), 0),
        };
        if !matches!(
            n.as_str(),
            "no" | "always" | "on-failure" | "unless-stopped"
        ) {
            return Err(format!("invalid restart policy {r:?}"));
        }
        hc.insert(
            "RestartPolicy".into(),
            json!({"Name": n, "MaximumRetryCount": max}),
        );
    }
    for (k, v) in [
        ("Init", s.init),
        ("ReadonlyRootfs", s.read_only),
        ("Privileged", s.privileged),
    ] {
        if let Some(v) = v {
            hc.insert(k.into(), v.into());
        }
    }
    if !s.cap_add.is_empty() {
        hc.insert("CapAdd".into(), json!(s.cap_add));
    }
    if !s.cap_drop.is_empty() {
        hc.insert("CapDrop".into(), json!(s.cap_drop));
    }
    if !s.security_opt.is_empty() {
        hc.insert("SecurityOpt".into(), json!(s.security_opt));
    }
    if !s.dns.is_empty() {
        hc.insert("Dns".into(), json!(s.dns));
    }
    if !s.extra_hosts.is_empty() {
        let eh: Vec<String> = s
            .extra_hosts
            .iter()
            .map(|h| h.replacen('=', ":", 1))
            .collect();
        hc.insert("ExtraHosts".into(), json!(eh));
    }
    if !s.sysctls.is_empty() {
        hc.insert("Sysctls".into(), json!(s.sysctls));
    }
    let limits = s
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    if let Some(m) = s
        .mem_limit
        .as_ref()
        .or(limits.and_then(|l| l.memory.as_ref()))
    {
        hc.insert("Memory".into(), bytes(m)?.into());
    }
    if let Some(c) = s.cpus.as_ref().or(limits.and_then(|l| l.cpus.as_ref())) {
        let c: f64 = c.parse().map_err(|_| format!("invalid cpus {c:?}"))?;
        hc.insert("NanoCpus".into(), ((c * 1e9) as i64).into());
    }
    if let Some(pl) = s.pids_limit.or(limits.and_then(|l| l.pids)) {
        hc.insert("PidsLimit".into(), pl.into());
    }
    if let Some(sh) = &s.shm_size {
        hc.insert("ShmSize".into(), bytes(sh)?.into());
    }
    if let Some(r) = &s.runtime {
        hc.insert("Runtime".into(), r.clone().into());
    }
    if let Some(i) = &s.ipc {
        hc.insert("IpcMode".into(), i.clone().into());
    }
    if let Some(pid) = &s.pid {
        hc.insert("PidMode".into(), pid.clone().into());
    }
    // networks
    let mut extra = Vec::new();
    let mut endpoints = Map::new();
    if let Some(mode) = &s.network_mode {
        let mode = match mode.strip_prefix("service:") {
            Some(svc) => format!("container:{}-{svc}-1", p.name),
            None => mode.clone(),
        };
        hc.insert("NetworkMode".into(), mode.into());
    } else {
        let mut first = true;
        for (key, cfg) in &s.networks {
            let net = p
                .networks
                .get(key)
                .and_then(|n| n.name.clone())
                .unwrap_or_else(|| format!("{}_{key}", p.name));
            let mut aliases = vec![service.to_string()];
            if let Some(c) = cfg {
                aliases.extend(c.aliases.iter().cloned());
            }
            if !oneoff {
                aliases.push(name.to_string());
            }
            let mut ep = Map::new();
            ep.insert("Aliases".into(), json!(aliases));
            if let Some(c) = cfg {
                if c.ipv4_address.is_some() || c.ipv6_address.is_some() {
                    ep.insert(
                        "IPAMConfig".into(),
                        json!({"IPv4Address": c.ipv4_address.clone().unwrap_or_default(), "IPv6Address": c.ipv6_address.clone().unwrap_or_default()}),
                    );
                }
            }
            if first {
                hc.insert("NetworkMode".into(), net.clone().into());
                endpoints.insert(net, Value::Object(ep));
                first = false;
            } else {
                extra.push((net, Value::Object(ep)));
            }
        }
    }
    body.insert("HostConfig".into(), Value::Object(hc));
    if !endpoints.is_empty() {
        body.insert(
            "NetworkingConfig".into(),
            json!({"EndpointsConfig": endpoints}),
        );
    }
    Ok(CreateSpec {
        name: name.to_string(),
        body: Value::Object(body),
        extra_networks: extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(duration_ns("1m30s").unwrap(), 90_000_000_000);
        assert_eq!(duration_ns("200ms").unwrap(), 200_000_000);
        assert!(duration_ns("3x").is_err());
        assert_eq!(bytes("512m").unwrap(), 512 << 20);
        assert_eq!(bytes("1g").unwrap(), 1 << 30);
    }
}
