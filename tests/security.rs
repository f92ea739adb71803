//! The security holes of issue 6, each checked from where it would be
//! exploited: from inside the container, or as an unprivileged host user.
//! Every scenario runs under both runtimes, and through both the `wharf`
//! and the real `docker` CLI (when installed).
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{json, run_cmd, Cli, Daemon, Output, Runtime, CMD_TIMEOUT};

/// The clients to drive: wharf, and docker when it is installed.
fn clis() -> Vec<Cli> {
    [Cli::Wharf, Cli::Docker]
        .into_iter()
        .filter(|c| c.available())
        .collect()
}

/// `ARGS…` through `cli`, with the daemon's runtime flag after `run` or
/// `create` for docker too (the harness adds it for wharf).
fn cli(d: &Daemon, cli: Cli, args: &[&str]) -> Output {
    match cli {
        Cli::Wharf => d.wharf(args),
        Cli::Docker => {
            let mut v: Vec<&str> = args.to_vec();
            if matches!(v.first(), Some(&"run") | Some(&"create")) {
                for (i, a) in d.runtime().run_args().iter().enumerate() {
                    v.insert(1 + i, a);
                }
            }
            d.docker(&v)
        }
    }
}

/// `run --rm ARGS… IMAGE sh -c SCRIPT` through `c`.
fn run_sh(d: &Daemon, c: Cli, args: &[&str], script: &str) -> Output {
    run_img(d, c, args, "busybox", script)
}

fn run_img(d: &Daemon, c: Cli, args: &[&str], image: &str, script: &str) -> Output {
    let mut a = vec!["run", "--rm"];
    a.extend_from_slice(args);
    a.extend_from_slice(&[image, "sh", "-c", script]);
    cli(d, c, &a)
}

