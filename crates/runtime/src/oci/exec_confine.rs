//! Confining exec'd processes under libcontainer.
//!
//! libcontainer 0.7's tenant builder (its `exec`) rebuilds the spec's
//! `linux` section from namespaces, cgroup path, personality and time
//! offsets only, so the container's seccomp filter is silently dropped: an
//! exec would run unconfined. We put it back with an [`Executor`], which
//! runs in the exec'd process right before `execve`, after libcontainer has
//! entered the namespaces and cgroup, switched user and set capabilities.
//!
//! Loading a filter needs `no_new_privs` or `CAP_SYS_ADMIN`. Docker does not
//! set `no_new_privs` by default (setuid binaries must keep working in an
//! exec), so, like runc without `noNewPrivileges`, we load the filter while
//! still privileged: the process JSON handed to libcontainer carries the
//! exec's capabilities plus `CAP_SYS_ADMIN` and `CAP_SETPCAP`; the executor
//! loads the filter, then drops to the exec's real capability sets, then
//! execs. The filter is in force from the `execve` on, exactly as for the
//! container's init.

use std::path::{Path, PathBuf};

use libcontainer::oci_spec::runtime::{Capability, LinuxCapabilities, LinuxSeccomp, Process, Spec};
use libcontainer::workload::{Executor, ExecutorError, ExecutorValidationError};

/// The exec's confinement, applied in the exec'd process.
#[derive(Clone)]
pub struct ConfiningExecutor {
    seccomp: LinuxSeccomp,
    /// The capability sets the process must end with; `None` when the
    /// process JSON was not elevated (`noNewPrivileges` lets an unprivileged
    /// process load the filter itself).
    restore: Option<LinuxCapabilities>,
}

/// Capabilities the process holds only while it loads its filter.
const LOADING_CAPS: [Capability; 2] = [Capability::SysAdmin, Capability::Setpcap];

/// Prepares the exec of `process_json` in a container whose bundle spec is
/// `bundle_spec`: returns the process file to hand to libcontainer (an
/// elevated copy beside the original when needed) and the executor, or
/// `None` when the container has no seccomp filter (privileged, or
/// `seccomp=unconfined`).
pub fn prepare(
    bundle_spec: &Spec,
    process_json: &Path,
) -> std::io::Result<Option<(PathBuf, ConfiningExecutor)>> {
    let Some(seccomp) = bundle_spec
        .linux()
        .as_ref()
        .and_then(|l| l.seccomp().clone())
    else {
        return Ok(None);
    };
    let mut process: Process =
        serde_json::from_slice(&std::fs::read(process_json)?).map_err(std::io::Error::other)?;
    if process.no_new_privileges() == Some(true) {
        let exec = ConfiningExecutor {
            seccomp,
            restore: None,
        };
        return Ok(Some((process_json.to_path_buf(), exec)));
    }
    let real = process.capabilities().clone().unwrap_or_default();
    process.set_capabilities(Some(elevated(&real)));
    let path = process_json.with_extension("confine.json");
    wharf_sys::fs::write_atomic(
        &path,
        &serde_json::to_vec(&process).map_err(std::io::Error::other)?,
    )?;
    let exec = ConfiningExecutor {
        seccomp,
        restore: Some(real),
    };
    Ok(Some((path, exec)))
}

/// `caps` with [`LOADING_CAPS`] added to the bounding, effective and
/// permitted sets.
fn elevated(caps: &LinuxCapabilities) -> LinuxCapabilities {
    let add = |set: &Option<_>| {
        let mut s: std::collections::HashSet<Capability> = set.clone().unwrap_or_default();
        s.extend(LOADING_CAPS);
        Some(s)
    };
    let mut out = caps.clone();
    out.set_bounding(add(caps.bounding()))
        .set_effective(add(caps.effective()))
        .set_permitted(add(caps.permitted()));
    out
}

impl Executor for ConfiningExecutor {
    fn exec(&self, spec: &Spec) -> Result<(), ExecutorError> {
        libcontainer::seccomp::initialize_seccomp(&self.seccomp)
            .map_err(|e| ExecutorError::Other(format!("load seccomp filter for exec: {e}")))?;
        if let Some(caps) = &self.restore {
            let syscall = libcontainer::syscall::syscall::create_syscall();
            libcontainer::capabilities::drop_privileges(caps, syscall.as_ref())
                .map_err(|e| ExecutorError::Other(format!("drop exec capabilities: {e}")))?;
        }
        libcontainer::workload::default::get_executor().exec(spec)
    }

    fn validate(&self, spec: &Spec) -> Result<(), ExecutorValidationError> {
        libcontainer::workload::default::get_executor().validate(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elevation_adds_only_the_loading_caps() {
        let real: LinuxCapabilities = serde_json::from_value(serde_json::json!({
            "bounding": ["CAP_KILL", "CAP_CHOWN"],
            "effective": ["CAP_KILL"],
            "permitted": ["CAP_KILL"],
        }))
        .unwrap();
        let up = elevated(&real);
        for set in [up.bounding(), up.effective(), up.permitted()] {
            let set = set.as_ref().unwrap();
            assert!(set.contains(&Capability::SysAdmin) && set.contains(&Capability::Setpcap));
            assert!(set.contains(&Capability::Kill));
        }
        assert_eq!(up.bounding().as_ref().unwrap().len(), 4);
        assert!(up.inheritable().is_none() && up.ambient().is_none());
    }

    #[test]
    fn prepare_elevates_unless_no_new_privs_or_unconfined() {
        let dir = std::env::temp_dir().join(format!("wharf-confine-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pj = dir.join("exec-1.json");
        let write = |nnp: bool| {
            let p = serde_json::json!({"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                "noNewPrivileges": nnp,
                "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}});
            std::fs::write(&pj, serde_json::to_vec(&p).unwrap()).unwrap();
        };
        let mut spec: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2",
            "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}
        }))
        .unwrap();
        write(false);
        let (path, exec) = prepare(&spec, &pj).unwrap().unwrap();
        assert_ne!(path, pj);
        assert!(exec.restore.is_some());
        let p: Process = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let eff = p
            .capabilities()
            .as_ref()
            .unwrap()
            .effective()
            .clone()
            .unwrap();
        assert!(eff.contains(&Capability::SysAdmin));
        write(true);
        let (path, exec) = prepare(&spec, &pj).unwrap().unwrap();
        assert_eq!(path, pj);
        assert!(exec.restore.is_none());
        spec.set_linux(None);
        assert!(prepare(&spec, &pj).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
