//! A runc-compatible binary (runc, crun) driven through the OCI runtime
//! command line. Errors are read from the runtime's JSON log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{OciError, ProcStdio, Runtime};

/// Drives containers with `<binary> --root <root> ...`.
pub struct RuncRuntime {
    binary: PathBuf,
    root: PathBuf,
}

impl RuncRuntime {
    pub fn new(binary: PathBuf, root: &Path) -> Self {
        RuncRuntime {
            binary,
            root: root.to_path_buf(),
        }
    }

    fn log_path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.log.json"))
    }

    fn command(&self, id: &str) -> Command {
        let mut c = Command::new(&self.binary);
        c.arg("--root")
            .arg(&self.root)
            .arg("--log")
            .arg(self.log_path(id))
            .arg("--log-format")
            .arg("json");
        c
    }

    /// Runs `cmd`, turning a non-zero exit into the runtime's last error line.
    fn run(&self, op: &'static str, id: &str, mut cmd: Command) -> Result<(), OciError> {
        let _ = std::fs::remove_file(self.log_path(id));
        let out = cmd.output().map_err(|e| OciError {
            op,
            id: id.to_string(),
            message: format!("running {:?}: {e}", self.binary),
        })?;
        if out.status.success() {
            return Ok(());
        }
        let mut message =
            last_error(&std::fs::read_to_string(self.log_path(id)).unwrap_or_default());
        if message.is_empty() {
            message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        }
        if message.is_empty() {
            message = format!("exited with {}", out.status);
        }
        Err(OciError {
            op,
            id: id.to_string(),
            message,
        })
    }

    fn read_pid(&self, op: &'static str, id: &str, path: &Path) -> Result<u32, OciError> {
        let s = std::fs::read_to_string(path).unwrap_or_default();
        let _ = std::fs::remove_file(path);
        s.trim().parse().map_err(|_| OciError {
            op,
            id: id.to_string(),
            message: format!("no pid in {path:?}"),
        })
    }
}

/// The last `"level":"error"` message of a runc JSON log.
fn last_error(log: &str) -> String {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["level"] == "error")
        .filter_map(|v| v["msg"].as_str().map(str::to_string))
        .next_back()
        .unwrap_or_default()
}

impl Runtime for RuncRuntime {
    fn create(
        &mut self,
        id: &str,
        bundle: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError> {
        std::fs::create_dir_all(&self.root).map_err(|e| OciError {
            op: "create",
            id: id.to_string(),
            message: e.to_string(),
        })?;
        let pid_file = self.root.join(format!("{id}.pid"));
        let mut cmd = self.command(id);
        cmd.arg("create")
            .arg("--bundle")
            .arg(bundle)
            .arg("--pid-file")
            .arg(&pid_file);
        if let Some(s) = console_socket {
            cmd.arg("--console-socket").arg(s);
        }
        cmd.arg(id)
            .stdin(Stdio::from(stdio.stdin))
            .stdout(Stdio::from(stdio.stdout))
            .stderr(Stdio::from(stdio.stderr));
        // output() would replace the stdio with pipes; spawn keeps ours.
        let r = spawn_wait(&self.binary, "create", id, cmd);
        if let Err(mut e) = r {
            let logged =
                last_error(&std::fs::read_to_string(self.log_path(id)).unwrap_or_default());
            if !logged.is_empty() {
                e.message = logged;
            }
            return Err(e);
        }
        self.read_pid("create", id, &pid_file)
    }

    fn start(&mut self, id: &str) -> Result<(), OciError> {
        let mut cmd = self.command(id);
        cmd.arg("start").arg(id);
        self.run("start", id, cmd)
    }

    fn kill(&mut self, id: &str, signal: i32, all: bool) -> Result<(), OciError> {
        let mut cmd = self.command(id);
        cmd.arg("kill");
        if all {
            cmd.arg("--all");
        }
        cmd.arg(id).arg(signal.to_string());
        self.run("kill", id, cmd)
    }

    fn exec(
        &mut self,
        id: &str,
        process_json: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError> {
        let pid_file = process_json.with_extension("pid");
        let mut cmd = self.command(id);
        cmd.arg("exec").arg("-d").arg("--pid-file").arg(&pid_file);
        cmd.arg("--process").arg(process_json);
        if let Some(s) = console_socket {
            cmd.arg("--console-socket").arg(s);
        }
        cmd.arg(id)
            .stdin(Stdio::from(stdio.stdin))
            .stdout(Stdio::from(stdio.stdout))
            .stderr(Stdio::from(stdio.stderr));
        if let Err(mut e) = spawn_wait(&self.binary, "exec", id, cmd) {
            let logged =
                last_error(&std::fs::read_to_string(self.log_path(id)).unwrap_or_default());
            if !logged.is_empty() {
                e.message = logged;
            }
            return Err(e);
        }
        self.read_pid("exec", id, &pid_file)
    }

    fn delete(&mut self, id: &str, force: bool) -> Result<(), OciError> {
        let mut cmd = self.command(id);
        cmd.arg("delete");
        if force {
            cmd.arg("--force");
        }
        cmd.arg(id);
        let r = self.run("delete", id, cmd);
        let _ = std::fs::remove_file(self.log_path(id));
        r
    }
}

fn spawn_wait(binary: &Path, op: &'static str, id: &str, mut cmd: Command) -> Result<(), OciError> {
    let status = cmd
        .spawn()
        .and_then(|mut c| c.wait())
        .map_err(|e| OciError {
            op,
            id: id.to_string(),
            message: format!("running {binary:?}: {e}"),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(OciError {
            op,
            id: id.to_string(),
            message: format!("{binary:?} {op} exited with {status}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_picks_final_error_line() {
        let log = "{\"level\":\"info\",\"msg\":\"a\"}\n{\"level\":\"error\",\"msg\":\"exec: \\\"x\\\": executable file not found in $PATH\"}\n";
        assert_eq!(
            last_error(log),
            "exec: \"x\": executable file not found in $PATH"
        );
        assert_eq!(last_error(""), "");
    }
}
