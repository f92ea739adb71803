use super::*;
use wharf_api::error::ErrorKind;

fn setup() -> (tempfile::TempDir, VolumeStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = VolumeStore::open(&dir.path().join("volumes")).unwrap();
    (dir, s)
}

fn none() -> BTreeMap<String, String> {
    BTreeMap::new()
}

fn names(vs: Vec<Volume>) -> Vec<String> {
    vs.into_iter().map(|v| v.name).collect()
}

#[test]
fn store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<VolumeStore>();
}

#[test]
fn create_named_unnamed_and_invalid() {
    let (t, s) = setup();
    let v = s.create("data", "", &none(), &none()).unwrap();
    assert_eq!((v.name.as_str(), v.driver.as_str()), ("data", "local"));
    let u = s.create("", "local", &none(), &none()).unwrap();
    assert_eq!(u.name.len(), 64);
    assert!(!VolumeStore::is_anonymous(&u));

    for bad in ["a/b", "../x", "-x"] {
        let e = s.create(bad, "", &none(), &none()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().starts_with(&format!("create {bad}: ")), "{e}");
    }
    assert!(!t.path().join("x").exists());
    assert_eq!(
        s.create("a/b", "", &none(), &none())
            .unwrap_err()
            .to_string(),
        r#"create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path"#
    );
    let e = s.create("v2", "nfs", &none(), &none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = s.create("data", "nfs", &none(), &none()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_eq!(names(s.list(&ListFilters::default()).unwrap()).len(), 2);
}

#[test]
fn create_from_api_body() {
    let (_t, s) = setup();
    let req: VolumeCreateOptions = serde_json::from_str(
        r#"{"Name":"web","Driver":"local","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=64m,uid=1000"},"Labels":{"k":"v"}}"#,
    )
    .unwrap();
    let v = s.create_from_api(&req).unwrap();
    assert_eq!(v.options["o"], "size=64m,uid=1000");
    assert_eq!(v.labels["k"], "v");
    let json = serde_json::to_value(s.get("web").unwrap()).unwrap();
    for key in [
        "Name",
        "Driver",
        "Mountpoint",
        "CreatedAt",
        "Labels",
        "Options",
        "Scope",
    ] {
        assert!(json.get(key).is_some(), "{key} missing in {json}");
    }
    assert_eq!(json["Scope"], "local");
    let bad: VolumeCreateOptions =
        serde_json::from_str(r#"{"Name":"x1","DriverOpts":{"colour":"red"}}"#).unwrap();
    let e = s.create_from_api(&bad).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(s.get("x1").is_err(), "nothing created");
}

#[test]
fn in_use_volume_cannot_be_removed() {
    let (_t, s) = setup();
    s.create("busy", "", &none(), &none()).unwrap();
    s.add_ref("busy", "c2").unwrap();
    s.add_ref("busy", "c1").unwrap();
    s.add_ref("busy", "c1").unwrap();
    assert_eq!(s.refs("busy"), ["c1", "c2"]);
    for force in [false, true] {
        let e = s.remove("busy", force).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(e.to_string(), "remove busy: volume is in use - [c1, c2]");
    }
    s.remove_ref("busy", "c1");
    s.remove_ref("busy", "c2");
    s.remove_ref("busy", "never");
    assert!(s.refs("busy").is_empty());
    s.remove("busy", false).unwrap();
    let e = s.remove("busy", false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.to_string(), "get busy: no such volume");
    s.remove("busy", true).unwrap();
    assert_eq!(
        s.add_ref("busy", "c1").unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn list_filters() {
    let (_t, s) = setup();
    let lab: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
    s.create("db-data", "", &none(), &lab).unwrap();
    s.create("web-data", "", &none(), &none()).unwrap();
    s.add_ref("web-data", "c1").unwrap();
    let f = |j: &str| names(s.list(&ListFilters::from_query_json(j).unwrap()).unwrap());
    assert_eq!(f(""), ["db-data", "web-data"]);
    assert_eq!(f(r#"{"dangling":["true"]}"#), ["db-data"]);
    assert_eq!(f(r#"{"dangling":["false"]}"#), ["web-data"]);
    assert_eq!(f(r#"{"name":["web"]}"#), ["web-data"]);
    assert_eq!(f(r#"{"label":["env=prod"]}"#), ["db-data"]);
    assert_eq!(f(r#"{"driver":["local"]}"#), ["db-data", "web-data"]);
}

#[test]
fn prune_anonymous_or_all() {
    let (_t, s) = setup();
    let named = s.create("named", "", &none(), &none()).unwrap();
    let anon = s.create_anonymous("", &none(), &none()).unwrap();
    let anon_used = s.create_anonymous("", &none(), &none()).unwrap();
    assert!(VolumeStore::is_anonymous(&anon));
    assert_eq!(anon.labels[ANONYMOUS_LABEL], "");
    s.add_ref(&anon_used.name, "c1").unwrap();
    std::fs::write(s.path(&anon.name).unwrap().join("f"), vec![1u8; 4096]).unwrap();

    let (removed, bytes) = s.prune(false).unwrap();
    assert_eq!(removed, vec![anon.name]);
    assert_eq!(bytes, 4096);
    assert!(s.get("named").is_ok());

    std::fs::write(s.path("named").unwrap().join("g"), b"12345").unwrap();
    let (removed, bytes) = s.prune(true).unwrap();
    assert_eq!(removed, vec![named.name]);
    assert_eq!(bytes, 5);
    assert!(s.get(&anon_used.name).is_ok(), "referenced volume kept");
    let usage = s.usage(&anon_used.name).unwrap();
    assert_eq!((usage.size, usage.ref_count), (0, 1));
}

#[test]
fn two_containers_share_data_and_copy_up_happens_once() {
    let (_t, s) = setup();
    s.create("shared", "", &none(), &none()).unwrap();
    let image_dir = tempfile::tempdir().unwrap();
    std::fs::write(image_dir.path().join("index.html"), b"image").unwrap();

    let p1 = s.mount("shared", "c1").unwrap();
    crate::copy_up(image_dir.path(), &p1).unwrap();
    let p2 = s.mount("shared", "c2").unwrap();
    crate::copy_up(image_dir.path(), &p2).unwrap();
    assert_eq!(p1, p2);
    std::fs::write(p1.join("from-c1"), b"hi").unwrap();
    assert_eq!(std::fs::read(p2.join("from-c1")).unwrap(), b"hi");
    std::fs::write(p2.join("index.html"), b"edited").unwrap();
    assert_eq!(std::fs::read(p1.join("index.html")).unwrap(), b"edited");
    s.unmount("shared", "c1").unwrap();
    s.unmount("shared", "c2").unwrap();

    let mut tar = Vec::new();
    s.export("shared", &mut tar).unwrap();
    s.create("restored", "", &none(), &none()).unwrap();
    s.import("restored", &mut &tar[..]).unwrap();
    let p = s.path("restored").unwrap();
    assert_eq!(std::fs::read(p.join("from-c1")).unwrap(), b"hi");
    assert_eq!(
        s.export("nope", &mut Vec::new()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}
