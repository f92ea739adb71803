//! The daemon's shared state: stores, the container table, events.
//! The table sits behind a std `Mutex` that is never held across `.await`;
//! lifecycle operations on one container are serialised by its own
//! tokio mutex instead.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::container::monitor::PendingAttach;
use crate::container::record::{Container, Paths};
use crate::container::state::Status;
use crate::error::{Error, Result};
use crate::events::Events;
use crate::exec::ExecTable;

/// One container in memory.
pub struct Entry {
    pub rec: Container,
    /// Serialises start/stop/kill/remove of this container.
    pub op: Arc<tokio::sync::Mutex<()>>,
    /// Bumped on every state change; `wait` watches it.
    pub changed: watch::Sender<u64>,
    /// The generation last written to disk. Saves happen outside the table
    /// lock, so two updates may race to disk: holding this while writing,
    /// and skipping a snapshot older than what is saved, keeps the record
    /// on disk the newest one, never a stale one written last.
    pub saved: Arc<std::sync::Mutex<u64>>,
}

#[derive(Default)]
pub struct Table {
    pub by_id: HashMap<String, Entry>,
    pub names: HashMap<String, String>,
    /// The last exit codes of recently removed containers: a `wait` with
    /// `condition=removed` that wakes only after the removal (the exit and
    /// the removal of a `--rm` container can both land before it runs)
    /// still answers the container's code, not a stale one.
    removed_exits: std::collections::VecDeque<(String, i64)>,
}

/// How many removed containers' exit codes are remembered for waiters.
const REMOVED_EXITS: usize = 256;

impl Table {
    /// Takes a container out of the table, remembering its exit code.
    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let e = self.by_id.remove(id)?;
        self.names.remove(&e.rec.name);
        if self.removed_exits.len() == REMOVED_EXITS {
            self.removed_exits.pop_front();
        }
        self.removed_exits
            .push_back((id.to_string(), e.rec.state.exit_code));
        Some(e)
    }

    /// The exit code of a container removed a moment ago.
    pub fn removed_exit(&self, id: &str) -> Option<i64> {
        self.removed_exits
            .iter()
            .rev()
            .find(|(i, _)| i == id)
            .map(|(_, c)| *c)
    }

    /// Docker's lookup order: full id, exact name, then unique id prefix.
    pub fn resolve(&self, key: &str) -> Result<String> {
        let key = key.strip_prefix('/').unwrap_or(key);
        if self.by_id.contains_key(key) {
            return Ok(key.to_owned());
        }
        if let Some(id) = self.names.get(key) {
            return Ok(id.clone());
        }
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::no_such_container(key));
        }
        let mut hits = self.by_id.keys().filter(|id| id.starts_with(key));
        match (hits.next(), hits.next()) {
            (Some(id), None) => Ok(id.clone()),
            (Some(_), Some(_)) => Err(Error::invalid(format!(
                "multiple IDs found with provided prefix: {key}"
            ))),
            _ => Err(Error::no_such_container(key)),
        }
    }
}

pub struct Daemon {
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    pub default_runtime: String,
    /// The per-container monitor executable: `wharf-monitor` beside this
    /// binary, or this binary itself (`wharf __monitor`).
    pub exe: PathBuf,
    /// Monitors started ahead of containers (`--warm-monitors`).
    pub warm: Arc<crate::warm_monitors::WarmPool>,
    pub images: wharf_image::ImageStore,
    pub volumes: wharf_volume::VolumeStore,
    pub networks: Arc<wharf_network::NetworkStore>,
    /// The embedded DNS server of user-defined networks.
    pub dns: wharf_network::dns::DnsServer,
    pub events: Events,
    pub table: Mutex<Table>,
    pub execs: ExecTable,
    pub attach_waiters: Mutex<HashMap<String, Vec<PendingAttach>>>,
}

impl Daemon {
    pub fn table(&self) -> MutexGuard<'_, Table> {
        // A panic while holding the lock must not take the daemon down.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn attach_waiters(&self) -> MutexGuard<'_, HashMap<String, Vec<PendingAttach>>> {
        self.attach_waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    pub fn paths(&self, id: &str) -> Paths {
        Paths::new(&self.data_root, &self.exec_root, id)
    }

    pub fn volumes_root(&self) -> PathBuf {
        self.data_root.join("volumes")
    }

