//! The persisted container record (`<data-root>/containers/<id>/config.json`)
//! and its paths. Saved with temp+fsync+rename so a killed daemon never
//! loses a container.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use wharf_api::container::{ContainerConfig, HostConfig};
use wharf_api::mount::MountPoint;

use super::state::State;

/// One resolved mount, as the runtime and `inspect` need it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResolvedMount {
    /// bind, volume or tmpfs
    pub kind: String,
    /// Volume name (volumes only).
    pub name: String,
    /// Host path (bind) or volume name before start.
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    pub propagation: String,
    /// Extra options for tmpfs (`size=..`, `mode=..`).
    pub options: Vec<String>,
    pub no_copy: bool,
    /// Anonymous volumes are removed with `rm -v` / `--rm`.
    pub anonymous: bool,
    /// `-v` mode string for inspect ("", "ro", "z", ...).
    pub mode: String,
}

impl ResolvedMount {
    pub fn to_mount_point(&self, volumes_root: &Path) -> MountPoint {
        let source = if self.kind == "volume" {
            volumes_root
                .join(&self.name)
                .join("_data")
                .to_string_lossy()
                .into_owned()
        } else {
            self.source.clone()
        };
        MountPoint {
            kind: self.kind.clone(),
            name: self.name.clone(),
            source,
            destination: self.destination.clone(),
            driver: if self.kind == "volume" {
                "local".into()
            } else {
                String::new()
            },
            mode: self.mode.clone(),
            rw: !self.read_only,
            propagation: self.propagation.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Container {
    pub id: String,
    /// Without the leading slash.
    pub name: String,
    pub created: String,
    /// The image reference as the user gave it.
    pub image_ref: String,
    pub image_id: String,
    pub path: String,
    pub args: Vec<String>,
    /// The config after merging the image's defaults.
    pub config: ContainerConfig,
    pub host_config: HostConfig,
    pub state: State,
    pub restart_count: i64,
    pub mounts: Vec<ResolvedMount>,
    pub runtime: String,
    #[serde(default)]
    pub exec_ids: Vec<String>,
    /// Networks the container is attached to, by network id (empty for
    /// `--network host|none`).
    #[serde(default)]
    pub networks: BTreeMap<String, NetAttachment>,
}

/// One network a container is attached to: what it asked for, and the live
/// endpoint while it runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NetAttachment {
    /// The network's name (networks cannot be renamed).
    pub name: String,
    pub config: wharf_network::EndpointConfig,
    /// Set while the container runs.
    pub endpoint: Option<wharf_network::Endpoint>,
    /// Order of attachment (eth0 is the first).
    #[serde(default)]
    pub order: u64,
    /// Ports published on this endpoint (while it runs).
    #[serde(default)]
    pub ports: Option<wharf_network::firewall::EndpointPorts>,
}

/// Where one container's files live.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `<data-root>/containers/<id>`: record, log, etc files, writable layer.
    pub dir: PathBuf,
    /// `<exec-root>/containers/<id>`: bundle, monitor socket, pid file.
    pub run: PathBuf,
}

impl Paths {
    pub fn new(data_root: &Path, exec_root: &Path, id: &str) -> Self {
        Paths {
            dir: data_root.join("containers").join(id),
            run: exec_root.join("containers").join(id),
        }
    }
    pub fn record(&self) -> PathBuf {
        self.dir.join("config.json")
    }
    pub fn log(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}-json.log"))
    }
    pub fn upper(&self) -> PathBuf {
        self.dir.join("rw").join("upper")
    }
    pub fn work(&self) -> PathBuf {
        self.dir.join("rw").join("work")
    }
    pub fn merged(&self) -> PathBuf {
        self.dir.join("merged")
    }
    pub fn hostname(&self) -> PathBuf {
        self.dir.join("hostname")
    }
    pub fn hosts(&self) -> PathBuf {
        self.dir.join("hosts")
    }
    pub fn resolv(&self) -> PathBuf {
        self.dir.join("resolv.conf")
    }
    pub fn bundle(&self) -> PathBuf {
        self.run.join("bundle")
    }
    /// Bind mount pinning the container's network namespace.
    pub fn netns(&self) -> PathBuf {
        self.run.join("netns")
    }
    pub fn monitor_socket(&self) -> PathBuf {
        self.run.join("monitor.sock")
    }
    /// Persistent, so an exit recorded while the daemon was down survives.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }
}

impl Container {
    pub fn save(&self, paths: &Paths) -> std::io::Result<()> {
        let data = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        wharf_sys::fs::ensure_dir_mode(&paths.dir, wharf_sys::fs::MODE_PRIVATE_DIR)?;
        wharf_sys::fs::write_atomic_mode(&paths.record(), &data, wharf_sys::fs::MODE_PRIVATE_FILE)
    }

    pub fn load(path: &Path) -> std::io::Result<Self> {
        let data = std::fs::read(path)?;
        serde_json::from_slice(&data).map_err(std::io::Error::other)
    }

    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }
}
