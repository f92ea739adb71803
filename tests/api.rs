//! The Engine API over the socket: system endpoints, Docker's error codes and
//! wording, and a list of malformed requests the daemon must survive.
mod common;

use common::{json, Daemon};
use std::time::Duration;

#[test]
fn ping_headers_and_versioned_paths() {
    let d = Daemon::start_bare();
    let r = d.api_text("GET", "/_ping", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "OK");
    assert_eq!(r.header("Api-Version"), Some("1.44"));
    assert_eq!(r.header("Ostype"), Some("linux"));
    assert!(r.header("Docker-Experimental").is_some(), "{:?}", r.headers);
    let r = d.api_text("HEAD", "/_ping", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "");
    for v in ["v1.24", "v1.40", "v1.44"] {
        assert_eq!(
            d.api_text("GET", &format!("/{v}/_ping"), None).status,
            200,
            "{v}"
        );
        let (st, body) = d.api("GET", &format!("/{v}/containers/json"), None);
        assert_eq!(st, 200, "{v}: {body}");
        assert!(body.is_array());
    }
    // newer than we speak: Docker answers 400 with a message
    let (st, v) = d.api("GET", "/v9.99/containers/json", None);
    assert_eq!(st, 400, "{v}");
    assert!(v["message"].as_str().unwrap_or("").contains("9.99"), "{v}");
}

#[test]
fn version_and_info() {
    let d = Daemon::start();
    let (st, v) = d.api("GET", "/version", None);
    assert_eq!(st, 200);
    assert_eq!(v["ApiVersion"], "1.44");
    assert_eq!(v["Os"], "linux");
    assert!(
        v["Version"].is_string() && v["MinAPIVersion"].is_string() && v["Arch"].is_string(),
        "{v}"
    );
    d.wharf(&["run", "-d", "busybox", "sleep", "100"]).success();
    d.wharf(&["run", "busybox", "true"]).success();
    let (st, v) = d.api("GET", "/info", None);
    assert_eq!(st, 200);
    assert_eq!(v["Containers"], 2, "{v}");
    assert_eq!(v["ContainersRunning"], 1);
    assert_eq!(v["ContainersStopped"], 1);
    assert_eq!(v["Images"], 1);
    assert_eq!(v["OSType"], "linux");
    assert!(
        v["DockerRootDir"]
            .as_str()
            .unwrap_or("")
            .starts_with(d.tmp().to_str().unwrap()),
        "{v}"
    );
    // the CLI shows the same
    let o = d.wharf(&["version"]);
    assert!(o.success().stdout.contains("1.44"), "{o}");
    let o = d.wharf(&["info"]);
    assert!(o.success().stdout.contains("Containers: 2"), "{o}");
}

