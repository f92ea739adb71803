//! Confining the container's processes under libcontainer: its init and
//! its exec'd processes get their seccomp filter from an [`Executor`],
//! which runs in the process right before `execve`, after libcontainer has
//! entered the namespaces and cgroup, switched user and set capabilities.
//!
//! - **Init**: libcontainer would compile the profile in every init (about
//!   22 ms of CPU for Docker's default). The daemon compiled it once
//!   (`seccomp::bpf`, the bundle's `seccomp.bpf`); libcontainer gets a copy
//!   of the spec without `linux.seccomp` (in the bundle's `init/`
//!   directory) and the executor loads the finished program.
//! - **Exec**: libcontainer 0.7's tenant builder (its `exec`) rebuilds the
//!   spec's `linux` section from namespaces, cgroup path, personality and
//!   time offsets only, so the container's filter would be silently
//!   dropped: an exec would run unconfined. The executor puts it back.
//!
//! Loading a filter needs `no_new_privs` or `CAP_SYS_ADMIN`. Docker does not
//! set `no_new_privs` by default (setuid binaries must keep working), so,
//! like runc without `noNewPrivileges`, we load the filter while still
//! privileged: the process handed to libcontainer carries its capabilities
//! plus `CAP_SYS_ADMIN` and `CAP_SETPCAP`; the executor loads the filter,
//! then drops to the real capability sets, then execs. The filter is in
//! force from the `execve` on, as when libcontainer loads it.

use std::path::{Path, PathBuf};

use libcontainer::oci_spec::runtime::{Capability, LinuxCapabilities, LinuxSeccomp, Process, Spec};
use libcontainer::workload::{Executor, ExecutorError, ExecutorValidationError};

use crate::seccomp::bpf;

/// The directory in the bundle holding the spec libcontainer creates the
/// container from when the daemon compiled the filter.
const INIT_DIR: &str = "init";

/// How the executor installs the filter.
#[derive(Clone)]
enum Filter {
    /// The program the daemon compiled, and its `seccomp(2)` flags.
    Program { bpf: Vec<u8>, flags: u32 },
    /// A profile libseccomp compiles here (one with a notify action, or a
    /// bundle written before programs were).
    Profile(LinuxSeccomp),
}

/// A process's confinement, applied in the process right before `execve`.
#[derive(Clone)]
pub struct ConfiningExecutor {
    filter: Filter,
    /// The capability sets the process must end with; `None` when the
    /// process was not elevated (`noNewPrivileges` lets an unprivileged
    /// process load the filter itself).
    restore: Option<LinuxCapabilities>,
}

/// Capabilities the process holds only while it loads its filter.
const LOADING_CAPS: [Capability; 2] = [Capability::SysAdmin, Capability::Setpcap];