/// `cmd…` as the host's `nobody` (uid and gid 65534, no supplementary groups).
fn as_nobody(cmd: &[&str]) -> Output {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(cmd);
    run_cmd(c, None, CMD_TIMEOUT)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Line `key:` of /proc/self/status inside, e.g. `NoNewPrivs:\t1` → "1".
fn status_field(o: &Output, key: &str) -> String {
    o.stdout
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {key} in {o}"))
}

// ---------------------------------------------------------------------------
// Item 2: the data root and the exec root are private to root.

fn data_root_is_private(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    // The test root itself is open to all: any denial below comes from
    // wharf's own directories.
    as_nobody(&["test", "-x", &d.tmp().to_string_lossy()]).success();
    for c in clis() {
        let name = format!("secret-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "-e",
                "DB_PASSWORD=hunter2",
                "-v",
                "privvol:/data",
                "busybox",
                "sh",
                "-c",
                "echo the-log-line; echo in-volume > /data/f; cp /bin/busybox /sbin/sbb; chmod u+s /sbin/sbb; sleep 1d",
            ],
        )
        .success();
        let id = d.inspect(&name)["Id"].as_str().unwrap().to_string();
        assert!(
            common::wait_until(std::time::Duration::from_secs(10), || {
                cli(&d, c, &["logs", &name]).stdout.contains("the-log-line")
            }),
            "no log line"
        );
        let dir = d.data_root().join("containers").join(&id);
        let upper_bb = dir.join("rw/upper/sbin/sbb");
        assert!(
            common::wait_until(std::time::Duration::from_secs(10), || {
                std::fs::metadata(&upper_bb).is_ok_and(|m| m.permissions().mode() & 0o4000 != 0)
            }),
            "the container left no setuid binary in its layer"
        );
        let secrets = [
            dir.join("config.json"),
            dir.join(format!("{id}-json.log")),
            d.exec_root()
                .join("containers")
                .join(&id)
                .join("bundle/config.json"),
        ];
        for f in &secrets {
            let o = as_nobody(&["cat", &f.to_string_lossy()]);
            assert_ne!(o.code, 0, "nobody read {}: {o}", f.display());
            assert!(!o.stdout.contains("hunter2"), "{o}");
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
        for p in [dir.join("rw/upper"), dir.join("merged")] {
            let o = as_nobody(&["ls", &p.to_string_lossy()]);
            assert_ne!(o.code, 0, "nobody listed {}: {o}", p.display());
        }
        let o = as_nobody(&[&upper_bb.to_string_lossy(), "id", "-u"]);
        assert_ne!(o.code, 0, "nobody ran the container's setuid binary: {o}");
        assert_ne!(o.out(), "0", "{o}");
        // The volume still works for containers, whatever their user.
        let o = run_sh(
            &d,
            c,
            &["-u", "65534", "-v", "privvol:/data:ro"],
            "cat /data/f",
        );
        assert_eq!(o.success().out(), "in-volume");
        cli(&d, c, &["rm", "-f", &name]).success();
    }
    let (data, exec) = (d.data_root(), d.exec_root());
    for (p, want) in [
        (data.clone(), 0o710),
        (data.join("containers"), 0o710),
        (data.join("image"), 0o700),
        (data.join("image/layers"), 0o700),
        (data.join("volumes"), 0o700),
        (exec.clone(), 0o700),
        (exec.join("containers"), 0o700),
    ] {
        assert_eq!(mode(&p), want, "{}", p.display());
        let o = as_nobody(&["ls", &p.to_string_lossy()]);
        assert_ne!(o.code, 0, "nobody listed {}: {o}", p.display());
    }
    // Directories an older wharf left open are closed at start-up.
    let id = d
        .wharf(&["create", "busybox", "true"])
        .success()
        .out()
        .to_string();
    d.stop();
    let dir = data.join("containers").join(&id);
    for p in [&data, &data.join("containers"), &dir, &exec] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(
        dir.join("config.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    d.restart();
    assert_eq!(mode(&data), 0o710);
    assert_eq!(mode(&data.join("containers")), 0o710);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("config.json")), 0o600);
    assert_eq!(mode(&exec), 0o700);
}

// ---------------------------------------------------------------------------
// Item 3: --security-opt no-new-privileges

/// A volume holding a setuid-root copy of busybox, and a host file for
/// `/etc/busybox.conf` that tells busybox to keep the setuid for `grep`
/// (it drops it otherwise), so `grep Uid /proc/self/status` shows the euid.
fn setuid_fixture(d: &Daemon, c: Cli) -> (String, String) {
    let vol = format!("suid-{c:?}").to_lowercase();
    run_sh(
        d,
        c,
        &["-v", &format!("{vol}:/v")],
        "cp /bin/busybox /v/busybox && chmod 4755 /v/busybox",
    )
    .success();
    let conf = d.tmp().join("busybox.conf");
    std::fs::write(&conf, "[SUID]\ngrep = ssx 0.0\n").unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    (vol, conf.to_string_lossy().into_owned())
}

fn no_new_privileges(rt: Runtime) {
    let d = Daemon::start_with(rt);
    for c in clis() {
        let (vol, conf) = setuid_fixture(&d, c);
        let v = format!("{vol}:/v");
        let cf = format!("{conf}:/etc/busybox.conf:ro");
        let suid = |extra: &[&str]| {
            let mut a = vec!["-u", "65534", "-v", &v, "-v", &cf];
            a.extend_from_slice(extra);
            run_sh(
                &d,
                c,
                &a,
                // (a shell loop, not grep: busybox.conf applies to every
                // busybox grep)
                "while read -r l; do case $l in NoNewPrivs*) echo \"$l\";; esac; done < /proc/self/status; /v/busybox grep Uid /proc/self/status",
            )
        };
        // Without the option the setuid binary gives euid 0, as in Docker.
        let o = suid(&[]);
        assert_eq!(status_field(&o, "NoNewPrivs:"), "0", "{o}");
        assert!(o.stdout.contains("Uid:\t65534\t0\t"), "{o}");
        let o = suid(&["--security-opt", "no-new-privileges=false"]);
        assert!(o.stdout.contains("Uid:\t65534\t0\t"), "{o}");
        for opt in [
            "no-new-privileges",
            "no-new-privileges=true",
            "no-new-privileges:true",
        ] {
            let o = suid(&["--security-opt", opt]);
            assert_eq!(status_field(&o, "NoNewPrivs:"), "1", "{opt}: {o}");
            // The kernel ignored the setuid bit: euid stayed 65534, so
            // busybox could not even switch to the configured group.
            assert!(!o.stdout.contains("Uid:\t65534\t0\t"), "{opt}: {o}");
            assert!(o.stderr.contains("Operation not permitted"), "{opt}: {o}");
        }
        // Exec processes inherit it.
        let name = format!("nnp-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--security-opt",
                "no-new-privileges",
                "-v",
                &v,
                "-v",
                &cf,
                "busybox",
                "sleep",
                "1d",
            ],
        )
        .success();
        let o = cli(
            &d,
            c,
            &[
                "exec",
                &name,
                "sed",
                "-n",
                "/NoNewPrivs/p",
                "/proc/self/status",
            ],
        );
        assert_eq!(status_field(o.success(), "NoNewPrivs:"), "1");
        let o = cli(
            &d,
            c,
            &[
                "exec",
                "-u",
                "65534",
                &name,
                "/v/busybox",
                "grep",
                "Uid",
                "/proc/self/status",
            ],
        );
        assert!(!o.stdout.contains("Uid:\t65534\t0\t"), "{o}");
        let so = &d.inspect(&name)["HostConfig"]["SecurityOpt"];
        assert_eq!(so, &json!(["no-new-privileges"]));
        cli(&d, c, &["rm", "-f", &name]).success();
    }
}