#[test]
fn docker_error_codes_and_wording() {
    let d = Daemon::start();
    let (st, v) = d.api("GET", "/containers/nosuch/json", None);
    assert_eq!(
        (st, v["message"].as_str()),
        (404, Some("No such container: nosuch"))
    );
    let (st, v) = d.api("POST", "/containers/nosuch/start", None);
    assert_eq!(
        (st, v["message"].as_str()),
        (404, Some("No such container: nosuch"))
    );
    let (st, v) = d.api("DELETE", "/containers/nosuch", None);
    assert_eq!(st, 404, "{v}");
    let (st, v) = d.api(
        "POST",
        "/containers/create",
        Some(&json!({"Image": "nosuch:1", "Cmd": ["true"]})),
    );
    assert_eq!(st, 404);
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("No such image: nosuch:1"),
        "{v}"
    );
    let (st, v) = d.api("GET", "/images/nosuch/json", None);
    assert_eq!(
        (st, v["message"].as_str()),
        (404, Some("No such image: nosuch:latest"))
    );

    // malformed JSON → 400
    let r = d.api_text(
        "POST",
        "/containers/create",
        Some("{\"Image\": \"busybox\", "),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["message"].is_string(), "{}", r.body);
    // unknown fields are ignored
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=extra",
        Some(&json!({"Image": "busybox", "Cmd": ["true"], "NotAField": {"x": 1}, "HostConfig": {"Bogus": true}})),
    );
    assert_eq!(st, 201, "{v}");
    assert!(common::is_full_id(v["Id"].as_str().unwrap_or("")));
    assert!(v["Warnings"].is_array(), "{v}");

    // bad parameters → 400, nothing created
    for bad in [
        json!({"Image": "busybox", "HostConfig": {"RestartPolicy": {"Name": "sometimes"}}}),
        json!({"Image": "busybox", "HostConfig": {"Memory": 1024}}),
        json!({"Image": "busybox", "HostConfig": {"NanoCpus": -1}}),
    ] {
        let (st, v) = d.api("POST", "/containers/create?name=bad", Some(&bad));
        assert_eq!(st, 400, "{bad}: {v}");
        assert!(v["message"].is_string());
        assert_eq!(
            d.api("GET", "/containers/bad/json", None).0,
            404,
            "{bad} created a container"
        );
    }
    let (st, _) = d.api(
        "POST",
        "/containers/create?name=../x",
        Some(&json!({"Image": "busybox"})),
    );
    assert_eq!(st, 400, "invalid container name accepted");

    // removing a running container without force → 409
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=run1",
        Some(&json!({"Image": "busybox", "Cmd": ["sleep", "100"]})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(d.api("POST", "/containers/run1/start", None).0, 204);
    assert_eq!(
        d.api("POST", "/containers/run1/start", None).0,
        304,
        "starting a running container is 304"
    );
    let (st, v) = d.api("DELETE", "/containers/run1", None);
    assert_eq!(st, 409, "{v}");
    assert!(v["message"].as_str().unwrap_or("").contains("force"), "{v}");
    assert_eq!(d.api("DELETE", "/containers/run1?force=1", None).0, 204);
    // unknown routes are 404 with a JSON message
    let (st, v) = d.api("GET", "/no/such/route", None);
    assert_eq!(st, 404);
    assert!(v["message"].is_string(), "{v}");
}

#[test]
fn container_create_inspect_shape() {
    let d = Daemon::start();
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=shape",
        Some(&json!({"Image": "busybox", "Cmd": ["sh", "-c", "exit 2"], "Env": ["A=1"], "Labels": {"k": "v"}})),
    );
    assert_eq!(st, 201, "{v}");
    let id = v["Id"].as_str().unwrap().to_string();
    let c = d.inspect("shape");
    assert_eq!(c["Id"], id);
    assert_eq!(c["Name"], "/shape");
    assert_eq!(c["State"]["Status"], "created");
    assert_eq!(c["Config"]["Labels"]["k"], "v");
    assert!(c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "A=1"));
    assert!(
        c["Image"].as_str().unwrap_or("").starts_with("sha256:"),
        "{}",
        c["Image"]
    );
    assert_eq!(
        d.api("POST", &format!("/containers/{}/start", &id[..12]), None)
            .0,
        204,
        "short id prefix"
    );
    let (st, v) = d.api("POST", "/containers/shape/wait", None);
    assert_eq!(st, 200);
    assert_eq!(v["StatusCode"], 2);
    let c = d.inspect("shape");
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["ExitCode"], 2);
    assert!(c["State"]["FinishedAt"]
        .as_str()
        .unwrap_or("")
        .starts_with("20"));
    let (st, list) = d.api(
        "GET",
        "/containers/json?all=1&filters=%7B%22name%22%3A%5B%22shape%22%5D%7D",
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(list.as_array().map(|a| a.len()), Some(1), "{list}");
    assert_eq!(list[0]["Names"][0], "/shape");
    assert_eq!(list[0]["State"], "exited");
}

