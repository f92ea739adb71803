//! The seccomp filter, syscall by syscall, against Docker's answers.
//!
//! A static probe (tests/fixtures/syscall_probe.c, built here with gcc)
//! calls each syscall with harmless arguments and prints the errno the
//! container sees. The expected column is what Docker 28's default profile
//! gives for the same call (moby `profiles/seccomp/default.json`, resolved
//! for Docker's default capabilities on amd64 with a kernel ≥ 4.8). Every
//! scenario runs through the `docker` CLI, under both runtimes, for the
//! container's own process and for an exec, which must never be a way
//! around the filter.
mod common;

use common::{Cli, Daemon, Runtime};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// (probe, Docker's answer with the default capabilities).
const DEFAULT_TABLE: &[(&str, &str)] = &[
    ("getpid", "OK"),
    ("personality_query", "OK"),
    ("personality_read_implies_exec", "EPERM"),
    ("ptrace", "ESRCH"),
    ("process_vm_readv", "OK"),
    ("io_uring_setup", "EPERM"),
    ("mount", "EPERM"),
    ("unshare_user", "EPERM"),
    ("keyctl", "EPERM"),
    ("add_key", "EPERM"),
    ("socket_vsock", "EPERM"),
    ("socket_unix", "OK"),
    ("clone3", "ENOSYS"),
    ("open_tree", "EPERM"),
    ("fsopen", "EPERM"),
    ("bpf", "EPERM"),
    ("perf_event_open", "EPERM"),
    ("userfaultfd", "EPERM"),
    ("reboot", "EPERM"),
    ("chroot", "OK"),
    ("setns", "EPERM"),
    ("clock_settime", "EPERM"),
    ("open_by_handle_at", "EPERM"),
    ("kexec_load", "EPERM"),
];

/// With `--cap-add SYS_ADMIN` Docker's profile opens the namespace and
/// mount calls (the kernel then answers for itself).
const SYS_ADMIN_TABLE: &[(&str, &str)] = &[
    ("mount", "OK"),
    ("setns", "EBADF"),
    ("clone3", "EINVAL"),
    ("open_tree", "OK"),
    ("keyctl", "EPERM"),
    ("io_uring_setup", "EPERM"),
];

/// The probe binary, built once per test run.
fn probe() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("syscall_probe");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syscall_probe.c");
        let tmp = out.with_extension(format!("tmp{}", std::process::id()));
        let mut cmd = Command::new("gcc");
        cmd.args(["-static", "-O1", "-o"]).arg(&tmp).arg(&src);
        common::run_cmd(cmd, None, std::time::Duration::from_secs(120)).success();
        std::fs::rename(&tmp, &out).unwrap();
        out
    })
}

/// Runs the probe for `table` in `argv` (a `run` or `exec` command line
/// that ends where the program goes) and compares with the table, printing
/// the side-by-side table either way.
fn check(d: &Daemon, label: &str, argv: &[&str], table: &[(&str, &str)]) {
    let mut args: Vec<&str> = argv.to_vec();
    args.push("/probe");
    args.extend(table.iter().map(|(n, _)| *n));
    let o = d.cli(Cli::Docker, &args);
    o.success();
    let got: std::collections::BTreeMap<&str, &str> =
        o.stdout.lines().filter_map(|l| l.split_once(' ')).collect();
    println!(
        "{label}\n  {:<32} {:<8} {:<8}",
        "syscall", "wharf", "docker"
    );
    let mut wrong = Vec::new();
    for (name, want) in table {
        let have = got.get(name).copied().unwrap_or("-");
        let mark = if have == *want { "" } else { "  <- differs" };
        println!("  {name:<32} {have:<8} {want:<8}{mark}");
        if have != *want {
            wrong.push(format!("{name}: wharf {have}, docker {want}"));
        }
    }
    assert!(wrong.is_empty(), "{label}: {wrong:?}\n{o}");
}

fn mount_arg() -> String {
    format!("{}:/probe:ro", probe().display())
}

fn default_profile_matches_docker(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let m = mount_arg();
    check(
        &d,
        "run, default capabilities",
        &["run", "--rm", "-v", &m, "busybox"],
        DEFAULT_TABLE,
    );
    check(
        &d,
        "run, --cap-add SYS_ADMIN",
        &["run", "--rm", "--cap-add", "SYS_ADMIN", "-v", &m, "busybox"],
        SYS_ADMIN_TABLE,
    );
}

