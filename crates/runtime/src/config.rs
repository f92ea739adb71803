//! The monitor's configuration, written by the daemon next to the bundle.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::protocol::ExitRecord;

/// Everything one monitor process needs to run one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorConfig {
    pub id: String,
    /// OCI bundle directory holding `config.json`.
    pub bundle: PathBuf,
    /// `libcontainer` (default), `runc`, or a path to an OCI runtime binary.
    #[serde(default = "default_runtime")]
    pub runtime: String,
    /// State directory of the OCI runtime (scratch, under the exec-root).
    pub runtime_root: PathBuf,
    /// json-file log of the container's output.
    pub log_path: PathBuf,
    /// Persistent directory where `exit.json` is written.
    pub state_dir: PathBuf,
    /// Control socket.
    pub socket_path: PathBuf,
    pub pid_file: PathBuf,
    #[serde(default)]
    pub terminal: bool,
    #[serde(default)]
    pub open_stdin: bool,
    #[serde(default)]
    pub stdin_once: bool,
    /// The container's cgroup (`/wharf/<id>`), read for OOM kills at exit.
    #[serde(default)]
    pub cgroup_path: Option<String>,
    /// `--log-driver`/`--log-opt`: no log at all, or rotation.
    #[serde(default)]
    pub log: LogRotation,
}

/// What the monitor does with the log file (`none`; `max-size`/`max-file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRotation {
    /// The `none` driver: output is not kept.
    #[serde(default)]
    pub disabled: bool,
    /// Rotate when the current file reaches this many bytes.
    #[serde(default)]
    pub max_size: Option<u64>,
    /// Files kept, the current one included (`<log>.1` … `<log>.N-1`).
    #[serde(default = "one")]
    pub max_file: u32,
}

fn one() -> u32 {
    1
}

impl Default for LogRotation {
    fn default() -> Self {
        LogRotation {
            disabled: false,
            max_size: None,
            max_file: 1,
        }
    }
}

fn default_runtime() -> String {
    "libcontainer".to_string()
}

impl MonitorConfig {
    /// Path of the exit record.
    pub fn exit_path(&self) -> PathBuf {
        self.state_dir.join("exit.json")
    }
}

/// Reads `<state_dir>/exit.json`, if the monitor left one.
pub fn read_exit_record(state_dir: &Path) -> Option<ExitRecord> {
    let data = std::fs::read(state_dir.join("exit.json")).ok()?;
    serde_json::from_slice(&data).ok()
}