#[test]
fn exec_through_the_api() {
    let d = Daemon::start();
    d.wharf(&["run", "-d", "--name", "ex", "busybox", "sleep", "100"])
        .success();
    let (st, v) = d.api(
        "POST",
        "/containers/ex/exec",
        Some(&json!({"Cmd": ["sh", "-c", "exit 6"], "AttachStdout": true, "AttachStderr": true})),
    );
    assert_eq!(st, 201, "{v}");
    let exec_id = v["Id"].as_str().unwrap().to_string();
    // as docker clients do: ask for the connection to be hijacked
    let body = r#"{"Detach": false, "Tty": false}"#;
    let req = format!(
        "POST /exec/{exec_id}/start HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let r = d
        .raw(req.as_bytes(), Duration::from_secs(30))
        .expect("exec start answer");
    assert!(
        r.status == 200 || r.status == 101,
        "{} {}",
        r.status,
        r.body
    );
    assert!(common::wait_until(Duration::from_secs(30), || {
        d.api("GET", &format!("/exec/{exec_id}/json"), None).1["Running"] == false
    }));
    let (st, v) = d.api("GET", &format!("/exec/{exec_id}/json"), None);
    assert_eq!(st, 200);
    assert_eq!(v["ExitCode"], 6, "{v}");
    assert_eq!(d.api("GET", "/exec/nosuch/json", None).0, 404);
}

/// Requests no daemon should choke on. After each, `/_ping` must still answer.
#[test]
fn malformed_requests_do_not_crash_the_daemon() {
    let d = Daemon::start();
    d.wharf(&["run", "-d", "--name", "victim", "busybox", "sleep", "1000"])
        .success();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let huge_header = format!(
        "GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let get = |path: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
    };
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("garbage".into(), b"\x00\x01\x02garbage\xff\xfe\r\n\r\n".to_vec()),
        ("empty".into(), Vec::new()),
        ("no host".into(), b"GET /_ping HTTP/1.1\r\n\r\n".to_vec()),
        ("bad method".into(), b"FROB /containers/json HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        ("huge header".into(), huge_header.into_bytes()),
        ("length too big".into(), b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"Image\"".to_vec()),
        ("length negative".into(), b"POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".to_vec()),
        ("bad chunks".into(), b"POST /containers/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n".to_vec()),
        ("nul in path".into(), get("/containers/%00/json")),
        ("non-utf8 path".into(), get("/containers/%ff%fe/json")),
        ("dotdot path".into(), get("/containers/../../../etc/passwd/json")),
        ("filters not json".into(), get("/containers/json?filters=notjson")),
        ("filters wrong type".into(), get("/containers/json?filters=%5B1%2C2%5D")),
        ("bad status filter".into(), get("/containers/json?filters=%7B%22status%22%3A%5B%22bogus%22%5D%7D")),
        ("limit negative".into(), get("/containers/json?limit=-5")),
        ("logs tail text".into(), get("/containers/victim/logs?stdout=1&tail=abc")),
        ("logs since text".into(), get("/containers/victim/logs?stdout=1&since=yesterday")),
        ("kill bad signal".into(), post("/containers/victim/kill?signal=NOPE", "")),
        ("kill signal 999".into(), post("/containers/victim/kill?signal=999", "")),
        ("wait bad condition".into(), post("/containers/victim/wait?condition=weird", "")),
        ("resize bad".into(), post("/containers/victim/resize?h=-1&w=abc", "")),
        ("stop bad t".into(), post("/containers/nosuch/stop?t=forever", "")),
        ("exec no body".into(), post("/containers/victim/exec", "")),
        ("exec empty cmd".into(), post("/containers/victim/exec", r#"{"Cmd": []}"#)),
        ("exec start nosuch".into(), post("/exec/nosuch/start", "{}")),
        ("exec resize nosuch".into(), post("/exec/nosuch/resize?h=1&w=1", "")),
        ("create [".into(), post("/containers/create", "[")),
        ("create null".into(), post("/containers/create", "null")),
        ("create string".into(), post("/containers/create", "\"str\"")),
        ("create image number".into(), post("/containers/create", r#"{"Image": 123}"#)),
        ("create cmd object".into(), post("/containers/create", r#"{"Image": "busybox", "Cmd": {"a": 1}}"#)),
        ("create memory text".into(), post("/containers/create", r#"{"Image": "busybox", "HostConfig": {"Memory": "x"}}"#)),
        ("create huge memory".into(), post("/containers/create", r#"{"Image": "busybox", "HostConfig": {"Memory": 99999999999999999999999}}"#)),
        ("create empty image".into(), post("/containers/create", r#"{"Image": ""}"#)),
        ("create bad name".into(), post("/containers/create?name=a%2Fb", r#"{"Image": "busybox"}"#)),
        ("create deep nesting".into(), post("/containers/create", &deep)),
        ("create bad user".into(), post("/containers/create", r#"{"Image": "busybox", "User": "a:b:c"}"#)),
        ("create bad env".into(), post("/containers/create", r#"{"Image": "busybox", "Env": [1, null]}"#)),
        ("create bad mounts".into(), post("/containers/create", r#"{"Image": "busybox", "HostConfig": {"Mounts": [{"Type": "weird"}]}}"#)),
        ("create bad binds".into(), post("/containers/create", r#"{"Image": "busybox", "HostConfig": {"Binds": [":::"]}}"#)),
        ("rename empty".into(), post("/containers/victim/rename?name=", "")),
        ("import garbage".into(), post("/images/create?fromSrc=-&repo=junk", "this is not a tar")),
        ("load garbage".into(), post("/images/load", "this is not a tar either")),
        ("tag bad repo".into(), post("/images/busybox/tag?repo=UPPER%20case&tag=x", "")),
        ("image inspect weird".into(), get("/images/%2e%2e%2f%2e%2e/json")),
        ("events bad since".into(), get("/events?since=abc&until=1")),
        ("events bad filters".into(), get("/events?filters=%7B%7D%7D&until=1")),
        ("attach nosuch".into(), post("/containers/nosuch/attach?stream=1&stdout=1", "")),
        ("version 0".into(), get("/v0.1/_ping")),
        ("version text".into(), get("/vabc/containers/json")),
        ("volumes bad filter".into(), get("/volumes?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D")),
        ("volume create bad name".into(), post("/volumes/create", r#"{"Name": "../escape"}"#)),
    ];
    // HTTP/1.1 pipelining of two requests on one connection
    let mut two = get("/_ping");
    two.extend_from_slice(&get("/version"));
    cases.push(("pipelined".into(), two));

    let mut server_errors = Vec::new();
    for (what, bytes) in &cases {
        let r = d.raw(bytes, Duration::from_secs(5));
        if let Ok(r) = &r {
            if r.status >= 500 {
                server_errors.push(format!("{what}: {} {}", r.status, r.body));
            }
            if r.status >= 400
                && !r.body.is_empty()
                && r.header("content-type").unwrap_or("").contains("json")
            {
                assert!(
                    r.json()["message"].is_string(),
                    "{what}: error without message: {}",
                    r.body
                );
            }
        }
        // a loaded 2-core machine may be slow to answer, not dead
        assert!(
            common::wait_until(Duration::from_secs(10), || d.ping()),
            "daemon stopped answering after {what:?}; log:\n{}",
            d.log_text()
        );
    }
    assert!(
        server_errors.is_empty(),
        "requests answered with 5xx: {server_errors:#?}"
    );
    // and it still works for real
    let o = d.wharf(&["exec", "victim", "echo", "alive"]);
    assert_eq!(o.success().out(), "alive");
    assert!(!d.wharf(&["ps", "-aq"]).success().lines().is_empty());
    assert!(d.pid().is_some());
}

/// Go clients send `null` for every empty map and slice (Docker Compose v2
/// sends `LogConfig.Config: null`, `Env: null`, `CapAdd: null`, ...): every
/// optional field of the create body set to `null` means "not set". `Cmd`
/// and `Entrypoint` may also be a single string, which Docker wraps in a
/// list.
#[test]
fn create_accepts_null_for_every_optional_field_and_string_cmd() {
    let d = Daemon::start();
    const CONFIG: &[&str] = &[
        "Hostname",
        "Domainname",
        "User",
        "AttachStdin",
        "AttachStdout",
        "AttachStderr",
        "ExposedPorts",
        "Tty",
        "OpenStdin",
        "StdinOnce",
        "Env",
        "Healthcheck",
        "ArgsEscaped",
        "Volumes",
        "WorkingDir",
        "Entrypoint",
        "NetworkDisabled",
        "MacAddress",
        "OnBuild",
        "Labels",
        "StopSignal",
        "StopTimeout",
        "Shell",
    ];
    const HOST: &[&str] = &[
        "CpuShares",
        "Memory",
        "CgroupParent",
        "BlkioWeight",
        "BlkioWeightDevice",
        "BlkioDeviceReadBps",
        "BlkioDeviceWriteBps",
        "BlkioDeviceReadIOps",
        "BlkioDeviceWriteIOps",
        "CpuPeriod",
        "CpuQuota",
        "CpuRealtimePeriod",
        "CpuRealtimeRuntime",
        "CpusetCpus",
        "CpusetMems",
        "Devices",
        "DeviceCgroupRules",
        "DeviceRequests",
        "KernelMemoryTCP",
        "MemoryReservation",
        "MemorySwap",
        "MemorySwappiness",
        "NanoCpus",
        "OomKillDisable",
        "Init",
        "PidsLimit",
        "Ulimits",
        "CpuCount",
        "CpuPercent",
        "IOMaximumIOps",
        "IOMaximumBandwidth",
        "Binds",
        "ContainerIDFile",
        "LogConfig",
        "NetworkMode",
        "PortBindings",
        "RestartPolicy",
        "AutoRemove",
        "VolumeDriver",
        "VolumesFrom",
        "Mounts",
        "ConsoleSize",
        "Annotations",
        "CapAdd",
        "CapDrop",
        "CgroupnsMode",
        "Dns",
        "DnsOptions",
        "DnsSearch",
        "ExtraHosts",
        "GroupAdd",
        "IpcMode",
        "Cgroup",
        "Links",
        "OomScoreAdj",
        "PidMode",
        "Privileged",
        "PublishAllPorts",
        "ReadonlyRootfs",
        "SecurityOpt",
        "StorageOpt",
        "Tmpfs",
        "UTSMode",
        "UsernsMode",
        "ShmSize",
        "Sysctls",
        "Runtime",
        "Isolation",
        "MaskedPaths",
        "ReadonlyPaths",
    ];
    let mut body = json!({"Image": "busybox", "Cmd": ["sh", "-c", "echo nulls-ok"]});
    for k in CONFIG {
        body[*k] = serde_json::Value::Null;
    }
    let mut host = json!({});
    for k in HOST {
        host[*k] = serde_json::Value::Null;
    }
    // What Compose sends inside LogConfig.
    host["LogConfig"] = json!({"Type": "", "Config": null});
    body["HostConfig"] = host;
    body["NetworkingConfig"] = serde_json::Value::Null;
    let (st, v) = d.api("POST", "/containers/create?name=nulls", Some(&body));
    assert_eq!(st, 201, "{v}");
    let (st, v) = d.api("POST", "/containers/nulls/start", None);
    assert_eq!(st, 204, "{v}");
    let (st, v) = d.api("POST", "/containers/nulls/wait", None);
    assert_eq!((st, v["StatusCode"].as_i64()), (200, Some(0)), "{v}");
    assert_eq!(d.wharf(&["logs", "nulls"]).success().out(), "nulls-ok");

    // A string Cmd is one argument, as Docker takes it.
    let body = json!({"Image": "busybox", "Entrypoint": "echo", "Cmd": "one string"});
    let (st, v) = d.api("POST", "/containers/create?name=strcmd", Some(&body));
    assert_eq!(st, 201, "{v}");
    let i = d.inspect("strcmd");
    assert_eq!(i["Config"]["Cmd"], json!(["one string"]));
    assert_eq!(i["Config"]["Entrypoint"], json!(["echo"]));
    // A null inside a list is still wrong.
    let body = json!({"Image": "busybox", "Cmd": ["true", null]});
    let (st, v) = d.api("POST", "/containers/create", Some(&body));
    assert_eq!(st, 400, "{v}");
}

/// wharf is never in a swarm: the swarm family answers as a Docker engine
/// outside one does, which is what SDKs and the docker CLI expect.
#[test]
fn swarm_endpoints_answer_not_in_a_swarm() {
    let d = Daemon::start_bare();
    for (m, p) in [
        ("GET", "/swarm"),
        ("POST", "/swarm/leave"),
        ("GET", "/v1.44/services"),
        ("GET", "/nodes"),
        ("GET", "/secrets/abc"),
        ("GET", "/configs"),
        ("GET", "/tasks"),
    ] {
        let empty = json!({});
        let (st, v) = d.api(m, p, (m == "POST").then_some(&empty));
        assert_eq!(st, 503, "{m} {p}: {v}");
        assert_eq!(v["message"], "This node is not part of a swarm", "{m} {p}");
    }
    let (st, v) = d.api("POST", "/swarm/init", Some(&json!({})));
    assert_eq!(st, 503, "{v}");
    let o = d.docker(&["swarm", "leave"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("This node is not part of a swarm"), "{o}");
    let o = d.docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
    assert_eq!(o.success().out(), "inactive");
}

/// `exec start` without a hijack streams the output as the response body,
/// as Docker does; with a tty the first bytes are never lost, through
/// either path, under both runtimes.
#[test]
fn exec_start_streams_without_hijack_and_keeps_tty_output() {
    let d = Daemon::start();
    for (name, extra) in [("ea", vec![]), ("eb", vec!["--runtime", "runc"])] {
        let mut args = vec!["run", "-d", "--name", name];
        args.extend(extra);
        args.extend(["busybox", "sleep", "1000"]);
        d.wharf(&args).success();
        let script = "echo hello out; echo hello err >&2; exit 3";
        for tty in [true, false] {
            let body = json!({"Cmd": ["sh", "-c", script], "Tty": tty,
                "AttachStdout": true, "AttachStderr": true});
            let (st, v) = d.api("POST", &format!("/containers/{name}/exec"), Some(&body));
            assert_eq!(st, 201, "{v}");
            let id = v["Id"].as_str().unwrap().to_string();
            let start = json!({"Tty": tty}).to_string();
            let r = d.api_text("POST", &format!("/exec/{id}/start"), Some(&start));
            assert_eq!(r.status, 200, "{}", r.body);
            if tty {
                assert_eq!(r.body, "hello out\r\nhello err\r\n", "{name}");
            } else {
                // multiplexed frames: 8-byte headers around each line
                assert!(r.body.contains("hello out\n") && r.body.contains("hello err\n"));
            }
            let (_, v) = d.api("GET", &format!("/exec/{id}/json"), None);
            assert_eq!(
                (v["ExitCode"].as_i64(), v["Running"].as_bool()),
                (Some(3), Some(false))
            );
        }
        for cli in [common::Cli::Wharf, common::Cli::Docker] {
            for _ in 0..3 {
                let o = d.cli(cli, &["exec", "-t", name, "sh", "-c", script]);
                assert_eq!(o.code, 3, "{o}");
                assert_eq!(o.stdout, "hello out\r\nhello err\r\n", "{o}");
            }
        }
    }
}

/// `POST /volumes/prune` follows the request's API version as Docker does:
/// before 1.42 it removes unused named volumes too.
#[test]
fn volume_prune_keys_on_the_api_version() {
    let d = Daemon::start_bare();
    for name in ["keepme", "oldclient"] {
        let (st, v) = d.api("POST", "/volumes/create", Some(&json!({"Name": name})));
        assert_eq!(st, 201, "{v}");
    }
    let (st, v) = d.api("POST", "/v1.44/volumes/prune", None);
    assert_eq!(st, 200, "{v}");
    assert!(
        v["VolumesDeleted"].as_array().is_none_or(|a| a.is_empty()),
        "{v}"
    );
    let (st, v) = d.api("POST", "/v1.41/volumes/prune", None);
    assert_eq!(st, 200, "{v}");
    let mut gone: Vec<&str> = v["VolumesDeleted"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    gone.sort();
    assert_eq!(gone, ["keepme", "oldclient"]);
}