// ---------------------------------------------------------------------------
// Item 4: every isolation option applied, or refused at create.

fn seccomp_profiles(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let deny = d.tmp().join("deny-mkdir.json");
    std::fs::write(
        &deny,
        r#"{
  "defaultAction": "SCMP_ACT_ALLOW",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
    {"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "includes": {"caps": ["CAP_SYS_ADMIN"]}}
  ]
}"#,
    )
    .unwrap();
    let bad = d.tmp().join("bad.json");
    std::fs::write(&bad, r#"{"defaultAction": "SCMP_ACT_SOMETIMES"}"#).unwrap();
    let deny_opt = format!("seccomp={}", deny.display());
    for c in clis() {
        let o = run_sh(
            &d,
            c,
            &[],
            "mkdir /a && echo made; grep Seccomp: /proc/self/status",
        );
        assert!(o.success().stdout.contains("made"), "{o}");
        assert_eq!(status_field(&o, "Seccomp:"), "2");
        let o = run_sh(
            &d,
            c,
            &["--security-opt", &deny_opt],
            "mkdir /b || echo denied; touch /t; chmod 600 /t && echo chmod-ok; grep Seccomp: /proc/self/status",
        );
        let out = o.success().stdout.clone();
        assert!(out.contains("denied"), "{o}");
        assert!(o.stderr.contains("Operation not permitted"), "{o}");
        // The chmod rule includes only containers with CAP_SYS_ADMIN.
        assert!(out.contains("chmod-ok"), "{o}");
        assert_eq!(status_field(&o, "Seccomp:"), "2");
        let o = run_sh(
            &d,
            c,
            &["--security-opt", &deny_opt, "--cap-add", "SYS_ADMIN"],
            "touch /t; chmod 600 /t || echo chmod-denied",
        );
        assert!(o.success().stdout.contains("chmod-denied"), "{o}");
        let o = run_sh(
            &d,
            c,
            &["--security-opt", "seccomp=unconfined"],
            "grep Seccomp: /proc/self/status",
        );
        assert_eq!(status_field(o.success(), "Seccomp:"), "0");
        // The profile is stored as the docker CLI sends it: JSON text.
        let name = format!("sc-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "create",
                "--name",
                &name,
                "--security-opt",
                &deny_opt,
                "busybox",
            ],
        )
        .success();
        let so = d.inspect(&name)["HostConfig"]["SecurityOpt"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            so.starts_with("seccomp={") && so.contains("mkdirat"),
            "{so}"
        );
        cli(&d, c, &["rm", &name]).success();
        let o = run_sh(
            &d,
            c,
            &["--security-opt", &format!("seccomp={}", bad.display())],
            "true",
        );
        o.code_is(125);
        assert!(o.stderr.contains("SCMP_ACT_SOMETIMES"), "{o}");
        let o = run_sh(
            &d,
            c,
            &["--security-opt", "seccomp=/nonexistent/profile.json"],
            "true",
        );
        assert_ne!(o.code, 0, "{o}");
        assert!(o.stderr.contains("no such file or directory"), "{o}");
    }
}

