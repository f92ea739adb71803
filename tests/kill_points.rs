//! The daemon SIGKILLed at N points of a fixed workload (volume create,
//! network create, create/start with a volume, exec, network connect, a
//! second container with an anonymous volume, stop, rm, network rm, volume
//! rm, rm -f -v), restarted on the same roots after each kill, and checked:
//!
//! 1. right after the restart: every record matches a process state
//!    (running ⇔ monitor and init alive), no process without a running
//!    record, volume references match the containers using them (`volume rm`
//!    refused while used, allowed otherwise), every mount under the roots and
//!    every veth on this daemon's bridges belongs to a running container;
//! 2. after removing everything through the API: no process but the daemon,
//!    no mount, run or record directory, cgroup, veth, interface holding one
//!    of the test's subnets, and the firewall table and chain as a fresh
//!    daemon has them.
//!
//! A point is a call index and a delay after that call begins, drawn from a
//! seeded generator: counts alone only hit the gaps between calls, times
//! alone cluster in the slow calls; the pair lands inside every call, and
//! the seed (printed; `WHARF_KILL_SEED`) replays the same sequence up to
//! scheduling jitter. `WHARF_KILL_POINTS` sets N (20 here, 200 in
//! bench/soak.sh); `WHARF_KILL_REPORT=path` writes the figures as JSON.
mod common;

use common::{http, json, wait_until, Daemon, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// xorshift64*: enough for choosing points, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One API call that does not panic when the daemon is gone.
fn call(d: &Daemon, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let body = body.map(|b| b.to_string());
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: localhost\r\n");
    if let Some(b) = &body {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    if let Some(b) = &body {
        bytes.extend_from_slice(b.as_bytes());
    }
    let r = http(d.sock(), &bytes, Duration::from_secs(60)).ok()?;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::String(r.body.clone()));
    Some((r.status, v))
}

/// The workload's calls for point `p`, in order.
fn workload(p: usize, subnet: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let (v, n, a, b) = (
        format!("kpv{p}"),
        format!("kpn{p}"),
        format!("kpa{p}"),
        format!("kpb{p}"),
    );
    vec![
        ("POST", "/volumes/create".into(), Some(json!({"Name": v}))),
        (
            "POST",
            "/networks/create".into(),
            Some(json!({"Name": n, "IPAM": {"Config": [{"Subnet": subnet}]}})),
        ),
        (
            "POST",
            format!("/containers/create?name={a}"),
            Some(json!({"Image": "busybox", "Cmd": ["sleep", "600"],
                "HostConfig": {"Binds": [format!("{v}:/data")]}})),
        ),
        ("POST", format!("/containers/{a}/start"), None),
        (
            "POST",
            format!("/containers/{a}/exec"),
            Some(json!({"Cmd": ["sh", "-c", "echo x > /data/x"]})),
        ),
        // exec start: the path is filled in from the previous answer
        ("POST", "EXEC".into(), Some(json!({"Detach": true}))),
        (
            "POST",
            format!("/networks/{n}/connect"),
            Some(json!({"Container": a})),
        ),
        (
            "POST",
            format!("/containers/create?name={b}"),
            Some(json!({"Image": "busybox", "Cmd": ["sleep", "600"],
                "Volumes": {"/anon": {}}, "HostConfig": {"NetworkMode": n}})),
        ),
        ("POST", format!("/containers/{b}/start"), None),
        (
            "POST",
            format!("/networks/{n}/disconnect"),
            Some(json!({"Container": a})),
        ),
        ("POST", format!("/containers/{a}/stop?t=1"), None),
        ("DELETE", format!("/containers/{a}"), None),
        ("DELETE", format!("/volumes/{v}"), None),
        ("DELETE", format!("/containers/{b}?force=1&v=1"), None),
        ("DELETE", format!("/networks/{n}"), None),
        (
            "POST",
            format!("/images/busybox/tag?repo=kpi{p}&tag=x"),
            None,
        ),
        ("DELETE", format!("/images/kpi{p}:x"), None),
        // `run --rm`: its host clean-up goes on after the wait answered
        // (issue 13), so a kill may land in the middle of it.
        (
            "POST",
            format!("/containers/create?name=kpr{p}"),
            Some(json!({"Image": "busybox", "Cmd": ["true"],
                "Volumes": {"/anon": {}},
                "HostConfig": {"AutoRemove": true, "NetworkMode": "bridge"}})),
        ),
        ("POST", format!("/containers/kpr{p}/start"), None),
        (
            "POST",
            format!("/containers/kpr{p}/wait?condition=removed"),
            None,
        ),
        (
            "POST",
            format!("/containers/create?name=kpr{p}"),
            Some(json!({"Image": "busybox", "Cmd": ["true"],
                "HostConfig": {"AutoRemove": true}})),
        ),
        ("POST", format!("/containers/kpr{p}/start"), None),
    ]
}

/// 64-hex ids found in `s`.
fn ids_in(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_hexdigit() && !b[i].is_ascii_uppercase() {
            i += 1;
        }
        if i - start == 64 {
            out.push(s[start..i].to_string());
        }
        i += 1;
    }
    out
}

