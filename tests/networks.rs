//! Networks as a user sees them, through `wharf` and the `docker` CLI: the
//! default bridge (by IP, never by name), `host`, `none`, user-defined
//! bridges (create/inspect/rm, live connect/disconnect), bad input, and no
//! link left behind. Every daemon has its own bridge and subnet (see
//! `tests/common`), and every network a test makes gets a subnet from
//! `unique_subnet()`; traffic stays inside those bridges.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Host-side veth of an endpoint (`veth` + 7 hex of its id, wharf's rule).
fn host_veth(endpoint_id: &str) -> String {
    format!("veth{}", &endpoint_id[..7])
}

fn endpoint_id(d: &Daemon, container: &str, network: &str) -> String {
    d.inspect(container)["NetworkSettings"]["Networks"][network]["EndpointID"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[track_caller]
fn assert_link_gone(name: &str) {
    let ok = wait_until(Duration::from_secs(5), || {
        !host_links().iter().any(|l| l == name)
    });
    assert!(ok, "link {name} left behind: {:?}", host_links());
}

/// Links of a container, from inside it.
fn links_inside(d: &Daemon, cli: Cli, name: &str) -> Vec<String> {
    let out = d.cli(cli, &["exec", name, "ip", "-o", "link"]);
    out.success();
    out.lines()
        .iter()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .collect()
}

fn ping_and_http_by_ip(rt: Runtime) {
    let d = Daemon::start_with(rt);
    let web = unique("web");
    let client = unique("cli");
    d.wharf(&[
        "run",
        "-d",
        "--name",
        &web,
        "busybox",
        "sh",
        "-c",
        "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www",
    ])
    .success();
    d.wharf(&["run", "-d", "--name", &client, "busybox", "sleep", "300"])
        .success();
    let ip = d.inspect(&web)["NetworkSettings"]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let prefix = d
        .bip()
        .rsplit_once('.')
        .map(|(p, _)| p)
        .unwrap_or_default()
        .to_string();
    assert!(ip.starts_with(&prefix), "{ip} not in {}", d.bip());
    let gw = d.inspect(&web)["NetworkSettings"]["Gateway"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(gw, d.bip().split('/').next().unwrap());
    d.wharf(&["exec", &client, "ping", "-c", "1", "-W", "2", &ip])
        .success();
    let mut body = String::new();
    let ok = wait_until(Duration::from_secs(5), || {
        // busybox-static's wget crashes here; nc speaks HTTP as well.
        let req = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 {ip} 80");
        let o = d.wharf(&["exec", &client, "sh", "-c", &req]);
        body = o.stdout.clone();
        o.code == 0 && body.contains("200 OK")
    });
    assert!(ok, "http by IP failed: {body}");
    assert!(body.trim_end().ends_with("hello-from-web"), "{body}");
    // Names do not resolve on the default bridge.
    let by_name = d.wharf(&["exec", &client, "ping", "-c", "1", "-W", "1", &web]);
    assert_ne!(
        by_name.code, 0,
        "name resolved on the default bridge: {by_name}"
    );
    // /etc/hosts: the container's own address and hostname.
    let hosts = d.wharf(&["exec", &web, "cat", "/etc/hosts"]);
    let hostname = d.inspect(&web)["Config"]["Hostname"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        hosts.stdout.contains(&format!("{ip}\t{hostname}")),
        "{hosts}"
    );
    let veths = [
        host_veth(&endpoint_id(&d, &web, "bridge")),
        host_veth(&endpoint_id(&d, &client, "bridge")),
    ];
    for v in &veths {
        assert!(host_links().contains(v), "{v} missing while running");
    }
    d.wharf(&["rm", "-f", &web, &client]).success();
    for v in &veths {
        assert_link_gone(v);
    }
}

runtime_tests!(ping_and_http_by_ip);

fn default_bridge_inspect(cli: Cli) {
    let d = Daemon::start();
    let c = unique("insp");
    d.cli(cli, &["run", "-d", "--name", &c, "busybox", "sleep", "300"])
        .success();
    let v = d.inspect(&c);
    let ns = &v["NetworkSettings"];
    let br = &ns["Networks"]["bridge"];
    assert_eq!(br["IPAddress"], ns["IPAddress"]);
    assert_eq!(br["Gateway"], ns["Gateway"]);
    assert_eq!(br["MacAddress"], ns["MacAddress"]);
    assert_eq!(ns["IPPrefixLen"], 24);
    assert!(is_full_id(br["NetworkID"].as_str().unwrap_or("")), "{br}");
    assert!(is_full_id(br["EndpointID"].as_str().unwrap_or("")), "{br}");
    let mac = br["MacAddress"].as_str().unwrap_or("");
    assert!(mac.starts_with("02:42:"), "{mac}");
    // the network shows the container
    let net = d.cli(cli, &["network", "inspect", "bridge"]);
    net.success();
    let n: Value = serde_json::from_str(net.out()).unwrap();
    assert_eq!(n[0]["Name"], "bridge");
    assert_eq!(n[0]["Driver"], "bridge");
    assert_eq!(
        n[0]["Options"]["com.docker.network.bridge.name"],
        d.bridge()
    );
    let id = v["Id"].as_str().unwrap();
    assert_eq!(n[0]["Containers"][id]["Name"], c.as_str());
    let ip = format!("{}/24", ns["IPAddress"].as_str().unwrap());
    assert_eq!(n[0]["Containers"][id]["IPv4Address"], ip.as_str());
    let veth = host_veth(br["EndpointID"].as_str().unwrap());
    // stop takes the interface away; inspect keeps the network, without address
    d.cli(cli, &["stop", "-t", "1", &c]).success();
    assert_link_gone(&veth);
    let v = d.inspect(&c);
    assert_eq!(v["NetworkSettings"]["Networks"]["bridge"]["IPAddress"], "");
    d.cli(cli, &["start", &c]).success();
    let v = d.inspect(&c);
    assert_ne!(v["NetworkSettings"]["IPAddress"], "");
    d.cli(cli, &["rm", "-f", &c]).success();
}

fn host_network_sees_host_interfaces(cli: Cli) {
    let d = Daemon::start();
    // The daemon's own bridge is one of the host's links.
    let out = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            "host",
            "busybox",
            "ip",
            "-o",
            "link",
        ],
    );
    out.success();
    assert!(out.stdout.contains(d.bridge()), "{out}");
    let v = d.cli(cli, &["network", "ls", "--format", "{{.Name}} {{.Driver}}"]);
    v.success();
    assert_eq!(v.lines(), ["bridge bridge", "host host", "none null"]);
}

fn none_network_only_lo(cli: Cli) {
    let d = Daemon::start();
    let out = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "ip",
            "-o",
            "link",
        ],
    );
    out.success();
    let names: Vec<&str> = out
        .lines()
        .iter()
        .filter_map(|l| l.split(':').nth(1))
        .map(str::trim)
        .collect();
    assert_eq!(names, ["lo"], "{out}");
    // A none container cannot be connected.
    let c = unique("none");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &c,
            "--network",
            "none",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let r = d.cli(cli, &["network", "connect", "bridge", &c]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("none"), "{r}");
    let h = unique("host");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &h,
            "--network",
            "host",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let r = d.cli(cli, &["network", "connect", "bridge", &h]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("host network"), "{r}");
    d.cli(cli, &["rm", "-f", &c, &h]).success();
}

