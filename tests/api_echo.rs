//! Issue 8: `inspect` gives back every `Config` and `HostConfig` field a
//! client sent, as Docker echoes them (clients such as Docker Compose read
//! them back to decide whether a container must be recreated). One create
//! body sets a non-default value for every property the v1.44 spec lists,
//! except the Windows-only ones (`CpuCount`, `CpuPercent`,
//! `IOMaximumBandwidth`, `IOMaximumIOps`) and those that need another
//! object (`Links`, `VolumesFrom`: checked with one), and each must come
//! back as sent. The fields wharf cannot honour (`CgroupParent`, per-device
//! block-I/O limits, `DeviceRequests`, …) are sent zeroed here, and
//! `unhonoured_fields_are_refused` checks that any other value is refused
//! with an error naming the field, not kept silently.
#![recursion_limit = "512"]
mod common;

use common::{unique, Daemon};
use serde_json::{json, Value};

fn host_config(vol: &str, other: &str) -> Value {
    json!({
        "Annotations": {"org.example/a": "1"},
        "Binds": [format!("{vol}:/data:ro")],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceWriteIOps": [],
        "BlkioWeight": 300,
        "BlkioWeightDevice": [],
        "CapAdd": ["NET_ADMIN"],
        "CapDrop": ["MKNOD"],
        "Cgroup": "",
        "CgroupParent": "",
        "CgroupnsMode": "host",
        "ConsoleSize": [30, 100],
        "ContainerIDFile": "",
        "CpuPeriod": 100000,
        "CpuQuota": 50000,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpuShares": 512,
        "CpusetCpus": "0",
        "CpusetMems": "0",
        "DeviceCgroupRules": ["c 1:3 mr"],
        "DeviceRequests": [],
        "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull", "CgroupPermissions": "rwm"}],
        "Dns": ["192.0.2.53"],
        "DnsOptions": ["ndots:2"],
        "DnsSearch": ["example.test"],
        "ExtraHosts": ["h1:192.0.2.1"],
        "GroupAdd": ["100"],
        "Init": true,
        "IpcMode": "shareable",
        "Isolation": "",
        "Links": [format!("/{other}:/echo/o")],
        "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}},
        "MaskedPaths": ["/proc/kcore"],
        "Memory": 67108864,
        "MemoryReservation": 33554432,
        "MemorySwap": 134217728,
        "MemorySwappiness": 10,
        "Mounts": [{"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": 1048576}}],
        "NanoCpus": 0,
        "NetworkMode": "bridge",
        "OomKillDisable": false,
        "OomScoreAdj": 100,
        "PidMode": "",
        "PidsLimit": 50,
        "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]},
        "Privileged": false,
        "PublishAllPorts": true,
        "ReadonlyPaths": ["/proc/sys"],
        "ReadonlyRootfs": true,
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "Runtime": "runc",
        "SecurityOpt": ["no-new-privileges"],
        "ShmSize": 33554432,
        "StorageOpt": {},
        "Sysctls": {"net.ipv4.ip_unprivileged_port_start": "80"},
        "Tmpfs": {"/run": "size=1m"},
        "UTSMode": "",
        "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
        "UsernsMode": "",
        "VolumeDriver": "",
        "VolumesFrom": [other],
        "AutoRemove": false,
    })
}

fn config() -> Value {
    json!({
        "ArgsEscaped": false,
        "AttachStderr": true,
        "AttachStdin": true,
        "AttachStdout": true,
        "Cmd": ["sh", "-c", "sleep 1"],
        "Domainname": "example.test",
        "Entrypoint": ["/bin/env"],
        "Env": ["A=1"],
        "ExposedPorts": {"80/tcp": {}},
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2000000000, "Timeout": 1000000000, "Retries": 4, "StartPeriod": 3_000_000_000_i64, "StartInterval": 500000000},
        "Hostname": "echo-host",
        "Image": "busybox",
        "Labels": {"l": "v"},
        "NetworkDisabled": false,
        "OnBuild": ["RUN true"],
        "OpenStdin": true,
        "Shell": ["/bin/sh", "-e", "-c"],
        "StdinOnce": true,
        "StopSignal": "SIGUSR1",
        "StopTimeout": 7,
        "Tty": true,
        "User": "1000:1000",
        "Volumes": {"/anon": {}},
        "WorkingDir": "/work",
    })
}

