use super::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// Appends an entry with a raw (unchecked) name, as an attacker would.
pub(crate) fn raw_entry(
    b: &mut tar::Builder<Vec<u8>>,
    name: &str,
    kind: EntryType,
    link: &str,
    data: &[u8],
) {
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    if !link.is_empty() {
        h.as_gnu_mut().unwrap().linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(data.len() as u64);
    h.set_cksum();
    b.append(&h, data).unwrap();
}

fn tar_of(entries: &[(&str, EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        raw_entry(&mut b, name, *kind, link, data);
    }
    b.into_inner().unwrap()
}

#[test]
fn round_trip_keeps_files_owners_modes_links() {
    let src = tempfile::tempdir().unwrap();
    let s = src.path();
    fs::create_dir(s.join("dir")).unwrap();
    fs::write(s.join("dir/file"), b"hello").unwrap();
    fs::set_permissions(s.join("dir/file"), fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::lchown(s.join("dir/file"), Some(1000), Some(1001)).unwrap();
    fs::hard_link(s.join("dir/file"), s.join("hard")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", s.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("dir/file", s.join("rel-link")).unwrap();
    fsutil::make_special(&s.join("fifo"), Special::Fifo, 0o600).unwrap();
    fs::set_permissions(s, fs::Permissions::from_mode(0o750)).unwrap();
    fsutil::set_mtime(&s.join("dir/file"), 1_000_000, 0).unwrap();
    fsutil::set_mtime(&s.join("dir"), 2_000_000, 0).unwrap();
    let has_xattrs = xattr::set(s.join("dir/file"), "user.wharf", b"v").is_ok();

    let mut buf = Vec::new();
    pack_dir(s, &mut buf).unwrap();

    let dst = tempfile::tempdir().unwrap();
    let d = dst.path();
    unpack_into(&buf[..], d).unwrap();
    assert_eq!(fs::read(d.join("dir/file")).unwrap(), b"hello");
    let m = fs::metadata(d.join("dir/file")).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (1000, 1001, 0o640));
    assert_eq!(m.mtime(), 1_000_000);
    assert_eq!(fs::metadata(d.join("dir")).unwrap().mtime(), 2_000_000);
    assert_eq!(fs::read(d.join("hard")).unwrap(), b"hello");
    assert_eq!(
        fs::read_link(d.join("abs-link")).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(
        fs::read_link(d.join("rel-link")).unwrap(),
        Path::new("dir/file")
    );
    assert!(fs::symlink_metadata(d.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    assert_eq!(fs::metadata(d).unwrap().mode() & 0o7777, 0o750);
    if has_xattrs {
        assert_eq!(
            xattr::get(d.join("dir/file"), "user.wharf").unwrap(),
            Some(b"v".to_vec())
        );
    }
}

#[test]
fn accepts_plain_and_dot_slash_names() {
    let t = tar_of(&[
        ("./", EntryType::Directory, "", b""),
        ("./a/", EntryType::Directory, "", b""),
        ("./a/x", EntryType::Regular, "", b"1"),
        ("b/y", EntryType::Regular, "", b"2"),
        ("b/y", EntryType::Regular, "", b"3"),
    ]);
    let d = tempfile::tempdir().unwrap();
    unpack_into(&t[..], d.path()).unwrap();
    assert_eq!(fs::read(d.path().join("a/x")).unwrap(), b"1");
    assert_eq!(
        fs::read(d.path().join("b/y")).unwrap(),
        b"3",
        "later entry wins"
    );
}

fn refused(entries: &[(&str, EntryType, &str, &[u8])]) -> (ArchiveError, tempfile::TempDir) {
    let outer = tempfile::tempdir().unwrap();
    let dest = outer.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let e = unpack_into(&tar_of(entries)[..], &dest).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    (e, outer)
}

#[test]
fn refuses_dotdot() {
    let (e, outer) = refused(&[("a/../../evil", EntryType::Regular, "", b"x")]);
    assert!(e.to_string().contains("outside"), "{e}");
    assert!(!outer.path().join("evil").exists());
}

#[test]
fn refuses_absolute() {
    let (e, _o) = refused(&[("/tmp/wharf-evil", EntryType::Regular, "", b"x")]);
    assert!(e.to_string().contains("absolute"), "{e}");
    assert!(!Path::new("/tmp/wharf-evil").exists());
}

/// Docker's behaviour: the symlink is kept, and what is written through it
/// is resolved inside the destination (`..` stops at its top).
#[test]
fn write_through_symlink_stays_inside() {
    let outer = tempfile::tempdir().unwrap();
    let dest = outer.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let t = tar_of(&[
        ("link", EntryType::Symlink, "..", b""),
        ("link/evil", EntryType::Regular, "", b"x"),
    ]);
    unpack_into(&t[..], &dest).unwrap();
    assert!(!outer.path().join("evil").exists());
    assert_eq!(fs::read(dest.join("evil")).unwrap(), b"x");
    assert_eq!(fs::read_link(dest.join("link")).unwrap(), Path::new(".."));
}

#[test]
fn symlink_as_final_component_is_replaced_not_followed() {
    let outer = tempfile::tempdir().unwrap();
    let dest = outer.path().join("dest");
    fs::create_dir(&dest).unwrap();
    fs::write(outer.path().join("victim"), b"safe").unwrap();
    // An absolute target is kept (it means the container's root), and a
    // later file of the same name replaces the link instead of following it.
    let victim = outer.path().join("victim");
    let victim = victim.to_str().unwrap();
    let t = tar_of(&[
        ("f", EntryType::Symlink, victim, b""),
        ("f", EntryType::Regular, "", b"pwned"),
    ]);
    unpack_into(&t[..], &dest).unwrap();
    assert_eq!(fs::read(outer.path().join("victim")).unwrap(), b"safe");
    assert_eq!(fs::read(dest.join("f")).unwrap(), b"pwned");
}

#[test]
fn refuses_hardlink_escapes() {
    let (e, _o) = refused(&[("h", EntryType::Link, "../../etc/passwd", b"")]);
    assert!(e.to_string().contains("outside"), "{e}");
    let (e, _o) = refused(&[("h", EntryType::Link, "/etc/passwd", b"")]);
    assert!(e.to_string().contains("outside"), "{e}");
    let (e, _o) = refused(&[
        ("s", EntryType::Symlink, "/etc", b""),
        ("h", EntryType::Link, "s/passwd", b""),
    ]);
    assert!(e.to_string().contains("does not exist"), "{e}");
    let (e, _o) = refused(&[("h", EntryType::Link, "missing", b"")]);
    assert!(e.to_string().contains("does not exist"), "{e}");
}

#[test]
fn refuses_garbage_stream() {
    let d = tempfile::tempdir().unwrap();
    let junk = vec![7u8; 1024];
    let e = unpack_into(&junk[..], d.path()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}
