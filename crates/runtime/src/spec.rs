//! OCI runtime spec (`config.json`) generation from a [`RunSpec`], with
//! Docker's defaults: namespaces, capabilities, masked and read-only paths,
//! the standard mounts and the default seccomp profile.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{Capability, Spec};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wharf_api::error::ErrorKind;

use crate::seccomp;
use crate::seccomp_profile::{self, SeccompError};

/// Errors of spec generation.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("invalid capability {0:?}")]
    InvalidCapability(String),
    #[error("container {id:?} has no command")]
    NoCommand { id: String },
    #[error("invalid {field} value {value}")]
    InvalidValue { field: &'static str, value: i64 },
    #[error("generated spec for container {id:?} is invalid: {source}")]
    Invalid {
        id: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Seccomp(#[from] SeccompError),
    #[error("writing bundle {path:?}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl SpecError {
    /// How the daemon should classify this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SpecError::InvalidCapability(_)
            | SpecError::NoCommand { .. }
            | SpecError::InvalidValue { .. }
            | SpecError::Seccomp(_) => ErrorKind::InvalidArgument,
            SpecError::Invalid { .. } | SpecError::Io { .. } => ErrorKind::Other,
        }
    }
}

/// The process user inside the container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub additional_gids: Vec<u32>,
}

/// A mount resolved by the daemon (volume, bind or tmpfs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountEntry {
    pub destination: PathBuf,
    /// OCI mount type: `bind`, `tmpfs`, ...
    pub kind: String,
    pub source: PathBuf,
    #[serde(default)]
    pub options: Vec<String>,
}

/// Which network namespace the container gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetNs {
    /// A new namespace with only loopback.
    #[default]
    New,
    /// The host's namespace.
    Host,
    /// An existing namespace prepared by the daemon (bridge networking).
    Path(PathBuf),
}

/// Which seccomp filter the container's processes get.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seccomp {
    /// Docker's default profile (none when privileged).
    #[default]
    Default,
    /// `--security-opt seccomp=unconfined`.
    Unconfined,
    /// A profile in Docker's format (JSON text), converted for the
    /// container's capabilities (see [`crate::seccomp_profile`]).
    Profile(String),
}

/// Which IPC namespace the container gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpcNs {
    /// A new namespace with its own `/dev/shm` (`private`, `shareable`).
    #[default]
    Private,
    /// A new namespace and no `/dev/shm` (`none`).
    NoShm,
    /// The host's namespace and the host's `/dev/shm`.
    Host,
}

/// One `process.rlimits` entry (`RLIMIT_NOFILE`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    pub kind: String,
    pub soft: u64,
    pub hard: u64,
}

/// A device node made in the container (`--device`), and its cgroup rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Path inside the container.
    pub path: PathBuf,
    /// `c` or `b`.
    pub kind: String,
    pub major: i64,
    pub minor: i64,
    pub file_mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Cgroup access: a combination of `r`, `w`, `m`.
    pub access: String,
}

