//! The isolation options of `HostConfig`, checked at create as dockerd
//! checks them and turned into the runtime's terms at start. An option wharf
//! cannot put in force is refused at create with the reason: nothing is
//! stored that the container would not get.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use wharf_api::container::{DeviceMapping, HostConfig, Ulimit};
use wharf_runtime::spec::{Device, IpcNs, Rlimit, RunSpec, Seccomp};

use crate::error::{Error, Result};

/// What `HostConfig.SecurityOpt` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityOpts {
    pub no_new_privileges: bool,
    pub seccomp: Seccomp,
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn apparmor_enabled() -> bool {
    std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y")
}

fn selinux_enabled() -> bool {
    Path::new("/sys/fs/selinux/enforce").exists()
}

/// Parses `SecurityOpt` as dockerd does (`key=value`, or the deprecated
/// `key:value`), refusing what wharf cannot apply on this host.
pub fn parse_security_opts(opts: &[String]) -> Result<SecurityOpts> {
    let mut out = SecurityOpts::default();
    for opt in opts {
        if opt == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        if opt == "disable" {
            // label=disable: no labelling, which is what a host without
            // SELinux gets anyway.
            continue;
        }
        let (key, value) = match opt.split_once('=').or_else(|| opt.split_once(':')) {
            Some(kv) => kv,
            None => return Err(Error::invalid(format!("invalid --security-opt 1: {opt:?}"))),
        };
        match key {
            "no-new-privileges" => {
                out.no_new_privileges = parse_bool(value)
                    .ok_or_else(|| Error::invalid(format!("invalid --security-opt 2: {opt:?}")))?;
            }
            "seccomp" => {
                out.seccomp = match value {
                    "unconfined" => Seccomp::Unconfined,
                    "builtin" | "" => Seccomp::Default,
                    json => Seccomp::Profile(json.to_string()),
                }
            }
            "apparmor" => {
                if value == "unconfined" {
                    continue;
                }
                return Err(Error::invalid(if apparmor_enabled() {
                    format!("--security-opt apparmor={value}: AppArmor profiles are not supported by wharf; only apparmor=unconfined is accepted")
                } else {
                    format!("--security-opt apparmor={value} cannot be applied: AppArmor is not enabled on this host")
                }));
            }
            "label" => {
                if value == "disable" {
                    continue;
                }
                return Err(Error::invalid(if selinux_enabled() {
                    format!("--security-opt label={value}: SELinux labels are not supported by wharf; only label=disable is accepted")
                } else {
                    format!("--security-opt label={value} cannot be applied: SELinux is not enabled on this host")
                }));
            }
            _ => return Err(Error::invalid(format!("invalid --security-opt 2: {opt:?}"))),
        }
    }
    Ok(out)
}

fn rlimit(u: &Ulimit) -> Result<Rlimit> {
    if !wharf_api::container::ULIMIT_NAMES.contains(&u.name.as_str()) {
        return Err(Error::invalid(format!("invalid ulimit type: {}", u.name)));
    }
    let value = |v: i64| -> Result<u64> {
        match v {
            -1 => Ok(u64::MAX),
            v if v >= 0 => Ok(v as u64),
            v => Err(Error::invalid(format!(
                "invalid ulimit {}: {v} is negative",
                u.name
            ))),
        }
    };
    let (soft, hard) = (value(u.soft)?, value(u.hard)?);
    if soft > hard {
        return Err(Error::invalid(format!(
            "ulimit soft limit must be less than or equal to hard limit: {} > {}",
            u.soft, u.hard
        )));
    }
    Ok(Rlimit {
        kind: format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
        soft,
        hard,
    })
}

/// The daemon holds `CAP_SYS_RESOURCE` (bit 24 of `CapEff`): without it no
/// process it starts may raise a hard limit or lower its OOM score.
fn has_sys_resource() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapEff:"))
                .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        })
        .is_some_and(|eff| eff & (1 << 24) != 0)
}

