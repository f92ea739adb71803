//! Local driver tests; they run as root (mounts, chown) and unmount what
//! they mount even when an assertion fails (see `Unmount`).

use super::*;

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn name(n: &str) -> VolumeName {
    VolumeName::new(n).unwrap()
}

/// Unmounts (lazily) on drop, so a failing test leaves no mount behind.
struct Unmount(PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        while fsutil::is_mountpoint(&self.0).unwrap_or(false) {
            if umount2(&self.0, MntFlags::MNT_DETACH).is_err() {
                break;
            }
        }
    }
}

fn setup() -> (tempfile::TempDir, LocalDriver) {
    let dir = tempfile::tempdir().unwrap();
    let d = LocalDriver::open(&dir.path().join("volumes")).unwrap();
    (dir, d)
}

#[test]
fn create_inspect_list_remove() {
    let (_t, d) = setup();
    let labels = opts(&[("team", "db")]);
    let v = d.create(&name("vol1"), &BTreeMap::new(), &labels).unwrap();
    assert_eq!(v.name, "vol1");
    assert_eq!(v.driver, "local");
    assert_eq!(v.scope, "local");
    assert_eq!(v.labels, labels);
    let data = d.root().join("vol1/_data");
    assert_eq!(v.mountpoint, data.to_string_lossy());
    assert!(data.is_dir());
    assert!(
        chrono::DateTime::parse_from_rfc3339(&v.created_at).is_ok(),
        "{}",
        v.created_at
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(d.root().join("vol1/volume.json")).unwrap()).unwrap();
    assert_eq!(json["Name"], "vol1");
    assert_eq!(json["Labels"]["team"], "db");

    // Creating again returns the same volume.
    let again = d
        .create(&name("vol1"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    assert_eq!(again.created_at, v.created_at);
    assert_eq!(again.labels, labels);

    d.create(&name("vol2"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let names: Vec<_> = d.list().unwrap().into_iter().map(|v| v.name).collect();
    assert_eq!(names, ["vol1", "vol2"]);
    assert_eq!(d.get("vol1").unwrap().labels, labels);

    fs::write(data.join("f"), b"x").unwrap();
    d.remove("vol1").unwrap();
    assert!(!d.root().join("vol1").exists());
    assert!(matches!(d.get("vol1"), Err(VolumeError::NotFound(_))));
    assert_eq!(
        d.get("vol1").unwrap_err().to_string(),
        "get vol1: no such volume"
    );
    assert!(matches!(d.remove("vol1"), Err(VolumeError::NotFound(_))));
}

#[test]
fn reopen_loads_and_cleans_leftovers() {
    let (t, d) = setup();
    d.create(&name("keep"), &BTreeMap::new(), &opts(&[("a", "b")]))
        .unwrap();
    let root = d.root().to_path_buf();
    drop(d);
    fs::create_dir_all(root.join(".creating-half/_data")).unwrap();
    fs::create_dir_all(root.join(".removing-old-1/_data")).unwrap();
    fs::create_dir_all(root.join("dockerish/_data")).unwrap();
    fs::create_dir_all(root.join("keep/.import-9-9/x")).unwrap();
    fs::write(root.join("metadata.db"), b"").unwrap();
    let d = LocalDriver::open(&t.path().join("volumes")).unwrap();
    let names: Vec<_> = d.list().unwrap().into_iter().map(|v| v.name).collect();
    assert_eq!(names, ["dockerish", "keep"]);
    assert_eq!(d.get("keep").unwrap().labels["a"], "b");
    assert!(!root.join(".creating-half").exists());
    assert!(!root.join(".removing-old-1").exists());
    assert!(!root.join("keep/.import-9-9").exists());
}

#[test]
fn uid_gid_options_chown_data() {
    let (_t, d) = setup();
    d.create(
        &name("owned"),
        &opts(&[("uid", "1000,gid=1001")]),
        &BTreeMap::new(),
    )
    .unwrap();
    let m = fs::metadata(d.root().join("owned/_data")).unwrap();
    assert_eq!((m.uid(), m.gid()), (1000, 1001));
    let e = d
        .create(&name("bad"), &opts(&[("foo", "bar")]), &BTreeMap::new())
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid option: \"foo\"");
    assert!(!d.root().join("bad").exists());
    assert!(!d.root().join(".creating-bad").exists());
}

#[test]
fn symlinked_data_is_refused_and_removal_spares_target() {
    let (t, d) = setup();
    let outside = t.path().join("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("precious"), b"p").unwrap();

    d.create(&name("evil"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let data = d.root().join("evil/_data");
    fs::remove_dir(&data).unwrap();
    std::os::unix::fs::symlink(&outside, &data).unwrap();
    let e = d.path("evil").unwrap_err();
    assert!(matches!(e, VolumeError::Escape { .. }), "{e}");
    assert!(d.mount("evil", "c1").is_err());
    assert!(d.export("evil", &mut Vec::new()).is_err());
    assert!(d.import("evil", &mut &b""[..]).is_err());
    d.remove("evil").unwrap();
    assert!(outside.join("precious").exists());

    d.create(&name("evil2"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let vdir = d.root().join("evil2");
    fs::remove_dir_all(&vdir).unwrap();
    fs::create_dir_all(outside.join("_data")).unwrap();
    std::os::unix::fs::symlink(&outside, &vdir).unwrap();
    assert!(matches!(d.path("evil2"), Err(VolumeError::Escape { .. })));
    assert!(matches!(d.remove("evil2"), Err(VolumeError::Escape { .. })));
    assert!(outside.join("precious").exists());
}

#[test]
fn tmpfs_volume_mounted_while_used() {
    let (_t, d) = setup();
    let o = opts(&[
        ("type", "tmpfs"),
        ("device", "tmpfs"),
        ("o", "size=1m,uid=1000"),
    ]);
    d.create(&name("mem"), &o, &BTreeMap::new()).unwrap();
    let data = d.root().join("mem/_data");
    let _guard = Unmount(data.clone());
    assert!(!fsutil::is_mountpoint(&data).unwrap());

    let p = d.mount("mem", "c1").unwrap();
    assert_eq!(p, data);
    assert!(fsutil::is_mountpoint(&data).unwrap());
    assert_eq!(fs::metadata(&data).unwrap().uid(), 1000);
    fs::write(data.join("f"), b"hello").unwrap();
    // tmpfs size enforced.
    let big = vec![0u8; 2 << 20];
    let e = fs::write(data.join("big"), &big).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(nix::libc::ENOSPC));

    d.mount("mem", "c2").unwrap();
    d.mount("mem", "c2").unwrap();
    assert_eq!(d.active_mounts("mem"), ["c1", "c2"]);
    assert!(matches!(d.remove("mem"), Err(VolumeError::Busy { .. })));
    d.unmount("mem", "c1").unwrap();
    assert!(fsutil::is_mountpoint(&data).unwrap(), "c2 still uses it");
    assert_eq!(fs::read(data.join("f")).unwrap(), b"hello");
    d.unmount("mem", "c2").unwrap();
    assert!(!fsutil::is_mountpoint(&data).unwrap());
    assert!(!data.join("f").exists(), "tmpfs content is gone");
    assert_eq!(d.size("mem").unwrap(), 0);
    assert!(matches!(
        d.import("mem", &mut &b""[..]),
        Err(VolumeError::Unsupported { .. })
    ));
    d.remove("mem").unwrap();
}

#[test]
fn bind_volume_shows_host_dir_and_removal_keeps_it() {
    let (t, d) = setup();
    let host = t.path().join("host");
    fs::create_dir(&host).unwrap();
    fs::write(host.join("site.conf"), b"conf").unwrap();
    let o = opts(&[
        ("type", "none"),
        ("o", "bind"),
        ("device", host.to_str().unwrap()),
    ]);
    d.create(&name("hostdir"), &o, &BTreeMap::new()).unwrap();
    let data = d.root().join("hostdir/_data");
    let _guard = Unmount(data.clone());
    let p = d.mount("hostdir", "c1").unwrap();
    assert_eq!(fs::read(p.join("site.conf")).unwrap(), b"conf");
    fs::write(p.join("new"), b"n").unwrap();
    assert!(host.join("new").exists());

    let mut tar = Vec::new();
    d.export("hostdir", &mut tar).unwrap();
    assert!(
        fsutil::is_mountpoint(&data).unwrap(),
        "export must not unmount c1's use"
    );

    // Even if the daemon died with the bind still mounted, removal unmounts
    // before deleting.
    d.lock().active.clear();
    d.remove("hostdir").unwrap();
    assert!(host.join("site.conf").exists());
    assert!(host.join("new").exists());

    // Export of an unmounted bind volume mounts it for the duration.
    d.create(&name("hostdir2"), &o, &BTreeMap::new()).unwrap();
    let data2 = d.root().join("hostdir2/_data");
    let _guard2 = Unmount(data2.clone());
    let mut tar = Vec::new();
    d.export("hostdir2", &mut tar).unwrap();
    assert!(!fsutil::is_mountpoint(&data2).unwrap());
    let names: Vec<String> = tar::Archive::new(&tar[..])
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"site.conf".to_string()), "{names:?}");
}

#[test]
fn readonly_bind_volume() {
    let (t, d) = setup();
    let host = t.path().join("ro-host");
    fs::create_dir(&host).unwrap();
    let o = opts(&[
        ("type", "none"),
        ("o", "bind,ro"),
        ("device", host.to_str().unwrap()),
    ]);
    d.create(&name("rovol"), &o, &BTreeMap::new()).unwrap();
    let _guard = Unmount(d.root().join("rovol/_data"));
    let p = d.mount("rovol", "c1").unwrap();
    let e = fs::write(p.join("x"), b"x").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(nix::libc::EROFS));
    d.unmount("rovol", "c1").unwrap();
}

#[test]
fn missing_bind_device_fails_at_mount() {
    let (_t, d) = setup();
    let o = opts(&[
        ("type", "none"),
        ("o", "bind"),
        ("device", "/nonexistent/wharf"),
    ]);
    d.create(&name("nodev"), &o, &BTreeMap::new()).unwrap();
    let e = d.mount("nodev", "c1").unwrap_err();
    assert!(e.to_string().starts_with("mount volume nodev:"), "{e}");
    assert!(d.active_mounts("nodev").is_empty());
}

#[test]
fn export_import_round_trip() {
    let (_t, d) = setup();
    d.create(&name("src"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let s = d.path("src").unwrap();
    fs::create_dir(s.join("db")).unwrap();
    fs::write(s.join("db/data.bin"), vec![9u8; 10_000]).unwrap();
    std::os::unix::fs::lchown(s.join("db/data.bin"), Some(999), Some(999)).unwrap();
    std::os::unix::fs::symlink("db/data.bin", s.join("current")).unwrap();
    let mut tar = Vec::new();
    d.export("src", &mut tar).unwrap();

    d.create(&name("dst"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let old = d.path("dst").unwrap();
    fs::write(old.join("stale"), b"old").unwrap();
    d.import("dst", &mut &tar[..]).unwrap();
    let p = d.path("dst").unwrap();
    assert_eq!(fs::read(p.join("db/data.bin")).unwrap(), vec![9u8; 10_000]);
    assert_eq!(fs::metadata(p.join("db/data.bin")).unwrap().uid(), 999);
    assert_eq!(
        fs::read_link(p.join("current")).unwrap(),
        Path::new("db/data.bin")
    );
    assert!(!p.join("stale").exists(), "import replaces the content");
    assert_eq!(d.size("dst").unwrap(), 10_000 + "db/data.bin".len() as u64);
    let leftovers: Vec<_> = fs::read_dir(d.root().join("dst"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn bad_import_leaves_data_untouched() {
    let (_t, d) = setup();
    d.create(&name("safe"), &BTreeMap::new(), &BTreeMap::new())
        .unwrap();
    let p = d.path("safe").unwrap();
    fs::write(p.join("keep"), b"k").unwrap();
    let mut b = tar::Builder::new(Vec::new());
    crate::archive::tests::raw_entry(&mut b, "ok", tar::EntryType::Regular, "", b"1");
    crate::archive::tests::raw_entry(&mut b, "../escape", tar::EntryType::Regular, "", b"x");
    let t = b.into_inner().unwrap();
    let e = d.import("safe", &mut &t[..]).unwrap_err();
    assert_eq!(e.kind(), wharf_api::error::ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("outside"), "{e}");
    assert_eq!(fs::read(p.join("keep")).unwrap(), b"k");
    assert!(!p.join("ok").exists());
    assert!(!d.root().join("escape").exists());
    assert!(!d.root().join("safe/escape").exists());

    d.mount("safe", "c1").unwrap();
    assert!(matches!(
        d.import("safe", &mut &t[..]),
        Err(VolumeError::Busy { .. })
    ));
    d.unmount("safe", "c1").unwrap();
}