    /// Resolves a user-given name or id to (id, snapshot of the record).
    pub fn get(&self, key: &str) -> Result<Container> {
        let t = self.table();
        let id = t.resolve(key)?;
        Ok(t.by_id[&id].rec.clone())
    }

    /// Runs `f` on the record under the table lock, then saves it. When
    /// the save fails (a full disk) the change is undone in memory, unless
    /// a newer change came in meanwhile, and the error names the container:
    /// a call that fails leaves the container as it was.
    pub fn update<T>(&self, id: &str, f: impl FnOnce(&mut Container) -> T) -> Result<T> {
        let (out, rec, before, generation, saved) = {
            let mut t = self.table();
            let before = t
                .by_id
                .get(id)
                .map(|e| e.rec.clone())
                .ok_or_else(|| Error::no_such_container(id))?;
            let (out, generation) = Self::mutate(&mut t, id, f)?;
            let e = &t.by_id[id];
            (out, e.rec.clone(), before, generation, e.saved.clone())
        };
        let mut last = saved.lock().unwrap_or_else(|p| p.into_inner());
        // A container removed meanwhile is not written back: its directory
        // may already be on its way to the reaper (`deferred_teardown`).
        if generation > *last && self.table().by_id.contains_key(id) {
            if let Err(e) = rec.save(&self.paths(id)) {
                drop(last);
                let name = before.name.clone();
                let mut t = self.table();
                if let Some(entry) = t.by_id.get_mut(id) {
                    if *entry.changed.borrow() == generation {
                        entry.rec = before;
                        entry.changed.send_modify(|g| *g += 1);
                    }
                }
                return Err(crate::util::io_error(
                    &format!("container {name}: cannot save its record"),
                    &e,
                ));
            }
            *last = generation;
        }
        Ok(out)
    }