/// Everything the daemon decided about one container's process and isolation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSpec {
    pub id: String,
    /// The already-mounted root filesystem.
    pub rootfs: PathBuf,
    #[serde(default)]
    pub readonly_rootfs: bool,
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub user: User,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub terminal: bool,
    #[serde(default)]
    pub mounts: Vec<MountEntry>,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub cap_add: Vec<String>,
    #[serde(default)]
    pub cap_drop: Vec<String>,
    #[serde(default)]
    pub memory_bytes: Option<i64>,
    #[serde(default)]
    pub nano_cpus: Option<i64>,
    #[serde(default)]
    pub pids_limit: Option<i64>,
    #[serde(default)]
    pub netns: NetNs,
    /// Cgroup path, e.g. `/wharf/<id>`; empty means `/wharf/<id>`.
    #[serde(default)]
    pub cgroup_path: String,
    /// Host path of an init binary mounted at `/sbin/docker-init` and run as pid 1.
    #[serde(default)]
    pub init: Option<PathBuf>,
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// Directory holding generated `hostname`, `hosts`, `resolv.conf`
    /// (see [`crate::etc_files::write_etc_files`]); bind-mounted when set.
    #[serde(default)]
    pub etc_dir: Option<PathBuf>,
    /// `--security-opt no-new-privileges`.
    #[serde(default)]
    pub no_new_privileges: bool,
    #[serde(default)]
    pub seccomp: Seccomp,
    /// `--security-opt systempaths=unconfined`: no masked or read-only paths.
    #[serde(default)]
    pub unmasked_paths: bool,
    /// `HostConfig.MaskedPaths` / `ReadonlyPaths` as an API client set
    /// them; `None` is Docker's default list.
    #[serde(default)]
    pub masked_paths: Option<Vec<String>>,
    #[serde(default)]
    pub readonly_paths: Option<Vec<String>>,
    #[serde(default)]
    pub rlimits: Vec<Rlimit>,
    /// `--pid host`.
    #[serde(default)]
    pub pid_host: bool,
    #[serde(default)]
    pub ipc: IpcNs,
    /// `--uts host`: no UTS namespace, so no hostname is set.
    #[serde(default)]
    pub uts_host: bool,
    #[serde(default)]
    pub sysctls: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub oom_score_adj: Option<i32>,
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Memory plus swap, in bytes; -1 for unlimited swap.
    #[serde(default)]
    pub memory_swap: Option<i64>,
    /// Size of `/dev/shm` in bytes (`--shm-size`); Docker's 64 MiB when unset.
    #[serde(default)]
    pub shm_size: Option<i64>,
    /// Relative CPU weight (`--cpu-shares`).
    #[serde(default)]
    pub cpu_shares: Option<u64>,
    /// `--cpuset-cpus`, `--cpuset-mems` (`0-2,4`).
    #[serde(default)]
    pub cpuset_cpus: Option<String>,
    #[serde(default)]
    pub cpuset_mems: Option<String>,
    /// `--cpu-period` / `--cpu-quota` (µs), when not given as `--cpus`.
    #[serde(default)]
    pub cpu_period: Option<i64>,
    #[serde(default)]
    pub cpu_quota: Option<i64>,
    /// `--memory-reservation`, a soft limit in bytes.
    #[serde(default)]
    pub memory_reservation: Option<i64>,
    /// `--memory-swappiness` (0–100; cgroup v1 only).
    #[serde(default)]
    pub memory_swappiness: Option<i64>,
    /// `--oom-kill-disable`.
    #[serde(default)]
    pub oom_kill_disable: bool,
    /// `--blkio-weight` (10–1000).
    #[serde(default)]
    pub blkio_weight: Option<u16>,
    /// `--cgroupns host`: no cgroup namespace.
    #[serde(default)]
    pub cgroupns_host: bool,
    /// `--device-cgroup-rule`s, added to the default allow list.
    #[serde(default)]
    pub device_rules: Vec<DeviceRule>,
}

/// A device cgroup rule: `kind` `a`, `b` or `c`; `None` numbers match any.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeviceRule {
    pub kind: String,
    pub major: Option<i64>,
    pub minor: Option<i64>,
    pub access: String,
}

/// Docker's default capability set.
pub const DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Every capability the kernel knows, for `--privileged` and `--cap-add ALL`.
pub const ALL_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Paths Docker hides from unprivileged containers.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths Docker makes read-only in unprivileged containers.
pub const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Where the init binary appears inside the container.
pub const INIT_PATH: &str = "/sbin/docker-init";

/// Normalises a capability name (`net_admin`, `NET_ADMIN`, `CAP_NET_ADMIN`)
/// to its `CAP_` form, or `ALL`.
pub fn normalize_cap(name: &str) -> Result<String, SpecError> {
    let upper = name.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(upper);
    }
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    serde_json::from_value::<Capability>(Value::String(full.clone()))
        .map_err(|_| SpecError::InvalidCapability(name.to_string()))?;
    Ok(full)
}

