//! Issue 3, volumes: each rule as a user observes it, through `wharf` and
//! through the real `docker` CLI (`cli_tests!` makes one test per client).
mod common;

use common::{is_full_id, json, wait_until, Cli, Daemon, Value};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn volume_names(d: &Daemon, cli: Cli, filters: &[&str]) -> Vec<String> {
    let mut a = vec!["volume", "ls", "-q"];
    a.extend_from_slice(filters);
    let mut v: Vec<String> = d
        .cli(cli, &a)
        .success()
        .lines()
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.sort();
    v
}

fn create_ls_inspect_rm(cli: Cli) {
    let d = Daemon::start();
    let o = d.cli(cli, &["volume", "create", "--label", "team=qa", "data1"]);
    assert_eq!(o.success().out(), "data1");
    let o = d.cli(cli, &["volume", "inspect", "data1"]);
    let v: Value = serde_json::from_str(o.success().out()).expect("inspect prints JSON");
    let v = &v[0];
    assert_eq!(v["Name"], "data1");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert_eq!(v["Labels"]["team"], "qa");
    let mp = d.data_root().join("volumes/data1/_data");
    assert_eq!(v["Mountpoint"], mp.to_str().unwrap());
    assert!(mp.is_dir(), "the data directory exists on the host");
    assert!(
        v["CreatedAt"].as_str().unwrap_or("").starts_with("20"),
        "{v}"
    );
    assert!(v.get("Options").is_some());

    let ls = d.cli(cli, &["volume", "ls"]);
    let lines = ls.success().lines();
    assert!(
        lines[0].starts_with("DRIVER") && lines[0].contains("VOLUME NAME"),
        "{ls}"
    );
    assert!(
        lines[1].starts_with("local") && lines[1].ends_with("data1"),
        "{ls}"
    );
    let o = d.cli(cli, &["volume", "ls", "--format", "{{.Name}} {{.Driver}}"]);
    assert_eq!(o.success().out(), "data1 local");

    // unnamed: a random 64-hex name
    let anon = d
        .cli(cli, &["volume", "create"])
        .success()
        .out()
        .to_string();
    assert!(is_full_id(&anon), "{anon}");
    d.cli(cli, &["volume", "create", "-d", "local", "data2"])
        .success();
    assert_eq!(volume_names(&d, cli, &[]), {
        let mut v = vec![anon.clone(), "data1".to_string(), "data2".to_string()];
        v.sort();
        v
    });
    assert_eq!(
        volume_names(&d, cli, &["-f", "name=data"]),
        vec!["data1", "data2"]
    );
    assert_eq!(
        volume_names(&d, cli, &["-f", "label=team=qa"]),
        vec!["data1"]
    );
    assert_eq!(volume_names(&d, cli, &["-f", "label=team"]), vec!["data1"]);
    assert_eq!(volume_names(&d, cli, &["-f", "driver=local"]).len(), 3);

    // creating an existing name again is fine (Docker returns the same volume)
    d.cli(cli, &["volume", "create", "data1"]).success();

    let o = d.cli(cli, &["volume", "rm", "data1", "data2", &anon]);
    assert_eq!(o.success().lines(), vec!["data1", "data2", anon.as_str()]);
    assert!(
        !d.data_root().join("volumes/data1").exists(),
        "rm left the directory"
    );
    assert_eq!(volume_names(&d, cli, &[]), Vec::<String>::new());
    let o = d.cli(cli, &["volume", "rm", "nosuch"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("no such volume"), "{o}");
    d.cli(cli, &["volume", "rm", "-f", "nosuch"]).success();
    let o = d.cli(cli, &["volume", "inspect", "nosuch"]);
    assert_ne!(o.code, 0);
}

fn data_outlives_containers_and_is_shared(cli: Cli) {
    let d = Daemon::start();
    d.cli(cli, &["volume", "create", "shared"]).success();
    d.run_sh(cli, &["-v", "shared:/data"], "echo from-first > /data/note")
        .success();
    // the container is gone, the data is not
    let host = d.data_root().join("volumes/shared/_data/note");
    assert_eq!(std::fs::read_to_string(&host).unwrap(), "from-first\n");
    let o = d.run_sh(
        cli,
        &["--mount", "source=shared,target=/app"],
        "cat /app/note",
    );
    assert_eq!(o.success().out(), "from-first");

    // two running containers see each other's writes at once
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            "w1",
            "-v",
            "shared:/data",
            "busybox",
            "sleep",
            "1000",
        ],
    )
    .success();
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            "w2",
            "--mount",
            "source=shared,target=/other",
            "busybox",
            "sleep",
            "1000",
        ],
    )
    .success();
    d.cli(cli, &["exec", "w1", "sh", "-c", "echo live > /data/live"])
        .success();
    let o = d.cli(cli, &["exec", "w2", "cat", "/other/live"]);
    assert_eq!(o.success().out(), "live");
    d.cli(cli, &["rm", "-f", "w1", "w2"]).success();
    assert!(
        host.exists(),
        "rm -f of the containers removed named-volume data"
    );
    assert_eq!(volume_names(&d, cli, &[]), vec!["shared"]);
}

