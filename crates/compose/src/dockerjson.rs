//! A service as Docker Compose serialises it (compose-go's `ServiceConfig`
//! through Go's `encoding/json`): keys in the Go struct's field order,
//! maps in sorted key order, durations as Go prints them, byte sizes as
//! numbers, `<`, `>` and `&` escaped as Go escapes them. The config hash
//! is the sha256 of this text with build, pull policy, scale, depends_on
//! and deploy.replicas left out, so a project brought up by one tool is
//! left untouched by the other.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{Service, ServiceVolume};
use crate::plan::{bytes, duration_ns};

/// An ordered JSON value (Go struct order is not alphabetical).
pub(crate) enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
    Map(Vec<(String, J)>),
}

pub(crate) fn write(out: &mut String, v: &J) {
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => string(out, s),
        J::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, x);
            }
            out.push(']');
        }
        J::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                write(out, x);
            }
            out.push('}');
        }
        J::Map(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, k);
                out.push(':');
                write(out, x);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoder writes it (HTML-safe escaping).
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A duration as Go's `time.Duration.String` prints it.
pub fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut s = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        s.push_str(&frac(u, div));
        s.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let rest = u % 60_000_000_000;
        if h > 0 {
            let _ = write!(s, "{h}h");
        }
        if h > 0 || m > 0 {
            let _ = write!(s, "{m}m");
        }
        s.push_str(&frac(rest, 1_000_000_000));
        s.push('s');
    }
    if neg {
        s.insert(0, '-');
    }
    s
}

/// `u / div` with the fraction's trailing zeros trimmed.
fn frac(u: u64, div: u64) -> String {
    let whole = u / div;
    let f = u % div;
    if f == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let fs = format!("{f:0width$}");
    format!("{whole}.{}", fs.trim_end_matches('0'))
}

fn strs(v: &[String]) -> J {
    J::Arr(v.iter().map(|s| J::Str(s.clone())).collect())
}

fn dur(s: &str) -> J {
    match duration_ns(s) {
        Ok(n) => J::Str(go_duration(n)),
        Err(_) => J::Str(s.to_string()),
    }
}

/// A byte size: a number in the hash's text, a string (`UnitBytes`'s
/// marshallers) in `config`'s.
fn size(s: &str, mode: Mode) -> J {
    match bytes(s) {
        Ok(n) if mode == Mode::Hash => J::Num(n.to_string()),
        Ok(n) => J::Str(n.to_string()),
        Err(_) => J::Str(s.to_string()),
    }
}

fn float(s: &str) -> J {
    match s.trim().parse::<f32>() {
        Ok(f) => J::Num(format!("{f}")),
        Err(_) => J::Str(s.to_string()),
    }
}

fn smap(m: &BTreeMap<String, String>) -> J {
    J::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), J::Str(v.clone())))
            .collect(),
    )
}