fn user_network_lifecycle(cli: Cli) {
    let d = Daemon::start();
    let name = unique("net");
    let subnet = unique_subnet();
    let gw = subnet.replace(".0/24", ".254");
    let range = subnet.replace(".0/24", ".128/25");
    let out = d.cli(
        cli,
        &[
            "network",
            "create",
            "--subnet",
            &subnet,
            "--gateway",
            &gw,
            "--ip-range",
            &range,
            "--label",
            "team=blue",
            &name,
        ],
    );
    out.success();
    let id = out.out().to_string();
    assert!(is_full_id(&id), "{out}");
    let ins = d.cli(cli, &["network", "inspect", &name]);
    ins.success();
    let n: Value = serde_json::from_str(ins.out()).unwrap();
    let n = &n[0];
    assert_eq!(n["Id"], id.as_str());
    assert_eq!(n["Driver"], "bridge");
    assert_eq!(n["Scope"], "local");
    assert_eq!(n["Internal"], false);
    assert_eq!(n["Labels"]["team"], "blue");
    assert_eq!(n["IPAM"]["Config"][0]["Subnet"], subnet.as_str());
    assert_eq!(n["IPAM"]["Config"][0]["Gateway"], gw.as_str());
    assert_eq!(n["IPAM"]["Config"][0]["IPRange"], range.as_str());
    let bridge = format!("br-{}", &id[..12]);
    assert!(host_links().contains(&bridge), "bridge {bridge} missing");
    // ls with filters
    let ls = d.cli(cli, &["network", "ls", "-q", "--filter", "label=team=blue"]);
    ls.success();
    assert_eq!(ls.lines(), [&id[..12]]);
    let ls = d.cli(
        cli,
        &[
            "network",
            "ls",
            "--filter",
            "type=custom",
            "--format",
            "{{.Name}}",
        ],
    );
    assert_eq!(ls.lines(), [name.as_str()]);
    // a container gets an address from the range
    let c = unique("c");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &c,
            "--network",
            &name,
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let ip = d.inspect(&c)["NetworkSettings"]["Networks"][&name]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(ip, range.replace("/25", ""), "first address of the range");
    let route = d.cli(cli, &["exec", &c, "ip", "route"]);
    assert!(
        route.stdout.contains(&format!("default via {gw}")),
        "{route}"
    );
    // in use: refused, nothing changes
    let rm = d.cli(cli, &["network", "rm", &name]);
    assert_ne!(rm.code, 0);
    assert!(rm.stderr.contains("active endpoints"), "{rm}");
    assert!(host_links().contains(&bridge));
    d.cli(cli, &["rm", "-f", &c]).success();
    d.cli(cli, &["network", "rm", &name]).success();
    assert_link_gone(&bridge);
    let gone = d.cli(cli, &["network", "inspect", &name]);
    assert_ne!(gone.code, 0);
}