/// The daemon's own hard limit of `name`, which a container may not exceed
/// without `CAP_SYS_RESOURCE`.
fn own_hard_limit(name: &str) -> Option<u64> {
    use nix::sys::resource::{getrlimit, Resource};
    let r = match name {
        "as" => Resource::RLIMIT_AS,
        "core" => Resource::RLIMIT_CORE,
        "cpu" => Resource::RLIMIT_CPU,
        "data" => Resource::RLIMIT_DATA,
        "fsize" => Resource::RLIMIT_FSIZE,
        "locks" => Resource::RLIMIT_LOCKS,
        "memlock" => Resource::RLIMIT_MEMLOCK,
        "msgqueue" => Resource::RLIMIT_MSGQUEUE,
        "nice" => Resource::RLIMIT_NICE,
        "nofile" => Resource::RLIMIT_NOFILE,
        "nproc" => Resource::RLIMIT_NPROC,
        "rss" => Resource::RLIMIT_RSS,
        "rtprio" => Resource::RLIMIT_RTPRIO,
        "rttime" => Resource::RLIMIT_RTTIME,
        "sigpending" => Resource::RLIMIT_SIGPENDING,
        "stack" => Resource::RLIMIT_STACK,
        _ => return None,
    };
    getrlimit(r).ok().map(|(_, hard)| hard)
}

/// A limit the runtime could not set is refused now, with the reason.
fn check_rlimit_applicable(u: &Ulimit, r: &Rlimit) -> Result<()> {
    if u.name == "nofile" {
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        if let Some(max) = nr_open.filter(|max| r.hard > *max) {
            return Err(Error::invalid(format!(
                "--ulimit nofile={}:{}: the kernel allows at most {max} open files (fs.nr_open)",
                u.soft, u.hard
            )));
        }
    }
    if let Some(own) = own_hard_limit(&u.name) {
        if r.hard > own && !has_sys_resource() {
            return Err(Error::invalid(format!(
                "--ulimit {}={}:{} cannot be applied: the hard limit is above the daemon's own ({own}) and raising it needs CAP_SYS_RESOURCE, which the daemon does not have",
                u.name, u.soft, u.hard
            )));
        }
    }
    Ok(())
}

/// IPC sysctls: namespaced, and shared with the host under `--ipc host`.
fn is_ipc_sysctl(k: &str) -> bool {
    matches!(
        k,
        "kernel.msgmax"
            | "kernel.msgmnb"
            | "kernel.msgmni"
            | "kernel.sem"
            | "kernel.shmall"
            | "kernel.shmmax"
            | "kernel.shmmni"
            | "kernel.shm_rmid_forced"
    ) || k.starts_with("fs.mqueue.")
}

fn check_sysctls(h: &HostConfig) -> Result<()> {
    for k in h.sysctls.iter().flat_map(|m| m.keys()) {
        if is_ipc_sysctl(k) {
            if h.ipc_mode == "host" {
                return Err(Error::invalid(format!(
                    "sysctl {k:?} is not allowed with --ipc host: the container shares the host's IPC namespace"
                )));
            }
        } else if k.starts_with("net.") {
            if h.network_mode == "host" {
                return Err(Error::invalid(format!(
                    "sysctl {k:?} is not allowed with --network host: the container shares the host's network namespace"
                )));
            }
        } else {
            return Err(Error::invalid(format!(
                "sysctl {k:?} is not namespaced: only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and net.* can be set in a container"
            )));
        }
    }
    Ok(())
}

