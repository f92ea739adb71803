//! The monitor's event loop: control socket, container output, attach
//! streams, exec sessions and process exits, all polled on one thread.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;

use super::exec::{new_exec_id, write_process_json, ExecSession};
use super::logfile::{frame, JsonLog};
use super::stdio::{self, HostIo};
use crate::config::MonitorConfig;
use crate::oci::{docker_start_error, runtime_by_name, start_error_exit_code, Runtime};
use crate::protocol::{now_rfc3339, ContainerState, ExitRecord, Reply, Request, Status};

/// How long output is drained after a process exits before giving up on
/// descendants that still hold the pipes.
const DRAIN: Duration = Duration::from_secs(2);
/// Writes to a stalled attach client are abandoned after this.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

struct Attach {
    conn: UnixStream,
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

enum Token {
    Listener,
    Init,
    Output(usize),
    AttachIn(usize),
    ExecPid,
    ExecOut(String, usize),
    ExecIn(String),
}

pub struct Server {
    cfg: MonitorConfig,
    runtime: Box<dyn Runtime>,
    listener: UnixListener,
    log: Option<JsonLog>,
    io: Option<HostIo>,
    status: Status,
    pid: Option<u32>,
    pidfd: Option<OwnedFd>,
    started_at: Option<String>,
    exit_code: Option<i32>,
    exited_at: Option<Instant>,
    start_error: Option<String>,
    attaches: Vec<Attach>,
    waiters: Vec<UnixStream>,
    /// `WaitExit` connections: answered once the exit is recorded, closed
    /// once the monitor is done.
    exit_waiters: Vec<UnixStream>,
    execs: HashMap<String, ExecSession>,
    command: String,
    /// When to release creation-time memory, set by a start or an exec.
    trim_at: Option<Instant>,
}

/// How long after a start or an exec the monitor releases the memory that
/// creating it needed (later than the first replies and output).
const TRIM_DELAY: Duration = Duration::from_millis(500);

/// How long after an exec's end (its stream closed, its exit code read)
/// the monitor trims: after the daemon's last request about it.
const TRIM_AFTER_EXEC: Duration = Duration::from_millis(50);

/// How long a finished exec's session is kept once the daemon has read its
/// exit code, and at most when it never does (a daemon restarted meanwhile).
const FORGET_REPORTED: Duration = Duration::from_secs(10);
const FORGET_UNREPORTED: Duration = Duration::from_secs(600);

/// How often exited execs are looked for while the container is busy.
const SWEEP: Duration = Duration::from_millis(200);

fn pidfd(pid: u32) -> Option<OwnedFd> {
    let p = rustix::process::Pid::from_raw(pid as i32)?;
    rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok()
}

fn kind_reply(e: &crate::oci::OciError) -> Reply {
    Reply::error("other", e.to_string())
}

impl Server {
    /// `ready` gets one byte once the socket is bound (the daemon waits
    /// for it instead of polling the socket), then is closed.
    pub fn new(cfg: MonitorConfig, ready: Option<OwnedFd>) -> io::Result<Self> {
        // A daemon that died before we got here may already have been
        // followed by one whose reconcile cleaned this container's run
        // directory: change nothing on disk then (no directory made again).
        if ready.as_ref().is_some_and(daemon_gone) {
            return Err(io::Error::other(
                "the daemon that started this monitor is gone",
            ));
        }
        // Directories we make here go again if the daemon turns out gone.
        let made: Vec<std::path::PathBuf> = [cfg.socket_path.parent(), Some(&*cfg.state_dir)]
            .into_iter()
            .flatten()
            .filter(|d| !d.exists())
            .map(|d| d.to_path_buf())
            .collect();
        if let Some(dir) = cfg.socket_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::create_dir_all(&cfg.state_dir)?;
        // A stale exit record would make a restarted daemon think we exited.
        let _ = std::fs::remove_file(cfg.exit_path());
        // Space for the exit record, given back when writing it fails on a
        // full disk: an exit 0 must not come back as 255 after a restart.
        let _ = std::fs::write(exit_reserve(&cfg), vec![0u8; EXIT_RESERVE_BYTES]);
        let _ = std::fs::remove_file(&cfg.socket_path);
        let addr = wharf_sys::sockpath::SocketPath::new(&cfg.socket_path)?;
        let listener = UnixListener::bind(addr.as_path())?;
        listener.set_nonblocking(true)?;
        // Read by a restarted daemon to find us; we do not outlive a power
        // loss, so it needs no fsync.
        wharf_sys::fs::write_replace(&cfg.pid_file, std::process::id().to_string().as_bytes())?;
        if let Some(fd) = ready {
            if rustix::io::write(&fd, b"1") == Err(rustix::io::Errno::PIPE) {
                // The daemon that started us died before it heard we were
                // ready, so it never counted this start; its successor may
                // already have looked for our pid file and not found it.
                // Nobody will ever ask us to start: go before creating
                // anything, taking our files with us.
                let _ = std::fs::remove_file(&cfg.pid_file);
                let _ = std::fs::remove_file(&cfg.socket_path);
                let _ = std::fs::remove_file(exit_reserve(&cfg));
                for d in made.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
                return Err(io::Error::other(
                    "the daemon that started this monitor is gone",
                ));
            }
        }
        let runtime = runtime_by_name(&cfg.runtime, &cfg.runtime_root);
        let log = if cfg.log.disabled {
            None
        } else {
            JsonLog::open_rotating(&cfg.log_path, cfg.log.max_size, cfg.log.max_file).ok()
        };
        let command = bundle_command(&cfg.bundle);
        let mut s = Server {
            cfg,
            runtime,
            listener,
            log,
            io: None,
            status: Status::Created,
            pid: None,
            pidfd: None,
            started_at: None,
            exit_code: None,
            exited_at: None,
            start_error: None,
            attaches: Vec::new(),
            waiters: Vec::new(),
            exit_waiters: Vec::new(),
            execs: HashMap::new(),
            command,
            trim_at: None,
        };
        s.create();
        Ok(s)
    }