fn connect_disconnect_live(cli: Cli) {
    let d = Daemon::start();
    let name = unique("live");
    let subnet = unique_subnet();
    d.cli(cli, &["network", "create", "--subnet", &subnet, &name])
        .success();
    let c = unique("run");
    d.cli(cli, &["run", "-d", "--name", &c, "busybox", "sleep", "300"])
        .success();
    assert!(!links_inside(&d, cli, &c).contains(&"eth1".to_string()));
    let static_ip = subnet.replace(".0/24", ".77");
    let t = Instant::now();
    d.cli(
        cli,
        &[
            "network", "connect", "--alias", "db", "--ip", &static_ip, &name, &c,
        ],
    )
    .success();
    let seen = wait_until(Duration::from_secs(1), || {
        links_inside(&d, cli, &c).contains(&"eth1".to_string())
    });
    assert!(seen, "eth1 not seen within 1s ({:?})", t.elapsed());
    let addr = d.cli(cli, &["exec", &c, "ip", "-o", "addr", "show", "eth1"]);
    assert!(addr.stdout.contains(&format!("{static_ip}/24")), "{addr}");
    let v = d.inspect(&c);
    let ep = &v["NetworkSettings"]["Networks"][&name];
    assert_eq!(ep["IPAddress"], static_ip.as_str());
    assert_eq!(ep["Aliases"][0], "db");
    let veth = host_veth(ep["EndpointID"].as_str().unwrap());
    // connected twice: refused
    let again = d.cli(cli, &["network", "connect", &name, &c]);
    assert_ne!(again.code, 0, "{again}");
    d.cli(cli, &["network", "disconnect", &name, &c]).success();
    let vanished = wait_until(Duration::from_secs(1), || {
        !links_inside(&d, cli, &c).contains(&"eth1".to_string())
    });
    assert!(vanished, "eth1 still there after disconnect");
    assert_link_gone(&veth);
    assert!(d.inspect(&c)["NetworkSettings"]["Networks"][&name].is_null());
    // a stopped container connected gets the interface when it starts
    d.cli(cli, &["stop", "-t", "1", &c]).success();
    d.cli(cli, &["network", "connect", &name, &c]).success();
    d.cli(cli, &["start", &c]).success();
    assert!(links_inside(&d, cli, &c).contains(&"eth1".to_string()));
    d.cli(cli, &["rm", "-f", &c]).success();
    d.cli(cli, &["network", "rm", &name]).success();
}

fn bad_input_changes_nothing(cli: Cli) {
    let d = Daemon::start();
    let name = unique("ok");
    let subnet = unique_subnet();
    d.cli(cli, &["network", "create", "--subnet", &subnet, &name])
        .success();
    let before = d
        .cli(cli, &["network", "ls", "-q", "--no-trunc"])
        .stdout
        .clone();
    let bridges_before = d.network_bridges();
    let other = unique_subnet();
    let half = subnet.replace(".0/24", ".128/25");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "network".into(),
                "create".into(),
                "--subnet".into(),
                half,
                unique("x"),
            ],
            "overlaps",
        ),
        (
            vec![
                "network".into(),
                "create".into(),
                "--subnet".into(),
                other.clone(),
                "--gateway".into(),
                "10.1.2.3".into(),
                unique("x"),
            ],
            "gateway 10.1.2.3",
        ),
        (
            vec![
                "network".into(),
                "create".into(),
                "--subnet".into(),
                other.clone(),
                name.clone(),
            ],
            "already exists",
        ),
        (
            vec![
                "network".into(),
                "create".into(),
                "--subnet".into(),
                "10.0.0.0/99".into(),
                unique("x"),
            ],
            "invalid subnet",
        ),
        (
            vec!["network".into(), "create".into(), "bad/name".into()],
            "invalid network name",
        ),
        (
            vec!["network".into(), "rm".into(), "bridge".into()],
            "pre-defined",
        ),
        (
            vec!["network".into(), "rm".into(), unique("missing")],
            "not found",
        ),
    ];
    for (args, want) in &cases {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = d.cli(cli, &a);
        assert_ne!(out.code, 0, "{out}");
        assert!(out.stderr.contains(want), "{want:?} not in {out}");
    }
    // static IP outside the subnet: no container is left
    let c = unique("badip");
    let out = d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &c,
            "--network",
            &name,
            "--ip",
            "10.254.254.9",
            "busybox",
            "sleep",
            "300",
        ],
    );
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("10.254.254.9"), "{out}");
    let ps = d.cli(cli, &["ps", "-a", "-q", "--filter", &format!("name={c}")]);
    assert!(ps.out().is_empty(), "{ps}");
    // unknown network at run
    let out = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            &unique("nonet"),
            "busybox",
            "true",
        ],
    );
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("not found"), "{out}");
    assert_eq!(
        d.cli(cli, &["network", "ls", "-q", "--no-trunc"]).stdout,
        before
    );
    // (other tests make links at the same time: compare this daemon's)
    assert_eq!(d.network_bridges(), bridges_before);
    d.cli(cli, &["network", "rm", &name]).success();
}

