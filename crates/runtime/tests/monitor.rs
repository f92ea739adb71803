//! Root integration tests: a busybox rootfs, a generated bundle, a real
//! monitor process, under both the libcontainer and runc runtimes.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use wharf_runtime::protocol::{ExecConfig, Reply, Request};
use wharf_runtime::{spawn_monitor_with, write_bundle, MonitorConfig, RunSpec};

const EXE: &str = env!("CARGO_BIN_EXE_wharf-runtime-monitor-test");

fn is_root() -> bool {
    nix::unistd::geteuid().is_root() && Path::new("/bin/busybox").exists()
}

/// One container's files; everything is removed on drop.
struct Fixture {
    dir: tempfile::TempDir,
    cfg: MonitorConfig,
}

impl Fixture {
    fn new(
        runtime: &str,
        args: &[&str],
        tweak: impl FnOnce(&mut RunSpec, &mut MonitorConfig),
    ) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("wharf-rt-")
            .tempdir()
            .unwrap();
        let id = format!(
            "t{}{}",
            std::process::id(),
            dir.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(['-', '.'], "")
        )
        .to_lowercase();
        let rootfs = dir.path().join("rootfs");
        for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
        for applet in [
            "sh", "echo", "cat", "sleep", "hostname", "id", "ls", "dd", "true", "false",
        ] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let mut rs = RunSpec {
            id: id.clone(),
            rootfs: rootfs.clone(),
            args: args.iter().map(|s| s.to_string()).collect(),
            hostname: "wharftest".into(),
            ..Default::default()
        };
        let mut cfg = MonitorConfig {
            id,
            bundle: dir.path().join("bundle"),
            runtime: runtime.to_string(),
            runtime_root: dir.path().join("rtroot"),
            log_path: dir.path().join("ctr-json.log"),
            state_dir: dir.path().join("state"),
            socket_path: dir.path().join("m.sock"),
            pid_file: dir.path().join("monitor.pid"),
            terminal: false,
            open_stdin: false,
            stdin_once: false,
            cgroup_path: None,
            log: Default::default(),
        };
        tweak(&mut rs, &mut cfg);
        rs.terminal = cfg.terminal;
        rs.cgroup_path = format!("/wharf-test/{}", rs.id);
        if let Some(dir) = &rs.etc_dir {
            wharf_runtime::etc_files::write_etc_files(
                dir,
                &rs.hostname,
                Path::new("/etc/resolv.conf"),
            )
            .unwrap();
        }
        write_bundle(&cfg.bundle, &rs).unwrap();
        spawn_monitor_with(Path::new(EXE), &[], &cfg).unwrap();
        Fixture { dir, cfg }
    }

    fn connect(&self, req: &Request) -> (Reply, UnixStream) {
        let mut s = UnixStream::connect(&self.cfg.socket_path)
            .unwrap_or_else(|e| panic!("connect for {req:?}: {e}"));
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut line = serde_json::to_vec(req).unwrap();
        line.push(b'\n');
        s.write_all(&line).unwrap();
        let mut reply = Vec::new();
        let mut b = [0u8; 1];
        while s.read(&mut b).unwrap() == 1 && b[0] != b'\n' {
            reply.push(b[0]);
        }
        (
            serde_json::from_slice(&reply).unwrap_or_else(|e| panic!("{e}: {reply:?}")),
            s,
        )
    }

    fn call(&self, req: &Request) -> Reply {
        self.connect(req).0
    }

    fn wait_exit(&self) -> i32 {
        // A monitor that already finished has left exit.json instead.
        if UnixStream::connect(&self.cfg.socket_path).is_err() {
            return self.exit_record().exit_code;
        }
        match self.call(&Request::Wait) {
            Reply::Exited { exit_code } => exit_code,
            r => panic!("unexpected {r:?}"),
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.cfg.log_path)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["log"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// Waits until the monitor removed its socket and wrote exit.json.
    fn exit_record(&self) -> wharf_runtime::ExitRecord {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(r) = wharf_runtime::read_exit_record(&self.cfg.state_dir) {
                if !self.cfg.pid_file.exists() {
                    return r;
                }
            }
            assert!(Instant::now() < deadline, "no exit record");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.cfg.pid_file) {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                // Kill the container first, then let the monitor clean up.
                let _ = UnixStream::connect(&self.cfg.socket_path)
                    .and_then(|mut s| s.write_all(b"{\"type\":\"Kill\",\"signal\":9}\n"));
                std::thread::sleep(Duration::from_millis(300));
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        let _ = std::process::Command::new("umount")
            .arg("-R")
            .arg(self.dir.path().join("rootfs"))
            .output();
        let subs: Vec<_> = std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        for sub in subs {
            let p = PathBuf::from("/sys/fs/cgroup")
                .join(sub)
                .join("wharf-test")
                .join(&self.cfg.id);
            let _ = std::fs::remove_dir(&p);
            // The shared parent goes once the last test's container is gone.
            let _ = std::fs::remove_dir(p.parent().unwrap());
        }
    }
}

fn start_ok(f: &Fixture) {
    match f.call(&Request::Start) {
        Reply::Started {
            pid: Some(_),
            start_error: None,
            ..
        } => {}
        r => panic!("start failed: {r:?}"),
    }
}

fn each_runtime(test: impl Fn(&str)) {
    if !is_root() {
        eprintln!("skipped: needs root and /bin/busybox");
        return;
    }
    let only = std::env::var("WHARF_TEST_RUNTIME").ok();
    for rt in ["libcontainer", "runc"] {
        if only.as_deref().is_some_and(|o| o != rt) {
            continue;
        }
        eprintln!("runtime {rt}");
        test(rt);
    }
}

#[test]
fn echo_pid_is_one_and_exit_code() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sh", "-c", "echo $$; hostname; exit 3"], |_, _| {});
        start_ok(&f);
        assert_eq!(f.wait_exit(), 3, "{rt}");
        assert_eq!(f.exit_record().exit_code, 3);
        assert_eq!(f.log_text(), "1\nwharftest\n", "{rt}");
    });
}