fn ulimits(rt: Runtime) {
    let d = Daemon::start_with(rt);
    for c in clis() {
        let o = run_sh(&d, c, &["--ulimit", "nofile=64"], "ulimit -n; ulimit -Hn");
        assert_eq!(o.success().lines(), ["64", "64"]);
        let o = run_sh(
            &d,
            c,
            &["--ulimit", "nofile=64:128"],
            "ulimit -n; ulimit -Hn",
        );
        assert_eq!(o.success().lines(), ["64", "128"]);
        // nproc counts the user's processes (root is exempt).
        let o = run_sh(
            &d,
            c,
            &["--ulimit", "nproc=5", "-u", "65534"],
            "ulimit -u; for i in 1 2 3 4 5 6 7 8; do sleep 3 & done 2>&1; echo end",
        );
        assert_eq!(o.lines()[0], "5", "{o}");
        assert!(
            o.stdout.contains("can't fork") || o.stderr.contains("can't fork"),
            "{o}"
        );
        let o = run_sh(&d, c, &["--ulimit", "nofile=128:64"], "true");
        o.code_is(125);
        let o = run_sh(&d, c, &["--ulimit", "bogus=1"], "true");
        o.code_is(125);
    }
    // The API's HostConfig.Ulimits is applied too.
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=ul",
        Some(&json!({"Image": "busybox", "Cmd": ["sh", "-c", "ulimit -n"],
                      "HostConfig": {"Ulimits": [{"Name": "nofile", "Soft": 99, "Hard": 99}],
                                     "Runtime": if d.runtime() == Runtime::Runc { "runc" } else { "" }}})),
    );
    assert_eq!(st, 201, "{v}");
    d.wharf(&["start", "ul"]).success();
    d.wharf(&["wait", "ul"]).success();
    assert_eq!(d.wharf(&["logs", "ul"]).success().out(), "99");
}

fn host_namespaces(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let host_ns = |ns: &str| {
        std::fs::read_link(format!("/proc/self/ns/{ns}"))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    let host_name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    for c in clis() {
        // --pid host: the host's processes, this test's among them.
        let me = std::process::id();
        let o = run_sh(
            &d,
            c,
            &["--pid", "host"],
            &format!("readlink /proc/self/ns/pid; test -d /proc/{me} && echo sees-host"),
        );
        assert_eq!(o.success().lines(), [host_ns("pid").as_str(), "sees-host"]);
        let o = run_sh(&d, c, &[], &format!("test -d /proc/{me} || echo hidden"));
        assert_eq!(o.success().out(), "hidden");
        // --ipc host, private, shareable, none.
        let o = run_sh(&d, c, &["--ipc", "host"], "readlink /proc/self/ns/ipc");
        assert_eq!(o.success().out(), host_ns("ipc"));
        for mode in ["private", "shareable"] {
            let o = run_sh(
                &d,
                c,
                &["--ipc", mode],
                "readlink /proc/self/ns/ipc; grep -c ' /dev/shm ' /proc/mounts",
            );
            assert_ne!(o.success().lines()[0], host_ns("ipc"));
            assert_eq!(o.lines()[1], "1");
        }
        let o = run_sh(
            &d,
            c,
            &["--ipc", "none"],
            "grep -c ' /dev/shm ' /proc/mounts || true",
        );
        assert_eq!(o.success().out(), "0");
        // --uts host: the host's name, and no name of its own.
        let o = run_sh(
            &d,
            c,
            &["--uts", "host"],
            "hostname; readlink /proc/self/ns/uts",
        );
        assert_eq!(
            o.success().lines(),
            [host_name.trim(), host_ns("uts").as_str()]
        );
        let o = run_sh(&d, c, &["--uts", "host", "-h", "other"], "true");
        o.code_is(125);
        assert!(o.stderr.contains("conflicting options"), "{o}");
        // Inspect shows the modes in force.
        let name = format!("ns-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "create", "--name", &name, "--pid", "host", "--ipc", "host", "--uts", "host",
                "busybox",
            ],
        )
        .success();
        let hc = &d.inspect(&name)["HostConfig"];
        assert_eq!(
            (&hc["PidMode"], &hc["IpcMode"], &hc["UTSMode"]),
            (&json!("host"), &json!("host"), &json!("host"))
        );
        cli(&d, c, &["rm", &name]).success();
        cli(&d, c, &["create", "--name", &name, "busybox"]).success();
        assert_eq!(d.inspect(&name)["HostConfig"]["IpcMode"], "private");
        cli(&d, c, &["rm", &name]).success();
        // Modes wharf does not have are refused.
        for (flag, v) in [("--pid", "container:x"), ("--ipc", "container:x")] {
            let o = run_sh(&d, c, &[flag, v], "true");
            o.code_is(125);
            assert!(o.stderr.contains("not supported"), "{o}");
        }
    }
}

