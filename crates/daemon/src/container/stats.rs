//! `GET /containers/{id}/stats`: Docker's stats JSON from the container's
//! cgroup files (v1 hierarchies on v1 and hybrid hosts, the unified one on
//! v2-only hosts) and the host's `/proc/stat` for the system CPU total.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::cgroups;

fn read(dir: Option<&Path>, file: &str) -> Option<String> {
    std::fs::read_to_string(dir?.join(file)).ok()
}

fn read_u64(dir: Option<&Path>, file: &str) -> Option<u64> {
    read(dir, file)?.trim().parse().ok()
}

/// `key value` lines (memory.stat, cpu.stat, cpuacct.stat).
fn key_values(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.parse().ok()?))
        })
        .collect()
}

/// Nanoseconds of CPU time the whole host has spent, as Docker computes
/// `system_cpu_usage` (the `cpu` line of /proc/stat, in clock ticks).
fn system_cpu_ns() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let ticks: u64 = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    // USER_HZ is 100 on every Linux ABI wharf runs on.
    ticks * (1_000_000_000 / 100)
}

fn online_cpus() -> u64 {
    std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
}

fn cpu_stats(id: &str) -> Value {
    let (total, user, kernel, percpu) = if cgroups::is_unified() {
        let dir = cgroups::controller_dir(id, "cpu");
        let kv = key_values(&read(dir.as_deref(), "cpu.stat").unwrap_or_default());
        let us = |k: &str| kv.get(k).copied().unwrap_or(0) * 1000;
        (us("usage_usec"), us("user_usec"), us("system_usec"), None)
    } else {
        let dir = cgroups::controller_dir(id, "cpuacct");
        let d = dir.as_deref();
        let kv = key_values(&read(d, "cpuacct.stat").unwrap_or_default());
        let tick = |k: &str| kv.get(k).copied().unwrap_or(0) * (1_000_000_000 / 100);
        let percpu: Vec<u64> = read(d, "cpuacct.usage_percpu")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        (
            read_u64(d, "cpuacct.usage").unwrap_or(0),
            tick("user"),
            tick("system"),
            Some(percpu),
        )
    };
    let mut usage = json!({
        "total_usage": total,
        "usage_in_kernelmode": kernel,
        "usage_in_usermode": user,
    });
    if let Some(p) = percpu {
        usage["percpu_usage"] = json!(p);
    }
    json!({
        "cpu_usage": usage,
        "system_cpu_usage": system_cpu_ns(),
        "online_cpus": online_cpus(),
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    })
}

fn memory_stats(id: &str) -> Value {
    let dir = cgroups::controller_dir(id, "memory");
    let d = dir.as_deref();
    let host_mem = || {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| {
                let l = s.lines().find(|l| l.starts_with("MemTotal:"))?;
                l.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map(|kb| kb * 1024)
            .unwrap_or(0)
    };
    let (usage, limit, stat) = if cgroups::is_unified() {
        let limit = read(d, "memory.max")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(host_mem);
        (read_u64(d, "memory.current"), limit, read(d, "memory.stat"))
    } else {
        // v1 reports "no limit" as a huge number: Docker shows host memory.
        let limit = read_u64(d, "memory.limit_in_bytes")
            .filter(|l| *l < (1u64 << 62))
            .unwrap_or_else(host_mem);
        (
            read_u64(d, "memory.usage_in_bytes"),
            limit,
            read(d, "memory.stat"),
        )
    };
    json!({
        "usage": usage.unwrap_or(0),
        "limit": limit,
        "stats": key_values(&stat.unwrap_or_default()),
    })
}

fn pids_stats(id: &str) -> Value {
    let dir = cgroups::controller_dir(id, "pids");
    let d = dir.as_deref();
    let mut v = json!({"current": read_u64(d, "pids.current").unwrap_or(0)});
    if let Some(l) = read_u64(d, "pids.max") {
        v["limit"] = json!(l);
    }
    v
}

fn blkio_stats(id: &str) -> Value {
    let mut entries = Vec::new();
    if cgroups::is_unified() {
        let dir = cgroups::controller_dir(id, "io");
        for line in read(dir.as_deref(), "io.stat").unwrap_or_default().lines() {
            let mut f = line.split_whitespace();
            let Some((ma, mi)) = f.next().and_then(|d| d.split_once(':')) else {
                continue;
            };
            let kv: BTreeMap<&str, u64> = f
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k, v.parse().ok()?))
                })
                .collect();
            for (k, op) in [("rbytes", "read"), ("wbytes", "write")] {
                entries.push(json!({"major": ma.parse::<u64>().unwrap_or(0),
                    "minor": mi.parse::<u64>().unwrap_or(0), "op": op,
                    "value": kv.get(k).copied().unwrap_or(0)}));
            }
        }
    } else {
        let dir = cgroups::controller_dir(id, "blkio");
        let text = read(dir.as_deref(), "blkio.throttle.io_service_bytes_recursive");
        for line in text.unwrap_or_default().lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [dev, op, value] = f[..] {
                if let Some((ma, mi)) = dev.split_once(':') {
                    entries.push(json!({"major": ma.parse::<u64>().unwrap_or(0),
                        "minor": mi.parse::<u64>().unwrap_or(0),
                        "op": op.to_ascii_lowercase(), "value": value.parse::<u64>().unwrap_or(0)}));
                }
            }
        }
    }
    json!({
        "io_service_bytes_recursive": entries,
        "io_serviced_recursive": null, "io_queue_recursive": null,
        "io_service_time_recursive": null, "io_wait_time_recursive": null,
        "io_merged_recursive": null, "io_time_recursive": null, "sectors_recursive": null,
    })
}

/// One sample of container `id` (named `name`); `running` false gives
/// Docker's zeroed sample of a stopped container.
pub fn sample(id: &str, name: &str, running: bool) -> Value {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let empty_cpu = json!({"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
        "usage_in_usermode": 0}, "throttling_data": {"periods": 0,
        "throttled_periods": 0, "throttled_time": 0}});
    if !running {
        return json!({
            "read": "0001-01-01T00:00:00Z", "preread": "0001-01-01T00:00:00Z",
            "name": format!("/{name}"), "id": id,
            "pids_stats": {}, "blkio_stats": blkio_stats("-"), "num_procs": 0,
            "storage_stats": {}, "cpu_stats": empty_cpu.clone(), "precpu_stats": empty_cpu,
            "memory_stats": {},
        });
    }
    json!({
        "read": now,
        "preread": "0001-01-01T00:00:00Z",
        "name": format!("/{name}"),
        "id": id,
        "pids_stats": pids_stats(id),
        "blkio_stats": blkio_stats(id),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu_stats(id),
        "precpu_stats": empty_cpu,
        "memory_stats": memory_stats(id),
    })
}

/// `prev`'s cpu_stats and read time become `next`'s precpu_stats/preread.
pub fn chain(prev: &Value, mut next: Value) -> Value {
    next["precpu_stats"] = prev["cpu_stats"].clone();
    next["preread"] = prev["read"].clone();
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_files() {
        let kv = key_values("user 12\nsystem 3\nbogus\n");
        assert_eq!(kv.get("user"), Some(&12));
        assert_eq!(kv.len(), 2);
        assert!(system_cpu_ns() > 0);
        let s = sample("no-such-container", "x", true);
        assert_eq!(s["name"], "/x");
        assert!(s["memory_stats"]["limit"].as_u64().unwrap() > 0);
        let c = chain(&s, sample("no-such-container", "x", true));
        assert_eq!(c["preread"], s["read"]);
    }
}
