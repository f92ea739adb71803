//! Embedded youki `libcontainer` driver. It forks, so it only runs in the
//! single-threaded monitor.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use libcontainer::container::builder::ContainerBuilder;
use libcontainer::container::Container;
use libcontainer::signal::Signal;
use libcontainer::syscall::syscall::SyscallType;

use super::{confine, OciError, ProcStdio, Runtime};

/// Drives containers through the libcontainer crate, state under `root`.
pub struct LibcontainerRuntime {
    root: PathBuf,
    containers: HashMap<String, Container>,
}

impl LibcontainerRuntime {
    pub fn new(root: &Path) -> Self {
        LibcontainerRuntime {
            root: root.to_path_buf(),
            containers: HashMap::new(),
        }
    }

    fn container(&mut self, op: &'static str, id: &str) -> Result<&mut Container, OciError> {
        if !self.containers.contains_key(id) {
            let c = Container::load(self.root.join(id)).map_err(|e| err(op, id, &e))?;
            self.containers.insert(id.to_string(), c);
        }
        self.containers.get_mut(id).ok_or_else(|| OciError {
            op,
            id: id.to_string(),
            message: "container state not found".into(),
        })
    }

    /// A builder for `op` on container `id` with its stdio and console,
    /// and the confining executor when there is one; returns it with the
    /// file libcontainer should read: the executor's (`confined`'s path)
    /// or `plain` when the process needs no executor.
    fn builder(
        &self,
        op: &'static str,
        id: &str,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
        confined: Option<(PathBuf, confine::ConfiningExecutor)>,
        plain: &Path,
    ) -> Result<(ContainerBuilder, PathBuf), OciError> {
        let builder = ContainerBuilder::new(id.to_string(), SyscallType::default())
            .with_root_path(&self.root)
            .map_err(|e| err(op, id, &e))?
            .with_console_socket(console_socket)
            .with_stdin(stdio.stdin)
            .with_stdout(stdio.stdout)
            .with_stderr(stdio.stderr);
        Ok(match confined {
            Some((path, executor)) => (builder.with_executor(executor), path),
            None => (builder, plain.to_path_buf()),
        })
    }
}

/// Flattens an error and its sources into one line.
fn err(op: &'static str, id: &str, e: &dyn std::error::Error) -> OciError {
    let mut message = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        message.push_str(": ");
        message.push_str(&s.to_string());
        src = s.source();
    }
    OciError {
        op,
        id: id.to_string(),
        message,
    }
}

