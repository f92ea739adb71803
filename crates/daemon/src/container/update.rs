//! `POST /containers/{id}/update` (`docker update`): memory, swap, CPU,
//! pids and restart policy, written to the running container's cgroup and
//! to its record (so a restart keeps them). What is not applied is refused,
//! never stored.

use std::path::Path;
use std::sync::Arc;

use wharf_api::container::{ContainerUpdate, ContainerUpdateResponse};

use super::cgroups;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// Docker's floor for a memory limit.
const MIN_MEMORY: i64 = 6 * 1024 * 1024;

fn write(dir: &Path, file: &str, value: &str) -> Result<()> {
    let path = dir.join(file);
    std::fs::write(&path, value)
        .map_err(|e| Error::internal(format!("cannot update {}: {e}", path.display())))
}

/// The cgroup writes for `u` on container `id`; `swap` is the resulting
/// memory+swap limit (or -1).
fn apply(id: &str, u: &ContainerUpdate, memory: i64, swap: i64) -> Result<()> {
    let unified = cgroups::is_unified();
    let mem = cgroups::controller_dir(id, "memory");
    if let Some(dir) = mem.filter(|d| d.exists()) {
        if u.memory > 0 || u.memory_swap != 0 {
            if unified {
                write(&dir, "memory.max", &memory.to_string())?;
                if dir.join("memory.swap.max").exists() {
                    let s = if swap < 0 {
                        "max".to_string()
                    } else {
                        (swap - memory).to_string()
                    };
                    write(&dir, "memory.swap.max", &s)?;
                }
            } else {
                let memsw = dir.join("memory.memsw.limit_in_bytes");
                // memsw must stay >= memory: raise it first, lower it last.
                let sw = if swap < 0 {
                    "-1".to_string()
                } else {
                    swap.to_string()
                };
                if memsw.exists() {
                    write(&dir, "memory.memsw.limit_in_bytes", &sw)
                        .or_else(|_| write(&dir, "memory.limit_in_bytes", &memory.to_string()))?;
                    write(&dir, "memory.limit_in_bytes", &memory.to_string())?;
                    write(&dir, "memory.memsw.limit_in_bytes", &sw)?;
                } else {
                    write(&dir, "memory.limit_in_bytes", &memory.to_string())?;
                }
            }
        }
    }
    if let Some(dir) = cgroups::controller_dir(id, "cpu").filter(|d| d.exists()) {
        let (quota, period) = if u.nano_cpus > 0 {
            (u.nano_cpus * 100_000 / 1_000_000_000, 100_000)
        } else {
            (
                u.cpu_quota,
                if u.cpu_period > 0 {
                    u.cpu_period
                } else {
                    100_000
                },
            )
        };
        if quota != 0 {
            if unified {
                let q = if quota < 0 {
                    "max".to_string()
                } else {
                    quota.to_string()
                };
                write(&dir, "cpu.max", &format!("{q} {period}"))?;
            } else {
                write(&dir, "cpu.cfs_period_us", &period.to_string())?;
                write(&dir, "cpu.cfs_quota_us", &quota.to_string())?;
            }
        }
        if u.cpu_shares > 0 {
            if unified {
                // runc's conversion of shares (2..262144) to weight (1..10000).
                let w = 1 + ((u.cpu_shares.clamp(2, 262_144) - 2) * 9999) / 262_142;
                write(&dir, "cpu.weight", &w.to_string())?;
            } else {
                write(&dir, "cpu.shares", &u.cpu_shares.to_string())?;
            }
        }
    }
    if let Some(p) = u.pids_limit.filter(|p| *p != 0) {
        if let Some(dir) = cgroups::controller_dir(id, "pids").filter(|d| d.exists()) {
            let v = if p < 0 {
                "max".to_string()
            } else {
                p.to_string()
            };
            write(&dir, "pids.max", &v)?;
        }
    }
    Ok(())
}

pub async fn update(
    d: &Arc<Daemon>,
    key: &str,
    u: ContainerUpdate,
) -> Result<ContainerUpdateResponse> {
    let id = d.table().resolve(key)?;
    let lock = d.op_lock(&id)?;
    let _g = lock.lock().await;
    let rec = d.get(&id)?;
    for (set, flag) in [
        (!u.cpuset_cpus.is_empty(), "--cpuset-cpus"),
        (!u.cpuset_mems.is_empty(), "--cpuset-mems"),
        (u.blkio_weight != 0, "--blkio-weight"),
        (u.memory_reservation != 0, "--memory-reservation"),
    ] {
        if set {
            return Err(Error::invalid(format!(
                "{flag} is not supported by wharf's update yet; nothing was changed"
            )));
        }
    }
    if u.memory != 0 && u.memory < MIN_MEMORY {
        return Err(Error::invalid("Minimum memory limit allowed is 6MB"));
    }
    if u.nano_cpus != 0 && (u.cpu_quota != 0 || u.cpu_period != 0) {
        return Err(Error::invalid(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set",
        ));
    }
    if u.nano_cpus < 0 || u.cpu_shares < 0 {
        return Err(Error::invalid("invalid CPU value: it must not be negative"));
    }
    let h = &rec.host_config;
    let memory = if u.memory > 0 { u.memory } else { h.memory };
    if u.memory_swap != 0 && memory == 0 {
        return Err(Error::invalid(
            "You should always set the Memory limit when using Memoryswap limit",
        ));
    }
    let swap = match u.memory_swap {
        0 if u.memory > 0 && h.memory_swap > 0 => {
            // Docker keeps the old swap allowance when only memory changes.
            u.memory + (h.memory_swap - h.memory).max(0)
        }
        0 => h.memory_swap,
        s => s,
    };
    if swap > 0 && swap < memory {
        return Err(Error::invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ));
    }
    if let Some(rp) = &u.restart_policy {
        super::create::validate_restart_policy(rp, h.auto_remove)?;
    }
    if rec.state.status.is_active() {
        let (id2, u2) = (id.clone(), u.clone());
        tokio::task::spawn_blocking(move || apply(&id2, &u2, memory, swap)).await??;
    }
    d.update(&id, |r| {
        let h = &mut r.host_config;
        if u.memory > 0 {
            h.memory = u.memory;
        }
        if u.memory_swap != 0 || u.memory > 0 {
            h.memory_swap = swap;
        }
        if u.nano_cpus > 0 {
            h.nano_cpus = u.nano_cpus;
        }
        if u.cpu_shares > 0 {
            h.cpu_shares = u.cpu_shares;
        }
        if u.cpu_quota != 0 {
            h.cpu_quota = u.cpu_quota;
        }
        if u.cpu_period != 0 {
            h.cpu_period = u.cpu_period;
        }
        if let Some(p) = u.pids_limit.filter(|p| *p != 0) {
            h.pids_limit = Some(p);
        }
        if let Some(rp) = &u.restart_policy {
            h.restart_policy = rp.clone();
        }
    })?;
    d.events
        .emit("container", "update", &id, super::event_attrs(&rec));
    Ok(ContainerUpdateResponse::default())
}
