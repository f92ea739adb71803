//! What a container must not see or do, checked from inside (and the host
//! where that is the only witness). Docker's defaults are the reference.
//! Every scenario runs under both runtimes.
mod common;

use common::{Cli, Daemon, Runtime};
use std::collections::BTreeSet;

/// Docker's default capability set as a CapEff mask.
const DOCKER_CAPS: &str = "00000000a80425fb";

fn capabilities(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let cap = |args: &[&str]| {
        let o = d.run_sh(Cli::Wharf, args, "grep CapEff /proc/self/status");
        o.success()
            .out()
            .trim_start_matches("CapEff:")
            .trim()
            .to_string()
    };
    assert_eq!(cap(&[]), DOCKER_CAPS);
    assert_eq!(cap(&["--cap-drop", "ALL"]), "0000000000000000");
    // NET_ADMIN is bit 12
    assert_eq!(cap(&["--cap-add", "NET_ADMIN"]), "00000000a80435fb");
    // CHOWN is bit 0
    assert_eq!(cap(&["--cap-drop", "CHOWN"]), "00000000a80425fa");
    let host = std::fs::read_to_string("/proc/self/status").unwrap();
    let host_eff = host
        .lines()
        .find(|l| l.starts_with("CapEff"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        cap(&["--privileged"]),
        host_eff,
        "--privileged gets every capability"
    );
    // the bounding set matters too: a non-root user gets nothing effective
    let o = d.run_sh(Cli::Wharf, &["-u", "1000"], "grep CapEff /proc/self/status");
    assert!(o.success().out().ends_with("0000000000000000"), "{o}");
    // without CAP_SYS_ADMIN, mount fails
    let o = d.run_sh(
        Cli::Wharf,
        &[],
        "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted",
    );
    assert_ne!(o.code, 0, "mount allowed without CAP_SYS_ADMIN: {o}");
    let o = d.run_sh(
        Cli::Wharf,
        &["--privileged"],
        "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted",
    );
    assert_eq!(o.success().out(), "mounted");
}

fn pid_namespace_hides_host(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.run_sh(Cli::Wharf, &[], "ls /proc | grep -c '^[0-9]'");
    let n: u32 = o.success().out().parse().unwrap();
    assert!(n <= 4, "container sees {n} processes");
    // (a second command keeps sh from exec'ing tr as pid 1)
    let o = d.run_sh(Cli::Wharf, &[], "tr '\\0' ' ' < /proc/1/cmdline; echo");
    assert!(
        o.success().out().starts_with("sh -c"),
        "pid 1 inside is the container's command: {o}"
    );
    let o = d.run_sh(Cli::Wharf, &[], "kill -0 1 && echo $$");
    assert_eq!(o.success().out(), "1");
}

fn uts_ipc_mount_namespaces(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let host_ns = |ns: &str| {
        std::fs::read_link(format!("/proc/self/ns/{ns}"))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    for ns in ["mnt", "uts", "ipc", "pid", "net", "cgroup"] {
        let o = d.run_sh(Cli::Wharf, &[], &format!("readlink /proc/self/ns/{ns}"));
        assert_ne!(
            o.success().out(),
            host_ns(ns),
            "{ns} namespace shared with the host"
        );
    }
    // hostname changes stay inside (and need CAP_SYS_ADMIN anyway)
    let before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let _ = d.run_sh(Cli::Wharf, &["--privileged"], "hostname changed-inside");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        before
    );
}

fn proc_and_sys_are_protected(rt: Runtime) {
    let d = Daemon::start_with(rt);
    // Docker's masked paths that exist on this host: empty inside
    let masked: String = [
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/acpi",
        "/sys/firmware",
    ]
    .iter()
    .filter(|p| std::path::Path::new(p).exists())
    .copied()
    .collect::<Vec<_>>()
    .join(" ");
    let o = d.run_sh(Cli::Wharf, &[], "echo x > /proc/sys/kernel/hostname");
    assert_ne!(o.code, 0, "/proc/sys writable: {o}");
    let o = d.run_sh(Cli::Wharf, &[], "touch /sys/x");
    assert!(
        o.stderr.contains("Read-only file system"),
        "/sys must be read-only: {o}"
    );
    // masked paths read as empty
    let o = d.run_sh(Cli::Wharf, &[],
        &format!("for p in {masked}; do echo $p $(cat $p 2>/dev/null | wc -c) $(ls $p 2>/dev/null | wc -l); done"),
    );
    for line in o.success().lines() {
        assert!(
            line.ends_with(" 0 0") || line.ends_with(" 0 1"),
            "masked path readable: {line}\n{o}"
        );
    }
    assert_eq!(o.lines().len(), masked.split(' ').count(), "{o}");
    let o = d.run_sh(
        Cli::Wharf,
        &[],
        "echo h > /proc/sysrq-trigger && echo wrote",
    );
    assert!(!o.stdout.contains("wrote"), "{o}");
}

fn dev_has_standard_nodes(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.run_sh(
        Cli::Wharf,
        &[],
        "for n in null zero full random urandom tty; do test -c /dev/$n || echo missing $n; done; \
         test -d /dev/pts && test -d /dev/shm && test -d /dev/mqueue || echo missing dirs; \
         echo ok > /dev/shm/x && cat /dev/shm/x; head -c 4 /dev/zero | wc -c; \
         test -e /dev/sda && echo host-disk; test -e /dev/vda && echo host-disk; true",
    );
    assert_eq!(o.success().lines(), vec!["ok", "4"], "{o}");
    let o = d.run_sh(Cli::Wharf, &[], "mknod /dev/foo b 8 0 && cat /dev/foo");
    assert_ne!(o.code, 0, "block device access allowed: {o}");
}

fn cgroup_limits_cannot_be_changed(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.run_sh(
        Cli::Wharf,
        &["--memory", "64m", "--pids-limit", "50"],
        "for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max \
                  /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max \
                  /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max; do \
           if [ -e $f ]; then echo exists $f; (echo max > $f) 2>/dev/null && echo WROTE $f; \
             (echo 999999999 > $f) 2>/dev/null && echo WROTE $f; fi; done; \
         mkdir /sys/fs/cgroup/memory/escape 2>/dev/null && echo WROTE mkdir; \
         mkdir /sys/fs/cgroup/escape 2>/dev/null && echo WROTE mkdir; echo done",
    );
    o.success();
    assert!(
        o.stdout.contains("exists "),
        "no cgroup files visible at all: {o}"
    );
    assert!(
        !o.stdout.contains("WROTE"),
        "container changed its cgroup: {o}"
    );
    assert!(o.stdout.contains("done"));
}

fn memory_pids_cpu_limits(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let read = |args: &[&str], files: &str| {
        let o = d.run_sh(
            Cli::Wharf,
            args,
            &format!("cat {files} 2>/dev/null | head -n1"),
        );
        o.success().out().to_string()
    };
    assert_eq!(
        read(
            &["--memory", "64m"],
            "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max"
        ),
        "67108864"
    );
    assert_eq!(
        read(
            &["--pids-limit", "20"],
            "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max"
        ),
        "20"
    );
    let cpu = read(
        &["--cpus", "0.5"],
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max",
    );
    assert!(cpu == "50000" || cpu == "50000 100000", "cpu quota: {cpu}");

    // the limits bite: 40 background sleeps cannot all be forked under a
    // limit of 20 (ash gives up at the first failed fork), but can under 100
    let forks = "for i in $(seq 1 40); do sleep 5 & done; echo forked-all";
    let o = d.run_sh(Cli::Wharf, &["--pids-limit", "20"], forks);
    assert_ne!(o.code, 0, "pids limit not enforced: {o}");
    assert!(o.stderr.contains("can't fork"), "{o}");
    assert!(!o.stdout.contains("forked-all"), "{o}");
    let o = d.run_sh(Cli::Wharf, &["--pids-limit", "100"], forks);
    assert_eq!(o.success().out(), "forked-all");

    // and the daemon reports them
    d.wharf(&[
        "run",
        "-d",
        "--name",
        "lim",
        "--memory",
        "64m",
        "--pids-limit",
        "20",
        "--cpus",
        "0.5",
        "busybox",
        "sleep",
        "100",
    ])
    .success();
    let v = d.inspect("lim");
    assert_eq!(v["HostConfig"]["Memory"], 67108864);
    assert_eq!(v["HostConfig"]["PidsLimit"], 20);
    assert_eq!(v["HostConfig"]["NanoCpus"], 500000000);
    // seen from the host: the container's cgroup carries the limit
    let pid = d.container_pid("lim");
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let mem_path = cg
        .lines()
        .find_map(|l| {
            let mut p = l.splitn(3, ':');
            let (_, ctl, path) = (p.next()?, p.next()?, p.next()?);
            (ctl.split(',').any(|c| c == "memory") || ctl.is_empty())
                .then(|| (ctl.to_string(), path.to_string()))
        })
        .expect("memory cgroup of the container");
    let file = if mem_path.0.is_empty() {
        // cgroup v2: /sys/fs/cgroup itself, or /sys/fs/cgroup/unified on hybrid hosts
        let base = if std::path::Path::new("/sys/fs/cgroup/unified").is_dir() {
            "/sys/fs/cgroup/unified"
        } else {
            "/sys/fs/cgroup"
        };
        format!("{base}{}/memory.max", mem_path.1)
    } else {
        format!("/sys/fs/cgroup/memory{}/memory.limit_in_bytes", mem_path.1)
    };
    let limit = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(limit.trim(), "67108864");
}

fn host_interfaces() -> BTreeSet<String> {
    std::fs::read_to_string("/proc/net/dev")
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|s| s.trim().to_string())
        .collect()
}