fn sysctls(rt: Runtime) {
    let d = Daemon::start_with(rt);
    for c in clis() {
        let o = run_sh(
            &d,
            c,
            &[
                "--sysctl",
                "net.ipv4.ip_forward=1",
                "--sysctl",
                "kernel.shmmax=123456",
                "--sysctl",
                "fs.mqueue.msg_max=20",
            ],
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max",
        );
        assert_eq!(o.success().lines(), ["1", "123456", "20"]);
        // The host's values are untouched.
        assert_ne!(
            std::fs::read_to_string("/proc/sys/kernel/shmmax")
                .unwrap()
                .trim(),
            "123456"
        );
        let o = run_sh(
            &d,
            c,
            &["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
            "true",
        );
        o.code_is(125);
        assert!(o.stderr.contains("--network host"), "{o}");
        let o = run_sh(
            &d,
            c,
            &["--ipc", "host", "--sysctl", "kernel.shmmax=1"],
            "true",
        );
        o.code_is(125);
        assert!(o.stderr.contains("--ipc host"), "{o}");
        let o = run_sh(&d, c, &["--sysctl", "kernel.domainname=x"], "true");
        assert_ne!(o.code, 0, "{o}");
    }
    // A non-namespaced sysctl sent through the API is refused by the daemon.
    let (st, v) = d.api(
        "POST",
        "/containers/create",
        Some(&json!({"Image": "busybox", "HostConfig": {"Sysctls": {"vm.swappiness": "1"}}})),
    );
    assert_eq!(st, 400, "{v}");
    assert!(v["message"].as_str().unwrap().contains("not namespaced"));
}

fn oom_score_adj(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let can_lower = {
        let st = std::fs::read_to_string("/proc/self/status").unwrap();
        let eff = st
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(|h| u64::from_str_radix(h.trim(), 16).unwrap())
            .unwrap();
        eff & (1 << 24) != 0
    };
    for c in clis() {
        let o = run_sh(
            &d,
            c,
            &["--oom-score-adj", "500"],
            "cat /proc/self/oom_score_adj",
        );
        assert_eq!(o.success().out(), "500");
        let o = run_sh(&d, c, &["--oom-score-adj", "1001"], "true");
        o.code_is(125);
        assert!(o.stderr.contains("[-1000, 1000]"), "{o}");
        let o = run_sh(
            &d,
            c,
            &["--oom-score-adj", "-100"],
            "cat /proc/self/oom_score_adj",
        );
        if can_lower {
            assert_eq!(o.success().out(), "-100");
        } else {
            // The host withholds CAP_SYS_RESOURCE: refused, never ignored.
            o.code_is(125);
            assert!(o.stderr.contains("CAP_SYS_RESOURCE"), "{o}");
        }
    }
}

/// Imports busybox with an /etc/group that lists memberships.
fn import_group_image(d: &Daemon) {
    let dir = d.tmp().join("gimg");
    std::fs::create_dir_all(&dir).unwrap();
    let tar = common::busybox_tar().to_string_lossy().into_owned();
    let mut x = Command::new("tar");
    x.args(["-xf", &tar, "-C", &dir.to_string_lossy()]);
    run_cmd(x, None, CMD_TIMEOUT).success();
    std::fs::write(
        dir.join("etc/group"),
        "root:x:0:\nwheel:x:10:root,app\naudio:x:29:app\nstaff:x:50:\napp:x:1000:\nnogroup:x:65534:\n",
    )
    .unwrap();
    let out = d.tmp().join("groupbox.tar");
    let mut t = Command::new("tar");
    t.args([
        "-cf",
        &out.to_string_lossy(),
        "-C",
        &dir.to_string_lossy(),
        ".",
    ]);
    run_cmd(t, None, CMD_TIMEOUT).success();
    d.wharf(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        &out.to_string_lossy(),
        "groupbox:latest",
    ])
    .success();
}

