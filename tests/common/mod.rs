//! The integration-test harness: real `wharf daemon` processes with temporary
//! roots, the `wharf` and `docker` CLIs pointed at them, and a small HTTP
//! client for the Engine API over the unix socket.
//!
//! One daemon per test: `Daemon::start()` makes `/tmp/wh<pid>-<n>/` (base 36,
//! short) with the socket, `data/` (data root) and `x/` (exec root), starts the daemon,
//! waits for `GET /_ping` and imports `busybox:latest` (a tar built once per
//! test binary from Debian's busybox-static by scripts/build-busybox-image.sh).
//! A daemon starts in well under a second and the image is 2 MiB, so tests keep
//! their own daemons and can run in parallel without seeing each other's state.
//!
//! On drop (also when the test panicked) the harness removes every container
//! through the API, stops the daemon, kills any process still tied to the
//! temporary root (monitors, container processes, by cmdline, cwd or root),
//! removes their cgroups, lazily unmounts everything under the root deepest
//! first, and deletes the directory. When the test failed it prints the
//! daemon's log first.
//!
//! This module depends only on std and serde_json (the root package's own
//! dependencies): tests drive wharf as a user would, through its binary.
#![allow(dead_code, unused_imports, unused_macros)]

pub mod docker_engine;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

pub use serde_json::{json, Value};

/// The `wharf` binary cargo built for this test run.
pub const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// How long a CLI command may take before the harness kills it and fails the test.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a fresh daemon may take to answer `/_ping`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

// ---------------------------------------------------------------------------
// Command output

/// What a user sees after running a command: its output and exit code.
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// Exit code; 128+N when killed by signal N (as a shell reports it).
    pub code: i32,
    /// The command line, for failure messages.
    pub cmdline: String,
}

impl Output {
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, 0, "command failed: {self}");
        self
    }

    /// Asserts the exit code and returns self.
    #[track_caller]
    pub fn code_is(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code: {self}");
        self
    }

    /// Trimmed stdout.
    pub fn out(&self) -> &str {
        self.stdout.trim()
    }

    /// Trimmed stderr.
    pub fn err(&self) -> &str {
        self.stderr.trim()
    }

    /// Non-empty stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.cmdline, self.code, self.stdout, self.stderr
        )
    }
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&shell_quote(&a.to_string_lossy()));
    }
    s
}

/// Quotes a word for sh.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs a command to completion with optional stdin, killing it after `timeout`.
pub fn run_cmd(mut cmd: Command, stdin: Option<&[u8]>, timeout: Duration) -> Output {
    let cmdline = describe(&cmd);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn `{cmdline}`: {e}"));
    if let Some(input) = stdin {
        let mut w = child.stdin.take().expect("piped stdin");
        let input = input.to_vec();
        // A writer thread: a child that does not read must not block us.
        thread::spawn(move || {
            let _ = w.write_all(&input);
        });
    }
    let out = reader(child.stdout.take().expect("piped stdout"));
    let err = reader(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let (o, e) = (out.text(), err.text());
                panic!("`{cmdline}` did not finish within {timeout:?}\nstdout: {o}\nstderr: {e}");
            }
        }
    };
    // Give readers a moment to drain; a grandchild holding the pipe must not hang us.
    let drain_deadline = Instant::now() + Duration::from_secs(5);
    while (!out.done() || !err.done()) && Instant::now() < drain_deadline {
        thread::sleep(Duration::from_millis(5));
    }
    Output {
        stdout: out.text(),
        stderr: err.text(),
        code: exit_code(status),
        cmdline,
    }
}

/// A pipe drained by a thread into a shared buffer.
#[derive(Clone)]
pub struct Reader {
    buf: Arc<Mutex<Vec<u8>>>,
    done: Arc<std::sync::atomic::AtomicBool>,
}

impl Reader {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
    pub fn done(&self) -> bool {
        self.done.load(Ordering::SeqCst)
    }
}

pub fn reader<R: Read + Send + 'static>(mut src: R) -> Reader {
    let r = Reader {
        buf: Arc::new(Mutex::new(Vec::new())),
        done: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    let r2 = r.clone();
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match src.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => r2
                    .buf
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(&chunk[..n]),
            }
        }
        r2.done.store(true, Ordering::SeqCst);
    });
    r
}

/// Polls `f` every 50 ms until it returns true or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// A command running in the background (logs -f, attach, a pty session)

/// A spawned command whose output is collected while it runs; killed on drop.
pub struct Background {
    child: Child,
    pub stdout: Reader,
    pub stderr: Reader,
    cmdline: String,
}