/// `WaitExit` is answered once exit.json is written, and its connection
/// ends when the monitor is done (its pid file gone, the runtime state
/// deleted).
#[test]
fn wait_exit_answers_then_closes_when_done() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sh", "-c", "sleep 0.3; exit 4"], |_, _| {});
        start_ok(&f);
        let (reply, mut conn) = f.connect(&Request::WaitExit);
        assert_eq!(reply, Reply::Exited { exit_code: 4 }, "{rt}");
        let rec = wharf_runtime::read_exit_record(&f.cfg.state_dir).expect("exit.json first");
        assert_eq!(rec.exit_code, 4, "{rt}");
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{rt}: {rest:?}");
        assert!(
            !f.cfg.pid_file.exists(),
            "{rt}: the monitor is done at the end"
        );
        assert!(
            !f.cfg.runtime_root.join(&f.cfg.id).exists(),
            "{rt}: runtime state deleted"
        );
    });
}

#[test]
fn sigterm_gives_143() {
    each_runtime(|rt| {
        let f = Fixture::new(
            rt,
            &["sh", "-c", "trap 'exit 143' TERM; sleep 100 & wait"],
            |_, _| {},
        );
        start_ok(&f);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(f.call(&Request::Kill { signal: 15 }), Reply::Ok);
        assert_eq!(f.wait_exit(), 143, "{rt}");
        let f = Fixture::new(rt, &["sleep", "100"], |_, _| {});
        start_ok(&f);
        assert_eq!(f.call(&Request::Kill { signal: 9 }), Reply::Ok);
        assert_eq!(f.wait_exit(), 137, "{rt}");
    });
}

#[test]
fn missing_command_is_127() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["nosuchcmd"], |_, _| {});
        match f.call(&Request::Start) {
            Reply::Started {
                pid: None,
                start_error: Some(e),
                exit_code: Some(127),
            } => {
                assert!(
                    e.contains("exec: \"nosuchcmd\": executable file not found in $PATH"),
                    "{rt}: {e}"
                )
            }
            r => panic!("{rt}: {r:?}"),
        }
        assert_eq!(f.exit_record().exit_code, 127);
    });
}

#[test]
fn attach_stdin_echoes() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["cat"], |_, c| {
            c.open_stdin = true;
            c.stdin_once = true;
        });
        let (r, mut s) = f.connect(&Request::Attach {
            stdin: true,
            stdout: true,
            stderr: true,
        });
        assert_eq!(r, Reply::Ok);
        start_ok(&f);
        s.write_all(b"hello\n").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, wharf_runtime::monitor::frame(1, b"hello\n"), "{rt}");
        assert_eq!(f.wait_exit(), 0);
    });
}

#[test]
fn tty_mode_is_raw_and_resizable() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sh", "-c", "sleep 0.3; stty size; tty"], |_, c| {
            c.terminal = true;
        });
        let (r, mut s) = f.connect(&Request::Attach {
            stdin: true,
            stdout: true,
            stderr: true,
        });
        assert_eq!(r, Reply::Ok);
        start_ok(&f);
        assert_eq!(
            f.call(&Request::Resize {
                height: 33,
                width: 77
            }),
            Reply::Ok
        );
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("33 77"), "{rt}: {text:?}");
        assert!(text.contains("/dev/pts/0"), "{rt}: {text:?}");
        assert_eq!(f.wait_exit(), 0);
    });
}