    /// [`update`](Self::update) for facts that already happened (an exit,
    /// a removal under way): when the record cannot be saved (a full disk),
    /// the change still holds in memory and reaches disk with the next
    /// save. The error is logged, not returned.
    pub fn update_or_defer<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Container) -> T + Clone,
    ) -> Result<T> {
        match self.update(id, f.clone()) {
            Ok(out) => Ok(out),
            Err(e) if e.kind != wharf_api::error::ErrorKind::NotFound => {
                tracing::warn!(container_id = %id, error = %e, "record not saved; kept in memory");
                self.update_deferred(id, f)
            }
            Err(e) => Err(e),
        }
    }

    /// Applies `f` to the record in the table and bumps its generation.
    fn mutate<T>(t: &mut Table, id: &str, f: impl FnOnce(&mut Container) -> T) -> Result<(T, u64)> {
        let e = t
            .by_id
            .get_mut(id)
            .ok_or_else(|| Error::no_such_container(id))?;
        let out = f(&mut e.rec);
        e.changed.send_modify(|g| *g += 1);
        let generation = *e.changed.borrow();
        Ok((out, generation))
    }

    /// Like [`update`](Self::update) without the save: the change reaches
    /// disk with the next saved update of the record. For facts that a
    /// restart can do without because the next step saves them anyway
    /// (a start's endpoints, saved with its `running` state; a crash
    /// between the two leaves a `Created` record whose namespace, and so
    /// whose veths, are reaped at start-up).
    pub fn update_deferred<T>(&self, id: &str, f: impl FnOnce(&mut Container) -> T) -> Result<T> {
        Self::mutate(&mut self.table(), id, f).map(|(out, _)| out)
    }

    pub fn op_lock(&self, id: &str) -> Result<Arc<tokio::sync::Mutex<()>>> {
        let t = self.table();
        t.by_id
            .get(id)
            .map(|e| e.op.clone())
            .ok_or_else(|| Error::no_such_container(id))
    }

    pub fn watch(&self, id: &str) -> Result<watch::Receiver<u64>> {
        let t = self.table();
        t.by_id
            .get(id)
            .map(|e| e.changed.subscribe())
            .ok_or_else(|| Error::no_such_container(id))
    }

    pub fn insert(&self, rec: Container) {
        let mut t = self.table();
        t.names.insert(rec.name.clone(), rec.id.clone());
        t.by_id.insert(
            rec.id.clone(),
            Entry {
                rec,
                op: Arc::default(),
                changed: watch::channel(0).0,
                saved: Arc::default(),
            },
        );
    }

    pub fn count(&self, status: Status) -> usize {
        self.table()
            .by_id
            .values()
            .filter(|e| e.rec.state.status == status)
            .count()
    }

    /// Which container (if any) uses this image id, and is it running.
    pub fn image_user(&self, image_id: &str) -> Option<(String, bool)> {
        let t = self.table();
        let mut found = None;
        for e in t.by_id.values() {
            if e.rec.image_id == image_id {
                let running = e.rec.state.status.is_active();
                if running {
                    return Some((e.rec.id.clone(), true));
                }
                found = Some((e.rec.id.clone(), false));
            }
        }
        found
    }

    pub fn info(&self) -> serde_json::Value {
        let total = self.table().by_id.len();
        let running = self.count(Status::Running);
        let paused = self.count(Status::Paused);
        let images = self.images.list().len();
        let mut info = serde_json::json!({
            "ID": "wharf",
            "Containers": total,
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": total - running - paused,
            "Images": images,
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"]],
            "DockerRootDir": self.data_root,
            "LoggingDriver": "json-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "2" } else { "1" },
            "KernelVersion": crate::router::kernel_version(),
            "OperatingSystem": os_pretty_name(),
            "OSType": "linux",
            "Architecture": std::env::consts::ARCH,
            "NCPU": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "MemTotal": mem_total(),
            "Name": nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
            "ServerVersion": env!("CARGO_PKG_VERSION"),
            "Runtimes": {"libcontainer": {"path": "libcontainer"}, "runc": {"path": "runc"}},
            "DefaultRuntime": self.default_runtime,
            "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"], "Log": ["json-file"]},
            "Swarm": {"LocalNodeState": "inactive"},
            "SecurityOptions": security_options(),
        });
        let host = serde_json::json!({
            "Debug": tracing::enabled!(tracing::Level::DEBUG),
            "ExperimentalBuild": false,
            "LiveRestoreEnabled": true,
            "MemoryLimit": true,
            "SwapLimit": swap_limit(),
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "CPUShares": true,
            "CPUSet": true,
            "PidsLimit": true,
            "OomKillDisable": false,
            "KernelMemory": false,
            "KernelMemoryTCP": false,
            "IPv4Forwarding": proc_flag("/proc/sys/net/ipv4/ip_forward"),
            "BridgeNfIptables": proc_flag("/proc/sys/net/bridge/bridge-nf-call-iptables"),
            "BridgeNfIp6tables": proc_flag("/proc/sys/net/bridge/bridge-nf-call-ip6tables"),
            "NEventsListener": 0,
            "NFd": std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0),
            "NGoroutines": 0,
            "SystemTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            "InitBinary": "docker-init",
            "Isolation": "",
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {"IndexConfigs": {}, "InsecureRegistryCIDRs": ["127.0.0.0/8"], "Mirrors": []},
            "Labels": [],
            "HttpProxy": std::env::var("HTTP_PROXY").unwrap_or_default(),
            "HttpsProxy": std::env::var("HTTPS_PROXY").unwrap_or_default(),
            "NoProxy": std::env::var("NO_PROXY").unwrap_or_default(),
            "CDISpecDirs": [],
            "Warnings": warnings(),
        });
        if let (Some(a), serde_json::Value::Object(b)) = (info.as_object_mut(), host) {
            a.extend(b);
        }
        info
    }
}

/// The host's `PRETTY_NAME` from os-release, as Docker reports it.
fn os_pretty_name() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into())
}

fn proc_flag(path: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|v| v.trim() == "1")
}

/// Whether memory+swap limits can be set on this host.
fn swap_limit() -> bool {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        return std::path::Path::new("/sys/fs/cgroup/wharf/memory.swap.max").exists()
            || std::path::Path::new("/sys/fs/cgroup/init.scope/memory.swap.max").exists();
    }
    std::path::Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
}

fn security_options() -> Vec<&'static str> {
    let mut v = vec!["name=seccomp,profile=builtin"];
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        v.push("name=cgroupns");
    }
    v
}

/// Docker's warnings about what this host cannot do.
fn warnings() -> Vec<&'static str> {
    let mut w = Vec::new();
    if !swap_limit() {
        w.push("WARNING: No swap limit support");
    }
    if std::path::Path::new("/proc/sys/net/bridge").exists() {
        if !proc_flag("/proc/sys/net/bridge/bridge-nf-call-iptables") {
            w.push("WARNING: bridge-nf-call-iptables is disabled");
        }
        if !proc_flag("/proc/sys/net/bridge/bridge-nf-call-ip6tables") {
            w.push("WARNING: bridge-nf-call-ip6tables is disabled");
        }
    }
    w
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
