//! `load` of hand-built `docker save` and OCI layout archives, and the
//! `save` → `load` round trip.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;

use wharf_api::error::ErrorKind;

use crate::digest::sha256_digest;
use crate::store::tests::{rootfs, store};
use wharf_archive::testing::{file, tar_of};

/// A tar of named byte blobs.
fn archive(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.into_inner().unwrap()
}

fn config_for(layers: &[&[u8]], cmd: &str) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let history: Vec<serde_json::Value> = layers
        .iter()
        .map(|_| serde_json::json!({"created": "2024-01-02T03:04:05Z", "created_by": "ADD file in /"}))
        .chain([serde_json::json!({"created": "2024-01-02T03:04:06Z", "created_by": format!("CMD [\"{cmd}\"]"), "empty_layer": true})])
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": crate::config::host_arch(),
        "os": "linux",
        "created": "2024-01-02T03:04:06Z",
        "config": {"Cmd": [cmd], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

#[test]
fn loads_legacy_docker_save_layout() {
    let (_t, s) = store();
    let base = rootfs(b"base");
    let top = tar_of(&[file("etc/top", b"top"), file("etc/.wh.marker", b"")]);
    let config = config_for(&[&base, &top], "sh");
    let id = sha256_digest(&config);
    let hex = id.trim_start_matches("sha256:");
    let manifest = serde_json::json!([{
        "Config": format!("{hex}.json"),
        "RepoTags": ["busybox:latest", "busybox:1.36"],
        "Layers": ["aaa/layer.tar", "bbb/layer.tar"],
    }]);
    let tar = archive(&[
        ("aaa/layer.tar", base.clone()),
        ("bbb/layer.tar", top.clone()),
        (&format!("{hex}.json"), config.clone()),
        ("repositories", b"{}".to_vec()),
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
    ]);
    let lines = s.load(&tar[..]).unwrap();
    assert_eq!(
        lines,
        vec!["Loaded image: busybox:latest", "Loaded image: busybox:1.36"]
    );
    let img = s.resolve("busybox:1.36").unwrap();
    assert_eq!(img.id, id);
    let dirs = s.layer_dirs(&img);
    assert_eq!(dirs.len(), 2);
    assert_eq!(fs::read(dirs[0].join("etc/marker")).unwrap(), b"base");
    assert_eq!(fs::read(dirs[1].join("etc/top")).unwrap(), b"top");
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(dirs[1].join("etc/marker"))
        .unwrap()
        .file_type()
        .is_char_device());
    let h = s.history("busybox").unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].created_by, "CMD [\"sh\"]");
    assert_eq!(h[0].id, id);
    assert_eq!(h[1].id, "<missing>");
    assert_eq!(h[2].size, 16);
    // Loading again moves nothing and reuses the layers.
    assert_eq!(s.load(&tar[..]).unwrap().len(), 2);
    assert!(fs::read_dir(s.root().join("tmp")).unwrap().next().is_none());
}

#[test]
fn refuses_corrupt_archives_and_stores_nothing() {
    let (_t, s) = store();
    let base = rootfs(b"base");
    let config = config_for(&[&rootfs(b"other")], "sh");
    let manifest =
        serde_json::json!([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["l.tar"]}]);
    let tar = archive(&[
        ("l.tar", base),
        ("c.json", config),
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
    ]);
    let err = s.load(&tar[..]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("digest mismatch"), "{err}");
    let escape = serde_json::json!([{"Config": "../../etc/passwd", "Layers": []}]);
    let tar = archive(&[("manifest.json", serde_json::to_vec(&escape).unwrap())]);
    assert_eq!(
        s.load(&tar[..]).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let err = s.load(&archive(&[("x", vec![1])])[..]).unwrap_err();
    assert!(err.to_string().contains("no manifest.json"), "{err}");
    assert!(s.list().is_empty());
    for d in ["imagedb", "layers", "tmp"] {
        assert_eq!(fs::read_dir(s.root().join(d)).unwrap().count(), 0, "{d}");
    }
}