fn mount_creates_missing_volume(cli: Cli) {
    let d = Daemon::start();
    d.run_sh(
        cli,
        &["--mount", "source=auto1,target=/app"],
        "touch /app/x",
    )
    .success();
    d.run_sh(cli, &["-v", "auto2:/app"], "touch /app/y")
        .success();
    assert_eq!(volume_names(&d, cli, &[]), vec!["auto1", "auto2"]);
    assert!(d.data_root().join("volumes/auto1/_data/x").exists());
    // the seed's form: run -itd --name … --mount source=volume1,target=/app
    d.cli(
        cli,
        &[
            "run",
            "-itd",
            "--name",
            "mount-test",
            "--mount",
            "source=volume1,target=/app",
            "busybox",
        ],
    )
    .success();
    d.wait_status("mount-test", "running", T);
    let v = d.inspect("mount-test");
    let m = &v["Mounts"][0];
    assert_eq!(m["Type"], "volume");
    assert_eq!(m["Name"], "volume1");
    assert_eq!(m["Destination"], "/app");
    assert_eq!(m["Driver"], "local");
    assert_eq!(m["RW"], true);
    assert_eq!(
        m["Source"],
        d.data_root()
            .join("volumes/volume1/_data")
            .to_str()
            .unwrap()
    );
}

fn in_use_volume_cannot_be_removed(cli: Cli) {
    let d = Daemon::start();
    d.cli(cli, &["volume", "create", "busy"]).success();
    // a stopped container holds it as much as a running one
    d.cli(
        cli,
        &[
            "create",
            "--name",
            "holder",
            "-v",
            "busy:/data",
            "busybox",
            "true",
        ],
    )
    .success();
    let id = d.inspect("holder")["Id"].as_str().unwrap().to_string();
    for args in [
        &["volume", "rm", "busy"][..],
        &["volume", "rm", "-f", "busy"],
    ] {
        let o = d.cli(cli, args);
        assert_ne!(o.code, 0, "{o}");
        assert!(o.stderr.contains("volume is in use"), "{o}");
        assert!(
            o.stderr.contains(&id),
            "the message names the container: {o}"
        );
        assert_eq!(volume_names(&d, cli, &[]), vec!["busy"]);
    }
    let (st, v) = d.api("DELETE", "/volumes/busy", None);
    assert_eq!(st, 409, "{v}");
    d.cli(cli, &["rm", "holder"]).success();
    d.cli(cli, &["volume", "rm", "busy"]).success();
    assert_eq!(volume_names(&d, cli, &[]), Vec::<String>::new());
}

