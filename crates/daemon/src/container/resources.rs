//! The resource fields of `HostConfig` beyond memory/CPUs/pids: cpusets,
//! memory reservation and swappiness, the OOM killer, device cgroup rules,
//! block-I/O weight, the cgroup namespace. Checked at create (and update),
//! turned into the runtime's spec at start. Fields the engine cannot honour
//! are refused when set, never kept silently.

use wharf_api::container::HostConfig;
use wharf_runtime::spec::{DeviceRule, RunSpec};

use crate::error::{Error, Result};

/// Fields wharf does not apply, refused unless left at their zero value
/// (clients such as the docker CLI send every one of them, zeroed).
const UNHONOURED: &[(&str, &str)] = &[
    ("CpuRealtimePeriod", "real-time CPU scheduling"),
    ("CpuRealtimeRuntime", "real-time CPU scheduling"),
    ("KernelMemory", "kernel memory limits (removed from Docker)"),
    (
        "KernelMemoryTCP",
        "kernel TCP memory limits (removed from Docker)",
    ),
    ("BlkioDeviceReadBps", "per-device block I/O limits"),
    ("BlkioDeviceWriteBps", "per-device block I/O limits"),
    ("BlkioDeviceReadIOps", "per-device block I/O limits"),
    ("BlkioDeviceWriteIOps", "per-device block I/O limits"),
    ("BlkioWeightDevice", "per-device block I/O weights"),
    ("CpuCount", "CPU counts (Windows only)"),
    ("CpuPercent", "CPU percentages (Windows only)"),
    ("IOMaximumBandwidth", "I/O bandwidth limits (Windows only)"),
    ("IOMaximumIOps", "I/O operation limits (Windows only)"),
    ("StorageOpt", "per-container storage options"),
    (
        "DeviceRequests",
        "device requests (GPUs): no device driver is available",
    ),
    ("Cgroup", "joining another container's cgroup"),
];

fn is_zero(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Bool(b) => !b,
        serde_json::Value::Number(n) => n.as_f64() == Some(0.0),
        serde_json::Value::String(s) => s.is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
    }
}

/// Create and update: every resource field is valid and honoured.
pub fn check(h: &HostConfig) -> Result<()> {
    for (field, what) in UNHONOURED {
        if let Some(v) = h.extra.get(*field).filter(|v| !is_zero(v)) {
            return Err(Error::invalid(format!(
                "HostConfig.{field} ({what}) is not supported by wharf: got {v}"
            )));
        }
    }
    match h.extra.get("Isolation").and_then(|v| v.as_str()) {
        None | Some("") | Some("default") => {}
        Some(other) => {
            return Err(Error::invalid(format!(
                "invalid isolation: {other:?}: only \"default\" is supported on Linux"
            )))
        }
    }
    match h.extra.get("UsernsMode").and_then(|v| v.as_str()) {
        None | Some("") | Some("host") => {}
        Some(other) => {
            return Err(Error::invalid(format!(
                "user namespace mode {other:?} is not supported by wharf (containers share the host's user namespace)"
            )))
        }
    }
    match h.cgroupns_mode.as_str() {
        "" | "private" | "host" => {}
        other => {
            return Err(Error::invalid(format!(
                "invalid cgroup namespace mode: {other:?}: expected \"private\" or \"host\""
            )))
        }
    }
    for (what, set) in [
        ("cpuset-cpus", &h.cpuset_cpus),
        ("cpuset-mems", &h.cpuset_mems),
    ] {
        if !set.is_empty() && parse_cpuset(set).is_none() {
            return Err(Error::invalid(format!(
                "invalid value {set:?} for {what}: expected a list such as 0-2,4"
            )));
        }
    }
    if let Some(s) = h.memory_swappiness {
        if s != -1 && !(0..=100).contains(&s) {
            return Err(Error::invalid(format!(
                "invalid value: {s}, valid memory swappiness range is 0-100"
            )));
        }
    }
    if h.memory_reservation < 0 {
        return Err(Error::invalid(
            "invalid memory reservation: must be positive",
        ));
    }
    if h.memory > 0 && h.memory_reservation > h.memory {
        return Err(Error::invalid(
            "Minimum memory limit can not be less than memory reservation limit, see usage",
        ));
    }
    if h.blkio_weight != 0 && !(10..=1000).contains(&h.blkio_weight) {
        return Err(Error::invalid(format!(
            "range of blkio weight is from 10 to 1000, got {}",
            h.blkio_weight
        )));
    }
    if h.cpu_period != 0 && !(1000..=1_000_000).contains(&h.cpu_period) {
        return Err(Error::invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
        ));
    }
    if h.cpu_quota != 0 && h.cpu_quota != -1 && h.cpu_quota < 1000 {
        return Err(Error::invalid(
            "CPU cfs quota can not be less than 1ms (i.e. 1000)",
        ));
    }
    if h.nano_cpus > 0 && (h.cpu_period > 0 || h.cpu_quota > 0) {
        return Err(Error::invalid(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ));
    }
    for r in h.device_cgroup_rules.iter().flatten() {
        parse_rule(r)?;
    }
    Ok(())
}

