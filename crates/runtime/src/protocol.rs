//! The monitor's control protocol: one connection per request, a JSON line
//! request, a JSON line reply, then (for `Attach` and `ExecStart`) a raw
//! stream. Shared by the monitor and the daemon's client.

use serde::{Deserialize, Serialize};

use crate::spec::User;

/// A request to a container's monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    /// Create and start the container.
    Start,
    State,
    Kill {
        signal: i32,
    },
    Resize {
        height: u16,
        width: u16,
    },
    /// After the reply the connection carries stdin in and output out.
    Attach {
        stdin: bool,
        stdout: bool,
        stderr: bool,
    },
    /// Reply is sent when the container exits.
    Wait,
    /// Reply (`Exited`) is sent as soon as the exit is known and recorded
    /// in `exit.json`, before the monitor's runtime delete and clean-up;
    /// the connection then closes when the monitor is done.
    WaitExit,
    Exec(ExecConfig),
    /// After the reply the connection is the exec process's stdio stream.
    ExecStart {
        id: String,
    },
    ExecResize {
        id: String,
        height: u16,
        width: u16,
    },
    ExecState {
        id: String,
    },
}

/// A process to run inside the running container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecConfig {
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub tty: bool,
    /// `[height, width]` of the exec's tty from the start.
    #[serde(default)]
    pub console_size: Option<[u16; 2]>,
    #[serde(default)]
    pub stdin: bool,
    #[serde(default)]
    pub privileged: bool,
}

/// Lifecycle of the container as the monitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Running,
    Stopped,
}

/// Answer to `State`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerState {
    pub pid: Option<u32>,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub error: Option<String>,
}

/// Answer to `ExecState`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecStatus {
    pub id: String,
    pub running: bool,
    pub pid: Option<u32>,
    pub exit_code: Option<i32>,
}

/// The record the monitor leaves in `<state_dir>/exit.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    pub exit_code: i32,
    pub pid: Option<u32>,
    pub started_at: Option<String>,
    pub finished_at: String,
    /// Why the container could not start, when it never ran.
    pub error: Option<String>,
    /// The kernel's OOM killer killed a process of the container's cgroup.
    #[serde(default)]
    pub oom_killed: bool,
}

/// A reply line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Reply {
    Ok,
    Error {
        message: String,
        /// `not_found`, `conflict`, `invalid_argument` or `other`.
        kind: String,
    },
    /// Answer to `Start`: a pid when running, else the start error and the
    /// exit code Docker reports (127 not found, 126 not executable).
    Started {
        pid: Option<u32>,
        start_error: Option<String>,
        exit_code: Option<i32>,
    },
    State(ContainerState),
    Exited {
        exit_code: i32,
    },
    ExecCreated {
        id: String,
    },
    ExecState(ExecStatus),
}

impl Reply {
    pub(crate) fn error(kind: &str, message: impl Into<String>) -> Reply {
        Reply::Error {
            message: message.into(),
            kind: kind.to_string(),
        }
    }
}

/// Current time in RFC 3339 with nanoseconds, as Docker writes it.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_as_tagged_json() {
        let r = Request::Kill { signal: 15 };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"type":"Kill","signal":15}"#);
        let e = Request::Exec(ExecConfig {
            args: vec!["ls".into()],
            ..Default::default()
        });
        let back: Request = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        assert!(now_rfc3339().ends_with('Z'));
    }
}