fn push<T>(o: &mut Vec<(&'static str, J)>, k: &'static str, v: &Option<T>, f: impl Fn(&T) -> J) {
    if let Some(v) = v {
        o.push((k, f(v)));
    }
}

fn push_list(o: &mut Vec<(&'static str, J)>, k: &'static str, v: &[String]) {
    if !v.is_empty() {
        o.push((k, strs(v)));
    }
}

fn volume(v: &ServiceVolume, mode: Mode) -> J {
    let mut o = vec![("type", J::Str(v.kind.clone()))];
    push(&mut o, "source", &v.source, |s| J::Str(s.clone()));
    o.push(("target", J::Str(v.target.clone())));
    if v.read_only == Some(true) {
        o.push(("read_only", J::Bool(true)));
    }
    push(&mut o, "consistency", &v.consistency, |s| J::Str(s.clone()));
    if let Some(b) = &v.bind {
        let mut bo = Vec::new();
        push(&mut bo, "propagation", &b.propagation, |s| {
            J::Str(s.clone())
        });
        if b.create_host_path == Some(true) {
            bo.push(("create_host_path", J::Bool(true)));
        }
        push(&mut bo, "selinux", &b.selinux, |s| J::Str(s.clone()));
        o.push(("bind", J::Obj(bo)));
    }
    if v.kind == "volume" || v.volume.is_some() {
        let mut vo = Vec::new();
        if let Some(x) = &v.volume {
            if x.nocopy == Some(true) {
                vo.push(("nocopy", J::Bool(true)));
            }
            push(&mut vo, "subpath", &x.subpath, |s| J::Str(s.clone()));
        }
        o.push(("volume", J::Obj(vo)));
    }
    if let Some(t) = &v.tmpfs {
        let mut to = Vec::new();
        push(&mut to, "size", &t.size, |s| size(s, mode));
        push(&mut to, "mode", &t.mode, |m| J::Num(m.to_string()));
        if !to.is_empty() {
            o.push(("tmpfs", J::Obj(to)));
        }
    }
    J::Obj(o)
}

/// What a service is serialised for: the config hash (compose-go's
/// `json.Marshal` with the hash's omissions), or `config`'s JSON or YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Hash,
    Json,
    Yaml,
}

pub(crate) fn service(s: &Service, mode: Mode) -> J {
    let for_hash = mode == Mode::Hash;
    let yaml = mode == Mode::Yaml;
    let mut o: Vec<(&'static str, J)> = Vec::new();
    push_list(&mut o, "profiles", &s.profiles);
    // build is left out of the hash
    if !for_hash {
        if let Some(b) = &s.build {
            o.push(("build", build(b)));
        }
    }
    push_list(&mut o, "cap_add", &s.cap_add);
    push_list(&mut o, "cap_drop", &s.cap_drop);
    push(&mut o, "cpus", &s.cpus, |c| float(c));
    match &s.command {
        Some(c) => o.push(("command", strs(c))),
        None if !yaml => o.push(("command", J::Null)),
        None => {}
    }
    if !s.configs.is_empty() {
        o.push(("configs", file_refs(&s.configs, mode, false)));
    }
    push(&mut o, "container_name", &s.container_name, |c| {
        J::Str(c.clone())
    });
    if !for_hash && !s.depends_on.is_empty() {
        o.push((
            "depends_on",
            J::Map(
                s.depends_on
                    .iter()
                    .map(|(k, d)| {
                        let mut x = vec![("condition", J::Str(d.condition.clone()))];
                        if d.restart {
                            x.push(("restart", J::Bool(true)));
                        }
                        x.push(("required", J::Bool(d.required)));
                        (k.clone(), J::Obj(x))
                    })
                    .collect(),
            ),
        ));
    }
    if let Some(d) = &s.deploy {
        let mut x = Vec::new();
        if !for_hash {
            push(&mut x, "replicas", &d.replicas, |r| J::Num(r.to_string()));
        }
        let mut res = Vec::new();
        if let Some(l) = d.resources.as_ref().and_then(|r| r.limits.as_ref()) {
            let mut lo = Vec::new();
            push(&mut lo, "cpus", &l.cpus, |c| float(c));
            push(&mut lo, "memory", &l.memory, |m| size(m, mode));
            push(&mut lo, "pids", &l.pids, |p| J::Num(p.to_string()));
            res.push(("limits", J::Obj(lo)));
        }
        if !yaml || !res.is_empty() {
            x.push(("resources", J::Obj(res)));
        }
        if !yaml {
            x.push(("placement", J::Obj(Vec::new())));
        }
        o.push(("deploy", J::Obj(x)));
    }
    push_list(&mut o, "dns", &s.dns);
    push(&mut o, "domainname", &s.domainname, |c| J::Str(c.clone()));
    match &s.entrypoint {
        Some(c) => o.push(("entrypoint", strs(c))),
        None if !yaml => o.push(("entrypoint", J::Null)),
        None => {}
    }
    if !s.environment.is_empty() {
        o.push((
            "environment",
            J::Map(
                s.environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().map(J::Str).unwrap_or(J::Null)))
                    .collect(),
            ),
        ));
    }
    push_list(&mut o, "expose", &s.expose);
    if !s.extra_hosts.is_empty() {
        // compose-go's HostsList: `host=ip`, sorted
        let mut l: Vec<String> = s
            .extra_hosts
            .iter()
            .map(|h| match h.split_once('=') {
                Some(_) => h.clone(),
                None => h.replacen(':', "=", 1),
            })
            .collect();
        l.sort();
        o.push(("extra_hosts", strs(&l)));
    }
    push(&mut o, "hostname", &s.hostname, |c| J::Str(c.clone()));
    if let Some(h) = &s.healthcheck {
        let mut x = Vec::new();
        if !h.test.is_empty() {
            x.push(("test", strs(&h.test)));
        }
        push(&mut x, "timeout", &h.timeout, |d| dur(d));
        push(&mut x, "interval", &h.interval, |d| dur(d));
        push(&mut x, "retries", &h.retries, |r| J::Num(r.to_string()));
        push(&mut x, "start_period", &h.start_period, |d| dur(d));
        push(&mut x, "start_interval", &h.start_interval, |d| dur(d));
        if h.disable == Some(true) {
            x.push(("disable", J::Bool(true)));
        }
        o.push(("healthcheck", J::Obj(x)));
    }
    push(&mut o, "image", &s.image, |c| J::Str(c.clone()));
    push(&mut o, "init", &s.init, |b| J::Bool(*b));
    push(&mut o, "ipc", &s.ipc, |c| J::Str(c.clone()));
    if !s.labels.is_empty() {
        o.push(("labels", smap(&s.labels)));
    }
    push(&mut o, "mem_limit", &s.mem_limit, |m| size(m, mode));
    push(&mut o, "network_mode", &s.network_mode, |c| {
        J::Str(c.clone())
    });
    if !s.networks.is_empty() {
        o.push((
            "networks",
            J::Map(
                s.networks
                    .iter()
                    .map(|(k, n)| {
                        let v = match n {
                            None => J::Null,
                            Some(n) => {
                                let mut x = Vec::new();
                                push_list(&mut x, "aliases", &n.aliases);
                                push(&mut x, "ipv4_address", &n.ipv4_address, |a| {
                                    J::Str(a.clone())
                                });
                                push(&mut x, "ipv6_address", &n.ipv6_address, |a| {
                                    J::Str(a.clone())
                                });
                                push(&mut x, "priority", &n.priority, |p| J::Num(p.to_string()));
                                J::Obj(x)
                            }
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
        ));
    }
    push(&mut o, "pid", &s.pid, |c| J::Str(c.clone()));
    push(&mut o, "pids_limit", &s.pids_limit, |p| {
        J::Num(p.to_string())
    });
    push(&mut o, "platform", &s.platform, |c| J::Str(c.clone()));
    if !s.ports.is_empty() {
        o.push((
            "ports",
            J::Arr(
                s.ports
                    .iter()
                    .map(|p| {
                        let mut x = Vec::new();
                        push(&mut x, "name", &p.name, |c| J::Str(c.clone()));
                        push(&mut x, "mode", &p.mode, |c| J::Str(c.clone()));
                        push(&mut x, "host_ip", &p.host_ip, |c| J::Str(c.clone()));
                        x.push(("target", J::Num(p.target.to_string())));
                        push(&mut x, "published", &p.published, |c| J::Str(c.clone()));
                        push(&mut x, "protocol", &p.protocol, |c| J::Str(c.clone()));
                        push(&mut x, "app_protocol", &p.app_protocol, |c| {
                            J::Str(c.clone())
                        });
                        J::Obj(x)
                    })
                    .collect(),
            ),
        ));
    }
    push(&mut o, "privileged", &s.privileged, |b| J::Bool(*b));
    if !for_hash {
        push(&mut o, "pull_policy", &s.pull_policy, |c| J::Str(c.clone()));
    }
    push(&mut o, "read_only", &s.read_only, |b| J::Bool(*b));
    push(&mut o, "restart", &s.restart, |c| J::Str(c.clone()));
    push(&mut o, "runtime", &s.runtime, |c| J::Str(c.clone()));
    if !for_hash {
        push(&mut o, "scale", &s.scale, |n| J::Num(n.to_string()));
    }
    if !s.secrets.is_empty() {
        o.push(("secrets", file_refs(&s.secrets, mode, true)));
    }
    push_list(&mut o, "security_opt", &s.security_opt);
    push(&mut o, "shm_size", &s.shm_size, |m| size(m, mode));
    push(&mut o, "stdin_open", &s.stdin_open, |b| J::Bool(*b));
    push(&mut o, "stop_grace_period", &s.stop_grace_period, |d| {
        dur(d)
    });
    push(&mut o, "stop_signal", &s.stop_signal, |c| J::Str(c.clone()));
    if !s.sysctls.is_empty() {
        o.push(("sysctls", smap(&s.sysctls)));
    }
    push_list(&mut o, "tmpfs", &s.tmpfs);
    push(&mut o, "tty", &s.tty, |b| J::Bool(*b));
    push(&mut o, "user", &s.user, |c| J::Str(c.clone()));
    if !s.volumes.is_empty() {
        o.push((
            "volumes",
            J::Arr(s.volumes.iter().map(|v| volume(v, mode)).collect()),
        ));
    }
    push(&mut o, "working_dir", &s.working_dir, |c| J::Str(c.clone()));
    J::Obj(o)
}

fn build(b: &crate::model::Build) -> J {
    let mut o = vec![("context", J::Str(b.context.clone()))];
    o.push((
        "dockerfile",
        J::Str(b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into())),
    ));
    // an argument without a value takes the environment's, or is left out
    let args: Vec<(String, J)> = b
        .args
        .iter()
        .filter_map(|(k, v)| {
            v.clone()
                .or_else(|| std::env::var(k).ok())
                .map(|v| (k.clone(), J::Str(v)))
        })
        .collect();
    if !args.is_empty() {
        o.push(("args", J::Map(args)));
    }
    if !b.labels.is_empty() {
        o.push(("labels", smap(&b.labels)));
    }
    if b.no_cache == Some(true) {
        o.push(("no_cache", J::Bool(true)));
    }
    if b.pull == Some(true) {
        o.push(("pull", J::Bool(true)));
    }
    push(&mut o, "network", &b.network, |c| J::Str(c.clone()));
    push(&mut o, "target", &b.target, |c| J::Str(c.clone()));
    J::Obj(o)
}

/// Secrets' targets default to `/run/secrets/<source>` (compose-go fills
/// it while loading); configs' stay unset.
fn file_refs(v: &[crate::model::FileRef], mode: Mode, secret: bool) -> J {
    J::Arr(
        v.iter()
            .map(|f| {
                let mut x = vec![("source", J::Str(f.source.clone()))];
                let target = match &f.target {
                    None if secret => Some(format!("/run/secrets/{}", f.source)),
                    t => t.clone(),
                };
                push(&mut x, "target", &target, |c| J::Str(c.clone()));
                push(&mut x, "uid", &f.uid, |c| J::Str(c.clone()));
                push(&mut x, "gid", &f.gid, |c| J::Str(c.clone()));
                push(&mut x, "mode", &f.mode, |m| match mode {
                    Mode::Hash => J::Num(m.to_string()),
                    _ => J::Str(format!("0{m:o}")),
                });
                J::Obj(x)
            })
            .collect(),
    )
}

/// The text Docker Compose hashes for `com.docker.compose.config-hash`.
pub fn hash_input(s: &Service) -> String {
    let mut out = String::new();
    write(&mut out, &service(s, Mode::Hash));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (ns, want) in [
            (90_000_000_000i64, "1m30s"),
            (1_000_000_000, "1s"),
            (500_000_000, "500ms"),
            (1_500_000_000, "1.5s"),
            (3_600_000_000_000, "1h0m0s"),
            (0, "0s"),
        ] {
            assert_eq!(go_duration(ns), want);
        }
    }

    #[test]
    fn go_escapes_html() {
        let mut s = String::new();
        string(&mut s, "a<b>&\"c");
        assert_eq!(s, r#""a\u003cb\u003e\u0026\"c""#);
    }
}