/// The device node behind `--device`, with its cgroup rule.
fn device(m: &DeviceMapping) -> Result<Device> {
    let host = m.path_on_host.as_str();
    let meta = std::fs::metadata(host).map_err(|e| {
        Error::invalid(format!(
            "error gathering device information while adding custom device {host:?}: {}",
            io_text(&e)
        ))
    })?;
    let kind = if meta.file_type().is_char_device() {
        "c"
    } else if meta.file_type().is_block_device() {
        "b"
    } else if meta.is_dir() {
        return Err(Error::invalid(format!(
            "device {host:?} is a directory: wharf adds single device nodes only"
        )));
    } else {
        return Err(Error::invalid(format!(
            "error gathering device information while adding custom device {host:?}: not a device node"
        )));
    };
    let perms = if m.cgroup_permissions.is_empty() {
        "rwm"
    } else {
        m.cgroup_permissions.as_str()
    };
    if perms.len() > 3 || !perms.chars().all(|c| "rwm".contains(c)) {
        return Err(Error::invalid(format!("invalid device mode: {perms}")));
    }
    let inside = if m.path_in_container.is_empty() {
        host
    } else {
        m.path_in_container.as_str()
    };
    if !inside.starts_with('/') {
        return Err(Error::invalid(format!(
            "invalid device path in container {inside:?}: must be absolute"
        )));
    }
    let rdev = meta.rdev();
    Ok(Device {
        path: PathBuf::from(inside),
        kind: kind.to_string(),
        major: nix::sys::stat::major(rdev) as i64,
        minor: nix::sys::stat::minor(rdev) as i64,
        file_mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        access: perms.to_string(),
    })
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Every isolation option of `h`, checked before the container is made.
/// Fills in what dockerd fills in (`IpcMode` private, `MemorySwap` twice
/// the memory).
pub fn check_and_default(h: &mut HostConfig, hostname_given: bool) -> Result<()> {
    let sec = parse_security_opts(h.security_opt.as_deref().unwrap_or_default())?;
    if let Seccomp::Profile(_) = &sec.seccomp {
        if !h.privileged {
            // Converted now for the container's capabilities, so a bad
            // profile is refused here rather than at start.
            let rs = RunSpec {
                privileged: h.privileged,
                cap_add: h.cap_add.clone().unwrap_or_default(),
                cap_drop: h.cap_drop.clone().unwrap_or_default(),
                ..Default::default()
            };
            let caps = wharf_runtime::spec::effective_caps(&rs).map_err(crate::kinded)?;
            if let Seccomp::Profile(text) = &sec.seccomp {
                wharf_runtime::seccomp_profile::convert(
                    text,
                    &caps,
                    &wharf_runtime::seccomp_profile::Host::current(),
                )
                .map_err(crate::kinded)?;
            }
        }
    }
    match h.pid_mode.as_str() {
        "" | "host" => {}
        m if m.starts_with("container:") => {
            return Err(Error::invalid(format!(
                "--pid {m} is not supported by wharf: only the default and host are"
            )))
        }
        m => return Err(Error::invalid(format!("invalid PID mode: {m}"))),
    }
    match h.ipc_mode.as_str() {
        "" => h.ipc_mode = "private".into(),
        "private" | "shareable" | "none" | "host" => {}
        m if m.starts_with("container:") => {
            return Err(Error::invalid(format!(
                "--ipc {m} is not supported by wharf: only private, shareable, none and host are"
            )))
        }
        m => return Err(Error::invalid(format!("invalid IPC mode: {m}"))),
    }
    match h.uts_mode.as_str() {
        "" => {}
        "host" => {
            if hostname_given {
                return Err(Error::invalid(
                    "conflicting options: hostname and the UTS mode",
                ));
            }
        }
        m => return Err(Error::invalid(format!("invalid UTS mode: {m}"))),
    }
    if !(-1000..=1000).contains(&h.oom_score_adj) {
        return Err(Error::invalid(format!(
            "Invalid value {}, range for oom score adj is [-1000, 1000]",
            h.oom_score_adj
        )));
    }
    for u in h.ulimits.iter().flatten() {
        check_rlimit_applicable(u, &rlimit(u)?)?;
    }
    let own_adj = std::fs::read_to_string("/proc/self/oom_score_adj")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    if h.oom_score_adj < own_adj && !has_sys_resource() {
        return Err(Error::invalid(format!(
            "--oom-score-adj {} cannot be applied: lowering the OOM score below the daemon's ({own_adj}) needs CAP_SYS_RESOURCE, which the daemon does not have",
            h.oom_score_adj
        )));
    }
    check_sysctls(h)?;
    for d in h.devices.iter().flatten() {
        device(d)?;
    }
    // Lists an API client sets replace Docker's defaults (the docker CLI
    // sends both empty for `--security-opt systempaths=unconfined`).
    for (what, list) in [
        ("MaskedPaths", &h.masked_paths),
        ("ReadonlyPaths", &h.readonly_paths),
    ] {
        for p in list.iter().flatten() {
            if !p.starts_with('/') || p.split('/').any(|c| c == "..") || p.contains('\0') {
                return Err(Error::invalid(format!(
                    "invalid {what} entry {p:?}: expected an absolute path inside the container"
                )));
            }
        }
    }
    if h.shm_size < 0 {
        return Err(Error::invalid("SHM size can not be less than 0"));
    }
    if h.cpu_shares < 0 {
        return Err(Error::invalid(format!(
            "invalid CPU shares {}: must be positive",
            h.cpu_shares
        )));
    }
    if !h.cgroup_parent.is_empty() {
        return Err(Error::invalid(format!(
            "--cgroup-parent {} is not supported by wharf: containers live in the wharf/<id> cgroup",
            h.cgroup_parent
        )));
    }
    if h.memory > 0 && h.memory_swap == 0 {
        h.memory_swap = 2 * h.memory;
    }
    if h.memory > 0 && h.memory_swap > 0 && h.memory_swap < h.memory {
        return Err(Error::invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage",
        ));
    }
    Ok(())
}

