//! Tests of the safe unpacker; they run as root (ownership, devices).

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use super::*;
use crate::testing::{dir, file, link, tar_of, Raw};
use wharf_sys::inroot::Root;

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Everything under `dir`, for "nothing left behind" checks.
fn listing(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

fn refused(entries: &[Raw<'_>], needle: &str) {
    let tmp = scratch();
    let dest = tmp.path().join("root");
    let err = unpack_tar(&tar_of(entries)[..], &dest).unwrap_err();
    assert!(matches!(err, UnpackError::Unsafe { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains(needle), "{err}");
    assert!(
        listing(tmp.path()).is_empty(),
        "left behind: {:?}",
        listing(tmp.path())
    );
}

#[test]
fn keeps_content_owner_mode_and_mtime() {
    let tmp = scratch();
    let dest = tmp.path().join("root");
    let entries = [
        dir("etc/"),
        Raw {
            uid: 1234,
            gid: 5678,
            mode: 0o4750,
            ..file("etc/app.conf", b"hello")
        },
        file("abs/file", b"x"),
        link("etc/l", EntryType::Symlink, "/etc/app.conf"),
        link("etc/rel", EntryType::Symlink, "../abs/file"),
        link("etc/hard", EntryType::Link, "etc/app.conf"),
        Raw {
            kind: EntryType::Fifo,
            ..file("fifo", b"")
        },
    ];
    let stats = unpack_tar(&tar_of(&entries)[..], &dest).unwrap();
    assert_eq!(stats.size, 6);
    assert_eq!(stats.entries, 7);
    let m = fs::metadata(dest.join("etc/app.conf")).unwrap();
    assert_eq!((m.uid(), m.gid()), (1234, 5678));
    assert_eq!(m.mode() & 0o7777, 0o4750);
    assert_eq!(m.mtime(), 1_600_000_000);
    assert_eq!(m.nlink(), 2);
    assert_eq!(fs::read(dest.join("abs/file")).unwrap(), b"x");
    assert_eq!(
        fs::read_link(dest.join("etc/l")).unwrap(),
        Path::new("/etc/app.conf")
    );
    assert!(fs::symlink_metadata(dest.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(
        fs::metadata(dest.join("etc")).unwrap().mtime(),
        1_600_000_000
    );
    // Only the destination remains: the temporary directory was renamed.
    assert_eq!(listing(tmp.path()), vec!["root"]);
}

#[test]
fn refuses_dotdot() {
    refused(&[file("ok", b"1"), file("../x", b"evil")], "outside");
    refused(&[file("a/../../x", b"evil")], "outside");
}

#[test]
fn refuses_absolute_names() {
    refused(&[file("/../../etc/evil", b"evil")], "absolute");
    refused(&[file("ok", b"1"), file("/etc/evil", b"evil")], "absolute");
}

/// Docker's behaviour: a symlink is stored as it is, whatever it points
/// at; what is written through it lands inside the root.
#[test]
fn symlinks_are_stored_and_writes_through_them_stay_inside() {
    let tmp = scratch();
    let outside = tmp.path().join("etc");
    fs::create_dir(&outside).unwrap();
    let dest = tmp.path().join("root");
    let entries = [
        link("lib/up", EntryType::Symlink, "../../../../../../etc"),
        dir("etc/"),
        link("a", EntryType::Symlink, "/etc"),
        file("a/passwd", b"inside"),
        file("lib/up/group", b"inside too"),
        link("hl", EntryType::Link, "a/passwd"),
    ];
    unpack_tar(&tar_of(&entries)[..], &dest).unwrap();
    assert_eq!(
        fs::read_link(dest.join("lib/up")).unwrap(),
        Path::new("../../../../../../etc")
    );
    assert_eq!(fs::read(dest.join("etc/passwd")).unwrap(), b"inside");
    assert_eq!(fs::read(dest.join("etc/group")).unwrap(), b"inside too");
    assert_eq!(fs::read(dest.join("hl")).unwrap(), b"inside");
    assert!(
        listing(&outside).is_empty(),
        "wrote outside: {:?}",
        listing(&outside)
    );
    // A file under a parent that is a regular file is refused.
    refused(&[file("f", b"1"), file("f/x", b"2")], "not a directory");
}

#[test]
fn refuses_hard_link_escape() {
    refused(
        &[link("passwd", EntryType::Link, "../../etc/passwd")],
        "outside",
    );
    // An absolute hard-link target names a host path: refused.
    refused(&[link("passwd", EntryType::Link, "/etc/passwd")], "outside");
    // Through a symlinked parent the target is looked up inside the root,
    // where the archive put no such file.
    refused(
        &[
            link("a", EntryType::Symlink, "/etc"),
            link("passwd", EntryType::Link, "a/passwd"),
        ],
        "does not exist",
    );
}

#[test]
fn keeps_xattrs_from_pax_records() {
    let tmp = scratch();
    let dest = tmp.path().join("root");
    // cap_net_raw=ep, as iputils' ping ships.
    let cap: &[u8] = &[
        1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let tar = crate::testing::pax_file_tar(
        "bin/ping",
        b"elf",
        &[
            ("SCHILY.xattr.security.capability", cap),
            ("SCHILY.xattr.user.note", b"hi"),
        ],
    );
    unpack_tar(&tar[..], &dest).unwrap();
    assert_eq!(
        xattr::get(dest.join("bin/ping"), "security.capability").unwrap(),
        Some(cap.to_vec())
    );
}

#[test]
fn sparse_entries_keep_holes_and_archives_are_bounded() {
    let tmp = scratch();
    let dest = tmp.path().join("root");
    let real = 512 << 20;
    let tar = crate::testing::sparse_tar("big", real, &[(0, &[b'h'; 512]), (real - 4, b"tail")]);
    assert!(tar.len() < 10_000);
    unpack_tar(&tar[..], &dest).unwrap();
    let m = fs::metadata(dest.join("big")).unwrap();
    assert_eq!(m.len(), real);
    assert!(
        m.blocks() * 512 < 1 << 20,
        "allocated {} bytes",
        m.blocks() * 512
    );
    let data = fs::read(dest.join("big")).unwrap();
    assert_eq!(&data[..4], b"hhhh");
    assert_eq!(&data[data.len() - 4..], b"tail");

    let opts = UnpackOptions {
        max_alloc: Some(3),
        ..Default::default()
    };
    let other = tmp.path().join("other");
    let err = unpack_tar_with(&tar_of(&[file("f", b"1234")])[..], &other, opts).unwrap_err();
    assert!(err.to_string().contains("limit for one archive"), "{err}");
    assert!(err.to_string().contains("no space left on device"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(!other.exists());
}

#[test]
fn in_root_unpack_honours_no_overwrite_and_chown() {
    let tmp = scratch();
    let root_dir = tmp.path().join("root");
    fs::create_dir_all(root_dir.join("dst/sub")).unwrap();
    fs::write(root_dir.join("dst/file"), b"old").unwrap();
    std::os::unix::fs::symlink("/", root_dir.join("dst/slash")).unwrap();
    let root = Root::open(&root_dir).unwrap();
    let opts = UnpackOptions {
        no_overwrite_dir_non_dir: true,
        chown: Some((123, 456)),
        ..Default::default()
    };
    let err = unpack_in_root(
        &tar_of(&[file("sub", b"x")])[..],
        &root,
        Path::new("/dst"),
        opts,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("cannot overwrite directory"),
        "{err}"
    );
    let err =
        unpack_in_root(&tar_of(&[dir("file/")])[..], &root, Path::new("/dst"), opts).unwrap_err();
    assert!(
        err.to_string().contains("cannot overwrite non-directory"),
        "{err}"
    );
    unpack_in_root(
        &tar_of(&[file("file", b"new"), file("slash/top", b"t")])[..],
        &root,
        Path::new("/dst"),
        opts,
    )
    .unwrap();
    let m = fs::metadata(root_dir.join("dst/file")).unwrap();
    assert_eq!((m.uid(), m.gid()), (123, 456));
    assert_eq!(fs::read(root_dir.join("top")).unwrap(), b"t");
}

#[test]
fn replaces_symlink_instead_of_following_it() {
    let tmp = scratch();
    let outside = tmp.path().join("outside");
    fs::write(&outside, b"keep").unwrap();
    let dest = tmp.path().join("root");
    let target = outside.display().to_string();
    let entries = [link("f", EntryType::Symlink, &target), file("f", b"new")];
    unpack_tar(&tar_of(&entries)[..], &dest).unwrap();
    assert_eq!(fs::read(&outside).unwrap(), b"keep");
    assert_eq!(fs::read(dest.join("f")).unwrap(), b"new");
}

#[test]
fn converts_whiteouts_for_overlay() {
    let tmp = scratch();
    let dest = tmp.path().join("layer");
    let entries = [
        dir("d/"),
        file("d/.wh..wh..opq", b""),
        file("d/.wh.gone", b""),
        file(".wh..wh.plnk", b""),
    ];
    let opts = UnpackOptions {
        overlay_whiteouts: true,
        ..Default::default()
    };
    unpack_tar_with(&tar_of(&entries)[..], &dest, opts).unwrap();
    let m = fs::symlink_metadata(dest.join("d/gone")).unwrap();
    assert!(m.file_type().is_char_device());
    assert_eq!(m.rdev(), 0);
    assert_eq!(
        xattr::get(dest.join("d"), "trusted.overlay.opaque").unwrap(),
        Some(b"y".to_vec())
    );
    assert_eq!(listing(&dest), vec!["d"]);
}

#[test]
fn refuses_non_empty_destination_and_bad_streams() {
    let tmp = scratch();
    let dest = tmp.path().join("root");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("x"), b"").unwrap();
    let err = unpack_tar(&tar_of(&[file("a", b"")])[..], &dest).unwrap_err();
    assert!(matches!(err, UnpackError::DestinationExists(_)));
    let other = tmp.path().join("other");
    let mut bad = tar_of(&[file("a", b"12345")]);
    bad.truncate(600);
    let err = unpack_tar(&bad[..], &other).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(listing(tmp.path()), vec!["root"]);
}