fn container_interfaces(d: &Daemon, args: &[&str]) -> BTreeSet<String> {
    let o = d.run_sh(Cli::Wharf, args, "tail -n +3 /proc/net/dev | cut -d: -f1");
    o.success()
        .lines()
        .iter()
        .map(|s| s.trim().to_string())
        .collect()
}

fn network_modes(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let none = container_interfaces(&d, &["--network", "none"]);
    assert_eq!(none, BTreeSet::from(["lo".to_string()]));
    // Other tests' containers and daemons add and remove their veths and
    // bridges meanwhile: compare the rest.
    let stable = |s: BTreeSet<String>| -> BTreeSet<String> {
        s.into_iter()
            .filter(|n| !n.starts_with("veth") && !n.starts_with("br-") && !n.starts_with("wt"))
            .collect()
    };
    let host = stable(container_interfaces(&d, &["--network", "host"]));
    assert_eq!(
        host,
        stable(host_interfaces()),
        "--network host must see the host's interfaces"
    );
    // loopback is up inside a private network namespace
    let o = d.run_sh(
        Cli::Wharf,
        &["--network", "none"],
        "cat /sys/class/net/lo/operstate; grep -c . /proc/net/dev",
    );
    assert!(
        o.success().stdout.starts_with("unknown") || o.stdout.starts_with("up"),
        "{o}"
    );
    assert_eq!(
        d.wharf(&["run", "--rm", "--network", "none", "busybox", "hostname"])
            .code,
        0
    );
}

