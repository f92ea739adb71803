//! The daemon's side of the per-container monitor: writes the bundle,
//! spawns the monitor, and talks to it over its control socket.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixStream;
use tokio::sync::oneshot;
use wharf_api::container::ContainerTopResponse;
use wharf_runtime::client::{ClientError, MonitorClient};
use wharf_runtime::config::MonitorConfig;
use wharf_runtime::protocol::ExecConfig as RtExec;
use wharf_runtime::spec::{NetNs, RunSpec, User as RtUser};

use super::mounts::RtMount;
use super::record::{Container, Paths};
use super::user::User;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::exec::ExecRecord;

/// What `prepare` made ready for the runtime.
pub struct Launch {
    pub rootfs: PathBuf,
    pub user: User,
    pub mounts: Vec<RtMount>,
    /// Variables of legacy `--link`s (`ALIAS_NAME`, `ALIAS_PORT_…`, `ALIAS_ENV_…`).
    pub link_env: Vec<String>,
    /// `--network container:X`: the target's namespace instead of our own.
    pub joined: Option<super::joined::JoinedNs>,
}

/// An attach that arrived before the container started (`docker run`
/// attaches first, then starts): it gets its stream once the monitor is up
/// and before the process runs, so no output is lost.
pub struct PendingAttach {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tx: oneshot::Sender<Result<UnixStream>>,
}

fn rt_user(u: &User) -> RtUser {
    RtUser {
        uid: u.uid,
        gid: u.gid,
        additional_gids: u.additional_gids.clone(),
    }
}

fn monitor_config(rec: &Container, paths: &Paths) -> MonitorConfig {
    MonitorConfig {
        id: rec.id.clone(),
        bundle: paths.bundle(),
        runtime: rec.runtime.clone(),
        runtime_root: paths.run.join("runtime"),
        log_path: paths.log(&rec.id),
        state_dir: paths.state_dir(),
        socket_path: paths.monitor_socket(),
        pid_file: paths.run.join("monitor.pid"),
        terminal: rec.config.tty,
        open_stdin: rec.config.open_stdin,
        stdin_once: rec.config.stdin_once,
        cgroup_path: Some(format!("/wharf/{}", rec.id)),
        log: log_rotation(rec),
    }
}

/// The monitor's log policy (checked at create; a record from before
/// that check falls back to an unrotated json-file).
fn log_rotation(rec: &Container) -> wharf_runtime::config::LogRotation {
    let p = crate::container::logdriver::policy(&rec.host_config.log_config).unwrap_or(
        crate::container::logdriver::LogPolicy {
            disabled: false,
            max_size: None,
            max_file: 1,
        },
    );
    wharf_runtime::config::LogRotation {
        disabled: p.disabled,
        max_size: p.max_size,
        max_file: p.max_file,
    }
}

/// Writes the bundle and spawns the monitor, which creates the container
/// and waits for `Start`.
pub async fn spawn(d: &Arc<Daemon>, rec: &Container, paths: &Paths, launch: &Launch) -> Result<()> {
    let hc = &rec.host_config;
    let mut args = vec![rec.path.clone()];
    args.extend(rec.args.iter().cloned());
    let init = if hc.init.unwrap_or(false) {
        Some(find_init()?)
    } else {
        None
    };
    let mut rs = RunSpec {
        id: rec.id.clone(),
        rootfs: launch.rootfs.clone(),
        readonly_rootfs: hc.readonly_rootfs,
        args,
        env: container_env(rec, &launch.user, &launch.link_env),
        cwd: Some(rec.config.working_dir.clone()).filter(|w| !w.is_empty()),
        user: rt_user(&launch.user),
        hostname: rec.config.hostname.clone(),
        terminal: rec.config.tty,
        mounts: launch.mounts.clone(),
        privileged: hc.privileged,
        cap_add: hc.cap_add.clone().unwrap_or_default(),
        cap_drop: hc.cap_drop.clone().unwrap_or_default(),
        memory_bytes: Some(hc.memory).filter(|m| *m > 0),
        nano_cpus: Some(hc.nano_cpus).filter(|c| *c > 0),
        pids_limit: hc.pids_limit.filter(|p| *p > 0),
        netns: match &launch.joined {
            Some(super::joined::JoinedNs::Host) => NetNs::Host,
            Some(super::joined::JoinedNs::Path(p)) => NetNs::Path(p.clone()),
            None if super::network::NetworkMode::of(hc).is_host() => NetNs::Host,
            None => NetNs::Path(paths.netns()),
        },
        cgroup_path: format!("/wharf/{}", rec.id),
        init,
        stop_signal: rec.config.stop_signal.clone(),
        etc_dir: None,
        ..Default::default()
    };
    super::security::apply(hc, &mut rs)?;
    let cfg = monitor_config(rec, paths);
    let warm = d.warm.clone();
    let bundle = paths.bundle();
    let run_dir = paths.run.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        wharf_sys::fs::ensure_dir_mode(&run_dir, wharf_sys::fs::MODE_PRIVATE_DIR)?;
        wharf_sys::fs::ensure_dir_mode(&bundle, wharf_sys::fs::MODE_PRIVATE_DIR)?;
        wharf_runtime::spec::write_bundle(&bundle, &rs)
            .map_err(|e| Error::new(e.kind(), e.to_string()))?;
        warm.spawn_monitor(&cfg)
            .map_err(|e| Error::internal(format!("start monitor: {e}")))?;
        Ok(())
    })
    .await?
}