/// The daemon's compiled program in `bundle`, if it wrote one.
fn program(bundle: &Path, seccomp: &LinuxSeccomp) -> std::io::Result<Option<Filter>> {
    match std::fs::read(bundle.join(bpf::BPF_FILE)) {
        Ok(bpf) => Ok(Some(Filter::Program {
            bpf,
            flags: bpf::load_flags(seccomp),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Prepares the creation of the container in `bundle` when the daemon
/// compiled its filter: writes the spec libcontainer should use (without
/// `linux.seccomp`, the init's capabilities elevated for the load) into
/// the bundle's `init/` directory and returns that directory and the
/// executor. `None`: create from `bundle` as it is (no filter, or one the
/// init must compile).
pub fn prepare_init(bundle: &Path) -> std::io::Result<Option<(PathBuf, ConfiningExecutor)>> {
    if !bundle.join(bpf::BPF_FILE).exists() {
        return Ok(None);
    }
    let mut spec = Spec::load(bundle.join("config.json")).map_err(std::io::Error::other)?;
    let Some(mut linux) = spec.linux().clone() else {
        return Ok(None);
    };
    let Some(seccomp) = linux.seccomp().clone() else {
        return Ok(None);
    };
    let Some(filter) = program(bundle, &seccomp)? else {
        return Ok(None);
    };
    linux.set_seccomp(None);
    spec.set_linux(Some(linux));
    let mut process = spec.process().clone().unwrap_or_default();
    let restore = confine_caps(&mut process);
    spec.set_process(Some(process));
    // libcontainer resolves a relative root against the bundle it is given.
    if let Some(mut root) = spec.root().clone() {
        if root.path().is_relative() {
            root.set_path(bundle.join(root.path()));
            spec.set_root(Some(root));
        }
    }
    let dir = bundle.join(INIT_DIR);
    wharf_sys::fs::ensure_dir_mode(&dir, wharf_sys::fs::MODE_PRIVATE_DIR)?;
    let data = serde_json::to_vec(&spec).map_err(std::io::Error::other)?;
    // The process's environment is in there, as in config.json: root only.
    wharf_sys::fs::write_replace_mode(
        &dir.join("config.json"),
        &data,
        wharf_sys::fs::MODE_PRIVATE_FILE,
    )?;
    Ok(Some((dir, ConfiningExecutor { filter, restore })))
}

/// The bundle the daemon wrote, given the one libcontainer recorded (the
/// `init/` directory when [`prepare_init`] made one).
pub fn origin_bundle(recorded: &Path) -> PathBuf {
    match recorded.parent() {
        Some(p) if recorded.file_name() == Some(INIT_DIR.as_ref()) => p.to_path_buf(),
        _ => recorded.to_path_buf(),
    }
}

/// Elevates `process` for the filter's load unless `noNewPrivileges` lets
/// it load unprivileged; returns the sets to drop back to.
fn confine_caps(process: &mut Process) -> Option<LinuxCapabilities> {
    if process.no_new_privileges() == Some(true) {
        return None;
    }
    let real = process.capabilities().clone().unwrap_or_default();
    process.set_capabilities(Some(elevated(&real)));
    Some(real)
}

/// Prepares the exec of `process_json` in the container whose bundle is
/// `bundle`: returns the process file to hand to libcontainer (an elevated
/// copy beside the original when needed) and the executor, or `None` when
/// the container has no seccomp filter (privileged, or
/// `seccomp=unconfined`).
pub fn prepare(
    bundle: &Path,
    process_json: &Path,
) -> std::io::Result<Option<(PathBuf, ConfiningExecutor)>> {
    let spec = Spec::load(bundle.join("config.json")).map_err(std::io::Error::other)?;
    let Some(seccomp) = spec.linux().as_ref().and_then(|l| l.seccomp().clone()) else {
        return Ok(None);
    };
    let filter = match program(bundle, &seccomp)? {
        Some(f) => f,
        None => Filter::Profile(seccomp),
    };
    let mut process: Process =
        serde_json::from_slice(&std::fs::read(process_json)?).map_err(std::io::Error::other)?;
    let Some(restore) = confine_caps(&mut process) else {
        let exec = ConfiningExecutor {
            filter,
            restore: None,
        };
        return Ok(Some((process_json.to_path_buf(), exec)));
    };
    let path = process_json.with_extension("confine.json");
    wharf_sys::fs::write_atomic(
        &path,
        &serde_json::to_vec(&process).map_err(std::io::Error::other)?,
    )?;
    let exec = ConfiningExecutor {
        filter,
        restore: Some(restore),
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
        match &self.filter {
            Filter::Program { bpf, flags } => wharf_sys::seccomp::load_filter(bpf, *flags)
                .map_err(|e| ExecutorError::Other(format!("load seccomp filter: {e}")))?,
            Filter::Profile(p) => {
                libcontainer::seccomp::initialize_seccomp(p)
                    .map_err(|e| ExecutorError::Other(format!("load seccomp filter: {e}")))?;
            }
        }
        if let Some(caps) = &self.restore {
            let syscall = libcontainer::syscall::syscall::create_syscall();
            libcontainer::capabilities::drop_privileges(caps, syscall.as_ref())
                .map_err(|e| ExecutorError::Other(format!("drop capabilities: {e}")))?;
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

    fn bundle_with(spec: &serde_json::Value, program: bool) -> PathBuf {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("wharf-confine-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.json"), serde_json::to_vec(spec).unwrap()).unwrap();
        if program {
            std::fs::write(dir.join(bpf::BPF_FILE), [0u8; 8]).unwrap();
        }
        dir
    }

    fn confined_spec() -> serde_json::Value {
        serde_json::json!({
            "ociVersion": "1.0.2",
            "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}},
            "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG"]}}
        })
    }

    #[test]
    fn init_gets_a_spec_without_the_filter_and_loads_the_program() {
        let b = bundle_with(&confined_spec(), true);
        let (dir, exec) = prepare_init(&b).unwrap().unwrap();
        assert_eq!(dir, b.join(INIT_DIR));
        assert_eq!(origin_bundle(&dir), b);
        assert_eq!(origin_bundle(&b), b);
        let s = Spec::load(dir.join("config.json")).unwrap();
        assert!(s.linux().as_ref().unwrap().seccomp().is_none());
        assert_eq!(s.root().as_ref().unwrap().path(), &b.join("rootfs"));
        let caps = s
            .process()
            .as_ref()
            .unwrap()
            .capabilities()
            .clone()
            .unwrap();
        assert!(caps
            .bounding()
            .as_ref()
            .unwrap()
            .contains(&Capability::SysAdmin));
        let real = exec.restore.unwrap();
        assert!(!real
            .bounding()
            .as_ref()
            .unwrap()
            .contains(&Capability::SysAdmin));
        match exec.filter {
            Filter::Program { bpf, flags } => {
                assert_eq!(bpf, vec![0u8; 8]);
                assert_eq!(flags, wharf_sys::seccomp::FLAG_LOG);
            }
            Filter::Profile(_) => panic!("the program was not used"),
        }
        std::fs::remove_dir_all(&b).unwrap();
    }

    #[test]
    fn init_without_a_program_is_created_from_the_bundle_as_it_is() {
        let b = bundle_with(&confined_spec(), false);
        assert!(prepare_init(&b).unwrap().is_none());
        assert!(!b.join(INIT_DIR).exists());
        std::fs::remove_dir_all(&b).unwrap();
    }

    #[test]
    fn prepare_elevates_unless_no_new_privs_or_unconfined() {
        let mut spec = serde_json::json!({
            "ociVersion": "1.0.2",
            "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}}
        });
        let dir = bundle_with(&spec, false);
        let pj = dir.join("exec-1.json");
        let write = |nnp: bool| {
            let p = serde_json::json!({"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                "noNewPrivileges": nnp,
                "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}});
            std::fs::write(&pj, serde_json::to_vec(&p).unwrap()).unwrap();
        };
        write(false);
        let (path, exec) = prepare(&dir, &pj).unwrap().unwrap();
        assert_ne!(path, pj);
        assert!(exec.restore.is_some());
        assert!(matches!(exec.filter, Filter::Profile(_)));
        let p: Process = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let eff = p
            .capabilities()
            .as_ref()
            .unwrap()
            .effective()
            .clone()
            .unwrap();
        assert!(eff.contains(&Capability::SysAdmin));
        std::fs::write(dir.join(bpf::BPF_FILE), [0u8; 8]).unwrap();
        write(true);
        let (path, exec) = prepare(&dir, &pj).unwrap().unwrap();
        assert_eq!(path, pj);
        assert!(exec.restore.is_none());
        assert!(matches!(exec.filter, Filter::Program { .. }));
        spec.as_object_mut().unwrap().remove("linux");
        std::fs::write(dir.join("config.json"), serde_json::to_vec(&spec).unwrap()).unwrap();
        assert!(prepare(&dir, &pj).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