/// The bounding set of this process (`CapBnd` in /proc/self/status).
fn bounding_set() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapBnd:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// Every capability this host can grant: `ALL_CAPS` (kernel order, so
/// the index is the capability number) limited to our bounding set, as
/// Docker does; asking for more would make the runtime fail.
pub fn available_caps() -> Vec<String> {
    let bound = bounding_set().unwrap_or(u64::MAX);
    ALL_CAPS
        .iter()
        .enumerate()
        .filter(|(i, _)| bound & (1u64 << i) != 0)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// The capability set after Docker's rules: start from the defaults (or all
/// when privileged), drop, then add; `ALL` in either list means every cap.
pub fn effective_caps(rs: &RunSpec) -> Result<Vec<String>, SpecError> {
    if rs.privileged {
        return Ok(available_caps());
    }
    let adds = rs
        .cap_add
        .iter()
        .map(|c| normalize_cap(c))
        .collect::<Result<Vec<_>, _>>()?;
    let drops = rs
        .cap_drop
        .iter()
        .map(|c| normalize_cap(c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut caps: Vec<String> = if drops.iter().any(|c| c == "ALL") {
        Vec::new()
    } else {
        DEFAULT_CAPS
            .iter()
            .map(|s| s.to_string())
            .filter(|c| !drops.contains(c))
            .collect()
    };
    if adds.iter().any(|c| c == "ALL") {
        caps = available_caps()
            .into_iter()
            .filter(|c| !drops.contains(c) || adds.contains(c))
            .collect();
    }
    for c in adds {
        if c != "ALL" && !caps.contains(&c) {
            caps.push(c);
        }
    }
    Ok(caps)
}

fn mount(dest: &str, typ: &str, src: &str, opts: &[&str]) -> Value {
    json!({ "destination": dest, "type": typ, "source": src, "options": opts })
}

/// The standard mounts every container gets, before the daemon's own.
fn default_mounts(privileged: bool) -> Vec<Value> {
    let sys_opts: &[&str] = if privileged {
        &["nosuid", "noexec", "nodev", "rw"]
    } else {
        &["nosuid", "noexec", "nodev", "ro"]
    };
    let cgroup_opts: &[&str] = if privileged {
        &["rw", "nosuid", "noexec", "nodev"]
    } else {
        &["ro", "nosuid", "noexec", "nodev"]
    };
    vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        mount("/sys", "sysfs", "sysfs", sys_opts),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts),
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=67108864"],
        ),
    ]
}

/// Cgroup v1 hierarchy directories under `/sys/fs/cgroup` on this host.
///
/// libcontainer ignores `ro` on the cgroup mount for v1 and mounts each
/// hierarchy read-write; listing them as read-only paths makes the runtime
/// remount each one read-only after mounting, so a container cannot raise
/// its own limits.
pub fn host_cgroup_v1_dirs(mountinfo: &str) -> Vec<String> {
    let mut dirs = Vec::new();
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let fstype = right.split_whitespace().next().unwrap_or("");
        let mount_point = left.split_whitespace().nth(4).unwrap_or("");
        if fstype == "cgroup" {
            if let Some(name) = mount_point.strip_prefix("/sys/fs/cgroup/") {
                if !name.is_empty() && !name.contains('/') {
                    dirs.push(format!("/sys/fs/cgroup/{name}"));
                }
            }
        }
    }
    dirs
}

fn device_rules(privileged: bool) -> Value {
    if privileged {
        return json!([{ "allow": true, "access": "rwm" }]);
    }
    let allow = |typ: &str, major: Option<i64>, minor: Option<i64>, access: &str| json!({ "allow": true, "type": typ, "major": major, "minor": minor, "access": access });
    json!([
        { "allow": false, "access": "rwm" },
        allow("c", None, None, "m"),
        allow("b", None, None, "m"),
        allow("c", Some(1), Some(3), "rwm"),
        allow("c", Some(1), Some(5), "rwm"),
        allow("c", Some(1), Some(7), "rwm"),
        allow("c", Some(1), Some(8), "rwm"),
        allow("c", Some(1), Some(9), "rwm"),
        allow("c", Some(5), Some(0), "rwm"),
        allow("c", Some(5), Some(1), "rwm"),
        allow("c", Some(5), Some(2), "rwm"),
        allow("c", Some(136), None, "rwm"),
        allow("c", Some(10), Some(200), "rwm"),
    ])
}

