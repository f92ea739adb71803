//! The `Runtime` trait: how the monitor drives an OCI runtime, with two
//! drivers chosen by name: embedded youki `libcontainer`, or a runc-compatible
//! binary (`runc`, `crun`, or a path) through its command line.

mod confine;
mod libcontainer_rt;
mod runc;

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use wharf_api::error::ErrorKind;

pub use libcontainer_rt::LibcontainerRuntime;
pub use runc::RuncRuntime;

/// A failed runtime operation, with the runtime's own message.
#[derive(Debug, thiserror::Error)]
#[error("runtime {op} of container {id:?} failed: {message}")]
pub struct OciError {
    pub op: &'static str,
    pub id: String,
    pub message: String,
}

impl OciError {
    /// Runtime failures are internal errors, except a command that cannot
    /// be found or run, which is the user's.
    pub fn kind(&self) -> ErrorKind {
        if start_error_exit_code(&self.message).is_some() {
            ErrorKind::InvalidArgument
        } else {
            ErrorKind::Other
        }
    }
}

/// The stdio handed to a container process.
pub struct ProcStdio {
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
}

/// Lifecycle operations on one OCI bundle.
pub trait Runtime {
    /// Creates the container (process waiting before the user command) and
    /// returns its init pid. With `console_socket`, the runtime sends the pty
    /// master there and `stdio` is ignored by it.
    fn create(
        &mut self,
        id: &str,
        bundle: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError>;
    /// Runs the user command in a created container.
    fn start(&mut self, id: &str) -> Result<(), OciError>;
    /// Sends `signal` to the init (or every process when `all`).
    fn kill(&mut self, id: &str, signal: i32, all: bool) -> Result<(), OciError>;
    /// Starts the process described by `process_json` (an OCI `process`
    /// object) inside the container, detached, and returns its pid.
    fn exec(
        &mut self,
        id: &str,
        process_json: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError>;
    /// Removes the runtime's state (and cgroup) of the container.
    fn delete(&mut self, id: &str, force: bool) -> Result<(), OciError>;
}

/// Picks a runtime by name: `libcontainer` (also the empty name), `runc`,
/// `crun`, or a path to a runc-compatible binary.
pub fn runtime_by_name(name: &str, root: &Path) -> Box<dyn Runtime> {
    match name {
        "" | "libcontainer" | "youki" => Box::new(LibcontainerRuntime::new(root)),
        other => Box::new(RuncRuntime::new(PathBuf::from(other), root)),
    }
}

/// Docker's exit code for a start failure: 127 when the command is not
/// found, 126 when it cannot be executed.
pub fn start_error_exit_code(message: &str) -> Option<i32> {
    let m = message.to_ascii_lowercase();
    if m.contains("not found in $path")
        || m.contains("executable file not found")
        || (m.contains("exec") && m.contains("no such file or directory"))
    {
        Some(127)
    } else if m.contains("permission denied") || m.contains("does not have correct permissions") {
        Some(126)
    } else {
        None
    }
}

/// Rewrites a runtime's start error into Docker's wording where it can
/// (`exec: "x": executable file not found in $PATH`).
pub fn docker_start_error(message: &str, command: &str) -> String {
    match start_error_exit_code(message) {
        Some(127) if !message.contains("executable file not found") => format!(
            "unable to start container process: exec: \"{command}\": executable file not found in $PATH"
        ),
        Some(126) if !message.contains("permission denied") => format!(
            "unable to start container process: exec: \"{command}\": permission denied"
        ),
        _ => message.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_errors_map_to_docker_codes() {
        assert_eq!(
            start_error_exit_code("executable 'x' not found in $PATH"),
            Some(127)
        );
        assert_eq!(
            start_error_exit_code("exec: \"x\": executable file not found in $PATH"),
            Some(127)
        );
        assert_eq!(
            start_error_exit_code("exec: \"/etc\": permission denied"),
            Some(126)
        );
        assert_eq!(start_error_exit_code("cgroup failure"), None);
        assert_eq!(
            docker_start_error("executable 'x' not found in $PATH", "x"),
            "unable to start container process: exec: \"x\": executable file not found in $PATH"
        );
    }
}