impl Background {
    pub fn spawn(mut cmd: Command, piped_stdin: bool) -> Background {
        let cmdline = describe(&cmd);
        cmd.stdin(if piped_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn `{cmdline}`: {e}"));
        let stdout = reader(child.stdout.take().expect("piped stdout"));
        let stderr = reader(child.stderr.take().expect("piped stderr"));
        Background {
            child,
            stdout,
            stderr,
            cmdline,
        }
    }

    /// Waits until stdout (with `\r` removed) contains `needle`.
    #[track_caller]
    pub fn expect(&self, needle: &str, timeout: Duration) {
        let ok = wait_until(timeout, || {
            self.stdout.text().replace('\r', "").contains(needle)
        });
        assert!(
            ok,
            "`{}`: {needle:?} not seen within {timeout:?}\nstdout: {}\nstderr: {}",
            self.cmdline,
            self.stdout.text(),
            self.stderr.text()
        );
    }

    /// Writes to the command's stdin.
    pub fn send(&mut self, data: &str) {
        let w = self.child.stdin.as_mut().expect("spawned with piped stdin");
        w.write_all(data.as_bytes()).expect("write to stdin");
        w.flush().expect("flush stdin");
    }

    /// Closes stdin.
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for exit; kills and panics after `timeout`.
    #[track_caller]
    pub fn wait(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.child.kill();
                    panic!(
                        "`{}` did not exit within {timeout:?}\nstdout: {}\nstderr: {}",
                        self.cmdline,
                        self.stdout.text(),
                        self.stderr.text()
                    );
                }
            }
        };
        let _ = wait_until(Duration::from_secs(5), || {
            self.stdout.done() && self.stderr.done()
        });
        Output {
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
            code: exit_code(status),
            cmdline: self.cmdline.clone(),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// The busybox image tar, built once per test binary

/// Path of the busybox rootfs tar (built on first use by scripts/build-busybox-image.sh).
pub fn busybox_tar() -> &'static Path {
    static TAR: OnceLock<PathBuf> = OnceLock::new();
    TAR.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("busybox.tar");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build-busybox-image.sh");
        let mut cmd = Command::new("bash");
        cmd.arg(&script).arg(&out);
        // The script writes OUT.tmp.$$ and renames it, so concurrent test
        // binaries building the same (deterministic) tar cannot see half a file.
        run_cmd(cmd, None, Duration::from_secs(120)).success();
        out
    })
}

// ---------------------------------------------------------------------------
// Runtimes: the container suite runs under each

/// The OCI runtime a scenario runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// wharf's default: libcontainer embedded in the monitor.
    Default,
    /// Debian's `runc` binary through the OCI runtime command line (`--runtime runc`).
    Runc,
}

impl Runtime {
    /// Extra arguments `run`/`create` get under this runtime.
    pub fn run_args(self) -> &'static [&'static str] {
        match self {
            Runtime::Default => &[],
            Runtime::Runc => &["--runtime", "runc"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Default => "default",
            Runtime::Runc => "runc",
        }
    }

    /// False when `WHARF_TEST_RUNTIMES` (comma-separated: default,runc) leaves this one out.
    pub fn enabled(self) -> bool {
        match std::env::var("WHARF_TEST_RUNTIMES") {
            Ok(list) if !list.trim().is_empty() => list.split(',').any(|r| r.trim() == self.name()),
            _ => true,
        }
    }
}

/// Declares, for each listed scenario `fn NAME(rt: Runtime)`, a module `NAME`
/// with tests `default_runtime` and `runc` that run it under both runtimes.
#[macro_export]
macro_rules! runtime_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn default_runtime() {
                    if $crate::common::Runtime::Default.enabled() {
                        super::$name($crate::common::Runtime::Default)
                    } else {
                        eprintln!("skipped: WHARF_TEST_RUNTIMES excludes default");
                    }
                }
                #[test]
                fn runc() {
                    if $crate::common::Runtime::Runc.enabled() {
                        super::$name($crate::common::Runtime::Runc)
                    } else {
                        eprintln!("skipped: WHARF_TEST_RUNTIMES excludes runc");
                    }
                }
            }
        )*
    };
}

// ---------------------------------------------------------------------------
// Clients: the same scenario through `wharf` and through the real `docker` CLI

/// Which command-line client a scenario drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cli {
    Wharf,
    Docker,
}

impl Cli {
    /// False (with a notice) for Docker when no docker CLI is installed.
    pub fn available(self) -> bool {
        match self {
            Cli::Wharf => true,
            Cli::Docker => has_docker(),
        }
    }
}

/// Declares, for each listed scenario `fn NAME(cli: Cli)`, a module `NAME`
/// with tests `wharf` and `docker` running it through each client.
#[macro_export]
macro_rules! cli_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn wharf() {
                    super::$name($crate::common::Cli::Wharf)
                }
                #[test]
                fn docker() {
                    if $crate::common::Cli::Docker.available() {
                        super::$name($crate::common::Cli::Docker)
                    }
                }
            }
        )*
    };
}

// ---------------------------------------------------------------------------
// The daemon

/// A running `wharf daemon` with its own socket, data root and exec root.
pub struct Daemon {
    root: PathBuf,
    sock: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    runtime: Runtime,
    /// This daemon's default bridge (`--bridge`) and its `--bip`, unique
    /// per daemon so test daemons never share links or subnets.
    bridge: String,
    bip: String,
    /// The `wharf` executable the daemon runs: [`WHARF`] unless a test
    /// installs one elsewhere ([`Daemon::start_bare_exe`]).
    exe: PathBuf,
    /// More `wharf daemon` flags (`start_bare_with_args`).
    extra_args: Vec<String>,
}