/// The runtime's view of `h` (checked at create; devices are looked up
/// again, as their numbers may have changed since).
pub fn apply(h: &HostConfig, rs: &mut RunSpec) -> Result<()> {
    let sec = parse_security_opts(h.security_opt.as_deref().unwrap_or_default())?;
    rs.no_new_privileges = sec.no_new_privileges;
    rs.seccomp = sec.seccomp;
    rs.unmasked_paths = matches!(
        (h.masked_paths.as_deref(), h.readonly_paths.as_deref()),
        (Some([]), Some([]))
    );
    rs.masked_paths = h.masked_paths.clone();
    rs.readonly_paths = h.readonly_paths.clone();
    super::resources::apply(h, rs)?;
    rs.rlimits = h
        .ulimits
        .iter()
        .flatten()
        .map(rlimit)
        .collect::<Result<_>>()?;
    rs.pid_host = h.pid_mode == "host";
    rs.ipc = match h.ipc_mode.as_str() {
        "host" => IpcNs::Host,
        "none" => IpcNs::NoShm,
        _ => IpcNs::Private,
    };
    rs.uts_host = h.uts_mode == "host";
    rs.sysctls = h.sysctls.clone().unwrap_or_default();
    rs.oom_score_adj = (h.oom_score_adj != 0).then_some(h.oom_score_adj as i32);
    rs.devices = h
        .devices
        .iter()
        .flatten()
        .map(device)
        .collect::<Result<_>>()?;
    rs.memory_swap = (h.memory > 0 && h.memory_swap != 0).then_some(h.memory_swap);
    rs.shm_size = (h.shm_size > 0).then_some(h.shm_size);
    // Docker's range on cgroup v1.
    rs.cpu_shares = (h.cpu_shares > 0).then(|| h.cpu_shares.clamp(2, 262_144) as u64);
    Ok(())
}