    /// Creates the container now so `Start` only has to start it; a failure
    /// is kept and reported in the `Start` reply. The runtime's create runs
    /// in a forked helper, so the code and heap it needs never enter the
    /// long-lived monitor; the container's init outlives the helper and is
    /// re-parented to the monitor, a subreaper.
    fn create(&mut self) {
        let console = stdio::console_path("init");
        let id = self.cfg.id.clone();
        let bundle = self.cfg.bundle.clone();
        let result: Result<(u32, HostIo), String> = if self.cfg.terminal {
            stdio::console_listener(&console)
                .map_err(|e| e.to_string())
                .and_then(|l| {
                    let pid = self.in_helper(|rt| {
                        let null = stdio::null_stdio().map_err(|e| e.to_string())?;
                        rt.create(&id, &bundle, null, Some(&console))
                            .map_err(|e| e.message)
                    })?;
                    stdio::receive_master(&l, Duration::from_secs(5))
                        .map(|io| (pid, io))
                        .map_err(|e| e.to_string())
                })
        } else {
            stdio::pipes(self.cfg.open_stdin)
                .map_err(|e| e.to_string())
                .and_then(|(child, host)| {
                    let pid = self.in_helper(move |rt| {
                        rt.create(&id, &bundle, child, None).map_err(|e| e.message)
                    })?;
                    Ok((pid, host))
                })
        };
        let _ = std::fs::remove_file(&console);
        match result {
            Ok((pid, io)) => {
                for (f, _) in &io.outputs {
                    let _ = rustix::io::ioctl_fionbio(f, true);
                }
                self.pid = Some(pid);
                self.pidfd = pidfd(pid);
                self.io = Some(io);
            }
            Err(msg) => self.start_error = Some(msg),
        }
    }