impl Daemon {
    /// A daemon with `busybox:latest` imported, for the default runtime.
    pub fn start() -> Daemon {
        Self::start_with(Runtime::Default)
    }

    /// A daemon with `busybox:latest` imported; `run`/`create` through
    /// [`Daemon::wharf`] get the runtime's flags.
    pub fn start_with(runtime: Runtime) -> Daemon {
        let mut d = Self::start_bare();
        d.runtime = runtime;
        d.import_busybox();
        d
    }

    /// [`Daemon::start_with`], the daemon started with more flags.
    pub fn start_with_args(runtime: Runtime, args: &[&str]) -> Daemon {
        let mut d = Self::start_bare_with_args(args);
        d.runtime = runtime;
        d.import_busybox();
        d
    }

    /// A daemon with no image.
    pub fn start_bare() -> Daemon {
        Self::start_bare_with_args(&[])
    }

    /// A daemon with no image, started with more `wharf daemon` flags.
    pub fn start_bare_with_args(args: &[&str]) -> Daemon {
        Self::start_exe_with_args(Path::new(WHARF), args)
    }

    /// A daemon with no image, run from `exe` (a `wharf` installed in a
    /// directory of the test's own, with other files beside it).
    pub fn start_bare_exe(exe: &Path) -> Daemon {
        Self::start_exe_with_args(exe, &[])
    }