/// `--group-add`: group names from the image's `/etc/group`, or numbers.
pub fn group_add_gids(group_file: &str, wanted: &[String]) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for g in wanted {
        let gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group_file
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() >= 3 && f[0] == g)
                .and_then(|f| f[2].parse().ok())
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "Unable to find group {g}: no matching entries in group file"
                    ))
                })?,
        };
        if !out.contains(&gid) {
            out.push(gid);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn opts(v: &[&str]) -> Result<SecurityOpts> {
        parse_security_opts(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn security_opts_as_dockerd_parses_them() {
        assert!(opts(&["no-new-privileges"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges=true"]).unwrap().no_new_privileges);
        assert!(opts(&["no-new-privileges:true"]).unwrap().no_new_privileges);
        assert!(
            !opts(&["no-new-privileges=false"])
                .unwrap()
                .no_new_privileges
        );
        assert_eq!(
            opts(&["seccomp=unconfined"]).unwrap().seccomp,
            Seccomp::Unconfined
        );
        assert_eq!(
            opts(&["seccomp={}"]).unwrap().seccomp,
            Seccomp::Profile("{}".into())
        );
        assert!(opts(&["apparmor=unconfined", "label=disable", "disable"]).is_ok());
        let e = opts(&["bogus=1"]).unwrap_err();
        assert_eq!(e.message, r#"invalid --security-opt 2: "bogus=1""#);
        let e = opts(&["bogus"]).unwrap_err();
        assert_eq!(e.message, r#"invalid --security-opt 1: "bogus""#);
        assert!(opts(&["no-new-privileges=maybe"]).is_err());
        if !apparmor_enabled() {
            let e = opts(&["apparmor=docker-default"]).unwrap_err();
            assert!(
                e.message.contains("AppArmor is not enabled"),
                "{}",
                e.message
            );
        }
        if !selinux_enabled() {
            assert!(opts(&["label=type:svirt_lxc_net_t"]).is_err());
        }
    }

    #[test]
    fn host_config_checks() {
        let ok = |f: &dyn Fn(&mut HostConfig)| {
            let mut h = HostConfig::default();
            f(&mut h);
            check_and_default(&mut h, false).map(|_| h)
        };
        let h = ok(&|_| {}).unwrap();
        assert_eq!(h.ipc_mode, "private");
        let h = ok(&|h| h.memory = 32 << 20).unwrap();
        assert_eq!(h.memory_swap, 64 << 20);
        assert!(ok(&|h| h.oom_score_adj = 1001).is_err());
        assert!(ok(&|h| h.shm_size = -1).is_err());
        assert!(ok(&|h| h.cgroup_parent = "/mine".into()).is_err());
        assert!(ok(&|h| h.oom_score_adj = 500).is_ok());
        if !has_sys_resource() {
            let e = ok(&|h| h.oom_score_adj = -100).unwrap_err();
            assert!(e.message.contains("CAP_SYS_RESOURCE"), "{}", e.message);
        }
        assert!(ok(&|h| h.pid_mode = "container:x".into()).is_err());
        assert!(ok(&|h| h.pid_mode = "bogus".into()).is_err());
        assert!(ok(&|h| h.ipc_mode = "bogus".into()).is_err());
        assert!(ok(&|h| h.uts_mode = "bogus".into()).is_err());
        let mut h = HostConfig {
            uts_mode: "host".into(),
            ..Default::default()
        };
        assert!(check_and_default(&mut h, true).is_err());
        let sysctl = |k: &str, f: &dyn Fn(&mut HostConfig)| {
            ok(&|h| {
                h.sysctls = Some(BTreeMap::from([(k.to_string(), "1".to_string())]));
                f(h)
            })
        };
        assert!(sysctl("net.ipv4.ip_forward", &|_| {}).is_ok());
        assert!(sysctl("kernel.shmmax", &|_| {}).is_ok());
        assert!(sysctl("fs.mqueue.msg_max", &|_| {}).is_ok());
        assert!(sysctl("kernel.domainname", &|_| {}).is_err());
        assert!(sysctl("vm.swappiness", &|_| {}).is_err());
        assert!(sysctl("net.ipv4.ip_forward", &|h| h.network_mode = "host".into()).is_err());
        assert!(sysctl("kernel.shmmax", &|h| h.ipc_mode = "host".into()).is_err());
        let ul = |name: &str, soft, hard| {
            ok(&|h| {
                h.ulimits = Some(vec![Ulimit {
                    name: name.into(),
                    soft,
                    hard,
                }])
            })
        };
        assert!(ul("nofile", 64, 128).is_ok());
        assert!(ul("nofile", 128, 64).is_err());
        assert!(ul("bogus", 1, 1).is_err());
        assert!(ul("nofile", 1, 1 << 40).is_err());
        let dev = |p: &str, perms: &str| {
            ok(&|h| {
                h.devices = Some(vec![DeviceMapping {
                    path_on_host: p.into(),
                    path_in_container: String::new(),
                    cgroup_permissions: perms.into(),
                }])
            })
        };
        assert!(dev("/dev/null", "rw").is_ok());
        assert!(dev("/dev/null", "rwx").is_err());
        assert!(dev("/nonexistent/dev", "").is_err());
        assert!(dev("/etc/hostname", "").is_err());
    }

    #[test]
    fn device_and_groups() {
        let d = device(&DeviceMapping {
            path_on_host: "/dev/null".into(),
            path_in_container: "/dev/mynull".into(),
            cgroup_permissions: "r".into(),
        })
        .unwrap();
        assert_eq!((d.kind.as_str(), d.major, d.minor), ("c", 1, 3));
        assert_eq!(d.path, PathBuf::from("/dev/mynull"));
        let group = "root:x:0:\nwheel:x:10:app\naudio:x:29:\n";
        assert_eq!(
            group_add_gids(group, &["audio".into(), "4242".into(), "wheel".into()]).unwrap(),
            vec![29, 4242, 10]
        );
        assert!(group_add_gids(group, &["nope".into()]).is_err());
    }
}