fn resources(rs: &RunSpec) -> Result<Value, SpecError> {
    let mut rules = device_rules(rs.privileged);
    if !rs.privileged {
        if let Some(list) = rules.as_array_mut() {
            for d in &rs.devices {
                list.push(json!({
                    "allow": true, "type": d.kind, "major": d.major, "minor": d.minor,
                    "access": d.access,
                }));
            }
        }
    }
    if !rs.privileged {
        if let Some(list) = rules.as_array_mut() {
            for d in &rs.device_rules {
                list.push(json!({
                    "allow": true, "type": d.kind, "major": d.major, "minor": d.minor,
                    "access": d.access,
                }));
            }
        }
    }
    let mut r = json!({ "devices": rules });
    if let Some(m) = rs.memory_bytes {
        if m < 0 {
            return Err(SpecError::InvalidValue {
                field: "memory",
                value: m,
            });
        }
        if m > 0 {
            r["memory"] = json!({ "limit": m });
            if let Some(swap) = rs.memory_swap.filter(|s| *s == -1 || *s >= m) {
                r["memory"]["swap"] = json!(swap);
            }
        }
    }
    if let Some(n) = rs.nano_cpus {
        if n < 0 {
            return Err(SpecError::InvalidValue {
                field: "nano_cpus",
                value: n,
            });
        }
        if n > 0 {
            let period: i64 = 100_000;
            r["cpu"] = json!({ "period": period, "quota": n * period / 1_000_000_000 });
        }
    }
    if let Some(shares) = rs.cpu_shares.filter(|s| *s > 0) {
        if r.get("cpu").is_none() {
            r["cpu"] = json!({});
        }
        r["cpu"]["shares"] = json!(shares);
    }
    if let Some(p) = rs.pids_limit {
        if p > 0 {
            r["pids"] = json!({ "limit": p });
        }
    }
    let cpu_extra = [
        ("cpus", rs.cpuset_cpus.as_ref().map(|c| json!(c))),
        ("mems", rs.cpuset_mems.as_ref().map(|m| json!(m))),
        ("period", rs.cpu_period.map(|p| json!(p))),
        ("quota", rs.cpu_quota.map(|q| json!(q))),
    ];
    for (k, v) in cpu_extra {
        if let Some(v) = v {
            if r.get("cpu").is_none() {
                r["cpu"] = json!({});
            }
            r["cpu"][k] = v;
        }
    }
    let mem_extra = [
        ("reservation", rs.memory_reservation.map(|m| json!(m))),
        ("swappiness", rs.memory_swappiness.map(|s| json!(s))),
        (
            "disableOOMKiller",
            rs.oom_kill_disable.then_some(json!(true)),
        ),
    ];
    for (k, v) in mem_extra {
        if let Some(v) = v {
            if r.get("memory").is_none() {
                r["memory"] = json!({});
            }
            r["memory"][k] = v;
        }
    }
    if let Some(w) = rs.blkio_weight {
        r["blockIO"] = json!({ "weight": w });
    }
    Ok(r)
}

/// Builds the OCI spec for `rs`, reading the host's cgroup layout from
/// `/proc/self/mountinfo` once per process (the table grows with every
/// running container; the cgroup hierarchies do not change).
pub fn generate_spec(rs: &RunSpec) -> Result<Spec, SpecError> {
    static DIRS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let dirs = DIRS.get_or_init(|| {
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        host_cgroup_v1_dirs(&mountinfo)
    });
    generate_spec_with(rs, dirs)
}

