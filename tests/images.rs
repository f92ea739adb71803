//! Local images offline: import, tag, save/load round trips (docker and OCI
//! archives), rmi refusal while in use, history, and tar extraction that
//! never writes outside its root.
mod common;

use common::{busybox_tar, run_cmd, Cli, Daemon};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn image_id(d: &Daemon, name: &str) -> String {
    let o = d.wharf(&["image", "inspect", "-f", "{{.Id}}", name]);
    let id = o.success().out().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{o}");
    id
}

#[test]
fn images_lists_imported_busybox() {
    let d = Daemon::start();
    let o = d.wharf(&["images"]);
    let lines = o.success().lines();
    for c in ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"] {
        assert!(lines[0].contains(c), "column {c}: {o}");
    }
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..2], &["busybox", "latest"], "{o}");
    assert_eq!(row[2].len(), 12);
    assert_eq!(image_id(&d, "busybox")[7..19], *row[2]);
    assert_eq!(d.wharf(&["images", "-q"]).success().lines().len(), 1);
    assert_eq!(
        d.wharf(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
            .success()
            .out(),
        "busybox:latest"
    );

    let v = d.api("GET", "/images/busybox:latest/json", None).1;
    assert_eq!(v["Os"], "linux");
    assert_eq!(v["Architecture"], "amd64");
    assert_eq!(v["Config"]["Cmd"], common::json!(["sh"]));
    assert_eq!(v["RepoTags"], common::json!(["busybox:latest"]));
    assert_eq!(v["RootFS"]["Type"], "layers");
    assert_eq!(v["RootFS"]["Layers"].as_array().map(|l| l.len()), Some(1));
    assert!(v["Size"].as_u64().unwrap_or(0) > 1_000_000, "{}", v["Size"]);
}

#[test]
fn import_from_stdin_with_changes() {
    let d = Daemon::start_bare();
    let tar = std::fs::read(busybox_tar()).unwrap();
    let o = d.wharf_stdin(
        &[
            "import",
            "-c",
            "ENV FOO=bar",
            "-c",
            "WORKDIR /tmp",
            "-c",
            r#"ENTRYPOINT ["echo"]"#,
            "-c",
            r#"CMD ["default-arg"]"#,
            "-",
            "custom:1",
        ],
        &tar,
    );
    let id = o.success().out().to_string();
    assert!(id.starts_with("sha256:"), "import prints the image id: {o}");
    assert_eq!(
        d.wharf(&["run", "--rm", "custom:1"]).success().out(),
        "default-arg"
    );
    assert_eq!(
        d.wharf(&["run", "--rm", "custom:1", "hi"]).success().out(),
        "hi"
    );
    let o = d.wharf(&[
        "run",
        "--rm",
        "--entrypoint",
        "sh",
        "custom:1",
        "-c",
        "echo $FOO $(pwd)",
    ]);
    assert_eq!(o.success().out(), "bar /tmp");
    // import through the API (fromSrc=-)
    let r = d.api_bytes(
        "POST",
        "/images/create?fromSrc=-&repo=apiimg&tag=v2",
        "application/x-tar",
        &tar,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        d.wharf(&["run", "--rm", "apiimg:v2", "cat", "/etc/wharf-base"])
            .success()
            .code,
        0
    );
}