fn prune_removes_unused(cli: Cli) {
    let d = Daemon::start();
    let used = new_network(&d, cli, "used");
    let unused = new_network(&d, cli, "unused");
    let c = unique("p");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &c,
            "--network",
            &used,
            "busybox",
            "sleep",
            "60",
        ],
    )
    .success();
    // A stopped container does not hold its network, as in Docker.
    let stopped_net = new_network(&d, cli, "stoppednet");
    let s = unique("s");
    d.cli(
        cli,
        &[
            "create",
            "--name",
            &s,
            "--network",
            &stopped_net,
            "busybox",
            "true",
        ],
    )
    .success();
    let out = d.cli(cli, &["network", "prune", "-f"]);
    out.success();
    assert!(out.stdout.contains(&unused), "{out}");
    assert!(out.stdout.contains(&stopped_net), "{out}");
    assert!(!out.stdout.contains(&used), "{out}");
    let ls = d.cli(cli, &["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(ls.lines(), ["bridge", "host", "none", used.as_str()]);
    // Its next start names the network that is gone.
    let start = d.cli(cli, &["start", &s]);
    assert_ne!(start.code, 0, "{start}");
    assert!(
        start
            .stderr
            .contains(&format!("network {stopped_net} not found")),
        "{start}"
    );
    d.cli(cli, &["rm", "-f", &c, &s]).success();
    d.cli(cli, &["network", "rm", &used]).success();
}

/// `--network container:X` (compose's `network_mode: service:x`): same
/// interfaces, loopback, names and hostname as the target.
fn join_another_containers_network(cli: Cli) {
    let d = Daemon::start();
    let net = new_network(&d, cli, "joinnet");
    let peer = unique("peer");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &peer,
            "--network",
            &net,
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let target = unique("target");
    // The target listens; the joined container reaches it on 127.0.0.1.
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &target,
            "--network",
            &net,
            "busybox",
            "sh",
            "-c",
            "while true; do echo from-target | nc -l -p 7000; done",
        ],
    )
    .success();
    let t = d.inspect(&target);
    let tid = t["Id"].as_str().unwrap().to_string();
    let ip = t["NetworkSettings"]["Networks"][&net]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let joined = unique("joined");
    d.cli(
        cli,
        &[
            "create",
            "--name",
            &joined,
            "--network",
            &format!("container:{target}"),
            "busybox",
            "sh",
            "-c",
            "hostname; ip -4 addr show eth0; nc 127.0.0.1 7000 </dev/null; nslookup $0",
            &peer,
        ],
    )
    .success();
    let j = d.inspect(&joined);
    assert_eq!(j["HostConfig"]["NetworkMode"], format!("container:{tid}"));
    assert_eq!(j["NetworkSettings"]["Networks"], serde_json::json!({}));
    assert_eq!(j["HostsPath"], t["HostsPath"], "the target's /etc/hosts");
    let out = wait_for_output(&d, cli, &joined, "from-target");
    assert!(out.contains(&tid[..12]), "the target's hostname: {out}");
    assert!(
        out.contains(&format!("inet {ip}/")),
        "the target's address: {out}"
    );
    let peer_ip = d.inspect(&peer)["NetworkSettings"]["Networks"][&net]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        out.contains(&peer_ip),
        "names resolve as in the target: {out}"
    );
    // It cannot be connected elsewhere, nor publish, nor join a stopped one.
    let c = d.cli(cli, &["network", "connect", "bridge", &joined]);
    assert_ne!(c.code, 0, "{c}");
    let p = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            &format!("container:{target}"),
            "-p",
            "8080:80",
            "busybox",
            "true",
        ],
    );
    assert_eq!(p.code, 125, "{p}");
    assert!(
        p.stderr.contains("conflicting options: port publishing"),
        "{p}"
    );
    let missing = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            "container:nosuchcontainer",
            "busybox",
            "true",
        ],
    );
    assert_eq!(missing.code, 125, "{missing}");
    assert!(
        missing
            .stderr
            .contains("No such container: nosuchcontainer"),
        "{missing}"
    );
    let stopped = unique("stopped");
    d.cli(cli, &["create", "--name", &stopped, "busybox", "true"])
        .success();
    let s = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            &format!("container:{stopped}"),
            "busybox",
            "true",
        ],
    );
    assert_ne!(s.code, 0, "{s}");
    assert!(
        s.stderr
            .contains("cannot join network of a non running container"),
        "{s}"
    );
    d.cli(cli, &["rm", "-f", &joined, &target, &peer, &stopped])
        .success();
    d.cli(cli, &["network", "rm", &net]).success();
}