    /// Runs a runtime call that starts a process (the container's create,
    /// an exec) in a forked helper, as containerd's shim runs `runc`: the
    /// call's code and heap (spec parsing, libcontainer's namespace joining
    /// and forks, the runc client) are faulted into the helper, never into
    /// the monitor, so a healthcheck every second leaves the monitor's
    /// memory as it was. The process started outlives the helper and is
    /// re-parented to the monitor, a subreaper. Returns its pid.
    fn in_helper<F>(&mut self, work: F) -> Result<u32, String>
    where
        F: FnOnce(&mut dyn Runtime) -> Result<u32, String>,
    {
        let runtime = &mut *self.runtime;
        let answer = wharf_sys::child::run_in_child(move || match work(runtime) {
            Ok(pid) => format!("ok {pid}").into_bytes(),
            Err(msg) => format!("err {msg}").into_bytes(),
        })
        .map_err(|e| format!("runtime helper: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        match answer.split_once(' ') {
            Some(("ok", pid)) => pid
                .parse()
                .map_err(|_| format!("runtime helper: bad answer {answer:?}")),
            Some(("err", msg)) => Err(msg.to_string()),
            _ => Err(format!("runtime helper: bad answer {answer:?}")),
        }
    }

    pub fn run(mut self) -> io::Result<()> {
        let mut buf = vec![0u8; 32 * 1024];
        let mut last_sweep = Instant::now();
        loop {
            if self.finished() {
                break;
            }
            let (ready, idle) = self.poll_once()?;
            for t in ready {
                self.handle(t, &mut buf);
            }
            // An exec that exited after its output ended is closed here:
            // nothing else may wake us while the container keeps printing,
            // so the sweep runs on a clock, not only when poll is idle.
            self.close_finished_execs();
            if idle || last_sweep.elapsed() > SWEEP {
                self.expire_execs();
                if let Some(log) = &mut self.log {
                    let _ = log.retry_pending();
                }
                last_sweep = Instant::now();
            }
            // A moment after a start or an exec, hand back the code and heap
            // that creating it needed: the monitor stays small for the
            // container's life, and the work is off the start path.
            if self.trim_at.is_some_and(|t| Instant::now() >= t) {
                let _ = wharf_sys::mem::release_unused();
                self.trim_at = None;
            }
        }
        self.finish();
        Ok(())
    }

    /// True once the container has exited (or never started) and its output
    /// is drained.
    fn finished(&self) -> bool {
        match self.exited_at {
            None => false,
            Some(t) => {
                let open = self.io.as_ref().is_some_and(|io| !io.outputs.is_empty());
                !open || t.elapsed() > DRAIN
            }
        }
    }

    fn poll_once(&mut self) -> io::Result<(Vec<Token>, bool)> {
        let mut fds: Vec<BorrowedFd<'_>> = Vec::new();
        let mut tokens = Vec::new();
        fds.push(self.listener.as_fd());
        tokens.push(Token::Listener);
        if self.exit_code.is_none() {
            if let Some(p) = &self.pidfd {
                fds.push(p.as_fd());
                tokens.push(Token::Init);
            }
        }
        if let Some(io) = &self.io {
            for (i, (f, _)) in io.outputs.iter().enumerate() {
                fds.push(f.as_fd());
                tokens.push(Token::Output(i));
            }
        }
        for (i, a) in self.attaches.iter().enumerate() {
            if a.stdin {
                fds.push(a.conn.as_fd());
                tokens.push(Token::AttachIn(i));
            }
        }
        for (id, e) in &self.execs {
            if e.exit_code.is_none() {
                if let Some(p) = &e.pidfd {
                    fds.push(p.as_fd());
                    tokens.push(Token::ExecPid);
                }
            }
            if let Some(io) = &e.io {
                for (i, (f, _)) in io.outputs.iter().enumerate() {
                    fds.push(f.as_fd());
                    tokens.push(Token::ExecOut(id.clone(), i));
                }
                if e.config.stdin && io.stdin.is_some() {
                    if let Some(c) = &e.conn {
                        fds.push(c.as_fd());
                        tokens.push(Token::ExecIn(id.clone()));
                    }
                }
            }
        }
        let mut pfds: Vec<PollFd<'_>> = fds
            .iter()
            .map(|f| PollFd::new(*f, PollFlags::POLLIN))
            .collect();
        // An idle monitor sleeps until something happens: waking on a clock
        // would fault its loop's code back in after a trim. A clock is only
        // needed while output drains after the exit, while an exec runs
        // (the sweep), and while log lines wait for disk space.
        let mut timeout = if self.exited_at.is_some() {
            PollTimeout::from(100u16)
        } else if self.needs_sweep() {
            PollTimeout::from(1000u16)
        } else {
            PollTimeout::NONE
        };
        // Wake for a pending trim: the next event may be a second away
        // (a healthcheck's next exec), and trimming just before it would
        // hand back memory the exec at once faults in again.
        if let Some(t) = self.trim_at {
            let left = t.saturating_duration_since(Instant::now()).as_millis();
            let left = PollTimeout::from(left.min(u128::from(u16::MAX)) as u16);
            if timeout == PollTimeout::NONE || left < timeout {
                timeout = left;
            }
        }
        let n = match poll(&mut pfds, timeout) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => 0,
            Err(e) => return Err(e.into()),
        };
        let ready: Vec<Token> = pfds
            .iter()
            .zip(tokens)
            .filter(|(p, _)| p.revents().is_some_and(|r| !r.is_empty()))
            .map(|(_, t)| t)
            .collect();
        // Indexes refer to this iteration's vectors: handle removals from
        // the back so earlier indexes stay valid.
        let mut ready = ready;
        ready.reverse();
        Ok((ready, n == 0))
    }