fn read_only_rootfs(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.run_sh(Cli::Wharf, &["--read-only"], "touch /newfile");
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    let o = d.run_sh(Cli::Wharf, &["--read-only"], "echo x > /tmp/x");
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    // /dev/shm and /dev stay writable, as in Docker
    let o = d.run_sh(
        Cli::Wharf,
        &["--read-only"],
        "echo x > /dev/shm/x && echo shm-ok",
    );
    assert_eq!(o.success().out(), "shm-ok");
    let o = d.run_sh(Cli::Wharf, &[], "touch /newfile && echo rw-ok");
    assert_eq!(o.success().out(), "rw-ok");
}

fn image_files_are_not_shared_between_containers(rt: Runtime) {
    let d = Daemon::start_with(rt);
    d.run_sh(Cli::Wharf, &[], "echo changed > /etc/wharf-base")
        .success();
    let o = d.run_sh(Cli::Wharf, &[], "cat /etc/wharf-base");
    assert!(
        o.success().out().starts_with("BusyBox"),
        "a write leaked into the image: {o}"
    );
}

fn seccomp_default_profile(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.run_sh(Cli::Wharf, &[], "grep Seccomp: /proc/self/status");
    assert_eq!(
        o.success().out().split_whitespace().last(),
        Some("2"),
        "seccomp filter mode expected: {o}"
    );
    let o = d.run_sh(
        Cli::Wharf,
        &["--privileged"],
        "grep Seccomp: /proc/self/status",
    );
    assert_eq!(
        o.success().out().split_whitespace().last(),
        Some("0"),
        "--privileged runs unconfined: {o}"
    );
}

fn rm_removes_the_cgroups(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let o = d.wharf(&[
        "run",
        "-d",
        "--pids-limit",
        "30",
        "busybox",
        "sleep",
        "1000",
    ]);
    let id = o.success().out().to_string();
    let dirs = common::cgroup_dirs_for(&id);
    assert!(
        !dirs.is_empty(),
        "no cgroup named after the running container {id}"
    );
    d.wharf(&["rm", "-f", &id]).success();
    assert!(
        common::wait_until(std::time::Duration::from_secs(10), || {
            common::cgroup_dirs_for(&id).is_empty()
        }),
        "cgroups left after rm -f: {:?}",
        common::cgroup_dirs_for(&id)
    );
    // A container that ends by itself leaves no cgroup either.
    let o = d.wharf(&["run", "-d", "busybox", "true"]);
    let id = o.success().out().to_string();
    d.wait_status(&id, "exited", std::time::Duration::from_secs(30));
    assert!(
        common::wait_until(std::time::Duration::from_secs(10), || {
            common::cgroup_dirs_for(&id).is_empty()
        }),
        "cgroups left after the container exited: {:?}",
        common::cgroup_dirs_for(&id)
    );
    d.wharf(&["rm", &id]).success();
}

runtime_tests!(
    rm_removes_the_cgroups,
    capabilities,
    pid_namespace_hides_host,
    uts_ipc_mount_namespaces,
    proc_and_sys_are_protected,
    dev_has_standard_nodes,
    cgroup_limits_cannot_be_changed,
    memory_pids_cpu_limits,
    network_modes,
    read_only_rootfs,
    image_files_are_not_shared_between_containers,
    seccomp_default_profile,
);