/// An OCI layout: a multi-platform index pointing at a manifest with a
/// gzip layer, named by annotation.
#[test]
fn loads_oci_layout_with_gzip_layers_and_platform_index() {
    let (_t, s) = store();
    let layer = rootfs(b"oci");
    let layer_gz = gzip(&layer);
    let config = config_for(&[&layer], "oci");
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256_digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256_digest(&layer_gz), "size": layer_gz.len()}],
    }))
    .unwrap();
    let platform_index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256_digest(b"nope"), "size": 4, "platform": {"architecture": "s390x", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256_digest(&manifest), "size": manifest.len(), "platform": {"architecture": crate::config::host_arch(), "os": "linux"}},
        ],
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha256_digest(&platform_index), "size": platform_index.len(),
             "annotations": {"org.opencontainers.image.ref.name": "registry.example.com/team/app:2.0"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256_digest(&manifest), "size": manifest.len(),
             "annotations": {"io.containerd.image.name": "docker.io/library/app:1", "org.opencontainers.image.ref.name": "1"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha256_digest(&manifest), "size": manifest.len(),
             "annotations": {"org.opencontainers.image.ref.name": "bare-tag"}},
        ],
    }))
    .unwrap();
    let blob = |d: &[u8]| {
        format!(
            "blobs/sha256/{}",
            sha256_digest(d).trim_start_matches("sha256:")
        )
    };
    let tar = archive(&[
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        (&blob(&layer_gz), layer_gz.clone()),
        (&blob(&config), config.clone()),
        (&blob(&manifest), manifest.clone()),
        (&blob(&platform_index), platform_index.clone()),
        ("index.json", index),
    ]);
    // The whole archive may itself be gzip-compressed.
    let lines = s.load(&gzip(&tar)[..]).unwrap();
    let id = sha256_digest(&config);
    assert_eq!(
        lines,
        vec![
            "Loaded image: registry.example.com/team/app:2.0".to_string(),
            "Loaded image: app:1".to_string(),
            format!("Loaded image ID: {id}"),
        ]
    );
    let img = s.resolve("app:1").unwrap();
    assert_eq!(img.id, id);
    assert_eq!(
        img.repo_tags,
        vec!["app:1", "registry.example.com/team/app:2.0"]
    );
    // diff ID is the uncompressed digest: the layer is stored under it.
    assert_eq!(img.config.rootfs.diff_ids[0], sha256_digest(&layer));
    assert_eq!(
        fs::read(s.layer_dirs(&img)[0].join("etc/marker")).unwrap(),
        b"oci"
    );
}

#[test]
fn save_then_load_round_trips() {
    let (_t, a) = store();
    let one = a
        .import(
            &rootfs(b"one")[..],
            &["CMD [\"sh\"]".to_string()],
            Some("one:v1"),
            "",
        )
        .unwrap();
    a.tag("one:v1", "one:v2").unwrap();
    let two = a.import(&rootfs(b"two")[..], &[], None, "").unwrap();
    let mut out = Vec::new();
    a.save(&["one".to_string(), two.hex()[..8].to_string()], &mut out)
        .unwrap();

    // The archive has both layouts, as Docker 25+ writes.
    let mut names = BTreeMap::new();
    let mut ar = tar::Archive::new(&out[..]);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        names.insert(name, data);
    }
    for n in ["manifest.json", "index.json", "oci-layout", "repositories"] {
        assert!(names.contains_key(n), "{n} missing: {:?}", names.keys());
    }
    let manifest: serde_json::Value = serde_json::from_slice(&names["manifest.json"]).unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["one:v1", "one:v2"])
    );
    assert_eq!(manifest[1]["RepoTags"], serde_json::Value::Null);
    let layer_path = manifest[0]["Layers"][0].as_str().unwrap();
    assert_eq!(
        sha256_digest(&names[layer_path]),
        one.config.rootfs.diff_ids[0]
    );
    let index: serde_json::Value = serde_json::from_slice(&names["index.json"]).unwrap();
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        "docker.io/library/one:v1"
    );

    let (_t2, b) = store();
    let lines = b.load(&out[..]).unwrap();
    assert_eq!(
        lines,
        vec![
            "Loaded image: one:v1".to_string(),
            "Loaded image: one:v2".to_string(),
            format!("Loaded image ID: {}", two.id),
        ]
    );
    let loaded = b.resolve("one:v2").unwrap();
    assert_eq!(loaded.id, one.id);
    assert_eq!(loaded.config, one.config);
    assert_eq!(b.size(&loaded), one.size);
    assert_eq!(
        fs::read(b.layer_dirs(&loaded)[0].join("etc/marker")).unwrap(),
        b"one"
    );

    // The OCI half alone loads too (index.json annotations give the tags).
    let oci: Vec<(&str, Vec<u8>)> = names
        .iter()
        .filter(|(n, _)| n.as_str() != "manifest.json" && !n.ends_with('/'))
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    let (_t3, c) = store();
    let lines = c.load(&archive(&oci)[..]).unwrap();
    assert!(
        lines.contains(&"Loaded image: one:v2".to_string()),
        "{lines:?}"
    );
    assert_eq!(c.resolve("one:v1").unwrap().id, one.id);

    assert_eq!(
        a.save(&["nope".to_string()], &mut Vec::new())
            .unwrap_err()
            .to_string(),
        "No such image: nope:latest"
    );
}