    /// True while something must be looked at on a clock: an exec that
    /// runs or still streams, or log lines held back by a full disk.
    fn needs_sweep(&self) -> bool {
        let exec_live = self
            .execs
            .values()
            .any(|e| e.pid.is_some() && (e.exit_code.is_none() || e.conn.is_some()));
        let log_waits = self.log.as_ref().is_some_and(|l| l.backlog() != (0, 0));
        exec_live || log_waits
    }

    fn handle(&mut self, t: Token, buf: &mut [u8]) {
        match t {
            Token::Listener => self.accept_all(),
            Token::Init => self.reap(),
            Token::Output(i) => self.container_output(i, buf),
            Token::AttachIn(i) => self.attach_input(i, buf),
            Token::ExecPid => self.reap(),
            Token::ExecOut(id, i) => self.exec_output(&id, i, buf),
            Token::ExecIn(id) => self.exec_input(&id, buf),
        }
    }

    fn accept_all(&mut self) {
        while let Ok((conn, _)) = self.listener.accept() {
            let _ = conn.set_nonblocking(false);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = conn.set_write_timeout(Some(WRITE_TIMEOUT));
            let Ok(line) = read_line(&conn) else { continue };
            match serde_json::from_slice::<Request>(&line) {
                Ok(req) => {
                    let _ = conn.set_read_timeout(None);
                    self.request(conn, req);
                }
                Err(e) => send(
                    &conn,
                    &Reply::error("invalid_argument", format!("bad request: {e}")),
                ),
            }
        }
    }

    fn state(&self) -> ContainerState {
        ContainerState {
            pid: self.pid,
            status: self.status,
            exit_code: self.exit_code,
            started_at: self.started_at.clone(),
            finished_at: None,
            error: self.start_error.clone(),
        }
    }

    fn request(&mut self, conn: UnixStream, req: Request) {
        match req {
            Request::Start => {
                let reply = self.start();
                send(&conn, &reply);
            }
            Request::State => send(&conn, &Reply::State(self.state())),
            Request::Kill { signal } => {
                let reply = match self.pid {
                    Some(pid) if self.exit_code.is_none() => {
                        // The init is this monitor's child (it is their
                        // subreaper) and not reaped yet (this loop reaps),
                        // so its pid names it and no other process: signal
                        // it directly, which is all the runtime's kill of
                        // one process does, without the runtime's state
                        // rewrite (libcontainer) or process (runc) on every
                        // stop's path. A paused container is thawed by the
                        // daemon after the signal, as before.
                        let direct = nix::sys::signal::Signal::try_from(signal)
                            .ok()
                            .map(|s| nix::sys::signal::kill(Pid::from_raw(pid as i32), s));
                        match direct {
                            Some(Ok(())) => Reply::Ok,
                            _ => match self.runtime.kill(&self.cfg.id, signal, false) {
                                Ok(()) => Reply::Ok,
                                Err(e) => kind_reply(&e),
                            },
                        }
                    }
                    _ => Reply::error(
                        "conflict",
                        format!("container {} is not running", self.cfg.id),
                    ),
                };
                send(&conn, &reply);
            }
            Request::Resize { height, width } => {
                let reply = match self.io.as_ref().and_then(|io| io.master.as_ref()) {
                    Some(m) => match stdio::resize(m, height, width) {
                        Ok(()) => Reply::Ok,
                        Err(e) => Reply::error("other", format!("resizing tty: {e}")),
                    },
                    None => Reply::error("conflict", "container has no tty"),
                };
                send(&conn, &reply);
            }
            Request::Attach {
                stdin,
                stdout,
                stderr,
            } => {
                send(&conn, &Reply::Ok);
                let has_stdin = self.io.as_ref().is_some_and(|io| io.stdin.is_some());
                self.attaches.push(Attach {
                    conn,
                    stdin: stdin && has_stdin,
                    stdout,
                    stderr,
                });
            }
            Request::Wait => match self.exit_code {
                Some(code) if self.finished() => send(&conn, &Reply::Exited { exit_code: code }),
                _ => self.waiters.push(conn),
            },
            Request::WaitExit => match self.exit_code {
                Some(code) if self.finished() => send(&conn, &Reply::Exited { exit_code: code }),
                _ => self.exit_waiters.push(conn),
            },
            Request::Exec(cfg) => {
                let reply = if self.status != Status::Running || self.exit_code.is_some() {
                    Reply::error(
                        "conflict",
                        format!("container {} is not running", self.cfg.id),
                    )
                } else if cfg.args.is_empty() {
                    Reply::error("invalid_argument", "exec has no command")
                } else {
                    let id = new_exec_id();
                    self.execs
                        .insert(id.clone(), ExecSession::new(id.clone(), cfg));
                    Reply::ExecCreated { id }
                };
                send(&conn, &reply);
            }
            Request::ExecStart { id } => self.exec_start(&id, conn),
            Request::ExecResize { id, height, width } => {
                let reply = match self.execs.get(&id).and_then(|e| e.master()) {
                    Some(m) => match stdio::resize(m, height, width) {
                        Ok(()) => Reply::Ok,
                        Err(e) => Reply::error("other", format!("resizing exec tty: {e}")),
                    },
                    None if self.execs.contains_key(&id) => {
                        Reply::error("conflict", "exec has no tty")
                    }
                    None => Reply::error("not_found", format!("no such exec instance: {id}")),
                };
                send(&conn, &reply);
            }
            Request::ExecState { id } => {
                let reply = match self.execs.get_mut(&id) {
                    Some(e) => {
                        if e.exit_code.is_some() && !e.reported {
                            // The daemon has the exit code: the exec is
                            // over, and what serving it faulted in (a
                            // healthcheck's every second) is handed back.
                            e.reported = true;
                            self.trim_at = Some(Instant::now() + TRIM_AFTER_EXEC);
                        }
                        Reply::ExecState(e.status())
                    }
                    None => Reply::error("not_found", format!("no such exec instance: {id}")),
                };
                send(&conn, &reply);
            }
        }
    }