fn groups(rt: Runtime) {
    let d = Daemon::start_with(rt);
    import_group_image(&d);
    for c in clis() {
        let g = |args: &[&str]| {
            let o = run_img(&d, c, args, "groupbox", "id -u; id -G");
            o.success();
            o.lines().iter().map(|s| s.to_string()).collect::<Vec<_>>()
        };
        // The user's groups from the image's /etc/group, by name or uid.
        assert_eq!(g(&["-u", "app"]), ["1000", "1000 10 29"]);
        assert_eq!(g(&["-u", "1000"]), ["1000", "1000 10 29"]);
        assert_eq!(g(&[]), ["0", "0 10"]);
        // --group-add: names from the image's /etc/group, or numbers.
        assert_eq!(
            g(&["-u", "65534", "--group-add", "staff", "--group-add", "4242"]),
            ["65534", "65534 50 4242"]
        );
        assert_eq!(
            g(&["-u", "app", "--group-add", "audio"]),
            ["1000", "1000 10 29"]
        );
        let o = run_img(&d, c, &["--group-add", "nope"], "groupbox", "true");
        assert_ne!(o.code, 0, "{o}");
        assert!(o.stderr.contains("Unable to find group nope"), "{o}");
        // Exec processes get them as well.
        let name = format!("grp-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "run",
                "-d",
                "--name",
                &name,
                "--group-add",
                "staff",
                "groupbox",
                "sleep",
                "1d",
            ],
        )
        .success();
        let o = cli(&d, c, &["exec", "-u", "app", &name, "id", "-G"]);
        assert_eq!(o.success().out(), "1000 10 29 50");
        cli(&d, c, &["rm", "-f", &name]).success();
    }
}

fn devices(rt: Runtime) {
    if !Path::new("/dev/loop-control").exists() {
        eprintln!("skipped: no /dev/loop-control on this host");
        return;
    }
    let d = Daemon::start_with(rt);
    for c in clis() {
        // Not in Docker's default device list: mknod works, open does not.
        let o = run_sh(&d, c, &[], "mknod /dev/xl c 10 237; cat /dev/xl 2>&1; true");
        assert!(
            o.success().stdout.contains("Operation not permitted"),
            "{o}"
        );
        let o = run_sh(
            &d,
            c,
            &["--device", "/dev/loop-control:/dev/xl"],
            "ls -l /dev/xl; cat /dev/xl 2>&1; true",
        );
        let out = o.success().stdout.clone();
        assert!(out.starts_with('c') && out.contains("10, 237"), "{o}");
        // Opened: the read itself is what loop-control refuses.
        assert!(!out.contains("Operation not permitted"), "{o}");
        let o = run_sh(
            &d,
            c,
            &["--device", "/dev/loop-control:r"],
            "cat /dev/loop-control 2>&1; echo x > /dev/loop-control",
        );
        assert!(!o.stdout.contains("Operation not permitted"), "{o}");
        assert!(o.stderr.contains("Operation not permitted"), "{o}");
        let o = run_sh(&d, c, &["--device", "/dev/nonexistent-dev"], "true");
        // (the docker CLI turns "no such file or directory" into 127)
        assert!(o.code == 125 || o.code == 127, "{o}");
        assert!(
            o.stderr.contains("error gathering device information"),
            "{o}"
        );
    }
}