fn dangling_filter_and_prune(cli: Cli) {
    let d = Daemon::start();
    d.cli(cli, &["volume", "create", "named-free"]).success();
    d.cli(cli, &["volume", "create", "named-used"]).success();
    d.cli(
        cli,
        &[
            "create",
            "--name",
            "user",
            "-v",
            "named-used:/d",
            "-v",
            "/anon",
            "busybox",
            "true",
        ],
    )
    .success();
    let anon = d.inspect("user")["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/anon")
        .expect("anonymous mount")["Name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(is_full_id(&anon));
    // rm without -v keeps the anonymous volume: it becomes dangling
    d.cli(
        cli,
        &[
            "create", "--name", "gone", "-v", "/anon2", "busybox", "true",
        ],
    )
    .success();
    let anon2 = d.inspect("gone")["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_string();
    d.cli(cli, &["rm", "gone"]).success();
    let mut dangling = vec!["named-free".to_string(), anon2.clone()];
    dangling.sort();
    assert_eq!(volume_names(&d, cli, &["-f", "dangling=true"]), dangling);
    assert!(volume_names(&d, cli, &["-f", "dangling=false"]).contains(&"named-used".to_string()));

    // prune: anonymous unused only …
    let o = d.cli(cli, &["volume", "prune", "-f"]);
    assert!(o.success().stdout.contains(&anon2), "{o}");
    let left = volume_names(&d, cli, &[]);
    assert!(
        left.contains(&"named-free".to_string()) && !left.contains(&anon2),
        "{left:?}"
    );
    // … and with -a every unused one; in-use volumes stay
    d.cli(cli, &["volume", "prune", "-a", "-f"]).success();
    let mut left = volume_names(&d, cli, &[]);
    left.sort();
    let mut expect = vec!["named-used".to_string(), anon.clone()];
    expect.sort();
    assert_eq!(left, expect);
}

fn copy_up_from_the_image(cli: Cli) {
    let d = Daemon::start();
    // empty volume over a directory with files: gets a copy, owners and modes kept
    let o = d.run_sh(
        cli,
        &["-v", "homes:/home", "-v", "tmpv:/tmp", "-v", "etcv:/etc"],
        "stat -c '%u:%g' /home/app; stat -c '%a' /tmp; cat /etc/wharf-base",
    );
    let lines = o.success().lines();
    assert_eq!(lines[0], "1000:1000", "{o}");
    assert_eq!(lines[1], "1777", "{o}");
    assert!(lines[2].starts_with("BusyBox"), "{o}");
    let app = d.data_root().join("volumes/homes/_data/app");
    assert_eq!(
        std::fs::metadata(&app).unwrap().uid(),
        1000,
        "copied on the host too"
    );
    // a volume that is no longer empty is not overwritten
    // (/home, not /etc: the engine mounts hostname, hosts and resolv.conf into /etc)
    d.run_sh(cli, &["-v", "own:/data"], "echo mine > /data/only")
        .success();
    let o = d.run_sh(cli, &["-v", "own:/home"], "ls /home");
    assert_eq!(o.success().out(), "only");
    // nocopy: -v …:nocopy and --mount volume-nocopy
    let o = d.run_sh(cli, &["-v", "nc1:/home:nocopy"], "ls -A /home | wc -l");
    assert_eq!(o.success().out(), "0");
    let o = d.run_sh(
        cli,
        &["--mount", "source=nc2,target=/home,volume-nocopy"],
        "ls -A /home | wc -l",
    );
    assert_eq!(o.success().out(), "0");
}

fn anonymous_volumes_and_volumes_from(cli: Cli) {
    let d = Daemon::start();
    d.cli(
        cli,
        &[
            "run",
            "-d",
            "--name",
            "src",
            "-v",
            "/data",
            "-v",
            "named:/named",
            "busybox",
            "sh",
            "-c",
            "echo anon > /data/f; echo named > /named/f; sleep 1000",
        ],
    )
    .success();
    assert!(wait_until(T, || d
        .run_sh(cli, &["--volumes-from", "src"], "cat /data/f /named/f")
        .code
        == 0));
    let o = d.run_sh(cli, &["--volumes-from", "src"], "cat /data/f /named/f");
    assert_eq!(o.success().lines(), vec!["anon", "named"]);
    let o = d.run_sh(cli, &["--volumes-from", "src:ro"], "touch /data/x");
    assert!(o.stderr.contains("Read-only file system"), "{o}");

    let anon = d.inspect("src")["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/data")
        .unwrap()["Name"]
        .as_str()
        .unwrap()
        .to_string();
    // rm -v removes anonymous volumes, not named ones
    d.cli(cli, &["rm", "-f", "-v", "src"]).success();
    let left = volume_names(&d, cli, &[]);
    assert_eq!(left, vec!["named"], "rm -v: {left:?}");
    assert!(!d.data_root().join("volumes").join(&anon).exists());
    // run --rm removes its anonymous volumes too
    d.run_sh(cli, &["-v", "/scratch"], "touch /scratch/x")
        .success();
    assert_eq!(volume_names(&d, cli, &[]), vec!["named"]);
    // the image's VOLUME paths get fresh anonymous volumes
    let tar = common::busybox_tar().to_str().unwrap().to_string();
    d.cli(
        cli,
        &[
            "import",
            "-c",
            "VOLUME /vol",
            "-c",
            r#"CMD ["sh"]"#,
            &tar,
            "withvol:1",
        ],
    )
    .success();
    d.cli(
        cli,
        &[
            "run",
            "--name",
            "iv",
            "withvol:1",
            "sh",
            "-c",
            "echo x > /vol/f",
        ],
    )
    .success();
    let m = &d.inspect("iv")["Mounts"][0];
    assert_eq!(m["Destination"], "/vol");
    assert_eq!(m["Type"], "volume");
    assert!(is_full_id(m["Name"].as_str().unwrap_or("")));
    d.cli(cli, &["rm", "-v", "iv"]).success();
    assert_eq!(volume_names(&d, cli, &[]), vec!["named"]);
}

fn read_only_volume_stays_writable_elsewhere(cli: Cli) {
    let d = Daemon::start();
    d.cli(cli, &["volume", "create", "copy-vol"]).success();
    // the seed's form: --mount source=copy-vol,destination=/etc/nginx,readonly
    d.cli(
        cli,
        &[
            "run",
            "-itd",
            "--name",
            "mount-c4",
            "--mount",
            "source=copy-vol,destination=/etc/nginx,readonly",
            "busybox",
        ],
    )
    .success();
    d.wait_status("mount-c4", "running", T);
    let o = d.cli(cli, &["exec", "mount-c4", "touch", "/etc/nginx/x"]);
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    assert_eq!(d.inspect("mount-c4")["Mounts"][0]["RW"], false);
    // the same volume read-write in another container
    d.run_sh(
        cli,
        &["-v", "copy-vol:/etc/nginx"],
        "echo rw > /etc/nginx/x",
    )
    .success();
    let o = d.cli(cli, &["exec", "mount-c4", "cat", "/etc/nginx/x"]);
    assert_eq!(o.success().out(), "rw");
    // :ro in -v and ro in --mount
    let o = d.run_sh(cli, &["-v", "copy-vol:/v:ro"], "echo x > /v/y");
    assert!(o.stderr.contains("Read-only file system"), "{o}");
    let o = d.run_sh(
        cli,
        &["--mount", "type=volume,src=copy-vol,dst=/v,ro"],
        "echo x > /v/y",
    );
    assert!(o.stderr.contains("Read-only file system"), "{o}");
}

fn local_driver_options(cli: Cli) {
    let d = Daemon::start();
    // tmpfs-backed volume
    d.cli(
        cli,
        &[
            "volume",
            "create",
            "-o",
            "type=tmpfs",
            "-o",
            "device=tmpfs",
            "-o",
            "o=size=64m,uid=1000",
            "tv",
        ],
    )
    .success();
    let o = d.run_sh(
        cli,
        &["-v", "tv:/data"],
        "grep ' /data ' /proc/mounts; stat -c %u /data",
    );
    let lines = o.success().lines();
    assert!(
        lines[0].starts_with("tmpfs /data tmpfs") && lines[0].contains("size=65536k"),
        "{o}"
    );
    assert_eq!(lines[1], "1000");
    // bind-backed volume
    let dir = d.tmp().join("bind-target");
    std::fs::create_dir_all(&dir).unwrap();
    d.cli(
        cli,
        &[
            "volume",
            "create",
            "-o",
            "type=none",
            "-o",
            "o=bind",
            "-o",
            &format!("device={}", dir.display()),
            "bv",
        ],
    )
    .success();
    d.run_sh(cli, &["-v", "bv:/data"], "echo through-bind > /data/f")
        .success();
    assert_eq!(
        std::fs::read_to_string(dir.join("f")).unwrap(),
        "through-bind\n"
    );
    let v = d.api("GET", "/volumes/bv", None).1;
    assert_eq!(v["Options"]["type"], "none");
    assert_eq!(v["Options"]["device"], dir.to_str().unwrap());
    // beyond Docker: a data directory owned by the container's user
    d.cli(
        cli,
        &[
            "volume", "create", "-o", "uid=1000", "-o", "gid=1000", "owned",
        ],
    )
    .success();
    let md = std::fs::metadata(d.data_root().join("volumes/owned/_data")).unwrap();
    assert_eq!((md.uid(), md.gid()), (1000, 1000));
    d.run_sh(
        cli,
        &["-u", "1000", "-v", "owned:/data"],
        "touch /data/mine",
    )
    .success();
}

fn invalid_names_are_refused(cli: Cli) {
    let d = Daemon::start();
    for bad in ["../x", "a/b", ".hidden", "x", "-dash", "sp ace"] {
        let o = d.cli(cli, &["volume", "create", bad]);
        assert_ne!(o.code, 0, "{bad:?} accepted: {o}");
        // In -v, a source starting with `.` is a relative host path for the
        // docker CLI (≥ 23), so only the other names are volume names there.
        if bad.starts_with('.') {
            continue;
        }
        let o = d.run_sh(cli, &["-v", &format!("{bad}:/data")], "true");
        assert_ne!(o.code, 0, "-v {bad:?} accepted: {o}");
    }
    assert_eq!(volume_names(&d, cli, &[]), Vec::<String>::new());
    assert_eq!(d.cli(cli, &["ps", "-aq"]).success().out(), "");
    let vols = d.data_root().join("volumes");
    for bad in ["x", ".hidden", "-dash", "sp ace", "a"] {
        assert!(
            !vols.join(bad).exists(),
            "{bad:?} was created under {}",
            vols.display()
        );
    }
    assert!(!d.data_root().join("x").exists());
}

fn export_and_import(cli: Cli) {
    let d = Daemon::start();
    d.run_sh(
        cli,
        &["-v", "src:/data"],
        "echo payload > /data/f; mkdir /data/sub; chown 1000 /data/sub",
    )
    .success();
    let tar = d.tmp().join("v.tar");
    // `volume export` is wharf's own: the docker CLI has no such command
    d.sh(
        Cli::Wharf,
        &format!("volume export src > {}", tar.display()),
    )
    .success();
    assert!(std::fs::metadata(&tar).unwrap().len() > 0);
    d.wharf(&["volume", "import", "dst", tar.to_str().unwrap()])
        .success();
    let o = d.run_sh(
        cli,
        &["-v", "dst:/data"],
        "cat /data/f; stat -c %u /data/sub",
    );
    assert_eq!(o.success().lines(), vec!["payload", "1000"]);
}

cli_tests!(
    create_ls_inspect_rm,
    data_outlives_containers_and_is_shared,
    mount_creates_missing_volume,
    in_use_volume_cannot_be_removed,
    dangling_filter_and_prune,
    copy_up_from_the_image,
    anonymous_volumes_and_volumes_from,
    read_only_volume_stays_writable_elsewhere,
    local_driver_options,
    invalid_names_are_refused,
    export_and_import,
);

#[test]
fn volume_api() {
    let d = Daemon::start();
    let (st, v) = d.api(
        "POST",
        "/volumes/create",
        Some(&json!({"Name": "apiv", "Labels": {"a": "1"}})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["Name"], "apiv");
    let (st, v) = d.api("GET", "/volumes", None);
    assert_eq!(st, 200);
    assert_eq!(v["Volumes"][0]["Name"], "apiv", "{v}");
    let (st, v) = d.api(
        "GET",
        "/volumes?filters=%7B%22label%22%3A%5B%22a%3D1%22%5D%7D",
        None,
    );
    assert_eq!(
        (st, v["Volumes"].as_array().map(|a| a.len())),
        (200, Some(1)),
        "{v}"
    );
    let (st, v) = d.api("GET", "/volumes/nosuch", None);
    assert_eq!(st, 404, "{v}");
    assert!(v["message"]
        .as_str()
        .unwrap_or("")
        .contains("no such volume"));
    let (st, _) = d.api(
        "POST",
        "/volumes/create",
        Some(&json!({"Name": "../escape"})),
    );
    assert_eq!(st, 400);
    // HostConfig.Binds, Mounts, Tmpfs and VolumesFrom through container create
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=apic",
        Some(&json!({
            "Image": "busybox",
            "Cmd": ["sh", "-c", "echo b > /b/f; echo m > /m/f; grep -c ' /t tmpfs' /proc/mounts"],
            "HostConfig": {
                "Binds": ["apiv:/b"],
                "Mounts": [{"Type": "volume", "Source": "apiv2", "Target": "/m"}],
                "Tmpfs": {"/t": "size=1m"}
            }
        })),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(d.api("POST", "/containers/apic/start", None).0, 204);
    assert_eq!(
        d.api("POST", "/containers/apic/wait", None).1["StatusCode"],
        0
    );
    let logs = d.wharf(&["logs", "apic"]);
    assert_eq!(logs.success().out(), "1");
    let mounts = d.inspect("apic")["Mounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dests: Vec<&str> = mounts
        .iter()
        .filter_map(|m| m["Destination"].as_str())
        .collect();
    assert!(dests.contains(&"/b") && dests.contains(&"/m"), "{mounts:?}");
    let (st, v) = d.api(
        "POST",
        "/containers/create?name=apif",
        Some(&json!({"Image": "busybox", "Cmd": ["cat", "/b/f", "/m/f"], "HostConfig": {"VolumesFrom": ["apic"]}})),
    );
    assert_eq!(st, 201, "{v}");
    d.wharf(&["start", "-a", "apif"]).success();
    assert_eq!(d.wharf(&["logs", "apif"]).success().lines(), vec!["b", "m"]);
    let (st, v) = d.api("DELETE", "/volumes/apiv", None);
    assert_eq!(st, 409, "{v}");
    d.wharf(&["rm", "apic", "apif"]).success();
    let (st, v) = d.api(
        "POST",
        "/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D",
        None,
    );
    assert_eq!(st, 200, "{v}");
    let mut deleted: Vec<&str> = v["VolumesDeleted"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    deleted.sort();
    assert_eq!(deleted, vec!["apiv", "apiv2"]);
    assert!(v["SpaceReclaimed"].is_u64());
}

#[test]
fn volume_data_dir_symlink_does_not_escape() {
    let d = Daemon::start();
    d.wharf(&["volume", "create", "evil"]).success();
    let outside = d.tmp().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let data = d.data_root().join("volumes/evil/_data");
    std::fs::remove_dir(&data).unwrap();
    std::os::unix::fs::symlink(&outside, &data).unwrap();
    let o = d.wharf(&[
        "run",
        "--rm",
        "-v",
        "evil:/data",
        "busybox",
        "sh",
        "-c",
        "echo pwned > /data/pwned",
    ]);
    assert!(
        !Path::new(&outside).join("pwned").exists(),
        "a volume wrote outside <data-root>/volumes: {o}"
    );
}