    fn start(&mut self) -> Reply {
        if self.status == Status::Running {
            return Reply::Started {
                pid: self.pid,
                start_error: None,
                exit_code: None,
            };
        }
        if self.start_error.is_none() {
            match self.runtime.start(&self.cfg.id) {
                Ok(()) => {
                    self.status = Status::Running;
                    self.started_at = Some(now_rfc3339());
                    self.trim_at = Some(Instant::now() + TRIM_DELAY);
                    return Reply::Started {
                        pid: self.pid,
                        start_error: None,
                        exit_code: None,
                    };
                }
                Err(e) => self.start_error = Some(e.message),
            }
        }
        let raw = self.start_error.clone().unwrap_or_default();
        let code = start_error_exit_code(&raw).unwrap_or(128);
        let msg = docker_start_error(&raw, &self.command);
        self.start_error = Some(msg.clone());
        if let Some(log) = &mut self.log {
            let _ = log.write(2, format!("{msg}\n").as_bytes());
        }
        self.status = Status::Stopped;
        self.exit_code = Some(code);
        self.exited_at = Some(Instant::now());
        Reply::Started {
            pid: None,
            start_error: Some(msg),
            exit_code: Some(code),
        }
    }

    /// Reaps every exited child, recording the init's and execs' codes.
    fn reap(&mut self) {
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => self.exited(pid.as_raw() as u32, code),
                Ok(WaitStatus::Signaled(pid, sig, _)) => {
                    self.exited(pid.as_raw() as u32, 128 + sig as i32)
                }
                Ok(WaitStatus::StillAlive) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    fn exited(&mut self, pid: u32, code: i32) {
        if Some(pid) == self.pid && self.exit_code.is_none() {
            self.exit_code = Some(code);
            self.status = Status::Stopped;
            self.exited_at = Some(Instant::now());
            return;
        }
        for e in self.execs.values_mut() {
            if e.pid == Some(pid) && e.exit_code.is_none() {
                e.exit_code = Some(code);
                e.exited_at = Some(Instant::now());
            }
        }
    }

    fn container_output(&mut self, i: usize, buf: &mut [u8]) {
        let Some(io) = self.io.as_mut() else { return };
        let Some((f, stream)) = io.outputs.get_mut(i) else {
            return;
        };
        let stream = *stream;
        match stdio::read_chunk(f, buf) {
            Ok(Some(n)) => {
                let data = &buf[..n];
                if let Some(log) = &mut self.log {
                    let _ = log.write(stream, data);
                }
                let tty = self.cfg.terminal;
                self.attaches.retain_mut(|a| {
                    let wanted = if stream == 2 { a.stderr } else { a.stdout };
                    if !wanted {
                        return true;
                    }
                    let r = if tty {
                        a.conn.write_all(data)
                    } else {
                        a.conn.write_all(&frame(stream, data))
                    };
                    r.is_ok()
                });
            }
            Ok(None) => {
                io.outputs.remove(i);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {
                io.outputs.remove(i);
            }
        }
    }

    fn attach_input(&mut self, i: usize, buf: &mut [u8]) {
        let Some(a) = self.attaches.get_mut(i) else {
            return;
        };
        match a.conn.read(buf) {
            Ok(0) | Err(_) => {
                // Half-close: with stdin_once the container's stdin ends too.
                a.stdin = false;
                if self.cfg.stdin_once && !self.cfg.terminal {
                    if let Some(io) = self.io.as_mut() {
                        io.stdin = None;
                    }
                }
                if !a.stdout && !a.stderr {
                    self.attaches.remove(i);
                }
            }
            Ok(n) => {
                let ok = match self.io.as_mut().and_then(|io| io.stdin.as_mut()) {
                    Some(w) => w.write_all(&buf[..n]).is_ok(),
                    None => false,
                };
                if !ok {
                    a.stdin = false;
                }
            }
        }
    }

    fn exec_start(&mut self, id: &str, conn: UnixStream) {
        let Some(sess) = self.execs.get_mut(id) else {
            send(
                &conn,
                &Reply::error("not_found", format!("no such exec instance: {id}")),
            );
            return;
        };
        if sess.pid.is_some() {
            send(
                &conn,
                &Reply::error("conflict", format!("exec {id} has already been started")),
            );
            return;
        }
        if self.exit_code.is_some() {
            send(
                &conn,
                &Reply::error(
                    "conflict",
                    format!("container {} is not running", self.cfg.id),
                ),
            );
            return;
        }
        let cfg = sess.config.clone();
        let result: Result<(u32, HostIo), String> = if cfg.tty {
            let console = stdio::console_path(&id[..8.min(id.len())]);
            let r = stdio::console_listener(&console)
                .map_err(|e| e.to_string())
                .and_then(|l| {
                    let pid = self.exec_in_helper(id, &cfg, None, Some(&console))?;
                    stdio::receive_master(&l, Duration::from_secs(5))
                        .map(|io| (pid, io))
                        .map_err(|e| e.to_string())
                });
            // Also set here: not every runtime applies consoleSize.
            if let (Ok((_, io)), Some([h, w])) = (&r, cfg.console_size) {
                if let Some(m) = &io.master {
                    let _ = stdio::resize(m, h, w);
                }
            }
            let _ = std::fs::remove_file(&console);
            r
        } else {
            stdio::pipes(cfg.stdin)
                .map_err(|e| e.to_string())
                .and_then(|(child, host)| {
                    let pid = self.exec_in_helper(id, &cfg, Some(child), None)?;
                    Ok((pid, host))
                })
        };
        let Some(sess) = self.execs.get_mut(id) else {
            return;
        };
        match result {
            Ok((pid, io)) => {
                for (f, _) in &io.outputs {
                    let _ = rustix::io::ioctl_fionbio(f, true);
                }
                send(&conn, &Reply::Ok);
                sess.pid = Some(pid);
                sess.pidfd = pidfd(pid);
                sess.io = Some(io);
                sess.conn = Some(conn);
            }
            Err(msg) => {
                let code = start_error_exit_code(&msg).unwrap_or(126);
                let first = cfg.args.first().cloned().unwrap_or_default();
                let msg = docker_start_error(&msg, &first);
                sess.exit_code = Some(code);
                sess.exited_at = Some(Instant::now());
                send(&conn, &Reply::error("other", msg));
            }
        }
        // The exec may already have exited (fast commands): reap now.
        self.reap();
    }

    /// Starts an exec's process through the runtime, from a helper (see
    /// [`Self::in_helper`]). `child_stdio` is `None` for a tty exec (the
    /// runtime wires the pty to `console`).
    fn exec_in_helper(
        &mut self,
        id: &str,
        cfg: &crate::protocol::ExecConfig,
        child_stdio: Option<crate::oci::ProcStdio>,
        console: Option<&std::path::Path>,
    ) -> Result<u32, String> {
        let bundle = self.cfg.bundle.clone();
        let container = self.cfg.id.clone();
        self.in_helper(move |rt| {
            let stdio = match child_stdio {
                Some(s) => s,
                None => stdio::null_stdio().map_err(|e| e.to_string())?,
            };
            let pj = write_process_json(&bundle, id, cfg).map_err(|e| e.to_string())?;
            let r = rt
                .exec(&container, &pj, stdio, console)
                .map_err(|e| e.message);
            let _ = std::fs::remove_file(&pj);
            r
        })
    }

    fn exec_output(&mut self, id: &str, i: usize, buf: &mut [u8]) {
        let Some(sess) = self.execs.get_mut(id) else {
            return;
        };
        let tty = sess.config.tty;
        let Some(io) = sess.io.as_mut() else { return };
        let Some((f, stream)) = io.outputs.get_mut(i) else {
            return;
        };
        let stream = *stream;
        match stdio::read_chunk(f, buf) {
            Ok(Some(n)) => {
                if let Some(c) = sess.conn.as_mut() {
                    let r = if tty {
                        c.write_all(&buf[..n])
                    } else {
                        c.write_all(&frame(stream, &buf[..n]))
                    };
                    if r.is_err() {
                        sess.conn = None;
                    }
                }
            }
            Ok(None) => {
                io.outputs.remove(i);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {
                io.outputs.remove(i);
            }
        }
        self.close_finished_execs();
    }

    fn exec_input(&mut self, id: &str, buf: &mut [u8]) {
        let Some(sess) = self.execs.get_mut(id) else {
            return;
        };
        let Some(c) = sess.conn.as_mut() else { return };
        let Some(io) = sess.io.as_mut() else { return };
        match c.read(buf) {
            Ok(0) | Err(_) => {
                if !sess.config.tty {
                    io.stdin = None;
                }
                sess.config.stdin = false;
            }
            Ok(n) => {
                if let Some(w) = io.stdin.as_mut() {
                    if w.write_all(&buf[..n]).is_err() {
                        io.stdin = None;
                    }
                }
            }
        }
    }

    /// Closes the stream of execs that exited and whose output is drained.
    fn close_finished_execs(&mut self) {
        let mut closed = false;
        for sess in self.execs.values_mut() {
            let Some(t) = sess.exited_at else { continue };
            let drained = sess.io.as_ref().is_none_or(|io| io.outputs.is_empty());
            if drained || t.elapsed() > DRAIN {
                if let Some(c) = sess.conn.take() {
                    let _ = c.shutdown(std::net::Shutdown::Both);
                    closed = true;
                }
                sess.io = None;
            }
        }
        if closed {
            self.trim_at = Some(Instant::now() + TRIM_AFTER_EXEC);
        }
    }

    fn expire_execs(&mut self) {
        self.reap();
        self.close_finished_execs();
        // Forget finished sessions: a healthcheck makes one a second.
        self.execs.retain(|_, e| {
            let Some(t) = e.exited_at else { return true };
            let keep = if e.reported {
                FORGET_REPORTED
            } else {
                FORGET_UNREPORTED
            };
            e.conn.is_some() || t.elapsed() < keep
        });
    }

    /// Records the exit, answers waiters, removes the runtime state.
    fn finish(mut self) {
        if std::env::var_os("WHARF_MONITOR_DEBUG").is_some() {
            eprintln!(
                "monitor {}: finishing, exit {:?}, error {:?}",
                self.cfg.id, self.exit_code, self.start_error
            );
        }
        if let Some(log) = &mut self.log {
            let _ = log.flush_partial();
        }
        let code = self.exit_code.unwrap_or(255);
        let record = ExitRecord {
            exit_code: code,
            pid: self.pid,
            started_at: self.started_at.clone(),
            finished_at: now_rfc3339(),
            error: self.start_error.clone(),
            // Read before the runtime's delete removes the cgroup.
            oom_killed: self
                .cfg
                .cgroup_path
                .as_deref()
                .is_some_and(crate::oom::oom_killed),
        };
        // Whole or absent, never torn (temp file, rename), and made durable
        // only once the waiters have their answer: the daemon reads it at
        // once, from the page cache, and its fsync is off `run --rm`'s
        // path. A power cut before that fsync ends the container anyway;
        // an absent record then reads as Docker's 255 after a reboot.
        let mut written = false;
        if let Ok(data) = serde_json::to_vec(&record) {
            written = wharf_sys::fs::write_replace(&self.cfg.exit_path(), &data).is_ok();
            if !written {
                // Most likely a full disk: free the reserve and retry.
                let _ = std::fs::remove_file(exit_reserve(&self.cfg));
                written = wharf_sys::fs::write_replace(&self.cfg.exit_path(), &data).is_ok();
            }
        }
        let _ = std::fs::remove_file(exit_reserve(&self.cfg));
        // The daemon learns the exit now, before the runtime delete below:
        // a `--rm` container is gone for its client at once, and its
        // clean-up waits for these connections to close (the end of this
        // function), not for this answer.
        for w in &self.exit_waiters {
            send(w, &Reply::Exited { exit_code: code });
        }
        // Stop answering before the runtime state goes, so a client either
        // reaches a live monitor or finds exit.json.
        let _ = std::fs::remove_file(&self.cfg.socket_path);
        let _ = self.runtime.delete(&self.cfg.id, true);
        // Connections made before the socket was unlinked still get answers.
        while let Ok((conn, _)) = self.listener.accept() {
            let _ = conn.set_nonblocking(false);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(1)));
            let Ok(line) = read_line(&conn) else { continue };
            let reply = match serde_json::from_slice::<Request>(&line) {
                Ok(Request::Wait | Request::WaitExit) => Reply::Exited { exit_code: code },
                Ok(Request::State) => {
                    let mut st = self.state();
                    st.finished_at = Some(record.finished_at.clone());
                    Reply::State(st)
                }
                Ok(Request::Start) => Reply::Started {
                    pid: None,
                    start_error: self.start_error.clone(),
                    exit_code: Some(code),
                },
                _ => Reply::error(
                    "conflict",
                    format!("container {} is not running", self.cfg.id),
                ),
            };
            send(&conn, &reply);
        }
        // Only once the runtime's state and cgroup are gone: the daemon may
        // start the container again as soon as it has the exit.
        for w in self.waiters.drain(..) {
            send(&w, &Reply::Exited { exit_code: code });
        }
        for a in self.attaches.drain(..) {
            let _ = a.conn.shutdown(std::net::Shutdown::Both);
        }
        if written {
            let _ = wharf_sys::fs::sync_file(&self.cfg.exit_path());
        }
        let _ = std::fs::remove_file(&self.cfg.pid_file);
        // Closing tells `WaitExit` callers the monitor is done.
        self.exit_waiters.clear();
    }
}

/// The first argument of the bundle's process, for error messages.
fn bundle_command(bundle: &std::path::Path) -> String {
    let spec: serde_json::Value = std::fs::read(bundle.join("config.json"))
        .ok()
        .and_then(|d| serde_json::from_slice(&d).ok())
        .unwrap_or_default();
    let args = spec["process"]["args"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Skip the init wrapper (`/sbin/docker-init --`).
    let user = if args.first().and_then(|a| a.as_str()) == Some(crate::spec::INIT_PATH) {
        args.get(2)
    } else {
        args.first()
    };
    user.and_then(|a| a.as_str()).unwrap_or("").to_string()
}

/// Reads one request line, leaving the bytes after it in the socket for
/// the raw stream.
fn read_line(mut conn: &UnixStream) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut peeked = [0u8; 4096];
    loop {
        // Look at what has arrived without taking it, then take up to the
        // end of the line only: one or two calls per request, not one per
        // byte, and the bytes after the line stay in the socket.
        let n = match rustix::net::recv(conn, &mut peeked[..], rustix::net::RecvFlags::PEEK) {
            Ok((_, n)) => n.min(peeked.len()),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(line);
        }
        let (take, done) = match peeked[..n].iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (n, false),
        };
        let mut got = vec![0u8; take];
        conn.read_exact(&mut got)?;
        if done {
            got.pop();
            line.extend_from_slice(&got);
            return Ok(line);
        }
        line.extend_from_slice(&got);
        if line.len() > 1 << 20 {
            return Err(io::Error::other("request line too long"));
        }
    }
}

fn send(mut conn: &UnixStream, reply: &Reply) {
    if let Ok(mut v) = serde_json::to_vec(reply) {
        v.push(b'\n');
        let _ = conn.write_all(&v);
    }
}

/// Bytes kept aside in the state dir for the exit record (a record plus a
/// file system block or two for its temp file and rename).
const EXIT_RESERVE_BYTES: usize = 64 * 1024;

/// True when nobody reads the readiness pipe any more: the daemon that
/// spawned us died (a pipe's write end polls POLLERR once its last reader
/// closed), checked without writing the readiness byte.
fn daemon_gone(ready: &OwnedFd) -> bool {
    let mut pfd = [PollFd::new(ready.as_fd(), PollFlags::POLLOUT)];
    matches!(poll(&mut pfd, PollTimeout::ZERO), Ok(1))
        && pfd[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLERR))
}

fn exit_reserve(cfg: &MonitorConfig) -> std::path::PathBuf {
    cfg.state_dir.join("exit.reserve")
}