/// A user-defined network with a unique name and subnet.
fn new_network(d: &Daemon, cli: Cli, prefix: &str) -> String {
    let name = unique(prefix);
    d.cli(
        cli,
        &["network", "create", "--subnet", &unique_subnet(), &name],
    )
    .success();
    name
}

/// Starts `name` attached and returns its output once it holds `want`.
fn wait_for_output(d: &Daemon, cli: Cli, name: &str, want: &str) -> String {
    // The target's listener may need a moment after `run -d` returns.
    let mut last = String::new();
    for _ in 0..20 {
        let o = d.cli(cli, &["start", "-a", name]);
        last = o.stdout.clone();
        if last.contains(want) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{name} never printed {want:?}: {last}");
}

fn stopped_container_does_not_hold_its_network(cli: Cli) {
    let d = Daemon::start();
    let net = new_network(&d, cli, "held");
    let c = unique("h");
    d.cli(
        cli,
        &["run", "--name", &c, "--network", &net, "busybox", "true"],
    )
    .success();
    d.cli(cli, &["network", "rm", &net]).success();
    assert_ne!(d.cli(cli, &["network", "inspect", &net]).code, 0);
    let start = d.cli(cli, &["start", &c]);
    assert_ne!(start.code, 0, "{start}");
    assert!(start.stderr.contains("not found"), "{start}");
    // The container stays removable, and a network of the same name can be
    // made again and used by it.
    d.cli(
        cli,
        &["network", "create", "--subnet", &unique_subnet(), &net],
    )
    .success();
    d.cli(cli, &["rm", &c]).success();
    d.cli(cli, &["network", "rm", &net]).success();
}

fn names_resolve_on_user_networks(cli: Cli) {
    let d = Daemon::start();
    let net = new_network(&d, cli, "dnsnet");
    let web = unique("web");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &web,
            "--network",
            &net,
            "--network-alias",
            "api",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let ip = d.inspect(&web)["NetworkSettings"]["Networks"][&net]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let dns_names = d.inspect(&web)["NetworkSettings"]["Networks"][&net]["DNSNames"].clone();
    assert!(dns_names.to_string().contains(&web), "{dns_names}");
    // by name, by alias, by short id, from another container on the network
    let short = d.inspect(&web)["Id"].as_str().unwrap()[..12].to_string();
    for name in [web.as_str(), "api", short.as_str()] {
        let out = d.cli(
            cli,
            &[
                "run",
                "--rm",
                "--network",
                &net,
                "busybox",
                "nslookup",
                name,
            ],
        );
        out.success();
        assert!(out.stdout.contains(&ip), "{name}: {out}");
    }
    let rc = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            &net,
            "busybox",
            "cat",
            "/etc/resolv.conf",
        ],
    );
    assert!(rc.stdout.contains("nameserver 127.0.0.11"), "{rc}");
    // a container on the default bridge does not see it, until connected
    let other = unique("other");
    d.cli(
        cli,
        &["run", "-d", "--name", &other, "busybox", "sleep", "300"],
    )
    .success();
    let miss = d.cli(cli, &["exec", &other, "ping", "-c", "1", "-W", "1", "api"]);
    assert_ne!(miss.code, 0, "{miss}");
    d.cli(cli, &["network", "connect", &net, &other]).success();
    let ok = wait_until(Duration::from_secs(1), || {
        d.cli(cli, &["exec", &other, "ping", "-c", "1", "-W", "1", "api"])
            .code
            == 0
    });
    assert!(ok, "alias not reachable by name within a second of connect");
    // a renamed container answers to its new name
    let renamed = unique("renamed");
    d.cli(cli, &["rename", &web, &renamed]).success();
    let ok = d.cli(
        cli,
        &["exec", &other, "ping", "-c", "1", "-W", "1", &renamed],
    );
    assert_eq!(ok.code, 0, "{ok}");
    let web = renamed;
    d.cli(cli, &["network", "disconnect", &net, &other])
        .success();
    let gone = d.cli(cli, &["exec", &other, "ping", "-c", "1", "-W", "1", "api"]);
    assert_ne!(gone.code, 0, "{gone}");
    d.cli(cli, &["rm", "-f", &web, &other]).success();
    d.cli(cli, &["network", "rm", &net]).success();
}

fn published_port_from_loopback(cli: Cli) {
    let d = Daemon::start();
    let web = unique("pub");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &web,
            "-p",
            &format!("127.0.0.1:{port}:80"),
            "busybox",
            "sh",
            "-c",
            "mkdir -p /www && echo published > /www/index.html && exec httpd -f -p 80 -h /www",
        ],
    )
    .success();
    let (ok, body) = common::http_get_until(port, "published", Duration::from_secs(5));
    assert!(ok, "published port not reachable: {body}");
    let p = d.cli(cli, &["port", &web]);
    assert!(
        p.stdout.contains(&format!("80/tcp -> 127.0.0.1:{port}")),
        "{p}"
    );
    d.cli(cli, &["rm", "-f", &web]).success();
}