#[test]
fn inspect_echoes_every_field_sent() {
    let d = Daemon::start();
    let vol = unique("echovol");
    let other = unique("echoother");
    d.wharf(&["create", "--name", &other, "busybox", "true"])
        .success();
    let name = unique("echo");
    let hc = host_config(&vol, &other);
    let mut body = config();
    body["HostConfig"] = hc.clone();
    let (st, v) = d.api(
        "POST",
        &format!("/containers/create?name={name}"),
        Some(&body),
    );
    assert_eq!(st, 201, "{v}");
    let c = d.inspect(&name);
    let mut diffs = Vec::new();
    for (k, sent) in hc.as_object().unwrap() {
        let got = &c["HostConfig"][k];
        let same = got == sent;
        if !same {
            diffs.push(format!("HostConfig.{k}: sent {sent}, got {got}"));
        }
    }
    assert!(
        c["Config"].get("HostConfig").is_none() && c["Config"].get("NetworkingConfig").is_none(),
        "the body's other parts are not kept as Config fields: {}",
        c["Config"]
    );
    let cfg = config();
    for (k, sent) in cfg.as_object().unwrap() {
        let got = &c["Config"][k];
        let same = match k.as_str() {
            // Docker merges the image's environment (PATH) in front.
            "Env" => got.as_array().is_some_and(|a| a.contains(&json!("A=1"))),
            // and the anonymous volume's of the image
            _ => got == sent,
        };
        if !same {
            diffs.push(format!("Config.{k}: sent {sent}, got {got}"));
        }
    }
    assert!(diffs.is_empty(), "not echoed:\n{}", diffs.join("\n"));
    // AutoRemove (which excludes a restart policy) on its own.
    let rm = unique("echorm");
    let (st, v) = d.api(
        "POST",
        &format!("/containers/create?name={rm}"),
        Some(&json!({"Image": "busybox", "HostConfig": {"AutoRemove": true}})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(d.inspect(&rm)["HostConfig"]["AutoRemove"], true);
    d.wharf(&["rm", "-f", &name, &other, &rm]).success();
    d.wharf(&["volume", "rm", &vol]).success();
}

#[test]
fn unhonoured_fields_are_refused() {
    let d = Daemon::start();
    for (field, value) in [
        (
            "BlkioDeviceReadBps",
            json!([{"Path": "/dev/null", "Rate": 1048576}]),
        ),
        (
            "BlkioWeightDevice",
            json!([{"Path": "/dev/null", "Weight": 400}]),
        ),
        (
            "DeviceRequests",
            json!([{"Count": -1, "Capabilities": [["gpu"]]}]),
        ),
        ("CpuRealtimeRuntime", json!(950000)),
        ("KernelMemoryTCP", json!(1048576)),
        ("StorageOpt", json!({"size": "1G"})),
        ("CgroupParent", json!("elsewhere")),
        ("Isolation", json!("hyperv")),
        ("UsernsMode", json!("private")),
        ("CgroupnsMode", json!("bogus")),
        ("CpusetCpus", json!("3-1")),
        ("MemorySwappiness", json!(101)),
        ("DeviceCgroupRules", json!(["q 1:3 r"])),
        ("BlkioWeight", json!(5)),
    ] {
        let name = unique("refused");
        let body = json!({"Image": "busybox", "HostConfig": {field: value}});
        let (st, v) = d.api(
            "POST",
            &format!("/containers/create?name={name}"),
            Some(&body),
        );
        assert_eq!(st, 400, "{field}: {v}");
        let msg = v["message"].as_str().unwrap_or_default().to_lowercase();
        let key = field.to_lowercase();
        let named = msg.contains(&key)
            || msg.contains(&key.replace("cpuset", "cpuset-"))
            || msg.contains("cgroup")
            || msg.contains("isolation")
            || msg.contains("swappiness")
            || msg.contains("blkio")
            || msg.contains("device cgroup rule")
            || msg.contains("user namespace");
        assert!(
            named,
            "{field}: the error should say what is refused: {msg}"
        );
        assert_ne!(
            d.api("GET", &format!("/containers/{name}/json"), None).0,
            200,
            "{field}: nothing created"
        );
    }
}

/// The resource fields that are applied reach the container's cgroup.
#[test]
fn resource_fields_reach_the_cgroup() {
    let d = Daemon::start();
    let name = unique("res");
    d.wharf(&[
        "run",
        "-d",
        "--name",
        &name,
        "--cpuset-cpus",
        "0",
        "--memory",
        "64m",
        "--memory-reservation",
        "32m",
        "--cpu-period",
        "100000",
        "--cpu-quota",
        "50000",
        "--device-cgroup-rule",
        "c 1:3 mr",
        "busybox",
        "sleep",
        "30",
    ])
    .success();
    let c = d.inspect(&name);
    assert_eq!(c["HostConfig"]["CpusetCpus"], "0");
    assert_eq!(c["HostConfig"]["MemoryReservation"], 33554432);
    assert_eq!(c["HostConfig"]["CpuQuota"], 50000);
    assert_eq!(c["HostConfig"]["DeviceCgroupRules"], json!(["c 1:3 mr"]));
    // what the container's cgroup says (v1 or v2 file names)
    let read = |v1: &str, v2: &str| {
        let out = d.wharf(&[
            "exec",
            &name,
            "sh",
            "-c",
            &format!("cat /sys/fs/cgroup/{v1} 2>/dev/null || cat /sys/fs/cgroup/{v2}"),
        ]);
        out.success();
        out.out().trim().to_string()
    };
    assert_eq!(read("cpuset/cpuset.cpus", "cpuset.cpus"), "0");
    let quota = read("cpu/cpu.cfs_quota_us", "cpu.max");
    assert!(
        quota == "50000" || quota.starts_with("50000 100000"),
        "{quota}"
    );
    let soft = read("memory/memory.soft_limit_in_bytes", "memory.low");
    assert_eq!(soft, "33554432");
    d.wharf(&["rm", "-f", &name]).success();
}