/// [`generate_spec`] with the host's cgroup v1 hierarchy dirs given.
pub fn generate_spec_with(rs: &RunSpec, cgroup_v1_dirs: &[String]) -> Result<Spec, SpecError> {
    if rs.args.is_empty() {
        return Err(SpecError::NoCommand { id: rs.id.clone() });
    }
    let caps = effective_caps(rs)?;
    let mut args = rs.args.clone();
    let mut mounts = default_mounts(rs.privileged);
    match rs.ipc {
        IpcNs::Private => {
            if let Some(size) = rs.shm_size.filter(|s| *s > 0) {
                let size = format!("size={size}");
                for m in mounts.iter_mut().filter(|m| m["destination"] == "/dev/shm") {
                    *m = mount(
                        "/dev/shm",
                        "tmpfs",
                        "shm",
                        &["nosuid", "noexec", "nodev", "mode=1777", &size],
                    );
                }
            }
        }
        IpcNs::NoShm => mounts.retain(|m| m["destination"] != "/dev/shm"),
        IpcNs::Host => {
            for m in mounts.iter_mut().filter(|m| m["destination"] == "/dev/shm") {
                *m = mount(
                    "/dev/shm",
                    "bind",
                    "/dev/shm",
                    &["rbind", "nosuid", "noexec", "nodev"],
                );
            }
        }
    }
    if let Some(init) = &rs.init {
        args.splice(0..0, [INIT_PATH.to_string(), "--".to_string()]);
        mounts.push(json!({
            "destination": INIT_PATH, "type": "bind", "source": init,
            "options": ["rbind", "ro", "nosuid", "nodev"]
        }));
    }
    let user_dests: Vec<&Path> = rs.mounts.iter().map(|m| m.destination.as_path()).collect();
    if let Some(dir) = &rs.etc_dir {
        for name in ["hostname", "hosts", "resolv.conf"] {
            let dest = format!("/etc/{name}");
            if user_dests.contains(&Path::new(&dest)) {
                continue;
            }
            mounts.push(json!({
                "destination": dest, "type": "bind", "source": dir.join(name),
                "options": ["rbind", "rprivate", if rs.readonly_rootfs { "ro" } else { "rw" }]
            }));
        }
    }
    for m in &rs.mounts {
        mounts.push(json!({
            "destination": m.destination, "type": m.kind, "source": m.source, "options": m.options
        }));
    }
    let mut env = rs.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(
            0,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        );
    }
    if rs.terminal && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".to_string());
    }
    let mut namespaces = Vec::new();
    if !rs.pid_host {
        namespaces.push(json!({"type": "pid"}));
    }
    if rs.ipc != IpcNs::Host {
        namespaces.push(json!({"type": "ipc"}));
    }
    if !rs.uts_host {
        namespaces.push(json!({"type": "uts"}));
    }
    namespaces.push(json!({"type": "mount"}));
    if !rs.cgroupns_host {
        namespaces.push(json!({"type": "cgroup"}));
    }
    match &rs.netns {
        NetNs::New => namespaces.push(json!({"type": "network"})),
        NetNs::Host => {}
        NetNs::Path(p) => namespaces.push(json!({"type": "network", "path": p})),
    }
    let cgroup_path = if rs.cgroup_path.is_empty() {
        format!("/wharf/{}", rs.id)
    } else {
        rs.cgroup_path.clone()
    };
    let mut linux = json!({
        "namespaces": namespaces,
        "cgroupsPath": cgroup_path,
        "resources": resources(rs)?,
    });
    if !rs.privileged {
        let defaults = |list: &[&str]| -> Vec<String> {
            if rs.unmasked_paths {
                Vec::new()
            } else {
                list.iter().map(|s| s.to_string()).collect()
            }
        };
        let mut ro = rs
            .readonly_paths
            .clone()
            .unwrap_or_else(|| defaults(READONLY_PATHS));
        ro.push("/sys/fs/cgroup".to_string());
        ro.extend(cgroup_v1_dirs.iter().cloned());
        let masked = rs
            .masked_paths
            .clone()
            .unwrap_or_else(|| defaults(MASKED_PATHS));
        if !masked.is_empty() {
            linux["maskedPaths"] = json!(masked);
        }
        linux["readonlyPaths"] = json!(ro);
        match &rs.seccomp {
            Seccomp::Default => linux["seccomp"] = seccomp::default_profile(&caps),
            Seccomp::Unconfined => {}
            Seccomp::Profile(text) => {
                if let Some(p) =
                    seccomp_profile::convert(text, &caps, &seccomp_profile::Host::current())?
                {
                    linux["seccomp"] = p;
                }
            }
        }
    }
    if !rs.sysctls.is_empty() {
        linux["sysctl"] = json!(rs.sysctls);
    }
    if !rs.devices.is_empty() {
        linux["devices"] = json!(rs
            .devices
            .iter()
            .map(|d| json!({
                "path": d.path, "type": d.kind, "major": d.major, "minor": d.minor,
                "fileMode": d.file_mode, "uid": d.uid, "gid": d.gid,
            }))
            .collect::<Vec<_>>());
    }
    let mut v = json!({
        "ociVersion": "1.0.2",
        "root": { "path": rs.rootfs, "readonly": rs.readonly_rootfs },
        "hostname": rs.hostname,
        "process": {
            "terminal": rs.terminal,
            "user": {
                "uid": rs.user.uid, "gid": rs.user.gid,
                "additionalGids": rs.user.additional_gids,
            },
            "args": args,
            "env": env,
            "cwd": rs.cwd.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| "/".to_string()),
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps,
            },
        },
        // noNewPrivileges is left out rather than false: libcontainer loads
        // seccomp before dropping capabilities only when the field is absent.
        "mounts": mounts,
        "linux": linux,
    });
    if rs.uts_host {
        // No UTS namespace: the runtime must not set the host's name.
        if let Some(o) = v.as_object_mut() {
            o.remove("hostname");
        }
    }
    if rs.no_new_privileges {
        v["process"]["noNewPrivileges"] = json!(true);
    }
    if !rs.rlimits.is_empty() {
        v["process"]["rlimits"] = json!(rs
            .rlimits
            .iter()
            .map(|r| json!({ "type": r.kind, "soft": r.soft, "hard": r.hard }))
            .collect::<Vec<_>>());
    }
    if let Some(adj) = rs.oom_score_adj {
        if !(-1000..=1000).contains(&adj) {
            return Err(SpecError::InvalidValue {
                field: "oom_score_adj",
                value: adj.into(),
            });
        }
        v["process"]["oomScoreAdj"] = json!(adj);
    }
    serde_json::from_value(v).map_err(|source| SpecError::Invalid {
        id: rs.id.clone(),
        source,
    })
}