fn internal_network_has_no_route_out(cli: Cli) {
    let d = Daemon::start();
    let net = unique("int");
    d.cli(
        cli,
        &[
            "network",
            "create",
            "--internal",
            "--subnet",
            &unique_subnet(),
            &net,
        ],
    )
    .success();
    let v = d.cli(cli, &["network", "inspect", "-f", "{{.Internal}}", &net]);
    assert_eq!(v.out(), "true");
    let out = d.cli(
        cli,
        &["run", "--rm", "--network", &net, "busybox", "ip", "route"],
    );
    out.success();
    assert!(!out.stdout.contains("default"), "{out}");
    assert!(out.stdout.contains("dev eth0"), "{out}");
    d.cli(cli, &["network", "rm", &net]).success();
}

fn legacy_link_on_default_bridge(cli: Cli) {
    let d = Daemon::start();
    let target = unique("target");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &target,
            "-e",
            "SECRET=s3",
            "--expose",
            "5432",
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let ip = d.inspect(&target)["NetworkSettings"]["IPAddress"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let me = unique("me");
    let out = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--name",
            &me,
            "--link",
            &format!("{target}:db"),
            "--add-host",
            "gw:host-gateway",
            "busybox",
            "sh",
            "-c",
            "cat /etc/hosts; env; ping -c1 -W2 db >/dev/null && echo reached",
        ],
    );
    out.success();
    assert!(out.stdout.contains(&format!("{ip}\tdb {target}")), "{out}");
    let gw = d.bip().split('/').next().unwrap().to_string();
    assert!(out.stdout.contains(&format!("{gw}\tgw")), "{out}");
    assert!(out.stdout.contains("reached"), "{out}");
    for want in [
        format!("DB_NAME=/{me}/db"),
        "DB_ENV_SECRET=s3".to_string(),
        format!("DB_PORT=tcp://{ip}:5432"),
        format!("DB_PORT_5432_TCP_ADDR={ip}"),
    ] {
        assert!(out.stdout.contains(&want), "{want} missing: {out}");
    }
    d.cli(cli, &["rm", "-f", &target]).success();
}

