//! Store tests: import, resolve, tag, remove, history, reopen.

use std::fs;

use wharf_api::error::ErrorKind;

use super::*;
use crate::remove::DeleteItem;
use wharf_archive::testing::{dir, file, tar_of};

pub(crate) fn rootfs(marker: &[u8]) -> Vec<u8> {
    tar_of(&[
        dir("bin/"),
        file("bin/sh", b"#!fake shell"),
        file("etc/marker", marker),
    ])
}

pub(crate) fn store() -> (tempfile::TempDir, ImageStore) {
    let tmp = tempfile::tempdir().unwrap();
    let s = ImageStore::open(&tmp.path().join("image")).unwrap();
    (tmp, s)
}

fn none(_: &str) -> crate::remove::InUse {
    None
}

fn changes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn import_creates_a_one_layer_image() {
    let (_t, s) = store();
    let img = s
        .import(
            &rootfs(b"one")[..],
            &changes(&[r#"CMD ["sh"]"#, "ENV A=1", "WORKDIR /w"]),
            Some("busybox"),
            "Imported from -",
        )
        .unwrap();
    assert_eq!(img.repo_tags, vec!["busybox:latest"]);
    assert_eq!(img.config.config.cmd, Some(vec!["sh".to_string()]));
    assert_eq!(img.config.config.working_dir, "/w");
    assert_eq!(img.config.os, "linux");
    assert_eq!(img.config.rootfs.diff_ids.len(), 1);
    assert_eq!(img.size, 15);
    let bytes = fs::read(s.root().join("imagedb").join(img.hex())).unwrap();
    assert_eq!(sha256_digest(&bytes), img.id);
    let dirs = s.layer_dirs(&img);
    assert_eq!(fs::read(dirs[0].join("etc/marker")).unwrap(), b"one");
    // Same content again: same layer, shared.
    let img2 = s.import(&rootfs(b"one")[..], &[], None, "").unwrap();
    assert_eq!(s.layer_dirs(&img2), dirs);
    assert_ne!(img2.id, img.id);
    // Gzip is detected.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &rootfs(b"gz")).unwrap();
    let img3 = s
        .import(&gz.finish().unwrap()[..], &[], Some("gz:1"), "")
        .unwrap();
    assert_eq!(
        fs::read(s.layer_dirs(&img3)[0].join("etc/marker")).unwrap(),
        b"gz"
    );
    assert_eq!(s.size(&img3), 14);
    assert_eq!(s.list().len(), 3);
}

#[test]
fn bad_import_stores_nothing() {
    let (_t, s) = store();
    let err = s
        .import(&rootfs(b"x")[..], &changes(&["RUN true"]), Some("a"), "")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = s
        .import(&rootfs(b"x")[..], &[], Some("Bad"), "")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let evil = tar_of(&[file("ok", b"1"), file("../evil", b"x")]);
    let err = s.import(&evil[..], &[], Some("a"), "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(s.list().is_empty());
    for d in ["imagedb", "layers", "tmp"] {
        assert_eq!(fs::read_dir(s.root().join(d)).unwrap().count(), 0, "{d}");
    }
}

#[test]
fn resolve_by_name_tag_and_id() {
    let (_t, s) = store();
    let img = s
        .import(&rootfs(b"r")[..], &[], Some("busybox:latest"), "")
        .unwrap();
    for r in [
        "busybox",
        "busybox:latest",
        "library/busybox",
        "docker.io/library/busybox:latest",
        img.id.as_str(),
        img.hex(),
        &img.hex()[..1],
        &img.hex()[..12],
        &img.id[..10],
    ] {
        assert_eq!(s.resolve(r).unwrap().id, img.id, "{r}");
    }
    let msg = |r: &str| s.resolve(r).unwrap_err().to_string();
    assert_eq!(msg("busybox:1"), "No such image: busybox:1");
    assert_eq!(msg("nope"), "No such image: nope:latest");
    assert_eq!(msg("docker.io/library/nope"), "No such image: nope:latest");
    let missing = format!("sha256:{}", "0".repeat(64));
    assert_eq!(msg(&missing), format!("No such image: {missing}"));
    assert_eq!(s.resolve("nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        s.resolve("Nope").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn tag_and_reopen() {
    let (t, s) = store();
    let img = s.import(&rootfs(b"t")[..], &[], None, "").unwrap();
    s.tag(img.hex(), "app").unwrap();
    s.tag("app", "localhost:5000/app:v1").unwrap();
    let err = s.tag("app", "app:bad!").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.to_string(), "invalid reference format");
    assert_eq!(s.tag("nope", "x").unwrap_err().kind(), ErrorKind::NotFound);
    drop(s);
    let s = ImageStore::open(&t.path().join("image")).unwrap();
    assert_eq!(
        s.resolve("app").unwrap().repo_tags,
        vec!["app:latest", "localhost:5000/app:v1"]
    );
}

#[test]
fn remove_untags_then_deletes() {
    let (_t, s) = store();
    let img = s.import(&rootfs(b"rm")[..], &[], Some("a"), "").unwrap();
    s.tag("a", "b:1").unwrap();
    let layer = s.layer_dirs(&img)[0].clone();
    assert_eq!(
        s.remove("a", false, &none).unwrap(),
        vec![DeleteItem::Untagged("a:latest".into())]
    );
    let out = s.remove("b:1", false, &none).unwrap();
    assert_eq!(
        out,
        vec![
            DeleteItem::Untagged("b:1".into()),
            DeleteItem::Deleted(img.id.clone()),
            DeleteItem::Deleted(img.config.rootfs.diff_ids[0].clone()),
        ]
    );
    assert!(!layer.exists());
    assert!(s.list().is_empty());
    assert_eq!(
        s.remove("a", false, &none).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn remove_by_id_with_several_tags_needs_force() {
    let (_t, s) = store();
    let img = s.import(&rootfs(b"x")[..], &[], Some("a"), "").unwrap();
    s.tag("a", "b").unwrap();
    let err = s.remove(&img.hex()[..12], false, &none).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(
        err.to_string(),
        format!(
            "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
            &img.hex()[..12]
        )
    );
    let out = s.remove(&img.id, true, &none).unwrap();
    assert_eq!(out[0], DeleteItem::Untagged("a:latest".into()));
    assert_eq!(out[1], DeleteItem::Untagged("b:latest".into()));
    assert_eq!(out[2], DeleteItem::Deleted(img.id.clone()));
}

#[test]
fn remove_refuses_images_in_use() {
    let (_t, s) = store();
    let img = s.import(&rootfs(b"u")[..], &[], Some("a"), "").unwrap();
    let cid = "c".repeat(64);
    let stopped = |_: &str| Some((cid.clone(), false));
    let running = |_: &str| Some((cid.clone(), true));
    let short = &img.hex()[..12];
    let err = s.remove(img.hex(), false, &stopped).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("conflict: unable to delete {short} (must be forced) - image is being used by stopped container cccccccccccc")
    );
    let err = s.remove(img.hex(), true, &running).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("conflict: unable to delete {short} (cannot be forced) - image is being used by running container cccccccccccc")
    );
    let err = s.remove("a", false, &stopped).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(
        err.to_string().contains(
            "unable to remove repository reference \"a\" (must force) - container cccccccccccc"
        ),
        "{err}"
    );
    // Forced by tag: only untagged, the container keeps its image.
    assert_eq!(
        s.remove("a", true, &running).unwrap(),
        vec![DeleteItem::Untagged("a:latest".into())]
    );
    assert!(s.resolve(img.hex()).is_ok());
    // Forced by ID with a stopped user: deleted.
    let out = s.remove(img.hex(), true, &stopped).unwrap();
    assert_eq!(out[0], DeleteItem::Deleted(img.id.clone()));
}

#[test]
fn history_lists_newest_first() {
    let (_t, s) = store();
    let img = s
        .import(&rootfs(b"h")[..], &[], Some("h:1"), "Imported from -")
        .unwrap();
    let h = s.history("h:1").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].id, img.id);
    assert_eq!(h[0].tags, vec!["h:1"]);
    assert_eq!(h[0].comment, "Imported from -");
    assert_eq!(h[0].size, 13);
    assert!(h[0].created > 1_600_000_000);
    assert_eq!(s.history("zz").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn open_cleans_up_after_a_crash() {
    let (t, s) = store();
    let img = s.import(&rootfs(b"c")[..], &[], Some("c"), "").unwrap();
    let root = s.root().to_path_buf();
    drop(s);
    // A staged layer and an orphan layer, as a crash would leave them.
    fs::create_dir_all(root.join("tmp/layer-1-0/diff")).unwrap();
    let orphan = root.join("layers").join("f".repeat(64));
    fs::create_dir_all(orphan.join("diff")).unwrap();
    let s = ImageStore::open(&t.path().join("image")).unwrap();
    assert!(!orphan.exists());
    assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    assert_eq!(s.resolve("c").unwrap().id, img.id);
}

#[test]
fn concurrent_imports_and_removals_share_layers_safely() {
    let (_t, s) = store();
    std::thread::scope(|scope| {
        for i in 0..4 {
            let s = &s;
            scope.spawn(move || {
                for j in 0..5 {
                    // Same content in every thread: one shared layer.
                    let tag = format!("t{i}:{j}");
                    let img = s
                        .import(&rootfs(b"shared")[..], &[], Some(&tag), "")
                        .unwrap();
                    assert!(s.layer_dirs(&img)[0].join("etc/marker").exists());
                    s.remove(&img.id, true, &none).unwrap();
                }
            });
        }
    });
    assert!(s.list().is_empty());
    assert_eq!(fs::read_dir(s.root().join("layers")).unwrap().count(), 0);
}

#[test]
fn repo_digests_survive_reopen_and_follow_docker_rmi_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("image");
    let s = ImageStore::open(&root).unwrap();
    let img = s
        .import(&rootfs(b"d")[..], &[], Some("reg:5000/app:v1"), "")
        .unwrap();
    let digest = format!("sha256:{}", "ab".repeat(32));
    let pinned = format!("reg:5000/app@{digest}");
    assert_eq!(
        s.add_repo_digest("reg:5000/app:v1", &digest, &img.id)
            .unwrap(),
        pinned
    );
    assert!(s
        .add_repo_digest("reg:5000/app", "sha256:zz", &img.id)
        .is_err());
    drop(s);
    let s = ImageStore::open(&root).unwrap();
    let got = s.resolve(&pinned).unwrap();
    assert_eq!(got.id, img.id);
    assert_eq!(got.repo_digests, vec![pinned.clone()]);
    assert_eq!(got.repo_tags, vec!["reg:5000/app:v1"]);
    assert_eq!(
        s.resolve(&format!("reg:5000/app:v1@{digest}")).unwrap().id,
        img.id
    );
    let other = format!("reg:5000/app@sha256:{}", "cd".repeat(32));
    assert_eq!(s.resolve(&other).unwrap_err().kind(), ErrorKind::NotFound);
    // Another tag elsewhere keeps the image; the repository's last tag
    // takes its digest with it.
    s.tag(&img.id, "keep:1").unwrap();
    let out = s.remove("reg:5000/app:v1", false, &none).unwrap();
    assert_eq!(
        out,
        vec![
            DeleteItem::Untagged("reg:5000/app:v1".into()),
            DeleteItem::Untagged(pinned.clone())
        ]
    );
    assert!(s.resolve(&pinned).is_err());
    // By digest: only that reference, then the last one deletes.
    s.add_repo_digest("reg:5000/app", &digest, &img.id).unwrap();
    let out = s.remove(&pinned, false, &none).unwrap();
    assert_eq!(out, vec![DeleteItem::Untagged(pinned.clone())]);
    s.add_repo_digest("reg:5000/app", &digest, &img.id).unwrap();
    s.remove("keep:1", false, &none).unwrap();
    let out = s.remove(&pinned, false, &none).unwrap();
    assert!(
        out.contains(&DeleteItem::Deleted(img.id.clone())),
        "{out:?}"
    );
}