/// Docker's process environment: PATH when the image sets none, HOSTNAME,
/// TERM for a tty, HOME from passwd, then the container's own variables.
fn container_env(rec: &Container, user: &User, link_env: &[String]) -> Vec<String> {
    let own = rec.config.env.clone().unwrap_or_default();
    let has = |k: &str| own.iter().any(|e| e.split('=').next() == Some(k));
    let mut env = Vec::new();
    if !has("PATH") {
        env.push("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string());
    }
    env.push(format!("HOSTNAME={}", rec.config.hostname));
    if rec.config.tty && !has("TERM") {
        env.push("TERM=xterm".to_string());
    }
    if !has("HOME") {
        env.push(format!("HOME={}", user.home));
    }
    env.extend(link_env.iter().cloned());
    env.retain(|e| !has(e.split('=').next().unwrap_or("")));
    env.extend(own);
    env
}

/// `--init` runs Debian's static tini as pid 1, as docker-init is tini.
fn find_init() -> Result<PathBuf> {
    [
        "/usr/bin/tini-static",
        "/usr/bin/docker-init",
        "/usr/libexec/docker/docker-init",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .ok_or_else(|| {
        Error::invalid("--init needs an init binary: install Debian's 'tini' package (tini-static)")
    })
}

fn client(paths: &Paths) -> MonitorClient {
    MonitorClient::new(paths.monitor_socket())
}

fn rt_error(e: ClientError) -> Error {
    Error::new(e.kind(), e.to_string())
}

/// Tells the monitor to run the process; returns its pid.
pub async fn start(paths: &Paths) -> Result<i64> {
    let r = client(paths).start().await.map_err(rt_error)?;
    match (r.pid, r.start_error) {
        (Some(pid), None) => Ok(pid as i64),
        (_, msg) => {
            let msg = msg.unwrap_or_else(|| "container failed to start".into());
            Err(Error::invalid(format!(
                "failed to create task for container: OCI runtime create failed: {msg}"
            )))
        }
    }
}

/// The pid of the container's init once the runtime has created it (the
/// monitor answers after its create), or `None` when the create failed
/// (`Start` then reports why) or the monitor cannot be asked.
pub async fn created_pid(paths: &Paths) -> Option<i64> {
    let s = client(paths).state().await.ok()?;
    match (s.status, s.pid, s.error) {
        (wharf_runtime::Status::Created, Some(pid), None) if pid > 0 => Some(pid as i64),
        _ => None,
    }
}

/// The status the monitor reports, `None` when it does not answer.
pub async fn status(paths: &Paths) -> Option<wharf_runtime::Status> {
    client(paths).state().await.ok().map(|s| s.status)
}

pub async fn kill(paths: &Paths, signal: i32) -> Result<()> {
    client(paths).kill(signal).await.map_err(rt_error)
}

pub async fn resize(paths: &Paths, height: u16, width: u16) -> Result<()> {
    client(paths).resize(height, width).await.map_err(rt_error)
}

/// Waits for the exit; falls back to the monitor's exit record when the
/// connection breaks. Returns the exit code, the time and whether the OOM
/// killer struck, or `None` when the monitor vanished without recording an
/// exit (killed): the container's processes may then still be running.
pub async fn wait(paths: &Paths) -> Option<(i64, String, bool)> {
    let exited = client(paths).wait().await.ok().map(i64::from);
    // The monitor writes exit.json before answering; give it a moment when
    // the answer was lost.
    for _ in 0..50 {
        if let Some(r) = wharf_runtime::config::read_exit_record(&paths.state_dir()) {
            return Some((r.exit_code as i64, r.finished_at, r.oom_killed));
        }
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    exited.map(|code| (code, crate::util::now_rfc3339(), false))
}

/// The monitor's end: resolves when the monitor that answered
/// [`wait_exit`] is done (its runtime delete included).
pub type MonitorDone = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// [`wait`], answered as soon as the monitor has recorded the exit (before
/// its runtime delete), with a future that resolves once the monitor is
/// done.
pub async fn wait_exit(paths: &Paths) -> (Option<(i64, String, bool)>, MonitorDone) {
    match client(paths).wait_exit().await {
        Ok((code, stream)) => {
            let exit = match wharf_runtime::config::read_exit_record(&paths.state_dir()) {
                Some(r) => (r.exit_code as i64, r.finished_at, r.oom_killed),
                None => (i64::from(code), crate::util::now_rfc3339(), false),
            };
            let done: MonitorDone = match stream {
                Some(mut s) => Box::pin(async move {
                    use tokio::io::AsyncReadExt;
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                }),
                None => Box::pin(async {}),
            };
            (Some(exit), done)
        }
        Err(_) => (wait(paths).await, Box::pin(async {})),
    }
}

/// True when the monitor answers on its socket.
pub async fn alive(paths: &Paths) -> bool {
    client(paths).state().await.is_ok()
}

/// Frees the run directory's name at once; the reaper deletes its content
/// in the background (off `run --rm`'s path).
pub fn remove_run_dir(paths: &Paths) {
    // `<exec-root>/containers/<id>`: the trash lives beside `containers`.
    if let Some(root) = paths.run.parent().and_then(|p| p.parent()) {
        let _ = crate::reaper::remove_later(root, &paths.run);
    } else {
        let _ = std::fs::remove_dir_all(&paths.run);
    }
    // A stale exit record must not be read for the next run.
    let _ = std::fs::remove_file(paths.state_dir().join("exit.json"));
}

async fn attach_stream(
    paths: &Paths,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> Result<UnixStream> {
    client(paths)
        .attach(stdin, stdout, stderr)
        .await
        .map_err(rt_error)
}

/// Attaches now if running, else waits for the next start.
pub async fn attach_or_wait(
    d: &Arc<Daemon>,
    id: &str,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> Result<UnixStream> {
    let rec = d.get(id)?;
    if rec.state.status.is_active() {
        return attach_stream(&d.paths(id), stdin, stdout, stderr).await;
    }
    let (tx, rx) = oneshot::channel();
    d.attach_waiters()
        .entry(id.to_string())
        .or_default()
        .push(PendingAttach {
            stdin,
            stdout,
            stderr,
            tx,
        });
    rx.await
        .map_err(|_| Error::internal("container was removed before it started"))?
}

pub async fn connect_pending_attaches(d: &Arc<Daemon>, id: &str, paths: &Paths) {
    let waiters = d.attach_waiters().remove(id).unwrap_or_default();
    for w in waiters {
        let s = attach_stream(paths, w.stdin, w.stdout, w.stderr).await;
        let _ = w.tx.send(s);
    }
}

pub fn fail_pending_attaches(d: &Daemon, id: &str) {
    // Dropping the senders ends those attach sessions.
    d.attach_waiters().remove(id);
}

/// The exec's process spec, with the user resolved in the container.
pub fn prepare_exec(
    d: &Daemon,
    rec: &Container,
    exec: &ExecRecord,
    user: &str,
    tty: bool,
    console_size: Option<&[u32]>,
) -> Result<RtExec> {
    let rootfs = d.paths(&rec.id).merged();
    let u = super::user::resolve_with_groups(
        &rootfs,
        user,
        rec.host_config.group_add.as_deref().unwrap_or_default(),
    )?;
    let mut env = rec.config.env.clone().unwrap_or_default();
    for e in exec.config.env.iter().flatten() {
        let k = e.split('=').next().unwrap_or("");
        env.retain(|x| x.split('=').next() != Some(k));
        env.push(e.clone());
    }
    let cwd = if exec.config.working_dir.is_empty() {
        rec.config.working_dir.clone()
    } else {
        exec.config.working_dir.clone()
    };
    Ok(RtExec {
        args: exec.config.cmd.clone().unwrap_or_default(),
        env,
        cwd: Some(cwd).filter(|c| !c.is_empty()),
        user: Some(rt_user(&u)),
        tty,
        console_size: console_size.and_then(|c| match c {
            [h, w, ..] if *h > 0 && *w > 0 => {
                Some([(*h).min(65535) as u16, (*w).min(65535) as u16])
            }
            _ => None,
        }),
        stdin: exec.config.attach_stdin,
        privileged: exec.config.privileged,
    })
}

/// Creates the exec in the monitor and opens its stdio stream (which
/// starts the process).
pub async fn exec_start(
    d: &Daemon,
    rec: &Container,
    exec: &ExecRecord,
    spec: RtExec,
) -> Result<UnixStream> {
    let c = client(&d.paths(&rec.id));
    let mid = c.exec(spec).await.map_err(rt_error)?;
    d.execs
        .update(&exec.id, |r| r.monitor_id = Some(mid.clone()));
    let stream = c.exec_start(&mid).await.map_err(rt_error)?;
    if let Ok(s) = c.exec_state(&mid).await {
        d.execs
            .update(&exec.id, |r| r.pid = s.pid.unwrap_or(0) as i64);
    }
    Ok(stream)
}

/// Polls the monitor until the exec has exited and records its code.
pub async fn finish_exec(d: &Daemon, exec_id: &str) {
    loop {
        let Some(e) = d.execs.get(exec_id) else {
            return;
        };
        if e.exit_code.is_some() {
            return;
        }
        let Some(mid) = e.monitor_id.clone() else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let paths = d.paths(&e.container_id);
        match client(&paths).exec_state(&mid).await {
            Ok(s) if !s.running && s.exit_code.is_some() => {
                d.execs.update(exec_id, |r| {
                    r.running = false;
                    r.exit_code = s.exit_code.map(i64::from);
                });
                return;
            }
            Ok(_) => {}
            Err(_) => {
                // Monitor gone: the container stopped and took the exec with it.
                d.execs.update(exec_id, |r| {
                    r.running = false;
                    r.exit_code.get_or_insert(137);
                });
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn exec_resize(d: &Daemon, exec: &ExecRecord, height: u16, width: u16) -> Result<()> {
    let Some(mid) = exec.monitor_id.clone() else {
        return Err(Error::conflict(format!("exec {} is not running", exec.id)));
    };
    client(&d.paths(&exec.container_id))
        .exec_resize(&mid, height, width)
        .await
        .map_err(rt_error)
}

/// Pids in the container's cgroup (its init and everything it started).
pub async fn container_pids(_paths: &Paths, init_pid: i64) -> Vec<i64> {
    let Ok(cg) = std::fs::read_to_string(format!("/proc/{init_pid}/cgroup")) else {
        return vec![init_pid];
    };
    // Any hierarchy works: all of the container's processes share it.
    let mut pids = Vec::new();
    if let Some(path) = cg.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (_, ctrl, p) = (f.next()?, f.next()?, f.next()?);
        (ctrl == "pids" || ctrl.is_empty()).then(|| (ctrl.to_string(), p.to_string()))
    }) {
        let base = if path.0 == "pids" {
            format!("/sys/fs/cgroup/pids{}", path.1)
        } else {
            format!("/sys/fs/cgroup/unified{}", path.1)
        };
        if let Ok(s) = std::fs::read_to_string(format!("{base}/cgroup.procs")) {
            pids.extend(s.lines().filter_map(|l| l.trim().parse::<i64>().ok()));
        }
    }
    if pids.is_empty() {
        pids.push(init_pid);
    }
    pids
}

/// Keeps the header and the rows of `ps` whose PID column is one of ours.
pub fn filter_ps(out: &str, pids: &[i64]) -> Result<ContainerTopResponse> {
    let mut lines = out.lines();
    let header = lines.next().unwrap_or("");
    let titles: Vec<String> = header.split_whitespace().map(str::to_owned).collect();
    let pid_col = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| Error::invalid("Couldn't find PID field in ps output"))?;
    let mut processes = Vec::new();
    for l in lines {
        let fields: Vec<&str> = l.split_whitespace().collect();
        if fields.len() < titles.len() {
            continue;
        }
        let Ok(pid) = fields[pid_col].parse::<i64>() else {
            continue;
        };
        if !pids.contains(&pid) {
            continue;
        }
        let mut row: Vec<String> = fields[..titles.len() - 1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        row.push(fields[titles.len() - 1..].join(" "));
        processes.push(row);
    }
    Ok(ContainerTopResponse { titles, processes })
}