fn dual_stack_network(cli: Cli) {
    let d = Daemon::start();
    let net = unique("v6");
    let v4 = unique_subnet();
    // a ULA /64 derived from the (unique) v4 subnet
    let o: Vec<u32> = v4
        .trim_end_matches(".0/24")
        .split('.')
        .map(|x| x.parse().unwrap())
        .collect();
    let v6 = format!("fd77:{:x}:{:x}::/64", o[1], o[2]);
    d.cli(
        cli,
        &[
            "network", "create", "--ipv6", "--subnet", &v4, "--subnet", &v6, &net,
        ],
    )
    .success();
    let c = unique("ds");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &c,
            "--network",
            &net,
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let ep = d.inspect(&c)["NetworkSettings"]["Networks"][&net].clone();
    let ip6 = ep["GlobalIPv6Address"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(ip6.starts_with(&v6[..v6.len() - 4]), "{ep}");
    assert_eq!(ep["GlobalIPv6PrefixLen"], 64);
    let addr = d.cli(cli, &["exec", &c, "ip", "-o", "addr", "show", "eth0"]);
    assert!(addr.stdout.contains(&format!("{ip6}/64")), "{addr}");
    assert!(
        addr.stdout.contains(ep["IPAddress"].as_str().unwrap()),
        "{addr}"
    );
    // an IPv6 subnet without --ipv6 is refused
    let bad = d.cli(
        cli,
        &["network", "create", "--subnet", "fd78::/64", &unique("x")],
    );
    assert_ne!(bad.code, 0, "{bad}");
    d.cli(cli, &["rm", "-f", &c]).success();
    d.cli(cli, &["network", "rm", &net]).success();
}

cli_tests!(
    dual_stack_network,
    internal_network_has_no_route_out,
    legacy_link_on_default_bridge,
    names_resolve_on_user_networks,
    published_port_from_loopback,
    default_bridge_inspect,
    host_network_sees_host_interfaces,
    none_network_only_lo,
    user_network_lifecycle,
    connect_disconnect_live,
    bad_input_changes_nothing,
    prune_removes_unused,
    stopped_container_does_not_hold_its_network,
    join_another_containers_network,
);

/// A running container keeps its address across a daemon restart, and its
/// interface goes away when it is stopped afterwards.
#[test]
fn restart_restores_endpoints() {
    let mut d = Daemon::start();
    let c = unique("keep");
    d.wharf(&["run", "-d", "--name", &c, "busybox", "sleep", "300"])
        .success();
    let before = d.inspect(&c)["NetworkSettings"]["IPAddress"].clone();
    let veth = host_veth(&endpoint_id(&d, &c, "bridge"));
    d.kill9();
    d.restart();
    assert_eq!(d.inspect(&c)["NetworkSettings"]["IPAddress"], before);
    // the address stays taken: a new container gets another one
    let other = unique("new");
    d.wharf(&["run", "-d", "--name", &other, "busybox", "sleep", "300"])
        .success();
    assert_ne!(d.inspect(&other)["NetworkSettings"]["IPAddress"], before);
    d.wharf(&["stop", "-t", "1", &c]).success();
    assert_link_gone(&veth);
    d.wharf(&["rm", "-f", &c, &other]).success();
}

/// The harness's clean-up removes the daemon's bridges, even after a crash.
#[test]
fn bridges_removed_with_the_daemon() {
    let (bridge, net_bridge) = {
        let mut d = Daemon::start();
        let name = unique("gone");
        let out = d.wharf(&["network", "create", "--subnet", &unique_subnet(), &name]);
        out.success();
        let nb = format!("br-{}", &out.out()[..12]);
        assert!(host_links().contains(&nb));
        assert!(host_links().contains(&d.bridge().to_string()));
        d.kill9();
        (d.bridge().to_string(), nb)
    };
    assert_link_gone(&bridge);
    assert_link_gone(&net_bridge);
}

/// The addresses `ip` shows on host interfaces, as `dev addr/prefix`.
fn host_v4_addrs() -> Vec<String> {
    let out = std::process::Command::new("ip")
        .args(["-o", "-4", "addr", "show"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(format!("{} {}", f.get(1)?, f.get(3)?))
        })
        .collect()
}

fn nft_text(d: &Daemon) -> String {
    let o = std::process::Command::new("nft")
        .args(["list", "table", "inet", &d.nft_table()])
        .output()
        .expect("nft");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `network rm` answers before the bridge and its rules are gone (compose
/// `down` waits no more for them), yet a network made again at once on the
/// same subnet works, one bridge holds its gateway, and the old bridge and
/// rules go within a short bounded time.
fn rm_then_create_same_subnet(cli: Cli) {
    let d = Daemon::start();
    let name = unique("again");
    let subnet = unique_subnet();
    let first = d.cli(cli, &["network", "create", "--subnet", &subnet, &name]);
    first.success();
    let old_bridge = format!("br-{}", &first.out()[..12]);
    assert!(host_links().contains(&old_bridge), "{old_bridge} missing");
    assert!(
        nft_text(&d).contains(&old_bridge),
        "no rules for {old_bridge}"
    );
    // removed and made again at once, as compose `down` then `up` do
    d.cli(cli, &["network", "rm", &name]).success();
    assert_ne!(d.cli(cli, &["network", "inspect", &name]).code, 0);
    let ls = d.cli(cli, &["network", "ls", "--format", "{{.Name}}"]);
    assert!(!ls.lines().contains(&name.as_str()), "{ls}");
    let second = d.cli(cli, &["network", "create", "--subnet", &subnet, &name]);
    second.success();
    let new_bridge = format!("br-{}", &second.out()[..12]);
    assert_ne!(new_bridge, old_bridge);
    assert_link_gone(&old_bridge);
    let gw = d.cli(
        cli,
        &[
            "network",
            "inspect",
            "--format",
            "{{(index .IPAM.Config 0).Gateway}}",
            &name,
        ],
    );
    gw.success();
    let holders: Vec<String> = host_v4_addrs()
        .into_iter()
        .filter(|a| a.ends_with(&format!(" {}/24", gw.out())))
        .collect();
    assert_eq!(
        holders,
        [format!("{new_bridge} {}/24", gw.out())],
        "the gateway on one bridge"
    );
    // the new bridge works: one container reaches another by name
    let a = unique("a");
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            &a,
            "--network",
            &name,
            "busybox",
            "sleep",
            "300",
        ],
    )
    .success();
    let ping = d.cli(
        cli,
        &[
            "run",
            "--rm",
            "--network",
            &name,
            "busybox",
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            &a,
        ],
    );
    ping.success();
    let fw = nft_text(&d);
    assert!(
        !fw.contains(&old_bridge),
        "rules of {old_bridge} left:\n{fw}"
    );
    assert!(fw.contains(&new_bridge), "no rules for {new_bridge}:\n{fw}");
    d.cli(cli, &["rm", "-f", &a]).success();
    d.cli(cli, &["network", "rm", &name]).success();
    assert_link_gone(&new_bridge);
}

cli_tests!(rm_then_create_same_subnet);

/// A network's bridge and rules go after its removal answered: a daemon
/// killed meanwhile finishes them at its next start (from the removal's
/// intent, `network/pending/<id>.json`), and a graceful stop waits for
/// them.
#[test]
fn pending_teardown_survives_kill_and_stop() {
    let mut d = Daemon::start();
    let pending = d.data_root().join("network").join("pending");
    let make = |d: &Daemon| {
        let name = unique("td");
        let subnet = unique_subnet();
        let out = d.wharf(&["network", "create", "--subnet", &subnet, &name]);
        out.success();
        let id = out.out().to_string();
        let bridge = format!("br-{}", &id[..12]);
        assert!(host_links().contains(&bridge));
        assert!(nft_text(d).contains(&bridge));
        (name, subnet, id, bridge)
    };
    let gone = |d: &Daemon, name: &str, bridge: &str| {
        let ls = d.wharf(&["network", "ls", "--format", "{{.Name}}"]);
        assert!(!ls.lines().contains(&name), "{ls}");
        assert!(!host_links().iter().any(|l| l == bridge), "{bridge} left");
        let fw = nft_text(d);
        assert!(!fw.contains(bridge), "rules of {bridge} left:\n{fw}");
    };
    // 1. killed right after the answer (the teardown done or not)
    let (name, _, _, bridge) = make(&d);
    d.wharf(&["network", "rm", &name]).success();
    d.kill9();
    d.restart();
    // answered once the start-up's host work (the pending teardowns) is done
    assert_eq!(d.api("GET", "/networks", None).0, 200);
    gone(&d, &name, &bridge);
    // 2. the state such a kill leaves, every time: the record gone, the
    // intent kept, the bridge and the rules still there
    let (name, subnet, id, bridge) = make(&d);
    d.kill9();
    std::fs::create_dir_all(&pending).unwrap();
    std::fs::rename(
        d.data_root().join("network").join(format!("{id}.json")),
        pending.join(format!("{id}.json")),
    )
    .unwrap();
    assert!(host_links().contains(&bridge));
    d.restart();
    assert_eq!(d.api("GET", "/networks", None).0, 200);
    gone(&d, &name, &bridge);
    assert!(!pending.join(format!("{id}.json")).exists(), "intent left");
    // its subnet and name are free again
    d.wharf(&["network", "create", "--subnet", &subnet, &name])
        .success();
    d.wharf(&["network", "rm", &name]).success();
    // 3. a graceful stop right after a removal waits for its teardown
    let (name, _, id, bridge) = make(&d);
    d.wharf(&["network", "rm", &name]).success();
    d.stop();
    assert!(!host_links().iter().any(|l| l == &bridge), "{bridge} left");
    assert!(!pending.join(format!("{id}.json")).exists(), "intent left");
}

/// Ports of a bridge on the host (`ip -o link show master BRIDGE`).
fn bridge_ports(bridge: &str) -> Vec<String> {
    let out = std::process::Command::new("ip")
        .args(["-o", "link", "show", "master", bridge])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
        .collect()
}

/// A start's network side (namespace, veth, address) and its file system
/// side (overlay, volumes) are made side by side: when one fails, the
/// other's work goes too, and the container starts cleanly once the cause
/// is gone.
#[test]
fn a_failed_start_leaves_neither_side() {
    let d = Daemon::start();
    let net = new_network(&d, Cli::Wharf, "half");
    let id = d
        .wharf(&["network", "inspect", "-f", "{{.Id}}", &net])
        .success()
        .out()
        .to_string();
    let bridge = format!("br-{}", &id[..12]);
    let src = d.tmp().join("bind-src");
    std::fs::create_dir_all(&src).unwrap();
    let mount = format!("type=bind,source={},target=/x", src.display());
    let c = unique("half");
    let cid = d
        .wharf(&[
            "create",
            "--name",
            &c,
            "--network",
            &net,
            "--mount",
            &mount,
            "busybox",
            "true",
        ])
        .success()
        .out()
        .to_string();
    let left = |d: &Daemon| {
        let run = d.exec_root().join("containers").join(&cid);
        (
            bridge_ports(&bridge),
            common::mounts_under(&d.data_root().join("containers").join(&cid)),
            run.join("netns").exists(),
        )
    };
    // the file system side fails (the bind source is gone), the network
    // side had succeeded
    std::fs::remove_dir(&src).unwrap();
    let o = d.wharf(&["start", &c]);
    assert_ne!(o.code, 0, "{o}");
    assert!(o.stderr.contains("bind source path does not exist"), "{o}");
    assert_eq!(left(&d), (vec![], vec![], false), "after a failed bind");
    // with the cause gone it starts and runs
    std::fs::create_dir_all(&src).unwrap();
    let o = d.wharf(&["start", "-a", &c]);
    assert_eq!(o.code, 0, "{o}");
    // the network side fails (its network is gone: as with Docker, the
    // container names it by id), the file system side had succeeded
    d.wharf(&["network", "rm", &net]).success();
    let o = d.wharf(&["start", &c]);
    assert_ne!(o.code, 0, "{o}");
    assert!(o.stderr.contains("not found"), "{o}");
    assert!(
        common::mounts_under(&d.data_root().join("containers").join(&cid)).is_empty(),
        "the overlay stayed after a failed network"
    );
    assert!(!d
        .exec_root()
        .join("containers")
        .join(&cid)
        .join("netns")
        .exists());
    d.wharf(&["rm", &c]).success();
}
