//! The container state machine: which transitions are allowed, checked
//! before any action is taken.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Restarting => "restarting",
            Status::Removing => "removing",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }

    /// A container whose process may be alive (monitor present).
    pub fn is_active(self) -> bool {
        matches!(self, Status::Running | Status::Paused | Status::Restarting)
    }
}

/// The runtime part of a container record, persisted with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    pub pid: i64,
    pub exit_code: i64,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    pub oom_killed: bool,
    /// Set by an explicit stop/kill so that restart policies (and
    /// `unless-stopped` across daemon restarts) leave the container alone.
    pub manually_stopped: bool,
    /// Healthcheck status while the container runs (with a healthcheck).
    #[serde(default)]
    pub health: Option<wharf_api::container::Health>,
}

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

impl Default for State {
    fn default() -> Self {
        State {
            status: Status::Created,
            pid: 0,
            exit_code: 0,
            error: String::new(),
            started_at: ZERO_TIME.into(),
            finished_at: ZERO_TIME.into(),
            oom_killed: false,
            manually_stopped: false,
            health: None,
        }
    }
}

impl State {
    /// Checks that `start` is allowed from the current status.
    pub fn check_start(&self, name: &str) -> Result<()> {
        match self.status {
            Status::Created | Status::Exited => Ok(()),
            Status::Running | Status::Restarting => Err(Error::new(
                wharf_api::error::ErrorKind::NotModified,
                format!("container {name} is already running"),
            )),
            Status::Paused => Err(Error::conflict(
                "cannot start a paused container, try unpause instead".to_string(),
            )),
            Status::Removing => Err(Error::conflict(format!(
                "container {name} is marked for removal and cannot be started"
            ))),
            Status::Dead => Err(Error::conflict(format!(
                "container {name} is marked for removal and cannot be started"
            ))),
        }
    }

    pub fn set_running(&mut self, pid: i64, now: String) {
        self.status = Status::Running;
        self.pid = pid;
        self.exit_code = 0;
        self.error.clear();
        self.started_at = now;
        self.oom_killed = false;
        self.manually_stopped = false;
    }

    pub fn set_exited(&mut self, code: i64, finished_at: String) {
        self.status = Status::Exited;
        self.pid = 0;
        self.exit_code = code;
        self.finished_at = finished_at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_transitions() {
        let mut s = State::default();
        assert!(s.check_start("c").is_ok());
        s.set_running(10, "t".into());
        assert!(s.check_start("c").is_err());
        s.set_exited(3, "t2".into());
        assert_eq!(s.exit_code, 3);
        assert!(s.check_start("c").is_ok());
        s.status = Status::Removing;
        assert!(s.check_start("c").is_err());
    }
}