#[test]
fn tag_and_rmi() {
    let d = Daemon::start();
    let id = image_id(&d, "busybox");
    d.wharf(&["tag", "busybox", "mybox:v1"]).success();
    d.wharf(&["tag", "busybox:latest", "registry.local:5000/team/box:2"])
        .success();
    assert_eq!(image_id(&d, "mybox:v1"), id);
    assert_eq!(image_id(&d, "registry.local:5000/team/box:2"), id);
    assert_eq!(
        d.wharf(&["run", "--rm", "mybox:v1", "echo", "ok"])
            .success()
            .out(),
        "ok"
    );
    let o = d.wharf(&["rmi", "mybox:v1"]);
    assert!(o.success().stdout.contains("Untagged: mybox:v1"), "{o}");
    assert_eq!(d.api("GET", "/images/mybox:v1/json", None).0, 404);
    assert_eq!(
        image_id(&d, "busybox"),
        id,
        "untagging one name kept the image"
    );
    let o = d.wharf(&["tag", "nosuch", "x:1"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("No such image"), "{o}");
    let o = d.wharf(&["tag", "busybox", "Bad Name"]);
    assert_ne!(o.code, 0, "{o}");
}

#[test]
fn rmi_refused_while_a_container_uses_the_image() {
    let d = Daemon::start();
    d.wharf(&["tag", "busybox", "inuse:1"]).success();
    d.wharf(&["rmi", "busybox"]).success(); // only inuse:1 names it now
    d.wharf(&["run", "--name", "user", "inuse:1", "true"])
        .success();
    let o = d.wharf(&["rmi", "inuse:1"]);
    assert_ne!(o.code, 0, "{o}");
    assert!(o.stderr.contains("conflict"), "{o}");
    let cid = d.inspect("user")["Id"].as_str().unwrap()[..12].to_string();
    assert!(o.stderr.contains(&cid), "message names the container: {o}");
    assert_eq!(
        d.api("GET", "/images/inuse:1/json", None).0,
        200,
        "image removed anyway"
    );
    assert_eq!(
        d.wharf(&["start", "-a", "user"]).code,
        0,
        "the container still starts"
    );
    // removing the container releases the image
    d.wharf(&["rm", "user"]).success();
    let o = d.wharf(&["rmi", "inuse:1"]);
    assert!(o.success().stdout.contains("Deleted: sha256:"), "{o}");
    assert_eq!(d.wharf(&["images", "-q"]).success().out(), "");
    // -f removes it even though a stopped container still refers to it
    d.import_busybox();
    d.wharf(&["run", "--name", "user2", "busybox", "true"])
        .success();
    d.wharf(&["rmi", "-f", "busybox"]).success();
    assert_eq!(d.api("GET", "/images/busybox/json", None).0, 404);
}

#[test]
fn history_lists_the_layers() {
    let d = Daemon::start();
    let o = d.wharf(&["history", "busybox"]);
    let lines = o.success().lines();
    for c in ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"] {
        assert!(lines[0].contains(c), "{o}");
    }
    assert!(lines.len() >= 2, "{o}");
    let (st, v) = d.api("GET", "/images/busybox/history", None);
    assert_eq!(st, 200);
    assert!(v.as_array().map(|a| !a.is_empty()).unwrap_or(false), "{v}");
    assert!(
        v[0]["Size"].as_u64().unwrap_or(0) > 1_000_000,
        "the layer's size: {v}"
    );
}

fn save_load_round_trip(cli: Cli) {
    let d = Daemon::start();
    let id = image_id(&d, "busybox");
    let out = d.tmp().join("saved.tar");
    let out_s = out.to_str().unwrap();
    d.cli(cli, &["save", "-o", out_s, "busybox:latest"])
        .success();
    // the archive docker save writes: manifest.json with RepoTags, plus OCI index.json
    let mut tar = Command::new("tar");
    tar.arg("-xOf").arg(&out).arg("manifest.json");
    let manifest = run_cmd(tar, None, T);
    let m: common::Value = serde_json::from_str(manifest.success().out()).expect("manifest.json");
    assert_eq!(m[0]["RepoTags"][0], "busybox:latest", "{m}");
    // save > file (stdout) gives a loadable archive too
    let piped = d.tmp().join("piped.tar");
    d.sh(cli, &format!("save busybox > {}", piped.display()))
        .success();
    assert!(std::fs::metadata(&piped).unwrap().len() > 1_000_000);

    d.cli(cli, &["rmi", "busybox"]).success();
    assert_eq!(d.api("GET", "/images/busybox/json", None).0, 404);
    let o = d.cli(cli, &["load", "-i", out_s]);
    assert!(
        o.success().stdout.contains("Loaded image: busybox:latest"),
        "{o}"
    );
    assert_eq!(
        image_id(&d, "busybox"),
        id,
        "the id survives the round trip"
    );
    assert_eq!(
        d.cli(cli, &["run", "--rm", "busybox", "cat", "/etc/wharf-base"])
            .success()
            .code,
        0
    );

    d.cli(cli, &["rmi", "busybox"]).success();
    let bytes = std::fs::read(&piped).unwrap();
    let o = match cli {
        Cli::Wharf => d.wharf_stdin(&["load"], &bytes),
        Cli::Docker => d.docker_stdin(&["load"], &bytes),
    };
    assert!(
        o.success().stdout.contains("Loaded image: busybox:latest"),
        "{o}"
    );
    assert_eq!(image_id(&d, "busybox"), id);
}

cli_tests!(save_load_round_trip);