/// Writes `config.json` for `rs` into `bundle` (created if missing) and
/// returns the spec.
pub fn write_bundle(bundle: &Path, rs: &RunSpec) -> Result<Spec, SpecError> {
    let spec = generate_spec(rs)?;
    let io = |source| SpecError::Io {
        path: bundle.to_path_buf(),
        source,
    };
    wharf_sys::fs::ensure_dir_mode(bundle, wharf_sys::fs::MODE_PRIVATE_DIR).map_err(io)?;
    let data = serde_json::to_vec_pretty(&spec).map_err(|source| SpecError::Invalid {
        id: rs.id.clone(),
        source,
    })?;
    // The process's environment (`-e` secrets) is in there: root only.
    // Made again at every start: replaced whole, no fsync.
    write_seccomp_program(bundle, &spec).map_err(io)?;
    wharf_sys::fs::write_replace_mode(
        &bundle.join("config.json"),
        &data,
        wharf_sys::fs::MODE_PRIVATE_FILE,
    )
    .map_err(io)?;
    Ok(spec)
}

/// Writes the container's seccomp filter, compiled once per daemon
/// ([`seccomp::bpf`]), beside `config.json` for the embedded runtime's
/// init to load; removes a stale one when the container has no filter or
/// one only the init can compile. Written before `config.json`, from the
/// same spec, at every start.
fn write_seccomp_program(bundle: &Path, spec: &Spec) -> std::io::Result<()> {
    let path = bundle.join(seccomp::bpf::BPF_FILE);
    let program = match spec.linux().as_ref().and_then(|l| l.seccomp().as_ref()) {
        // A profile libseccomp refuses is left to the runtime, which
        // reports it as it always has.
        Some(s) => seccomp::bpf::compiled(s).ok().flatten(),
        None => None,
    };
    match program {
        Some(p) => wharf_sys::fs::write_replace_mode(&path, &p, wharf_sys::fs::MODE_PRIVATE_FILE),
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> RunSpec {
        RunSpec {
            id: "c1".into(),
            rootfs: "/tmp/rootfs".into(),
            args: vec!["sh".into()],
            hostname: "box".into(),
            ..Default::default()
        }
    }

    fn cap_strings(spec: &Spec) -> Vec<String> {
        let caps = spec
            .process()
            .as_ref()
            .unwrap()
            .capabilities()
            .as_ref()
            .unwrap();
        let v = serde_json::to_value(caps.bounding().as_ref().unwrap()).unwrap();
        let mut out: Vec<String> = serde_json::from_value(v).unwrap();
        out.sort();
        out
    }

    #[test]
    fn defaults_match_docker() {
        let spec = generate_spec_with(&base(), &["/sys/fs/cgroup/memory".into()]).unwrap();
        assert_eq!(spec.hostname().as_deref(), Some("box"));
        let mut want: Vec<String> = DEFAULT_CAPS.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(cap_strings(&spec), want);
        let linux = spec.linux().as_ref().unwrap();
        assert_eq!(linux.namespaces().as_ref().unwrap().len(), 6);
        assert!(linux.seccomp().is_some());
        let ro = linux.readonly_paths().as_ref().unwrap();
        assert!(ro.contains(&"/sys/fs/cgroup/memory".to_string()));
        assert!(ro.contains(&"/proc/sys".to_string()));
        assert!(linux
            .masked_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/kcore".to_string()));
        let mounts = spec.mounts().as_ref().unwrap();
        let cg = mounts
            .iter()
            .find(|m| m.destination() == Path::new("/sys/fs/cgroup"))
            .unwrap();
        assert!(cg.options().as_ref().unwrap().contains(&"ro".to_string()));
        let env = spec.process().as_ref().unwrap().env().as_ref().unwrap();
        assert!(env[0].starts_with("PATH="));
        assert_eq!(
            linux.cgroups_path().as_deref(),
            Some(Path::new("/wharf/c1"))
        );
    }

    #[test]
    fn cap_add_drop_and_all() {
        let mut rs = base();
        rs.cap_add = vec!["net_admin".into()];
        rs.cap_drop = vec!["CAP_CHOWN".into(), "MKNOD".into()];
        let caps = cap_strings(&generate_spec_with(&rs, &[]).unwrap());
        assert!(caps.contains(&"CAP_NET_ADMIN".to_string()));
        assert!(!caps.contains(&"CAP_CHOWN".to_string()));
        assert!(!caps.contains(&"CAP_MKNOD".to_string()));
        rs.cap_drop = vec!["ALL".into()];
        rs.cap_add = vec!["KILL".into()];
        assert_eq!(
            cap_strings(&generate_spec_with(&rs, &[]).unwrap()),
            vec!["CAP_KILL"]
        );
        rs.cap_add = vec!["bogus".into()];
        assert!(matches!(
            generate_spec_with(&rs, &[]),
            Err(SpecError::InvalidCapability(_))
        ));
    }

    #[test]
    fn privileged_has_no_seccomp_and_rw_sys() {
        let mut rs = base();
        rs.privileged = true;
        let spec = generate_spec_with(&rs, &[]).unwrap();
        let linux = spec.linux().as_ref().unwrap();
        assert!(linux.seccomp().is_none());
        assert!(linux.masked_paths().is_none());
        let mut got = cap_strings(&spec);
        let mut want = available_caps();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let sys = spec
            .mounts()
            .as_ref()
            .unwrap()
            .iter()
            .find(|m| m.destination() == Path::new("/sys"))
            .unwrap();
        assert!(sys.options().as_ref().unwrap().contains(&"rw".to_string()));
    }

    #[test]
    fn resources_netns_init_and_mounts() {
        let mut rs = base();
        rs.memory_bytes = Some(64 << 20);
        rs.nano_cpus = Some(1_500_000_000);
        rs.pids_limit = Some(50);
        rs.netns = NetNs::Path("/run/netns/x".into());
        rs.init = Some("/usr/bin/tini-static".into());
        rs.etc_dir = Some("/run/c1".into());
        rs.mounts = vec![MountEntry {
            destination: "/etc/hosts".into(),
            kind: "bind".into(),
            source: "/tmp/h".into(),
            options: vec!["rbind".into()],
        }];
        let spec = generate_spec_with(&rs, &[]).unwrap();
        let res = spec.linux().as_ref().unwrap().resources().as_ref().unwrap();
        assert_eq!(res.memory().as_ref().unwrap().limit(), Some(64 << 20));
        assert_eq!(res.cpu().as_ref().unwrap().quota(), Some(150_000));
        assert_eq!(res.pids().as_ref().unwrap().limit(), 50);
        let ns = spec
            .linux()
            .as_ref()
            .unwrap()
            .namespaces()
            .as_ref()
            .unwrap();
        let net = ns
            .iter()
            .find(|n| n.typ() == oci_spec::runtime::LinuxNamespaceType::Network)
            .unwrap();
        assert_eq!(net.path().as_deref(), Some(Path::new("/run/netns/x")));
        let args = spec.process().as_ref().unwrap().args().as_ref().unwrap();
        assert_eq!(args[..3], [INIT_PATH.to_string(), "--".into(), "sh".into()]);
        let dests: Vec<_> = spec
            .mounts()
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.destination().clone())
            .collect();
        assert_eq!(
            dests
                .iter()
                .filter(|d| *d == Path::new("/etc/hosts"))
                .count(),
            1
        );
        assert!(dests.contains(&PathBuf::from("/etc/resolv.conf")));
        assert_eq!(dests.last().unwrap(), Path::new("/etc/hosts"));
    }

    #[test]
    fn host_netns_and_bad_values() {
        let mut rs = base();
        rs.netns = NetNs::Host;
        let spec = generate_spec_with(&rs, &[]).unwrap();
        assert_eq!(
            spec.linux()
                .as_ref()
                .unwrap()
                .namespaces()
                .as_ref()
                .unwrap()
                .len(),
            5
        );
        rs.memory_bytes = Some(-1);
        assert!(generate_spec_with(&rs, &[]).is_err());
        rs.memory_bytes = None;
        rs.args.clear();
        assert!(matches!(
            generate_spec_with(&rs, &[]),
            Err(SpecError::NoCommand { .. })
        ));
    }

    #[test]
    fn isolation_options() {
        let mut rs = base();
        rs.no_new_privileges = true;
        rs.rlimits = vec![Rlimit {
            kind: "RLIMIT_NOFILE".into(),
            soft: 64,
            hard: 128,
        }];
        rs.oom_score_adj = Some(500);
        rs.pid_host = true;
        rs.ipc = IpcNs::Host;
        rs.uts_host = true;
        rs.sysctls = [("net.ipv4.ip_forward".to_string(), "1".to_string())].into();
        rs.devices = vec![Device {
            path: "/dev/xl".into(),
            kind: "c".into(),
            major: 10,
            minor: 237,
            file_mode: 0o600,
            uid: 0,
            gid: 0,
            access: "r".into(),
        }];
        rs.memory_bytes = Some(32 << 20);
        rs.memory_swap = Some(64 << 20);
        rs.cpu_shares = Some(512);
        rs.seccomp = Seccomp::Unconfined;
        let v = serde_json::to_value(generate_spec_with(&rs, &[]).unwrap()).unwrap();
        let p = &v["process"];
        assert_eq!(p["noNewPrivileges"], true);
        assert_eq!(p["rlimits"][0]["soft"], 64);
        assert_eq!(p["oomScoreAdj"], 500);
        assert!(v.get("hostname").is_none());
        let l = &v["linux"];
        let ns: Vec<&str> = l["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(ns, ["mount", "cgroup", "network"]);
        assert_eq!(l["sysctl"]["net.ipv4.ip_forward"], "1");
        assert_eq!(l["devices"][0]["major"], 10);
        let rules = l["resources"]["devices"].as_array().unwrap();
        assert_eq!(rules.last().unwrap()["access"], "r");
        assert_eq!(l["resources"]["memory"]["swap"], 64 << 20);
        assert_eq!(l["resources"]["cpu"]["shares"], 512);
        assert!(l.get("seccomp").is_none());
        let shm = v["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/dev/shm")
            .unwrap();
        assert_eq!(shm["type"], "bind");
        // A custom profile is converted; private IPC gets its shm size.
        let mut rs = base();
        rs.seccomp = Seccomp::Profile(r#"{"defaultAction":"SCMP_ACT_LOG"}"#.into());
        rs.shm_size = Some(16 << 20);
        let v = serde_json::to_value(generate_spec_with(&rs, &[]).unwrap()).unwrap();
        assert_eq!(v["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_LOG");
        assert!(v.get("process").unwrap().get("noNewPrivileges").is_none());
        let shm = v["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == "/dev/shm")
            .unwrap();
        assert!(shm["options"]
            .as_array()
            .unwrap()
            .contains(&json!(format!("size={}", 16 << 20))));
        rs.oom_score_adj = Some(-1001);
        assert!(generate_spec_with(&rs, &[]).is_err());
    }

    #[test]
    fn parses_cgroup_v1_mountinfo() {
        let mi = "35 25 0:30 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro\n\
                  36 35 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n\
                  40 35 0:35 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
                  41 35 0:36 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        assert_eq!(
            host_cgroup_v1_dirs(mi),
            vec!["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory"]
        );
    }
}
