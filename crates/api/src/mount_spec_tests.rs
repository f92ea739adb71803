use super::*;

fn err(r: Result<Mount>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn mount_flag_volume_defaults() {
    let m = parse_mount_flag("source=volume1,target=/app").unwrap();
    assert_eq!(m.kind, "volume");
    assert_eq!(m.source, "volume1");
    assert_eq!(m.target, "/app");
    assert!(!m.read_only);
    validate(&[m]).unwrap();
}

#[test]
fn mount_flag_aliases_and_readonly_forms() {
    let m = parse_mount_flag("src=copy-vol,destination=/etc/nginx,readonly").unwrap();
    assert!(m.read_only);
    assert_eq!(m.target, "/etc/nginx");
    assert!(parse_mount_flag("src=v1,dst=/a,ro").unwrap().read_only);
    assert!(parse_mount_flag("src=v1,dst=/a,ro=true").unwrap().read_only);
    assert!(
        parse_mount_flag("src=v1,dst=/a,readonly=1")
            .unwrap()
            .read_only
    );
    assert!(
        !parse_mount_flag("src=v1,dst=/a,readonly=0")
            .unwrap()
            .read_only
    );
    assert!(
        !parse_mount_flag("src=v1,dst=/a,ro=false")
            .unwrap()
            .read_only
    );
    assert_eq!(
        err(parse_mount_flag("src=v1,dst=/a,ro=yes")),
        "invalid value for ro: yes"
    );
}

#[test]
fn mount_flag_bind_options() {
    let m = parse_mount_flag(
        "type=bind,source=/tmp,target=/p,bind-propagation=RSHARED,bind-nonrecursive",
    )
    .unwrap();
    assert_eq!(m.kind, "bind");
    let b = m.bind_options.unwrap();
    assert_eq!(b.propagation.as_deref(), Some("rshared"));
    assert!(b.non_recursive);
    assert!(
        !b.create_mountpoint,
        "--mount type=bind never creates the source"
    );
}

#[test]
fn mount_flag_volume_options() {
    let m = parse_mount_flag(
        "type=volume,src=v1,dst=/d,volume-nocopy,volume-label=a=b,volume-label=c,volume-driver=local,volume-opt=type=tmpfs,volume-opt=o=size=1m,volume-subpath=sub/dir",
    )
    .unwrap();
    let v = m.volume_options.unwrap();
    assert!(v.no_copy);
    let labels = v.labels.unwrap();
    assert_eq!(labels["a"], "b");
    assert_eq!(labels["c"], "");
    let d = v.driver_config.unwrap();
    assert_eq!(d.name, "local");
    assert_eq!(d.options["type"], "tmpfs");
    assert_eq!(d.options["o"], "size=1m");
    assert_eq!(v.subpath.as_deref(), Some("sub/dir"));
}

#[test]
fn mount_flag_tmpfs_options() {
    let m = parse_mount_flag("type=tmpfs,destination=/app,tmpfs-size=800000000,tmpfs-mode=1770")
        .unwrap();
    let t = m.tmpfs_options.clone().unwrap();
    assert_eq!(t.size_bytes, Some(800_000_000));
    assert_eq!(t.mode, Some(0o1770));
    validate(&[m]).unwrap();
    let m = parse_mount_flag("type=tmpfs,dst=/x,tmpfs-size=64m").unwrap();
    assert_eq!(m.tmpfs_options.unwrap().size_bytes, Some(64 << 20));
    // The seed's `tmpfs-mode=800` is not octal; Docker's CLI refuses it too.
    assert_eq!(
        err(parse_mount_flag("type=tmpfs,dst=/app,tmpfs-mode=800")),
        "invalid value for tmpfs-mode: 800"
    );
    assert_eq!(
        err(parse_mount_flag("type=tmpfs,dst=/app,tmpfs-size=-1")),
        "invalid value for tmpfs-size: -1"
    );
    assert_eq!(
        err(parse_mount_flag("type=tmpfs,dst=/app,tmpfs-size=lots")),
        "invalid value for tmpfs-size: lots"
    );
}

#[test]
fn mount_flag_errors_use_docker_wording() {
    assert_eq!(
        err(parse_mount_flag("type=volume,foo=bar,target=/x")),
        "unexpected key 'foo' in 'foo=bar'"
    );
    assert_eq!(err(parse_mount_flag("source=v1")), "target is required");
    assert_eq!(err(parse_mount_flag("type=,target=/x")), "type is required");
    assert_eq!(
        err(parse_mount_flag("target=/x,bogus")),
        "invalid field 'bogus' must be a key=value pair"
    );
    assert_eq!(
        err(parse_mount_flag("type=bind,src=/a,dst=/x,volume-nocopy")),
        "cannot mix 'volume-*' options with mount type 'bind'"
    );
    assert_eq!(
        err(parse_mount_flag(
            "type=volume,src=v,dst=/x,bind-propagation=shared"
        )),
        "cannot mix 'bind-*' options with mount type 'volume'"
    );
    assert_eq!(
        err(parse_mount_flag("type=bind,src=/a,dst=/x,tmpfs-size=1")),
        "cannot mix 'tmpfs-*' options with mount type 'bind'"
    );
    assert!(parse_mount_flag("").is_err());
    assert!(parse_mount_flag("target=/x,src=a\"b").is_err());
}

#[test]
fn mount_flag_csv_quoting() {
    let m = parse_mount_flag("\"type=bind\",\"source=/a,b\",target=/x").unwrap();
    assert_eq!(m.source, "/a,b");
    let m = parse_mount_flag("type=volume,\"volume-label=k=\"\"q\"\"\",dst=/x").unwrap();
    assert_eq!(m.volume_options.unwrap().labels.unwrap()["k"], "\"q\"");
}

#[test]
fn mount_flag_relative_source_made_absolute() {
    let m = parse_mount_flag("type=bind,src=./data,dst=/x").unwrap();
    assert!(
        m.source.starts_with('/') && m.source.ends_with("/data"),
        "{}",
        m.source
    );
}

#[test]
fn validate_refuses_bad_mounts() {
    let cases = [
        (
            "type=volume,src=v1,target=rel",
            "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            "type=bind,src=rel,target=/x",
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute",
        ),
        (
            "type=bind,target=/x",
            "invalid mount config for type \"bind\": field Source must not be empty",
        ),
        (
            "type=nfs,target=/x",
            "invalid mount config for type \"nfs\": mount type unknown",
        ),
        (
            "type=volume,src=v1,target=/",
            "invalid mount config for type \"volume\": invalid specification: destination can't be '/'",
        ),
        (
            "type=tmpfs,src=x,target=/t",
            "invalid mount config for type \"tmpfs\": field Source must not be specified",
        ),
        (
            "type=volume,target=/t,readonly",
            "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes",
        ),
        (
            "type=volume,src=v1,target=/t,volume-subpath=../x",
            "invalid mount config for type \"volume\": subpath must be a relative path within the volume",
        ),
        (
            "type=bind,src=/tmp,target=/t,bind-propagation=weird",
            "invalid mount config for type \"bind\": invalid propagation mode: weird",
        ),
    ];
    for (spec, want) in cases {
        let m = parse_mount_flag(spec).unwrap();
        let e = validate(&[m]).unwrap_err();
        assert_eq!(e.to_string(), want, "{spec}");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
}

#[test]
fn validate_refuses_bad_volume_names() {
    for name in ["../x", "a/b", ".x"] {
        let m = Mount {
            kind: "volume".into(),
            source: name.into(),
            target: "/x".into(),
            ..Mount::default()
        };
        let e = validate(&[m]).unwrap_err().to_string();
        assert!(e.starts_with(&format!("create {name}: ")), "{e}");
        assert!(e.contains("includes invalid characters"), "{e}");
    }
}

#[test]
fn validate_negative_tmpfs_size_from_api() {
    let m = Mount {
        kind: "tmpfs".into(),
        target: "/t".into(),
        tmpfs_options: Some(TmpfsOptions {
            size_bytes: Some(-1),
            ..TmpfsOptions::default()
        }),
        ..Mount::default()
    };
    assert_eq!(
        validate(&[m]).unwrap_err().to_string(),
        "invalid mount config for type \"tmpfs\": invalid tmpfs size: -1 (must not be negative)"
    );
}

#[test]
fn validate_missing_bind_source() {
    let m = parse_mount_flag("type=bind,src=/nonexistent/wharf-x,target=/t").unwrap();
    assert_eq!(
        validate(&[m]).unwrap_err().to_string(),
        "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent/wharf-x"
    );
    // `-v` creates it, so the same path passes.
    let m = parse_volume_flag("/nonexistent/wharf-x:/t").unwrap();
    validate(&[m]).unwrap();
}

#[test]
fn validate_duplicate_targets() {
    let a = parse_volume_flag("v1:/data").unwrap();
    let b = parse_mount_flag("type=tmpfs,dst=/data/").unwrap();
    assert_eq!(
        validate(&[a, b]).unwrap_err().to_string(),
        "Duplicate mount point: /data"
    );
}

#[test]
fn volume_flag_forms() {
    let (m, mode) = parse_volume_flag_mode("/data").unwrap();
    assert_eq!(
        (m.kind.as_str(), m.source.as_str(), m.target.as_str()),
        ("volume", "", "/data")
    );
    assert_eq!(mode, "");

    let m = parse_volume_flag("vol1:/app").unwrap();
    assert_eq!((m.kind.as_str(), m.source.as_str()), ("volume", "vol1"));
    assert!(!m.read_only);

    let (m, mode) = parse_volume_flag_mode("vol1:/app:ro").unwrap();
    assert!(m.read_only);
    assert_eq!(mode, "ro");

    let m = parse_volume_flag("vol1:/app:nocopy").unwrap();
    assert!(m.volume_options.unwrap().no_copy);

    let m = parse_volume_flag("vol1:/app:ro,z").unwrap();
    assert!(m.read_only);

    let m = parse_volume_flag("/host/dir:/p").unwrap();
    assert_eq!(m.kind, "bind");
    assert!(m.bind_options.as_ref().unwrap().create_mountpoint);

    let m = parse_volume_flag("/host/dir:/p:rw,rslave").unwrap();
    assert!(!m.read_only);
    assert_eq!(
        m.bind_options.unwrap().propagation.as_deref(),
        Some("rslave")
    );

    let m = parse_volume_flag("/host:/p:Z,delegated").unwrap();
    assert_eq!(m.consistency.as_deref(), Some("delegated"));
}

#[test]
fn volume_flag_errors() {
    assert_eq!(
        err(parse_volume_flag("")),
        "invalid volume specification: ''"
    );
    assert_eq!(
        err(parse_volume_flag(":/x")),
        "invalid volume specification: ':/x'"
    );
    assert_eq!(
        err(parse_volume_flag("/foo:rw")),
        "invalid volume specification: '/foo:rw'"
    );
    assert_eq!(
        err(parse_volume_flag("a:/b:ro:x")),
        "invalid volume specification: 'a:/b:ro:x'"
    );
    assert_eq!(err(parse_volume_flag("v:/x:rx")), "invalid mode: rx");
    assert_eq!(err(parse_volume_flag("v:/x:ro,rw")), "invalid mode: ro,rw");
    assert_eq!(err(parse_volume_flag("v:/x:z,Z")), "invalid mode: z,Z");
    assert_eq!(
        err(parse_volume_flag("v:rel")),
        "invalid volume specification: 'v:rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute"
    );
    assert_eq!(
        err(parse_volume_flag("v:/x:shared")),
        "invalid volume specification: 'v:/x:shared': invalid mount config for type \"volume\": field BindOptions must not be specified"
    );
    let e = err(parse_volume_flag("a/b:/x"));
    assert!(
        e.contains("create a/b: \"a/b\" includes invalid characters"),
        "{e}"
    );
    let e = err(parse_volume_flag("../x:/x"));
    assert!(e.contains("includes invalid characters"), "{e}");
}

#[test]
fn volume_flag_cli_relative_paths() {
    let cwd = Path::new("/home/u/proj");
    assert_eq!(
        absolutize_volume_flag("./data:/d:ro", cwd),
        "/home/u/proj/data:/d:ro"
    );
    assert_eq!(absolutize_volume_flag("../x:/d", cwd), "/home/u/x:/d");
    assert_eq!(absolutize_volume_flag("vol:/d", cwd), "vol:/d");
    assert_eq!(absolutize_volume_flag("/abs:/d", cwd), "/abs:/d");
}

#[test]
fn tmpfs_flag_forms() {
    let m = parse_tmpfs_flag("/run").unwrap();
    assert_eq!((m.kind.as_str(), m.target.as_str()), ("tmpfs", "/run"));
    assert!(m.tmpfs_options.is_none());

    let m = parse_tmpfs_flag("/run:size=64m,mode=1777,noexec,uid=1000").unwrap();
    let t = m.tmpfs_options.clone().unwrap();
    assert_eq!(t.size_bytes, Some(64 << 20));
    assert_eq!(t.mode, Some(0o1777));
    assert_eq!(
        tmpfs_options(&m).unwrap(),
        [
            "noexec",
            "nosuid",
            "nodev",
            "rprivate",
            "mode=1777",
            "size=67108864",
            "uid=1000"
        ]
    );

    let m = parse_tmpfs_flag("/x:ro,exec").unwrap();
    assert!(m.read_only);
    assert_eq!(
        tmpfs_options(&m).unwrap(),
        ["exec", "nosuid", "nodev", "rprivate", "ro"]
    );
    let m = parse_tmpfs_flag("/x:size=50%").unwrap();
    assert!(tmpfs_options(&m).unwrap().contains(&"size=50%".to_string()));

    let m = parse_tmpfs_entry("/y", "").unwrap();
    assert_eq!(m.target, "/y");
}

#[test]
fn tmpfs_flag_errors() {
    assert_eq!(
        err(parse_tmpfs_flag("/x:size=abc")),
        "invalid tmpfs option \"size=abc\""
    );
    assert_eq!(
        err(parse_tmpfs_flag("/x:mode=999")),
        "invalid tmpfs option \"mode=999\""
    );
    assert_eq!(
        err(parse_tmpfs_flag("/x:bogus")),
        "invalid tmpfs option \"bogus\""
    );
    assert_eq!(
        err(parse_tmpfs_flag("/x:uid=1,2")),
        "invalid tmpfs option \"2\""
    );
    assert!(err(parse_tmpfs_flag("rel")).contains("must be absolute"));
    assert!(err(parse_tmpfs_flag("/")).contains("destination can't be '/'"));
}

#[test]
fn tmpfs_api_options_checked() {
    let mut m = parse_mount_flag("type=tmpfs,dst=/t").unwrap();
    m.tmpfs_options = Some(TmpfsOptions {
        options: Some(vec![vec!["exec".into()], vec!["weird".into()]]),
        ..TmpfsOptions::default()
    });
    assert_eq!(
        validate(&[m]).unwrap_err().to_string(),
        "invalid mount config for type \"tmpfs\": invalid option: weird"
    );
}

#[test]
fn clean_path_is_lexical() {
    assert_eq!(clean_path("/a//b/./c/"), "/a/b/c");
    assert_eq!(clean_path("/../a"), "/a");
    assert_eq!(clean_path("a/../.."), "..");
    assert_eq!(clean_path(""), ".");
    assert!(!is_local_path("a/../../b"));
    assert!(is_local_path("a/b/../c"));
}

#[test]
fn volumes_from() {
    assert_eq!(
        parse_volumes_from("data").unwrap(),
        ("data".into(), "rw".into())
    );
    assert_eq!(
        parse_volumes_from("data:ro").unwrap(),
        ("data".into(), "ro".into())
    );
    assert_eq!(
        parse_volumes_from("data:ro,z").unwrap(),
        ("data".into(), "ro,z".into())
    );
    assert_eq!(err_vf("data:rshared"), "invalid mode: rshared");
    assert_eq!(err_vf("data:nocopy"), "invalid mode: nocopy");
    assert_eq!(err_vf("data:xx"), "invalid mode: xx");
    assert!(parse_volumes_from("").is_err());
    assert!(parse_volumes_from(":ro").is_err());
}

fn err_vf(s: &str) -> String {
    parse_volumes_from(s).unwrap_err().to_string()
}