/// Start: the runtime's view of these fields.
pub fn apply(h: &HostConfig, rs: &mut RunSpec) -> Result<()> {
    rs.cpuset_cpus = Some(h.cpuset_cpus.clone()).filter(|s| !s.is_empty());
    rs.cpuset_mems = Some(h.cpuset_mems.clone()).filter(|s| !s.is_empty());
    rs.cpu_period = Some(h.cpu_period).filter(|p| *p > 0);
    rs.cpu_quota = Some(h.cpu_quota).filter(|q| *q > 0);
    rs.memory_reservation = Some(h.memory_reservation).filter(|m| *m > 0);
    // cgroup v2 has no swappiness; Docker drops it there too.
    rs.memory_swappiness = h
        .memory_swappiness
        .filter(|s| *s >= 0 && !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists());
    rs.oom_kill_disable = h.oom_kill_disable.unwrap_or(false);
    rs.blkio_weight = Some(h.blkio_weight).filter(|w| *w > 0);
    rs.cgroupns_host = h.cgroupns_mode == "host";
    rs.device_rules = h
        .device_cgroup_rules
        .iter()
        .flatten()
        .map(|r| parse_rule(r))
        .collect::<Result<_>>()?;
    Ok(())
}

/// `0-2,4` → valid (each a number or an ascending range).
fn parse_cpuset(s: &str) -> Option<()> {
    for part in s.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        if a > b {
            return None;
        }
    }
    Some(())
}

/// `c 1:3 mr`, `b *:* rwm`, `a` → a device cgroup rule (Docker's syntax).
fn parse_rule(r: &str) -> Result<DeviceRule> {
    let bad = || {
        Error::invalid(format!(
            "invalid device cgroup rule {r:?}: expected TYPE MAJOR:MINOR ACCESS, such as 'c 1:3 mr'"
        ))
    };
    let mut it = r.split_whitespace();
    let kind = it.next().ok_or_else(bad)?;
    if !["a", "b", "c"].contains(&kind) {
        return Err(bad());
    }
    let num = |s: &str| -> Result<Option<i64>> {
        if s == "*" {
            Ok(None)
        } else {
            s.parse::<i64>().map(Some).map_err(|_| bad())
        }
    };
    let (major, minor) = match it.next() {
        Some(mm) => {
            let (a, b) = mm.split_once(':').ok_or_else(bad)?;
            (num(a)?, num(b)?)
        }
        None => (None, None),
    };
    let access = it.next().unwrap_or("rwm").to_string();
    if access.is_empty() || !access.chars().all(|c| "rwm".contains(c)) || it.next().is_some() {
        return Err(bad());
    }
    Ok(DeviceRule {
        kind: kind.to_string(),
        major,
        minor,
        access,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_and_cpusets() {
        let r = parse_rule("c 1:3 mr").unwrap();
        assert_eq!(
            (r.kind.as_str(), r.major, r.minor, r.access.as_str()),
            ("c", Some(1), Some(3), "mr")
        );
        let r = parse_rule("b *:* rwm").unwrap();
        assert_eq!((r.major, r.minor), (None, None));
        for bad in [
            "x 1:3 r",
            "c 1 r",
            "c a:b r",
            "c 1:3 q",
            "",
            "c 1:3 r extra",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad}");
        }
        assert!(parse_cpuset("0-2,4").is_some());
        assert!(parse_cpuset("2-1").is_none());
        assert!(parse_cpuset("a").is_none());
    }

    #[test]
    fn unhonoured_fields_are_refused_when_set() {
        let mut h = HostConfig::default();
        h.extra.insert("CpuRealtimeRuntime".into(), 0.into());
        h.extra
            .insert("DeviceRequests".into(), serde_json::Value::Null);
        assert!(check(&h).is_ok());
        h.extra.insert("CpuRealtimeRuntime".into(), 950.into());
        let e = check(&h).unwrap_err().to_string();
        assert!(e.contains("CpuRealtimeRuntime"), "{e}");
    }
}
