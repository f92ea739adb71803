//! Exec sessions: a process run inside the container on request, whose
//! stdio is streamed over the connection that sent `ExecStart`.

use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use crate::protocol::{ExecConfig, ExecStatus};

use super::stdio::HostIo;

/// One exec process and its stream.
pub struct ExecSession {
    pub id: String,
    pub config: ExecConfig,
    pub pid: Option<u32>,
    pub pidfd: Option<OwnedFd>,
    pub exit_code: Option<i32>,
    pub exited_at: Option<Instant>,
    pub conn: Option<UnixStream>,
    pub io: Option<HostIo>,
    /// The daemon has read the exit code (the session can be forgotten).
    pub reported: bool,
}

impl ExecSession {
    pub fn new(id: String, config: ExecConfig) -> Self {
        ExecSession {
            id,
            config,
            pid: None,
            pidfd: None,
            exit_code: None,
            exited_at: None,
            conn: None,
            io: None,
            reported: false,
        }
    }

    pub fn status(&self) -> ExecStatus {
        ExecStatus {
            id: self.id.clone(),
            running: self.pid.is_some() && self.exit_code.is_none(),
            pid: self.pid,
            exit_code: self.exit_code,
        }
    }

    pub fn master(&self) -> Option<&File> {
        self.io.as_ref().and_then(|io| io.master.as_ref())
    }
}

/// A fresh exec id: 32 hex digits from the kernel's random source.
pub fn new_exec_id() -> String {
    let mut b = [0u8; 16];
    if rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        b = t.to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes the OCI `process` for an exec: the container's process from the
/// bundle with the exec's args, env (appended), cwd, user and tty.
pub fn write_process_json(bundle: &Path, id: &str, cfg: &ExecConfig) -> std::io::Result<PathBuf> {
    let spec: Value = serde_json::from_slice(&std::fs::read(bundle.join("config.json"))?)
        .map_err(std::io::Error::other)?;
    let mut p = spec["process"].clone();
    p["args"] = serde_json::json!(cfg.args);
    p["terminal"] = Value::Bool(cfg.tty);
    let mut env: Vec<Value> = p["env"].as_array().cloned().unwrap_or_default();
    for e in &cfg.env {
        let key = e.split('=').next().unwrap_or("");
        env.retain(|v| v.as_str().and_then(|s| s.split('=').next()) != Some(key));
        env.push(Value::String(e.clone()));
    }
    if cfg.tty
        && !env
            .iter()
            .any(|v| v.as_str().is_some_and(|s| s.starts_with("TERM=")))
    {
        env.push(Value::String("TERM=xterm".into()));
    }
    p["env"] = Value::Array(env);
    if let Some(cwd) = cfg.cwd.as_ref().filter(|c| !c.is_empty()) {
        p["cwd"] = Value::String(cwd.clone());
    }
    if let Some(u) = &cfg.user {
        p["user"] =
            serde_json::json!({"uid": u.uid, "gid": u.gid, "additionalGids": u.additional_gids});
    }
    if let Some([h, w]) = cfg.console_size.filter(|_| cfg.tty) {
        p["consoleSize"] = serde_json::json!({"height": h, "width": w});
    }
    if cfg.privileged {
        let caps = crate::spec::available_caps();
        p["capabilities"] =
            serde_json::json!({"bounding": caps, "effective": caps, "permitted": caps});
    }
    // Validate against the OCI schema before handing it to the runtime.
    serde_json::from_value::<oci_spec::runtime::Process>(p.clone())
        .map_err(std::io::Error::other)?;
    let path = bundle.join(format!("exec-{id}.json"));
    wharf_sys::fs::write_atomic(
        &path,
        &serde_json::to_vec(&p).map_err(std::io::Error::other)?,
    )?;
    Ok(path)
}