fn exec_gets_the_container_filter(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let m = mount_arg();
    d.cli(
        Cli::Docker,
        &[
            "run", "-d", "--name", "tt", "-v", &m, "busybox", "sleep", "1d",
        ],
    )
    .success();
    let o = d.cli(
        Cli::Docker,
        &["exec", "tt", "grep", "Seccomp:", "/proc/self/status"],
    );
    assert_eq!(
        o.success().out().split_whitespace().last(),
        Some("2"),
        "{o}"
    );
    check(
        &d,
        "exec, default capabilities",
        &["exec", "tt"],
        DEFAULT_TABLE,
    );
    check(
        &d,
        "exec -u 65534",
        &["exec", "-u", "65534", "tt"],
        &[("mount", "EPERM"), ("keyctl", "EPERM"), ("getpid", "OK")],
    );
    // The exec keeps exactly the container's capabilities (the filter is
    // loaded with extra ones that must be gone by the time it runs).
    let caps = |args: &[&str]| {
        let mut a = vec!["exec"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["tt", "grep", "-E", "^Cap(Eff|Prm|Bnd)", "/proc/self/status"]);
        d.cli(Cli::Docker, &a).success().stdout.clone()
    };
    let root = caps(&[]);
    assert!(root.contains("CapEff:\t00000000a80425fb"), "{root}");
    assert!(root.contains("CapBnd:\t00000000a80425fb"), "{root}");
    let nobody = caps(&["-u", "65534"]);
    assert!(nobody.contains("CapEff:\t0000000000000000"), "{nobody}");
    assert!(nobody.contains("CapPrm:\t0000000000000000"), "{nobody}");
    // The escape the issue reproduced: a user namespace and a mount.
    let o = d.cli(
        Cli::Docker,
        &[
            "exec",
            "tt",
            "sh",
            "-c",
            "unshare -Urm sh -c 'mount -t tmpfs t /mnt && echo MOUNTED'",
        ],
    );
    assert!(!o.stdout.contains("MOUNTED") && o.code != 0, "{o}");
    // A tty exec is confined the same way.
    let o = d.cli(
        Cli::Docker,
        &["exec", "-t", "tt", "grep", "Seccomp:", "/proc/self/status"],
    );
    assert_eq!(
        o.success().out().split_whitespace().last(),
        Some("2"),
        "{o}"
    );
    // --privileged: neither the container nor its execs are filtered.
    d.cli(
        Cli::Docker,
        &[
            "run",
            "-d",
            "--name",
            "pp",
            "--privileged",
            "busybox",
            "sleep",
            "1d",
        ],
    )
    .success();
    let o = d.cli(
        Cli::Docker,
        &["exec", "pp", "grep", "Seccomp:", "/proc/self/status"],
    );
    assert_eq!(
        o.success().out().split_whitespace().last(),
        Some("0"),
        "{o}"
    );
}

/// The container's own process: one filter (the daemon compiles it once
/// and the init loads it with extra capabilities, which must be gone by the
/// time the program runs), the same with `no-new-privileges`, and none
/// when unconfined.
fn run_has_one_filter_and_its_own_capabilities(rt: Runtime) {
    let mut d = Daemon::start_with(rt);
    let status = |args: &[&str]| {
        let mut a = vec!["run", "--rm"];
        a.extend_from_slice(args);
        a.extend_from_slice(&[
            "busybox",
            "grep",
            "-E",
            "^(Cap(Eff|Prm|Bnd)|Seccomp|Seccomp_filters|NoNewPrivs):",
            "/proc/self/status",
        ]);
        d.cli(Cli::Docker, &a).success().stdout.clone()
    };
    let root = status(&[]);
    for want in [
        "CapEff:\t00000000a80425fb",
        "CapPrm:\t00000000a80425fb",
        "CapBnd:\t00000000a80425fb",
        "Seccomp:\t2",
        "Seccomp_filters:\t1",
        "NoNewPrivs:\t0",
    ] {
        assert!(root.contains(want), "{want} not in\n{root}");
    }
    let nobody = status(&["-u", "65534"]);
    for want in [
        "CapEff:\t0000000000000000",
        "CapPrm:\t0000000000000000",
        "CapBnd:\t00000000a80425fb",
        "Seccomp_filters:\t1",
    ] {
        assert!(nobody.contains(want), "{want} not in\n{nobody}");
    }
    let nnp = status(&["--security-opt", "no-new-privileges"]);
    for want in [
        "CapEff:\t00000000a80425fb",
        "Seccomp_filters:\t1",
        "NoNewPrivs:\t1",
    ] {
        assert!(nnp.contains(want), "{want} not in\n{nnp}");
    }
    let m = mount_arg();
    check(
        &d,
        "run --security-opt no-new-privileges",
        &[
            "run",
            "--rm",
            "--security-opt",
            "no-new-privileges",
            "-v",
            &m,
            "busybox",
        ],
        DEFAULT_TABLE,
    );
    let open = status(&["--security-opt", "seccomp=unconfined"]);
    assert!(open.contains("Seccomp:\t0"), "{open}");
    // The same container started again gets its filter again.
    d.cli(
        Cli::Docker,
        &[
            "run", "-d", "--name", "again", "-v", &m, "busybox", "sleep", "1d",
        ],
    )
    .success();
    d.cli(Cli::Docker, &["stop", "-t", "0", "again"]).success();
    d.cli(Cli::Docker, &["start", "again"]).success();
    let o = d.cli(
        Cli::Docker,
        &["exec", "again", "grep", "-E", "^Seccomp", "/proc/1/status"],
    );
    let out = o.success().stdout.clone();
    assert!(
        out.contains("Seccomp:\t2") && out.contains("Seccomp_filters:\t1"),
        "{out}"
    );
    // After a daemon restart an exec in the adopted container is still
    // confined (the runtime's record points at the bundle's `init/` copy,
    // which has no filter of its own).
    d.kill9();
    d.restart();
    let o = d.cli(
        Cli::Docker,
        &[
            "exec",
            "again",
            "grep",
            "-E",
            "^Seccomp",
            "/proc/self/status",
        ],
    );
    let out = o.success().stdout.clone();
    assert!(
        out.contains("Seccomp:\t2") && out.contains("Seccomp_filters:\t1"),
        "{out}"
    );
    check(
        &d,
        "exec after a daemon restart",
        &["exec", "again"],
        &[("mount", "EPERM"), ("keyctl", "EPERM"), ("getpid", "OK")],
    );
}

runtime_tests!(
    default_profile_matches_docker,
    exec_gets_the_container_filter,
    run_has_one_filter_and_its_own_capabilities
);