    fn start_exe_with_args(exe: &Path, args: &[&str]) -> Daemon {
        let n = NEXT_ID.fetch_add(1, Ordering::SeqCst);
        // Short: the daemon's own socket path must fit in 107 bytes.
        let root = PathBuf::from(format!(
            "/tmp/wh{}-{}",
            base36(std::process::id() as usize),
            base36(n)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("create test root");
        let bridge = format!("wt{}x{}", base36(std::process::id() as usize), base36(n));
        let bip = unique_subnet().replace(".0/24", ".1/24");
        let mut d = Daemon {
            sock: root.join("wharf.sock"),
            log: root.join("daemon.log"),
            root,
            child: None,
            runtime: Runtime::Default,
            bridge,
            bip,
            exe: exe.to_path_buf(),
            extra_args: args.iter().map(|a| a.to_string()).collect(),
        };
        d.spawn_daemon();
        d
    }

    fn spawn_daemon(&mut self) {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open daemon log");
        let log2 = log.try_clone().expect("dup daemon log");
        let mut cmd = Command::new(&self.exe);
        cmd.arg("daemon")
            .arg("-H")
            .arg(self.host())
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.exec_root())
            .arg("--bridge")
            .arg(&self.bridge)
            .arg("--bip")
            .arg(&self.bip)
            .args(&self.extra_args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env("NO_COLOR", "1")
            // monitors write their errors to the daemon's stderr, i.e. this log
            .env("WHARF_MONITOR_DEBUG", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let mut child = cmd.spawn().expect("spawn wharf daemon");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                panic!(
                    "wharf daemon exited with {st} before answering /_ping; log:\n{}",
                    self.log_text()
                );
            }
            if self.ping() {
                break;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "wharf daemon did not answer /_ping within {START_TIMEOUT:?}; log:\n{}",
                    self.log_text()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// Imports the busybox tar as `busybox:latest` with `CMD ["sh"]`.
    pub fn import_busybox(&self) {
        let tar = busybox_tar().to_string_lossy().into_owned();
        self.wharf(&["import", "-c", r#"CMD ["sh"]"#, &tar, "busybox:latest"])
            .success();
    }

    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// The Linux bridge of this daemon's default `bridge` network.
    pub fn bridge(&self) -> &str {
        &self.bridge
    }

    /// This daemon's nftables table: `wharf_` and the FNV-1a hash of its
    /// exec root (`NftFirewall::table_name_for`).
    pub fn nft_table(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.exec_root().as_os_str().as_encoded_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("wharf_{h:016x}")
    }

    /// This daemon's `--bip` (gateway/prefix of the default bridge).
    pub fn bip(&self) -> &str {
        &self.bip
    }

    /// Linux bridges of every network this daemon recorded, or whose
    /// removal it had not finished (`network/pending/`), read from its data
    /// root, so it works when the daemon is dead.
    pub fn network_bridges(&self) -> Vec<String> {
        let mut out = vec![self.bridge.clone()];
        let dir = self.data_root().join("network");
        let pending = dir.join("pending");
        let entries = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .chain(fs::read_dir(pending).into_iter().flatten());
        for e in entries.flatten() {
            let Ok(text) = fs::read_to_string(e.path()) else {
                continue;
            };
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                if let Some(b) = v["bridge"].as_str().filter(|b| !b.is_empty()) {
                    if !out.iter().any(|x| x == b) {
                        out.push(b.to_string());
                    }
                }
            }
        }
        out
    }

    /// `unix:///tmp/wh-…/wharf.sock`
    pub fn host(&self) -> String {
        format!("unix://{}", self.sock.display())
    }

    pub fn sock(&self) -> &Path {
        &self.sock
    }

    /// The temporary directory holding everything of this daemon; tests may
    /// put their own files here (bind sources, tars): it is removed on drop.
    pub fn tmp(&self) -> &Path {
        &self.root
    }

    pub fn data_root(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Deliberately longer than a unix socket address may be once a
    /// 64-hex container id and `monitor.sock` are appended: every test runs
    /// with an exec root that only works because monitor sockets are reached
    /// through their directory's descriptor.
    pub fn exec_root(&self) -> PathBuf {
        self.root
            .join("exec-root-longer-than-a-unix-socket-address-may-be")
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// PID of the daemon process.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// `wharf -H <sock> ARGS…`; `run`/`create` get the runtime's flags.
    pub fn wharf(&self, args: &[&str]) -> Output {
        run_cmd(self.wharf_cmd(args), None, CMD_TIMEOUT)
    }

    /// Like [`Daemon::wharf`] with bytes on stdin.
    pub fn wharf_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        run_cmd(self.wharf_cmd(args), Some(stdin), CMD_TIMEOUT)
    }

    /// Like [`Daemon::wharf`] with a custom timeout.
    pub fn wharf_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        run_cmd(self.wharf_cmd(args), None, timeout)
    }

    /// Starts `wharf ARGS…` in the background.
    pub fn wharf_bg(&self, args: &[&str], piped_stdin: bool) -> Background {
        Background::spawn(self.wharf_cmd(args), piped_stdin)
    }

    /// The `wharf` command with `-H` and the runtime's flags inserted.
    pub fn wharf_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(WHARF);
        cmd.arg("-H").arg(self.host());
        cmd.args(self.with_runtime(args));
        cmd.env_remove("WHARF_HOST").env_remove("DOCKER_HOST");
        cmd
    }

    /// Inserts `--runtime X` after `run`/`create` (first word only).
    fn with_runtime(&self, args: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let extra = self.runtime.run_args();
        let sub = match v.first().map(String::as_str) {
            Some("container") => 1,
            _ => 0,
        };
        if !extra.is_empty() && matches!(v.get(sub).map(String::as_str), Some("run" | "create")) {
            for (i, a) in extra.iter().enumerate() {
                v.insert(sub + 1 + i, a.to_string());
            }
        }
        v
    }

    /// Runs `wharf ARGS…` on a pty through `script -qec`, feeding each
    /// `send` once its `expect` has appeared in the output; returns the
    /// session's output with `\r` removed and its exit code.
    pub fn pty(&self, args: &[&str], dialogue: &[(&str, &str)], timeout: Duration) -> Output {
        self.pty_sized(None, args, dialogue, timeout)
    }

    /// [`Daemon::pty`] with the terminal set to `(rows, cols)` first.
    pub fn pty_sized(
        &self,
        size: Option<(u16, u16)>,
        args: &[&str],
        dialogue: &[(&str, &str)],
        timeout: Duration,
    ) -> Output {
        let mut line = match size {
            Some((r, c)) => format!("stty rows {r} cols {c}; "),
            None => String::new(),
        };
        line.push_str(&shell_quote(WHARF));
        line.push_str(" -H ");
        line.push_str(&shell_quote(&self.host()));
        for a in self.with_runtime(args) {
            line.push(' ');
            line.push_str(&shell_quote(&a));
        }
        pty_session(&line, dialogue, timeout)
    }

    /// `docker ARGS…` with `DOCKER_HOST` set to this daemon; panics when no
    /// docker CLI is installed (check [`has_docker`] first).
    pub fn docker(&self, args: &[&str]) -> Output {
        run_cmd(self.docker_cmd(args), None, CMD_TIMEOUT)
    }

    pub fn docker_stdin(&self, args: &[&str], stdin: &[u8]) -> Output {
        run_cmd(self.docker_cmd(args), Some(stdin), CMD_TIMEOUT)
    }

    pub fn docker_bg(&self, args: &[&str]) -> Background {
        Background::spawn(self.docker_cmd(args), false)
    }

    /// `docker` under a pty (see [`Daemon::pty`]).
    pub fn docker_pty(
        &self,
        args: &[&str],
        dialogue: &[(&str, &str)],
        timeout: Duration,
    ) -> Output {
        let bin = docker_bin().expect("docker CLI");
        let mut line = format!(
            "env DOCKER_HOST={} DOCKER_CONFIG={} {}",
            shell_quote(&self.host()),
            shell_quote(&self.root.join("docker-config").to_string_lossy()),
            shell_quote(&bin.to_string_lossy())
        );
        for a in args {
            line.push(' ');
            line.push_str(&shell_quote(a));
        }
        pty_session(&line, dialogue, timeout)
    }

    pub fn docker_cmd(&self, args: &[&str]) -> Command {
        let bin = docker_bin().expect("no docker CLI installed (run scripts/setup.sh)");
        let mut cmd = Command::new(bin);
        // The scenario's runtime for `run`/`create`, as for `wharf`: a
        // runtime test driven by the docker CLI must not quietly run
        // everything under the default runtime.
        cmd.args(self.with_runtime(args))
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.root.join("docker-config"))
            .env("DOCKER_CLI_HINTS", "false")
            .env_remove("DOCKER_CONTEXT");
        cmd
    }

    /// `GET /_ping` answers 200 `OK`.
    pub fn ping(&self) -> bool {
        matches!(
            http(&self.sock, b"GET /_ping HTTP/1.0\r\nHost: localhost\r\n\r\n", Duration::from_secs(2)),
            Ok(r) if r.status == 200
        )
    }

    /// An Engine API call; `body` is sent as JSON. Returns the status and the
    /// body parsed as JSON (a JSON string holding the raw text when it is not JSON).
    #[track_caller]
    pub fn api(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let body = body.map(|b| b.to_string());
        let r = self.api_text(method, path, body.as_deref());
        let v = serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()));
        (r.status, v)
    }

    /// An Engine API call with a raw text body (sent with a JSON content type).
    #[track_caller]
    pub fn api_text(&self, method: &str, path: &str, body: Option<&str>) -> HttpResponse {
        let mut req = format!("{method} {path} HTTP/1.0\r\nHost: localhost\r\n");
        if let Some(b) = body {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            ));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        if let Some(b) = body {
            bytes.extend_from_slice(b.as_bytes());
        }
        http(&self.sock, &bytes, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\ndaemon log:\n{}", self.log_text()))
    }

    /// An Engine API call with a binary body (a tar, say) and a content type.
    #[track_caller]
    pub fn api_bytes(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> HttpResponse {
        let mut bytes = format!(
            "{method} {path} HTTP/1.0\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(body);
        http(&self.sock, &bytes, Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\ndaemon log:\n{}", self.log_text()))
    }

    /// Runs `sh -c '<cli> -H … TAIL'`, for shell redirections (binary
    /// output to a file: `save > x.tar`, `volume export v > v.tar`).
    pub fn sh(&self, cli: Cli, tail: &str) -> Output {
        let prefix = match cli {
            Cli::Wharf => format!("{} -H {}", shell_quote(WHARF), shell_quote(&self.host())),
            Cli::Docker => format!(
                "DOCKER_HOST={} DOCKER_CONFIG={} {}",
                shell_quote(&self.host()),
                shell_quote(&self.root.join("docker-config").to_string_lossy()),
                shell_quote(&docker_bin().expect("docker CLI").to_string_lossy())
            ),
        };
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!("{prefix} {tail}"));
        run_cmd(cmd, None, CMD_TIMEOUT)
    }

    /// `run --rm ARGS… busybox sh -c SCRIPT` through `cli`.
    pub fn run_sh(&self, cli: Cli, args: &[&str], script: &str) -> Output {
        let mut a = vec!["run", "--rm"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["busybox", "sh", "-c", script]);
        self.cli(cli, &a)
    }

    /// The same command through either CLI.
    pub fn cli(&self, cli: Cli, args: &[&str]) -> Output {
        match cli {
            Cli::Wharf => self.wharf(args),
            Cli::Docker => self.docker(args),
        }
    }

    /// Sends raw bytes and reads what comes back (for malformed requests).
    pub fn raw(&self, bytes: &[u8], timeout: Duration) -> std::io::Result<HttpResponse> {
        http(&self.sock, bytes, timeout)
    }

    /// Inspects a container through the API.
    #[track_caller]
    pub fn inspect(&self, name: &str) -> Value {
        let (st, v) = self.api("GET", &format!("/containers/{name}/json"), None);
        assert_eq!(st, 200, "inspect {name}: {v}");
        v
    }

    /// `State.Status` of a container, or None when it does not exist.
    pub fn status(&self, name: &str) -> Option<String> {
        let (st, v) = self.api("GET", &format!("/containers/{name}/json"), None);
        (st == 200).then(|| {
            v["State"]["Status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// Waits until a container reaches `status`.
    #[track_caller]
    pub fn wait_status(&self, name: &str, status: &str, timeout: Duration) {
        let ok = wait_until(timeout, || self.status(name).as_deref() == Some(status));
        assert!(
            ok,
            "container {name} did not become {status} within {timeout:?} (is {:?})",
            self.status(name)
        );
    }

    /// SIGKILLs the daemon (monitors and containers live on).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the daemon again on the same roots and socket.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "restart() after kill9() or stop()");
        // A socket file left by a killed daemon must not fool ping().
        self.spawn_daemon();
    }

    /// Starts the daemon again on the same roots, the way systemd's
    /// `wharf.socket` does: the socket is bound by another process (python3
    /// here) and passed as fd 3 with `LISTEN_FDS`/`LISTEN_PID`, and the
    /// daemon runs with `-H fd://`.
    pub fn restart_socket_activated(&mut self) {
        assert!(
            self.child.is_none(),
            "restart_socket_activated() after stop()"
        );
        const ACTIVATE: &str = r#"
import os, socket, sys
path = sys.argv[1]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(128)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
"#;
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open daemon log");
        let log2 = log.try_clone().expect("dup daemon log");
        let mut cmd = Command::new("python3");
        cmd.arg("-c")
            .arg(ACTIVATE)
            .arg(&self.sock)
            .arg(WHARF)
            .arg("daemon")
            .arg("-H")
            .arg("fd://")
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.exec_root())
            .arg("--bridge")
            .arg(&self.bridge)
            .arg("--bip")
            .arg(&self.bip)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("WHARF_MONITOR_DEBUG", "1")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let mut child = cmd.spawn().expect("spawn python3 socket activation");
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.ping() {
            if let Ok(Some(st)) = child.try_wait() {
                panic!(
                    "socket-activated daemon exited with {st}; log:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "socket-activated daemon did not answer; log:\n{}",
                self.log_text()
            );
            thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    /// Stops the daemon gracefully (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(c.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// PIDs of processes whose command line mentions this daemon's root
    /// (monitors and the daemon) or whose root or cwd lies under it
    /// (containers), but the daemon's idle warm monitors.
    pub fn processes(&self) -> Vec<u32> {
        processes_under(&self.root)
            .into_iter()
            .filter(|p| !is_idle_warm_monitor(*p))
            .collect()
    }

    /// PIDs of this daemon's idle warm monitors (`--warm-monitors`).
    pub fn idle_warm_monitors(&self) -> Vec<u32> {
        processes_under(&self.root)
            .into_iter()
            .filter(|p| is_idle_warm_monitor(*p))
            .collect()
    }

    /// Host PID of a running container's first process.
    #[track_caller]
    pub fn container_pid(&self, name: &str) -> u32 {
        let v = self.inspect(name);
        let pid = v["State"]["Pid"].as_u64().unwrap_or(0);
        assert!(pid > 0, "container {name} has no pid: {}", v["State"]);
        pid as u32
    }

    /// IDs of every container this daemon created: those it lists, and
    /// (best effort) those its event log saw created and since removed.
    fn known_container_ids(&self) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        let get = |path: &str| {
            let req = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            http(&self.sock, req.as_bytes(), Duration::from_secs(5))
                .map(|r| r.body)
                .unwrap_or_default()
        };
        if let Ok(Value::Array(list)) =
            serde_json::from_str::<Value>(&get("/containers/json?all=1"))
        {
            ids.extend(
                list.iter()
                    .filter_map(|c| c["Id"].as_str().map(str::to_string)),
            );
        }
        let until = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() + 1)
            .unwrap_or(0);
        let events = get(&format!("/events?since=0&until={until}"));
        for line in events.lines() {
            if let Ok(v) = serde_json::from_str::<Value>(line) {
                if v["Type"] == "container" {
                    if let Some(id) = v["Actor"]["ID"].as_str().or(v["id"].as_str()) {
                        if is_full_id(id) {
                            ids.insert(id.to_string());
                        }
                    }
                }
            }
        }
        ids
    }

    fn cleanup(&mut self) {
        // 1. containers, through the daemon (it knows their mounts and cgroups)
        let mut ids = BTreeSet::new();
        if self.child.is_some() && self.ping() {
            ids = self.known_container_ids();
            for id in &ids {
                let req = format!(
                    "DELETE /containers/{id}?force=1&v=1 HTTP/1.0\r\nHost: localhost\r\n\r\n"
                );
                let _ = http(&self.sock, req.as_bytes(), Duration::from_secs(10));
            }
        }
        // 2. the daemon
        let bridges = self.network_bridges();
        self.stop();
        // 3. whatever is left: monitors, container processes
        let mut cgroups = BTreeSet::new();
        for _ in 0..3 {
            let pids = processes_under(&self.root);
            if pids.is_empty() {
                break;
            }
            for pid in &pids {
                cgroups.extend(cgroup_paths(*pid));
                signal(*pid, "KILL");
            }
            wait_until(Duration::from_secs(5), || {
                pids.iter()
                    .all(|p| !Path::new(&format!("/proc/{p}")).exists())
            });
        }
        // 4. cgroups those processes were in (never ours)
        let own: BTreeSet<String> = cgroup_paths(std::process::id()).into_iter().collect();
        for cg in cgroups.difference(&own) {
            remove_cgroup(cg);
        }
        // ... and any cgroup still named after one of our containers
        for id in &ids {
            for dir in cgroup_dirs_for(id) {
                remove_cgroup_dir(&dir);
            }
        }
        // 5. mounts under the root, deepest first
        unmount_under(&self.root);
        // ... and the bridges of this daemon's networks (the daemon keeps
        // them across restarts, as Docker keeps docker0)
        for b in bridges {
            delete_link(&b);
        }
        // ... and its nftables table (a killed daemon could not remove it)
        let _ = Command::new("nft")
            .args(["delete", "table", "inet", &self.nft_table()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // ... and its iptables FORWARD chain (`WHARF-<FNV-1a of the table
        // name>`, kept beside Docker's rules; a killed daemon leaves it)
        let chain = format!("WHARF-{:08X}", fnv32(&self.nft_table()));
        for args in [
            vec!["-D", "FORWARD", "-j", chain.as_str()],
            vec!["-F", chain.as_str()],
            vec!["-X", chain.as_str()],
        ] {
            let _ = Command::new("iptables")
                .args(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        // 6. the directory
        if let Err(e) = fs::remove_dir_all(&self.root) {
            if e.kind() != std::io::ErrorKind::NotFound {
                eprintln!("warning: cannot remove {}: {e}", self.root.display());
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!(
                "---- wharf daemon log ({}), last {} lines ----",
                self.log.display(),
                tail.len()
            );
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
        self.cleanup();
    }
}

// ---------------------------------------------------------------------------
// Process, cgroup and mount clean-up

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Every container monitor on the host (`wharf __monitor …`), with its
/// [`process_line`].
pub fn monitor_processes() -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let cmd = process_line(pid);
        if cmd.contains("__monitor") {
            out.push((pid, cmd));
        }
    }
    out
}

/// A process's command line, arguments joined by spaces; for a warm
/// monitor (`__monitor --warm <exec-root>`, whose arguments name no
/// container) followed by ` cwd=<its working directory>`: the bundle
/// directory of the container it was given, `/` while idle.
pub fn process_line(pid: u32) -> String {
    let cmd = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
    if !cmd.contains("__monitor --warm ") {
        return cmd;
    }
    let cwd = fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
    format!("{cmd} cwd={}", cwd.display())
}

/// True for a warm monitor no container was given (yet): it belongs to
/// the daemon's pool, not to a run.
pub fn is_idle_warm_monitor(pid: u32) -> bool {
    process_line(pid).ends_with(" cwd=/")
}

/// The pids of the monitors whose command line names container `id`.
pub fn monitors_of(id: &str) -> Vec<u32> {
    monitor_processes()
        .into_iter()
        .filter(|(_, cmd)| cmd.contains(id))
        .map(|(pid, _)| pid)
        .collect()
}

/// PIDs (not ours) whose cmdline mentions `root`, whose cwd or root is under
/// it, or which hold a file under it open.
pub fn processes_under(root: &Path) -> Vec<u32> {
    let me = std::process::id();
    // With the trailing slash, /tmp/wh-1-1 does not match /tmp/wh-1-10.
    let needle = format!("{}/", root.to_string_lossy());
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let base = e.path();
        let cmdline = fs::read(base.join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmdline);
        let under = |link: &str| {
            fs::read_link(base.join(link))
                .map(|p| p.starts_with(root))
                .unwrap_or(false)
        };
        // a monitor started with relative paths still holds its log or socket open
        let holds_file = || {
            fs::read_dir(base.join("fd"))
                .map(|fds| {
                    fds.flatten().any(|fd| {
                        fs::read_link(fd.path())
                            .map(|p| p.starts_with(root))
                            .unwrap_or(false)
                    })
                })
                .unwrap_or(false)
        };
        if cmd.contains(&needle) || under("root") || under("cwd") || holds_file() {
            out.push(pid);
        }
    }
    out
}

/// The cgroup paths of a process (`/proc/PID/cgroup`), without the root cgroup.
fn cgroup_paths(pid: u32) -> Vec<String> {
    fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .filter(|p| *p != "/" && !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Removes a cgroup path in every mounted hierarchy, children first.
fn remove_cgroup(path: &str) {
    let rel = path.trim_start_matches('/');
    let mut bases = vec![PathBuf::from("/sys/fs/cgroup")];
    if let Ok(d) = fs::read_dir("/sys/fs/cgroup") {
        bases.extend(d.flatten().map(|e| e.path()));
    }
    for b in bases {
        let p = b.join(rel);
        if p.is_dir() {
            remove_cgroup_dir(&p);
        }
    }
}

/// Cgroup directories (any hierarchy, up to three levels down) whose name
/// contains `id`: what a runtime made for that container.
pub fn cgroup_dirs_for(id: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, id: &str, depth: u32, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let p = e.path();
            if e.file_name().to_string_lossy().contains(id) {
                out.push(p);
            } else if depth > 0 {
                walk(&p, id, depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    if !id.is_empty() {
        walk(Path::new("/sys/fs/cgroup"), id, 4, &mut out);
    }
    out
}

fn remove_cgroup_dir(p: &Path) {
    if let Ok(d) = fs::read_dir(p) {
        for e in d.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_cgroup_dir(&e.path());
            }
        }
    }
    let _ = fs::remove_dir(p);
}

/// Mount points under `root` from /proc/self/mountinfo.
pub fn mounts_under(root: &Path) -> Vec<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(wharf_sys::mount::unescape_mountinfo)
        .map(PathBuf::from)
        .filter(|p| p.starts_with(root))
        .collect()
}

/// Lazily unmounts everything under `root`, deepest first, until nothing is left.
pub fn unmount_under(root: &Path) {
    for _ in 0..5 {
        let mut mounts = mounts_under(root);
        if mounts.is_empty() {
            return;
        }
        mounts.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for m in mounts {
            let _ = Command::new("umount")
                .arg("-l")
                .arg(&m)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.0 client over a unix socket

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `request` as is, reads until the server closes (HTTP/1.0), parses
/// the status line and headers, and decodes a chunked body.
pub fn http(sock: &Path, request: &[u8], timeout: Duration) -> std::io::Result<HttpResponse> {
    let mut s = UnixStream::connect(sock)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.write_all(request)?;
    // No half-close: hyper (like many servers) drops a connection whose read
    // side is closed before it has answered. A truncated request therefore
    // waits for the read timeout instead.
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    parse_response(&raw).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not an HTTP response: {:?}", String::from_utf8_lossy(&raw)),
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Some(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size_str = String::from_utf8_lossy(&b[..eol]);
        let Ok(size) = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        if size == 0 || b.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[(eol + 4 + size).min(b.len())..];
    }
    out
}

// ---------------------------------------------------------------------------
// Pty sessions through util-linux `script`

/// Runs `cmdline` (a shell command line) on a pty via `script -qec … /dev/null`.
pub fn pty_session(cmdline: &str, dialogue: &[(&str, &str)], timeout: Duration) -> Output {
    let mut cmd = Command::new("script");
    cmd.arg("-qec").arg(cmdline).arg("/dev/null");
    // A fixed window size so `stty size` inside is predictable.
    cmd.env("TERM", "xterm")
        .env("COLUMNS", "80")
        .env("LINES", "24");
    let mut bg = Background::spawn(cmd, true);
    for (expect, send) in dialogue {
        if !expect.is_empty() {
            bg.expect(expect, timeout);
        }
        bg.send(send);
    }
    // Keep stdin open: `script` forwards EOF as ^D, which would end the session early.
    let mut out = bg.wait(timeout);
    out.stdout = out.stdout.replace('\r', "");
    out
}

// ---------------------------------------------------------------------------
// The docker CLI

/// The docker CLI: `/usr/local/bin/docker` or `docker` on PATH.
pub fn docker_bin() -> Option<PathBuf> {
    let local = PathBuf::from("/usr/local/bin/docker");
    if local.is_file() {
        return Some(local);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("docker"))
            .find(|p| p.is_file())
    })
}

/// True when a docker CLI exists; prints a skip notice otherwise.
pub fn has_docker() -> bool {
    let ok = docker_bin().is_some();
    if !ok {
        eprintln!("notice: no docker CLI installed; docker compatibility test skipped");
    }
    ok
}

// ---------------------------------------------------------------------------
// Small helpers for tests

fn base36(mut n: usize) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[n % 36]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Deletes a network link by name (a missing one is fine).
pub fn delete_link(name: &str) {
    let _ = Command::new("ip")
        .args(["link", "del", name])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Names of the host's links (`ip -o link`).
pub fn host_links() -> Vec<String> {
    let out = Command::new("ip")
        .args(["-o", "link"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .collect()
}

fn routed_v4() -> Vec<(u32, u32)> {
    let text = fs::read_to_string("/proc/net/route").unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        if let (Ok(d), Ok(m)) = (u32::from_str_radix(f[1], 16), u32::from_str_radix(f[7], 16)) {
            if m != 0 {
                out.push((
                    u32::from_be_bytes(d.to_ne_bytes()),
                    u32::from_be_bytes(m.to_ne_bytes()),
                ));
            }
        }
    }
    out
}

/// A /24 (`10.X.Y.0/24` in 10.192.0.0/11) that no host route covers and
/// no other daemon or test in this process got, starting at an offset
/// derived from the pid so concurrent test binaries rarely even try the
/// same one.
pub fn unique_subnet() -> String {
    static TAKEN: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());
    let mut taken = TAKEN.lock().unwrap_or_else(|p| p.into_inner());
    let routes = routed_v4();
    let span = 8192u32;
    let start = (std::process::id().wrapping_mul(97)) % span;
    for i in 0..span {
        let k = (start + i) % span;
        let net = (10u32 << 24) | (192u32 << 16) | (k << 8);
        if taken.contains(&net) {
            continue;
        }
        let overlaps = routes.iter().any(|(d, m)| {
            let m = *m & 0xffff_ff00;
            (net & m) == (*d & m)
        });
        if overlaps {
            continue;
        }
        taken.insert(net);
        let o = net.to_be_bytes();
        return format!("{}.{}.{}.0/24", o[0], o[1], o[2]);
    }
    panic!("no free test subnet in 10.192.0.0/11");
}

/// A unique container/volume name for this test process.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::SeqCst)
    )
}

/// Writes `text` to `dir/name` and returns the path as a String.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("create parent dir");
    }
    fs::write(&p, text).expect("write test file");
    p.to_string_lossy().into_owned()
}

/// Whether `s` is a 64-hex id.
pub fn is_full_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// FNV-1a, as the firewall names a daemon's iptables chain.
fn fnv32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// GETs `/` from 127.0.0.1:`port` until the answer holds `want` (a
/// published port may need a moment after `run -d`); returns whether it
/// did within `timeout`, and the last answer.
pub fn http_get_until(port: u16, want: &str, timeout: Duration) -> (bool, String) {
    use std::io::{Read, Write};
    let mut body = String::new();
    let ok = wait_until(timeout, || {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
        body.clear();
        let _ = s.read_to_string(&mut body);
        body.contains(want)
    });
    (ok, body)
}