#[test]
fn exec_runs_inside_and_reports_exit() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sleep", "100"], |_, _| {});
        start_ok(&f);
        let id = match f.call(&Request::Exec(ExecConfig {
            args: vec![
                "sh".into(),
                "-c".into(),
                "echo in-$(hostname); exit 5".into(),
            ],
            ..Default::default()
        })) {
            Reply::ExecCreated { id } => id,
            r => panic!("{rt}: {r:?}"),
        };
        let (r, mut s) = f.connect(&Request::ExecStart { id: id.clone() });
        assert_eq!(r, Reply::Ok, "{rt}");
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(
            out,
            wharf_runtime::monitor::frame(1, b"in-wharftest\n"),
            "{rt}"
        );
        match f.call(&Request::ExecState { id }) {
            Reply::ExecState(st) => assert_eq!(st.exit_code, Some(5), "{rt}"),
            r => panic!("{rt}: {r:?}"),
        }
        assert_eq!(f.call(&Request::Kill { signal: 9 }), Reply::Ok);
        assert_eq!(f.wait_exit(), 137);
    });
}

#[test]
fn cgroup_limits_cannot_be_changed_from_inside() {
    each_runtime(|rt| {
        let script = "for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max; do \
                      if [ -e $f ]; then if echo 1000 > $f 2>/dev/null; then echo WROTE $f; else echo denied; fi; fi; done";
        let f = Fixture::new(rt, &["sh", "-c", script], |rs, _| {
            rs.memory_bytes = Some(64 << 20);
            rs.pids_limit = Some(100);
        });
        start_ok(&f);
        assert_eq!(f.wait_exit(), 0);
        let log = f.log_text();
        assert!(!log.contains("WROTE"), "{rt}: {log}");
        assert!(log.contains("denied"), "{rt}: {log}");
    });
}

#[test]
fn etc_files_and_init() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sh", "-c", "cat /etc/hostname; grep -c wharftest /etc/hosts; cat /proc/1/cmdline | tr '\\0' ' '"], |rs, _| {
            rs.etc_dir = Some(rs.rootfs.parent().unwrap().join("etc"));
            if Path::new("/usr/bin/tini-static").exists() {
                rs.init = Some("/usr/bin/tini-static".into());
            }
        });
        start_ok(&f);
        assert_eq!(f.wait_exit(), 0);
        let log = f.log_text();
        assert!(log.starts_with("wharftest\n1\n"), "{rt}: {log}");
        if Path::new("/usr/bin/tini-static").exists() {
            assert!(log.contains("/sbin/docker-init"), "{rt}: {log}");
        }
    });
}

#[test]
fn monitor_stays_small_and_client_works() {
    each_runtime(|rt| {
        let f = Fixture::new(rt, &["sleep", "100"], |_, _| {});
        let rtm = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = wharf_runtime::client::MonitorClient::new(&f.cfg.socket_path)
            .with_state_dir(&f.cfg.state_dir);
        let started = rtm.block_on(client.start()).unwrap();
        assert!(started.pid.is_some());
        let pid: i32 = std::fs::read_to_string(&f.cfg.pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let rss_kb: u64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap();
        eprintln!("{rt}: monitor RSS {rss_kb} KiB");
        // Debug builds are larger; the 2 MiB target is for release builds.
        assert!(rss_kb < 16 * 1024, "{rt}: monitor RSS {rss_kb} KiB");
        let st = rtm.block_on(client.state()).unwrap();
        assert_eq!(st.status, wharf_runtime::Status::Running);
        rtm.block_on(client.kill(9)).unwrap();
        assert_eq!(rtm.block_on(client.wait()).unwrap(), 137);
        let st = rtm.block_on(client.state()).unwrap();
        assert_eq!(st.exit_code, Some(137));
    });
}

/// A monitor whose daemon died before it got going (nobody reads its
/// readiness pipe) exits and leaves nothing (it checks before it makes
/// anything, and removes what it made when the readiness write fails): a
/// restarted daemon may already have cleaned the run directory.
#[test]
fn monitor_of_a_dead_daemon_leaves_nothing() {
    let dir = tempfile::Builder::new()
        .prefix("wharf-rt-")
        .tempdir()
        .unwrap();
    let run = dir.path().join("run");
    let cfg = MonitorConfig {
        id: format!("gone{}", std::process::id()),
        bundle: run.join("bundle"),
        runtime: "default".into(),
        runtime_root: run.join("runtime"),
        log_path: dir.path().join("ctr-json.log"),
        state_dir: dir.path().join("state"),
        socket_path: run.join("monitor.sock"),
        pid_file: run.join("monitor.pid"),
        terminal: false,
        open_stdin: false,
        stdin_once: false,
        cgroup_path: None,
        log: Default::default(),
    };
    let config = dir.path().join("monitor.json");
    std::fs::write(&config, serde_json::to_vec(&cfg).unwrap()).unwrap();
    // The readiness pipe with its read end closed: the daemon is gone.
    let (read, write) = rustix::pipe::pipe().unwrap();
    drop(read);
    let status = std::process::Command::new(EXE)
        .arg(&config)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(write))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    for p in [&run, &cfg.state_dir, &cfg.log_path] {
        assert!(!p.exists(), "{} was made", p.display());
    }
}