fn procs_in_cgroups(id: &str) -> usize {
    fn count(dir: &Path) -> usize {
        let mut n = std::fs::read_to_string(dir.join("cgroup.procs"))
            .map(|s| s.lines().count())
            .unwrap_or(0);
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                n += count(&e.path());
            }
        }
        n
    }
    common::cgroup_dirs_for(id).iter().map(|d| count(d)).sum()
}

fn sh(cmd: &str) -> String {
    let o = Command::new("sh")
        .args(["-c", cmd])
        .stderr(Stdio::null())
        .output()
        .expect("sh");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn veths_on(bridges: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for b in bridges {
        for l in sh(&format!("ip -o link show master {b}")).lines() {
            if let Some(name) = l.split(": ").nth(1) {
                out.push(name.split('@').next().unwrap_or(name).to_string());
            }
        }
    }
    out
}

fn firewall(d: &Daemon) -> String {
    let chain = sh(&format!(
        "iptables -S 2>/dev/null | grep -c {}",
        d.nft_table()
    ));
    format!(
        "{}\n{chain}",
        sh(&format!("nft list table inet {}", d.nft_table()))
    )
}

fn dir_names(p: &Path) -> BTreeSet<String> {
    std::fs::read_dir(p)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Phase 1: records against processes, volumes, mounts and veths.
fn check_consistent(d: &Daemon, seen: &mut BTreeSet<String>) -> Vec<String> {
    let mut broken = Vec::new();
    let Some((200, Value::Array(list))) = call(d, "GET", "/containers/json?all=1", None) else {
        return vec!["cannot list containers".into()];
    };
    let mut running = BTreeSet::new();
    let mut all = BTreeSet::new();
    let mut volume_users: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let mut endpoints = 0;
    let mons = common::monitor_processes();
    for c in &list {
        let id = c["Id"].as_str().unwrap_or_default().to_string();
        seen.insert(id.clone());
        all.insert(id.clone());
        let Some((200, i)) = call(d, "GET", &format!("/containers/{id}/json"), None) else {
            broken.push(format!("{id}: listed but not inspectable"));
            continue;
        };
        let status = i["State"]["Status"].as_str().unwrap_or_default();
        let pid = i["State"]["Pid"].as_u64().unwrap_or(0);
        let monitor = mons.iter().any(|(_, cmd)| cmd.contains(&id));
        let active = matches!(status, "running" | "paused" | "restarting");
        if active {
            running.insert(id.clone());
            if pid == 0 || !Path::new(&format!("/proc/{pid}")).exists() || !monitor {
                broken.push(format!(
                    "{id} is {status} but pid {pid} alive={} monitor={monitor}",
                    Path::new(&format!("/proc/{pid}")).exists()
                ));
            }
            endpoints += i["NetworkSettings"]["Networks"]
                .as_object()
                .map(|m| m.len())
                .unwrap_or(0);
        } else {
            if pid != 0 || monitor {
                broken.push(format!("{id} is {status} with pid {pid} monitor={monitor}"));
            }
            let n = procs_in_cgroups(&id);
            if n > 0 {
                broken.push(format!(
                    "{id} is {status} with {n} processes in its cgroups"
                ));
            }
            if status == "removing" {
                broken.push(format!("{id} stuck in removal after a restart"));
            }
        }
        for m in i["Mounts"].as_array().into_iter().flatten() {
            if m["Type"] == "volume" {
                let name = m["Name"].as_str().unwrap_or_default().to_string();
                volume_users.entry(name).or_default().push(id.clone());
            }
        }
    }
    // processes: each belongs to a running record
    let daemon = d.pid().unwrap_or(0);
    for pid in d.processes() {
        if pid == daemon {
            continue;
        }
        let cmd = common::process_line(pid);
        let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let ids: Vec<String> = ids_in(&cmd).into_iter().chain(ids_in(&cg)).collect();
        if !ids.iter().any(|id| running.contains(id)) {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                continue; // exited meanwhile (an exec)
            }
            broken.push(format!("process {pid} ({cmd}) has no running record"));
        }
        seen.extend(ids);
    }
    // run and record directories
    for id in dir_names(&d.exec_root().join("containers")) {
        if !all.contains(&id) {
            broken.push(format!("run directory of {id} without a record"));
        }
    }
    for id in dir_names(&d.data_root().join("containers")) {
        seen.insert(id.clone());
        if !all.contains(&id) {
            broken.push(format!("container directory of {id} without a record"));
        }
    }
    // the clean-ups a killed daemon left pending are done by the restart
    for id in dir_names(&d.data_root().join("removing")) {
        seen.insert(id.clone());
        broken.push(format!("clean-up of removed container {id} not resumed"));
    }
    // volumes: used ones refuse removal, unused ones go
    if let Some((200, v)) = call(d, "GET", "/volumes", None) {
        let names: BTreeSet<String> = v["Volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["Name"].as_str().map(str::to_string))
            .collect();
        for (vol, users) in &volume_users {
            if !names.contains(vol) {
                broken.push(format!("volume {vol} used by {users:?} does not exist"));
            }
        }
        for vol in &names {
            match call(d, "GET", &format!("/volumes/{vol}"), None) {
                Some((200, _)) => {}
                other => broken.push(format!("inspect volume {vol}: {other:?}")),
            }
            let used = volume_users.contains_key(vol);
            match call(d, "DELETE", &format!("/volumes/{vol}"), None) {
                Some((409, _)) if used => {}
                Some((204, _)) if !used => {}
                other => broken.push(format!(
                    "volume rm {vol} (used by {:?}): {other:?}",
                    volume_users.get(vol)
                )),
            }
        }
    } else {
        broken.push("cannot list volumes".into());
    }
    // images: every tag listed resolves
    match call(d, "GET", "/images/json", None) {
        Some((200, Value::Array(imgs))) => {
            for t in imgs
                .iter()
                .flat_map(|i| i["RepoTags"].as_array().cloned().unwrap_or_default())
            {
                let t = t.as_str().unwrap_or_default();
                if !matches!(
                    call(d, "GET", &format!("/images/{t}/json"), None),
                    Some((200, _))
                ) {
                    broken.push(format!("image {t} listed but not inspectable"));
                }
            }
        }
        other => broken.push(format!("cannot list images: {other:?}")),
    }
    // cgroups: none for a container without a record
    for id in seen.iter().filter(|id| !all.contains(*id)) {
        for cg in common::cgroup_dirs_for(id) {
            broken.push(format!("cgroup {} without a record", cg.display()));
        }
    }
    // mounts: each belongs to a running container (the exec root's own
    // tmpfs is the daemon's, as /run is the host's)
    for m in common::mounts_under(d.tmp()) {
        if m == d.exec_root() {
            continue;
        }
        let s = m.to_string_lossy();
        if !ids_in(&s).iter().any(|id| running.contains(id)) {
            broken.push(format!("mount {s} of no running container"));
        }
    }
    let veths = veths_on(&d.network_bridges());
    if veths.len() != endpoints {
        broken.push(format!(
            "{} veths on this daemon's bridges ({veths:?}) for {endpoints} endpoints of running containers",
            veths.len()
        ));
    }
    broken
}

/// Removes everything through the API.
fn remove_all(d: &Daemon) -> Vec<String> {
    let mut broken = Vec::new();
    if let Some((200, Value::Array(list))) = call(d, "GET", "/containers/json?all=1", None) {
        for c in list {
            let id = c["Id"].as_str().unwrap_or_default();
            match call(d, "DELETE", &format!("/containers/{id}?force=1&v=1"), None) {
                Some((204, _)) => {}
                other => broken.push(format!("rm -f {id}: {other:?}")),
            }
        }
    }
    if let Some((200, Value::Array(list))) = call(d, "GET", "/networks", None) {
        for n in list {
            let name = n["Name"].as_str().unwrap_or_default();
            if name.starts_with("kpn") {
                match call(d, "DELETE", &format!("/networks/{name}"), None) {
                    Some((204, _)) => {}
                    other => broken.push(format!("network rm {name}: {other:?}")),
                }
            }
        }
    }
    if let Some((200, Value::Array(imgs))) = call(d, "GET", "/images/json", None) {
        for t in imgs
            .iter()
            .flat_map(|i| i["RepoTags"].as_array().cloned().unwrap_or_default())
        {
            let t = t.as_str().unwrap_or_default();
            if t.starts_with("kpi") {
                match call(d, "DELETE", &format!("/images/{t}"), None) {
                    Some((200, _)) => {}
                    other => broken.push(format!("image rm {t}: {other:?}")),
                }
            }
        }
    }
    if let Some((200, v)) = call(d, "GET", "/volumes", None) {
        for v in v["Volumes"].as_array().into_iter().flatten() {
            let name = v["Name"].as_str().unwrap_or_default();
            match call(d, "DELETE", &format!("/volumes/{name}"), None) {
                Some((204, _)) => {}
                other => broken.push(format!("volume rm {name}: {other:?}")),
            }
        }
    }
    broken
}

/// Phase 2: after removing everything, nothing is left.
fn check_nothing_left(
    d: &Daemon,
    seen: &BTreeSet<String>,
    subnets: &[String],
    fw_baseline: &str,
) -> Vec<String> {
    let mut leaked = Vec::new();
    let daemon = d.pid().unwrap_or(0);
    let ok = wait_until(Duration::from_secs(5), || {
        d.processes().iter().all(|p| *p == daemon)
    });
    if !ok {
        for p in d.processes().into_iter().filter(|p| *p != daemon) {
            let cmd = String::from_utf8_lossy(
                &std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default(),
            )
            .replace('\0', " ");
            leaked.push(format!("process {p} ({cmd})"));
        }
    }
    // the daemon still runs: its exec root's tmpfs is not a leak
    for m in common::mounts_under(d.tmp()) {
        if m != d.exec_root() {
            leaked.push(format!("mount {}", m.display()));
        }
    }
    for (what, dir) in [
        ("run directory", d.exec_root().join("containers")),
        ("container directory", d.data_root().join("containers")),
        ("pending clean-up", d.data_root().join("removing")),
    ] {
        for id in dir_names(&dir) {
            leaked.push(format!("{what} {id}"));
        }
    }
    for id in seen {
        for cg in common::cgroup_dirs_for(id) {
            leaked.push(format!("cgroup {}", cg.display()));
        }
    }
    // the bridges of every network the test made, recorded or not
    let mut bridges = d.network_bridges();
    bridges.extend(
        seen.iter()
            .map(|id| format!("br-{}", &id[..12.min(id.len())])),
    );
    for v in veths_on(&bridges) {
        leaked.push(format!("veth {v}"));
    }
    // A removed network's bridge and rules go right after its DELETE
    // answered, on a thread of their own: a short bounded time.
    let holds_subnet = |addrs: &str| {
        subnets.iter().any(|s| {
            let prefix = s.trim_end_matches("0/24");
            addrs.lines().any(|l| l.contains(&format!(" {prefix}")))
        })
    };
    wait_until(Duration::from_secs(5), || {
        !holds_subnet(&sh("ip -o -4 addr show")) && firewall(d) == fw_baseline
    });
    let addrs = sh("ip -o -4 addr show");
    for s in subnets {
        let prefix = s.trim_end_matches("0/24");
        for l in addrs.lines().filter(|l| l.contains(&format!(" {prefix}"))) {
            leaked.push(format!("interface holding {s}: {l}"));
            // ours (the test's own subnet): removed so it cannot outlive the test
            if let Some(dev) = l.split_whitespace().nth(1) {
                sh(&format!("ip link del {dev}"));
            }
        }
    }
    let fw = firewall(d);
    if fw != fw_baseline {
        leaked.push(format!(
            "firewall differs from a fresh daemon's:\n{fw}\n--- fresh:\n{fw_baseline}"
        ));
    }
    leaked
}

/// Deletes a veth the test made, also on failure.
struct VethGuard(String);
impl Drop for VethGuard {
    fn drop(&mut self) {
        sh(&format!("ip link del {} 2>/dev/null", self.0));
    }
}

/// The endpoint invariant the kill points broke now and then: a
/// disconnect killed between deleting the veth and saving the record left
/// a running container listing an attachment without its veth. Both crash
/// states are made by hand here (a running container's veth gone; a veth
/// of no endpoint on a network's bridge), and a restart resolves each to
/// a state a user could have asked for.
#[test]
fn a_crash_in_connect_or_disconnect_leaves_no_attachment_without_its_veth() {
    let mut d = Daemon::start();
    let p = std::process::id();
    let (n1, n2, c) = (format!("kvx{p}a"), format!("kvx{p}b"), format!("kvc{p}"));
    for n in [&n1, &n2] {
        let subnet = common::unique_subnet();
        d.wharf(&["network", "create", "--subnet", &subnet, n])
            .success();
    }
    d.wharf(&[
        "run",
        "-d",
        "--name",
        &c,
        "--network",
        &n1,
        "busybox",
        "sleep",
        "600",
    ])
    .success();
    d.docker(&["network", "connect", &n2, &c]).success();
    let ep = |d: &Daemon, net: &str| -> String {
        d.inspect(&c)["NetworkSettings"]["Networks"][net]["EndpointID"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let veth2 = format!("veth{}", &ep(&d, &n2)[..7]);
    assert!(Path::new("/sys/class/net").join(&veth2).exists(), "{veth2}");

    // 1. The daemon dies mid-disconnect with the veth already gone.
    d.kill9();
    sh(&format!("ip link del {veth2}"));
    d.restart();
    assert_eq!(d.status(&c).as_deref(), Some("running"));
    let nets = d.inspect(&c)["NetworkSettings"]["Networks"].clone();
    assert!(
        nets.get(&n2).is_none(),
        "attachment without its veth: {nets}"
    );
    assert!(nets.get(&n1).is_some(), "{nets}");
    let links = d
        .wharf(&["exec", &c, "ip", "-o", "link"])
        .success()
        .out()
        .to_string();
    assert!(!links.contains("eth1"), "{links}");
    // the network is free: nothing holds it
    d.docker(&["network", "rm", &n2]).success();

    // 2. The daemon dies mid-connect (or mid-disconnect in the new order)
    // with a veth on the bridge that no record names.
    d.kill9();
    let bridge = d
        .network_bridges()
        .into_iter()
        .find(|b| b != d.bridge())
        .expect("the network's bridge");
    let stray = format!("veth{:07x}", p & 0x0fff_ffff);
    let _guard = VethGuard(stray.clone());
    sh(&format!(
        "ip link add {stray} type veth peer name kvp{p} && ip link set {stray} master {bridge}"
    ));
    assert!(Path::new("/sys/class/net").join(&stray).exists());
    d.restart();
    // answered once start-up reconcile is done
    assert_eq!(d.api("GET", "/containers/json", None).0, 200);
    assert!(
        !Path::new("/sys/class/net").join(&stray).exists(),
        "a veth of no endpoint outlived the restart"
    );
    // the container's own veth stays
    let veth1 = format!("veth{}", &ep(&d, &n1)[..7]);
    assert!(Path::new("/sys/class/net").join(&veth1).exists(), "{veth1}");
    assert_eq!(veths_on(&[bridge]), vec![veth1]);
    d.docker(&["rm", "-f", &c]).success();
    d.wharf(&["network", "rm", &n1]).success();
}

#[derive(Default)]
struct Figures {
    points: usize,
    broken: Vec<String>,
    leaked: Vec<String>,
    recoveries_ms: Vec<f64>,
}

#[test]
fn daemon_killed_at_random_points() {
    // CI replays one fixed sequence; `WHARF_KILL_SEED=random` (what
    // bench/soak.sh explores) draws a new one. Seeds 12345 and
    // 1795920042180418217 once broke the endpoint invariant (a disconnect
    // killed between its veth and its record; see the test above).
    let seed: u64 = match std::env::var("WHARF_KILL_SEED").ok().as_deref() {
        Some("random") => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        }
        Some(s) => s.parse().unwrap_or(12345),
        None => 12345,
    };
    let n: usize = std::env::var("WHARF_KILL_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    eprintln!("kill points: {n}, seed {seed} (WHARF_KILL_SEED={seed} replays them)");
    let mut rng = Rng(seed);
    let mut d = Daemon::start();
    let fw_baseline = firewall(&d);
    let mut fig = Figures::default();
    let mut seen = BTreeSet::new();
    let mut subnets = Vec::new();
    let t0 = Instant::now();
    for p in 0..n {
        let subnet = common::unique_subnet();
        subnets.push(subnet.clone());
        let calls = workload(p, &subnet);
        let k = rng.below(calls.len() as u64) as usize;
        let delay = Duration::from_micros(rng.below(250_000));
        let daemon_pid = d.pid().expect("daemon pid");
        let mut killer = None;
        let mut exec_id = String::new();
        let mut interrupted = String::new();
        for (i, (method, path, body)) in calls.iter().enumerate() {
            if i == k {
                interrupted = format!("{method} {path} +{delay:?}");
                killer = Some(std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let _ = Command::new("kill")
                        .args(["-9", &daemon_pid.to_string()])
                        .status();
                }));
            }
            let path = if path == "EXEC" {
                format!("/exec/{exec_id}/start")
            } else {
                path.clone()
            };
            let Some((_, v)) = call(&d, method, &path, body.as_ref()) else {
                break;
            };
            if let Some(id) = v["Id"].as_str() {
                if path.ends_with("/exec") {
                    exec_id = id.to_string();
                } else {
                    seen.insert(id.to_string());
                }
            }
        }
        if let Some(k) = killer {
            k.join().unwrap();
        }
        d.kill9();
        let started = Instant::now();
        d.restart();
        fig.recoveries_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        fig.points += 1;
        let tag = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|s| format!("point {p} ({interrupted}): {s}"))
                .collect()
        };
        let broken = check_consistent(&d, &mut seen);
        for b in &broken {
            eprintln!("BROKEN point {p} ({interrupted}): {b}");
        }
        fig.broken.extend(tag(broken));
        let mut leaked = remove_all(&d);
        leaked.extend(check_nothing_left(&d, &seen, &subnets, &fw_baseline));
        for l in &leaked {
            eprintln!("LEAKED point {p} ({interrupted}): {l}");
        }
        fig.leaked.extend(tag(leaked));
        // a leak must not spill into the next point's checks
        if !fig.leaked.is_empty() {
            common::unmount_under(&d.data_root().join("containers"));
        }
    }
    fig.recoveries_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = fig.recoveries_ms[fig.recoveries_ms.len() / 2];
    let max = fig.recoveries_ms.last().copied().unwrap_or(0.0);
    eprintln!(
        "points tried: {}, invariants broken: {}, leaked objects: {}, restart to /_ping: median {median:.0} ms, max {max:.0} ms, total {:?}",
        fig.points,
        fig.broken.len(),
        fig.leaked.len(),
        t0.elapsed()
    );
    if let Ok(path) = std::env::var("WHARF_KILL_REPORT") {
        let report = json!({
            "seed": seed, "points": fig.points,
            "broken": fig.broken, "leaked": fig.leaked,
            "recovery_ms_median": median, "recovery_ms_max": max,
        });
        std::fs::write(path, report.to_string()).unwrap();
    }
    assert!(
        fig.broken.is_empty() && fig.leaked.is_empty(),
        "seed {seed}: broken {:#?}\nleaked {:#?}",
        fig.broken,
        fig.leaked
    );
}