/// Writes an OCI image-layout archive of the busybox rootfs, by hand.
fn oci_archive(dir: &Path) -> std::path::PathBuf {
    let script = r#"
set -euo pipefail
cd "$1"; layer="$2"
mkdir -p oci/blobs/sha256
printf '{"imageLayoutVersion":"1.0.0"}' > oci/oci-layout
ld=$(sha256sum "$layer" | cut -d' ' -f1); ls=$(stat -c %s "$layer")
cp "$layer" oci/blobs/sha256/$ld
cfg=$(printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","OCI=yes"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"hand-made OCI layout"}]}' "$ld")
cd_=$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1); printf '%s' "$cfg" > oci/blobs/sha256/$cd_
man=$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cd_" "${#cfg}" "$ld" "$ls")
md=$(printf '%s' "$man" | sha256sum | cut -d' ' -f1); printf '%s' "$man" > oci/blobs/sha256/$md
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"docker.io/library/ocibox:1","org.opencontainers.image.ref.name":"1"}}]}' "$md" "${#man}" > oci/index.json
tar -C oci -cf oci.tar oci-layout index.json blobs
"#;
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(script)
        .arg("bash")
        .arg(dir)
        .arg(busybox_tar());
    run_cmd(c, None, T).success();
    dir.join("oci.tar")
}

#[test]
fn load_oci_layout_archive() {
    let d = Daemon::start_bare();
    let tar = oci_archive(d.tmp());
    let o = d.wharf(&["load", "-i", tar.to_str().unwrap()]);
    assert!(o.success().stdout.contains("ocibox:1"), "{o}");
    let o = d.wharf(&[
        "run",
        "--rm",
        "ocibox:1",
        "sh",
        "-c",
        "echo $OCI; cat /etc/wharf-base",
    ]);
    let lines = o.success().lines();
    assert_eq!(lines[0], "yes");
    assert!(lines[1].starts_with("BusyBox"));
}

/// Builds a tar with python's tarfile (GNU tar refuses to write some of these).
fn evil_tar(dir: &Path, name: &str, kind: &str, outside: &Path) -> std::path::PathBuf {
    let out = dir.join(format!("{name}.tar"));
    let script = r#"
import io, sys, tarfile
out, kind, outside = sys.argv[1], sys.argv[2], sys.argv[3]
with tarfile.open(out, "w") as t:
    def add(name, data=b"pwned\n", **kw):
        ti = tarfile.TarInfo(name); ti.size = len(data)
        for k, v in kw.items(): setattr(ti, k, v)
        t.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    add("ok.txt", b"fine\n")
    if kind == "dotdot":
        add("../../../../../../../.." + outside + "/dotdot")
    elif kind == "absolute":
        add(outside + "/absolute")
    elif kind == "symlink":
        add("link", b"", type=tarfile.SYMTYPE, linkname=outside)
        add("link/symlink")
    elif kind == "hardlink":
        add("hard", b"", type=tarfile.LNKTYPE, linkname="../../../../../../.." + outside + "/victim")
    elif kind == "symlink-chain":
        add("a", b"", type=tarfile.SYMTYPE, linkname="b/../..")
        add("b", b"", type=tarfile.DIRTYPE, mode=0o755)
        add("a/../../../../../../.." + outside + "/chain")
"#;
    let mut c = Command::new("python3");
    c.arg("-c").arg(script).arg(&out).arg(kind).arg(outside);
    run_cmd(c, None, T).success();
    out
}

#[test]
fn tar_escapes_are_refused() {
    let d = Daemon::start_bare();
    let outside = d.tmp().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim"), "original\n").unwrap();
    for kind in ["dotdot", "absolute", "symlink", "hardlink", "symlink-chain"] {
        let tar = evil_tar(d.tmp(), kind, kind, &outside);
        let o = d.wharf(&["import", tar.to_str().unwrap(), &format!("evil-{kind}:1")]);
        // Docker refuses these; an importer that silently drops the entry must
        // at least never write outside its root.
        let written: Vec<_> = std::fs::read_dir(&outside)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            written.len(),
            1,
            "{kind}: wrote outside the root: {written:?}\n{o}"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("victim")).unwrap(),
            "original\n",
            "{kind}"
        );
        assert_ne!(
            o.code, 0,
            "{kind}: import of an escaping tar succeeded: {o}"
        );
        assert!(!o.stderr.trim().is_empty(), "{kind}: no error message");
        assert_eq!(
            d.api("GET", &format!("/images/evil-{kind}:1/json"), None).0,
            404,
            "{kind}"
        );
    }
    // also through load: a docker-save archive whose layer escapes
    assert_eq!(d.wharf(&["images", "-q"]).success().out(), "");
}

#[test]
fn import_of_garbage_is_a_clear_error() {
    let d = Daemon::start_bare();
    let junk = common::write_file(d.tmp(), "junk.tar", "definitely not a tar archive\n");
    let o = d.wharf(&["import", &junk, "junk:1"]);
    assert_ne!(o.code, 0, "{o}");
    assert!(!o.stderr.trim().is_empty());
    let o = d.wharf(&["load", "-i", &junk]);
    assert_ne!(o.code, 0, "{o}");
    assert_eq!(d.wharf(&["images", "-q"]).success().out(), "");
}