/// Options that were stored but not applied before: in force now.
fn shm_size_and_cpu_shares(rt: Runtime) {
    let d = Daemon::start_with(rt);
    for c in clis() {
        let o = run_sh(
            &d,
            c,
            &["--shm-size", "16m"],
            "df -k /dev/shm | tail -n 1 | awk '{print $2}'",
        );
        assert_eq!(o.success().out(), "16384");
        let o = run_sh(
            &d,
            c,
            &["--cpu-shares", "512"],
            "cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight",
        );
        // v1 shows the shares; v2 their weight (1 + (512-2)*9999/262142).
        assert!(matches!(o.success().out(), "512" | "20"), "{o}");
        let o = run_sh(&d, c, &["--cgroup-parent", "/mine"], "true");
        o.code_is(125);
        assert!(o.stderr.contains("not supported"), "{o}");
    }
}

fn unknown_and_unavailable_options_are_refused(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let apparmor = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.trim() == "Y");
    let selinux = Path::new("/sys/fs/selinux/enforce").exists();
    for c in clis() {
        let o = run_sh(&d, c, &["--security-opt", "bogus=1"], "true");
        o.code_is(125);
        assert!(
            o.stderr.contains(r#"invalid --security-opt 2: "bogus=1""#),
            "{o}"
        );
        if !apparmor {
            let o = run_sh(
                &d,
                c,
                &["--security-opt", "apparmor=docker-default"],
                "true",
            );
            o.code_is(125);
            assert!(o.stderr.contains("AppArmor is not enabled"), "{o}");
        }
        if !selinux {
            let o = run_sh(&d, c, &["--security-opt", "label=level:s0:c100"], "true");
            o.code_is(125);
            assert!(o.stderr.contains("SELinux is not enabled"), "{o}");
        }
        // What is in force anyway is accepted.
        run_sh(
            &d,
            c,
            &[
                "--security-opt",
                "apparmor=unconfined",
                "--security-opt",
                "label=disable",
            ],
            "true",
        )
        .success();
        // systempaths=unconfined: /proc/sys is writable-mounted as Docker does.
        let o = run_sh(
            &d,
            c,
            &["--security-opt", "systempaths=unconfined"],
            "grep -c ' /proc/sys ' /proc/mounts || true",
        );
        assert_eq!(o.success().out(), "0");
    }
    // Nothing was created by the refused requests (and --rm removed the rest).
    assert!(
        common::wait_until(std::time::Duration::from_secs(10), || d
            .wharf(&["ps", "-aq"])
            .out()
            .is_empty()),
        "{}",
        d.wharf(&["ps", "-a"])
    );
}

// ---------------------------------------------------------------------------
// OOM kills are reported.

fn oom_killed(rt: Runtime) {
    let d = Daemon::start_with(rt);
    for c in clis() {
        let name = format!("oom-{c:?}").to_lowercase();
        let o = cli(
            &d,
            c,
            &[
                "run",
                "--name",
                &name,
                "--memory",
                "32m",
                "busybox",
                "tail",
                "/dev/zero",
            ],
        );
        o.code_is(137);
        let v = d.inspect(&name);
        assert_eq!(v["State"]["OOMKilled"], true, "{}", v["State"]);
        assert_eq!(v["State"]["ExitCode"], 137);
        assert_eq!(v["HostConfig"]["Memory"], 32 << 20);
        assert_eq!(v["HostConfig"]["MemorySwap"], 64 << 20);
        let f = cli(&d, c, &["inspect", "-f", "{{.State.OOMKilled}}", &name]);
        assert_eq!(f.success().out(), "true");
        // Started again and ending normally: not OOM-killed any more.
        let name2 = format!("fine-{c:?}").to_lowercase();
        cli(
            &d,
            c,
            &[
                "run", "--name", &name2, "--memory", "32m", "busybox", "true",
            ],
        )
        .success();
        assert_eq!(d.inspect(&name2)["State"]["OOMKilled"], false);
        cli(&d, c, &["rm", &name, &name2]).success();
    }
}

runtime_tests!(
    data_root_is_private,
    no_new_privileges,
    seccomp_profiles,
    ulimits,
    host_namespaces,
    sysctls,
    oom_score_adj,
    groups,
    devices,
    unknown_and_unavailable_options_are_refused,
    shm_size_and_cpu_shares,
    oom_killed,
);