impl Runtime for LibcontainerRuntime {
    fn create(
        &mut self,
        id: &str,
        bundle: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError> {
        std::fs::create_dir_all(&self.root).map_err(|e| err("create", id, &e))?;
        let confined = confine::prepare_init(bundle).map_err(|e| err("create", id, &e))?;
        let (builder, bundle) =
            self.builder("create", id, stdio, console_socket, confined, bundle)?;
        let container = builder
            .as_init(&bundle)
            .with_systemd(false)
            .with_detach(true)
            .build()
            .map_err(|e| err("create", id, &e))?;
        let pid = container.pid().map(|p| p.as_raw() as u32).unwrap_or(0);
        self.containers.insert(id.to_string(), container);
        Ok(pid)
    }

    fn start(&mut self, id: &str) -> Result<(), OciError> {
        self.container("start", id)?
            .start()
            .map_err(|e| err("start", id, &e))
    }

    fn kill(&mut self, id: &str, signal: i32, all: bool) -> Result<(), OciError> {
        let sig = Signal::try_from(signal).map_err(|e| err("kill", id, &e))?;
        let c = self.container("kill", id)?;
        c.kill(sig, all).map_err(|e| err("kill", id, &e))
    }

    fn exec(
        &mut self,
        id: &str,
        process_json: &Path,
        stdio: ProcStdio,
        console_socket: Option<&Path>,
    ) -> Result<u32, OciError> {
        let bundle = confine::origin_bundle(self.container("exec", id)?.bundle());
        let confined = confine::prepare(&bundle, process_json).map_err(|e| err("exec", id, &e))?;
        let (builder, process) =
            self.builder("exec", id, stdio, console_socket, confined, process_json)?;
        let pid = builder
            .as_tenant()
            .with_process(Some(&process))
            .with_detach(true)
            .build();
        if process != process_json {
            let _ = std::fs::remove_file(&process);
        }
        Ok(pid.map_err(|e| err("exec", id, &e))?.as_raw() as u32)
    }

    fn delete(&mut self, id: &str, force: bool) -> Result<(), OciError> {
        if quick_delete(&self.root.join(id)) {
            self.containers.remove(id);
            return Ok(());
        }
        let c = self.container("delete", id)?;
        let r = c.delete(force).map_err(|e| err("delete", id, &e));
        self.containers.remove(id);
        r
    }
}

/// Deletes an exited container's state without libcontainer's delete,
/// which builds a cgroup v1 manager that reads the host's whole mount table
/// about a dozen times (over 50 ms with a few hundred mounts, and several
/// times that with ten containers stopping at once: the bulk of `stop` and
/// of compose `down`). When the init is gone, no hook is configured and
/// every cgroup of the container is empty, what is left to do is a `rmdir`
/// per hierarchy and the state directory. Returns false (nothing done
/// that matters) when any of that does not hold, for the full delete.
fn quick_delete(state_dir: &Path) -> bool {
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_slice(&std::fs::read(state_dir.join(name)).ok()?).ok()
    };
    let (Some(state), Some(config)) = (read("state.json"), read("youki_config.json")) else {
        return false;
    };
    if !config["hooks"].is_null() {
        return false;
    }
    // the init has exited (the monitor reaped it): nothing to kill
    match state["pid"].as_i64() {
        Some(pid) if pid > 0 => {
            let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None)
                == Err(nix::errno::Errno::ESRCH);
            if !gone {
                return false;
            }
        }
        _ => return false,
    }
    let Some(cgroup) = config["cgroup_path"].as_str() else {
        return false;
    };
    let rel = cgroup.trim_start_matches('/');
    if rel.is_empty() || rel.split('/').any(|c| c == ".." || c == ".") {
        return false;
    }
    // v2 (or the unified hierarchy) and each v1 hierarchy. The hierarchies
    // come from a listing of /sys/fs/cgroup, not from
    // `wharf_sys::cgroupfs::mounts()`: this runs once in each container's
    // monitor, a short-lived process with nothing to cache in, and reading
    // mountinfo is the cost (growing with the containers running) this
    // function exists to avoid, while the listing is one readdir of a small
    // tmpfs. It covers the hierarchies libcontainer itself creates the
    // container's cgroups in (mounted under /sys/fs/cgroup); one mounted
    // elsewhere is still swept by the daemon's `cgroups::remove`, which
    // walks every mount. A v2-only host has one hierarchy, the base: its
    // subdirectories are cgroups, not hierarchies, so it is not listed.
    let base = Path::new("/sys/fs/cgroup");
    let mut dirs = vec![base.join(rel)];
    let unified = base.join("cgroup.controllers").exists();
    let listing = if unified {
        None
    } else {
        std::fs::read_dir(base).ok()
    };
    if let Some(entries) = listing {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path().join(rel));
            }
        }
    }
    let dirs: Vec<PathBuf> = dirs.into_iter().filter(|d| d.is_dir()).collect();
    // processes left (a container sharing the host's pid namespace): the
    // full delete kills them first
    for d in &dirs {
        match std::fs::read_to_string(d.join("cgroup.procs")) {
            Ok(procs) if procs.trim().is_empty() => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            _ => return false,
        }
    }
    for d in &dirs {
        match std::fs::remove_dir(d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return false,
        }
    }
    match std::fs::remove_dir_all(state_dir) {
        Ok(()) => true,
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}
