use super::*;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn setup(tag: &str) -> (TempDir, Root) {
    let base = std::env::temp_dir().join(format!("wharf-inroot-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd"), b"inside").unwrap();
    std::fs::write(base.join("outside"), b"host").unwrap();
    symlink("/etc", root.join("abs")).unwrap();
    symlink("../../../../../etc", root.join("up")).unwrap();
    symlink("../outside", root.join("out")).unwrap();
    symlink("loop", root.join("loop")).unwrap();
    symlink("/", root.join("slash")).unwrap();
    let r = Root::open(&root).unwrap();
    (TempDir(base), r)
}

fn read(fd: OwnedFd) -> String {
    let mut s = String::new();
    File::from(fd).read_to_string(&mut s).unwrap();
    s
}

#[test]
fn symlinks_resolve_inside_the_root() {
    let (_t, r) = setup("resolve");
    for p in [
        "abs/passwd",
        "up/passwd",
        "/slash/etc/passwd",
        "../../etc/passwd",
        "slash/../../etc/passwd",
    ] {
        let fd = r.open_path(Path::new(p), OFlag::O_RDONLY, true).unwrap();
        assert_eq!(read(fd), "inside", "{p}");
        let comps = clean(Path::new(p));
        let (fd, logical) = r.walk(&comps, OFlag::O_RDONLY, true).unwrap();
        assert_eq!(read(fd), "inside", "walk {p}");
        assert_eq!(
            logical,
            vec![OsString::from("etc"), OsString::from("passwd")]
        );
    }
    // `../outside` from the root stays in the root, where there is no such file.
    let e = r
        .open_path(Path::new("out"), OFlag::O_RDONLY, true)
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    let e = r
        .walk(&clean(Path::new("out")), OFlag::O_RDONLY, true)
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT));
    let e = r
        .walk(&clean(Path::new("loop")), OFlag::O_RDONLY, true)
        .unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
    assert_eq!(
        r.resolve(Path::new("up/passwd"), true).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(
        r.resolve(Path::new("/abs"), false).unwrap(),
        Path::new("/abs")
    );
    assert_eq!(
        r.resolve(Path::new("/abs"), true).unwrap(),
        Path::new("/etc")
    );
}

#[test]
fn last_symlink_is_not_followed_on_request() {
    let (_t, r) = setup("nofollow");
    let fd = r.open_path(Path::new("abs"), OFlag::O_PATH, false).unwrap();
    assert_eq!(
        stat_fd(fd.as_fd()).unwrap().st_mode & libc::S_IFMT,
        libc::S_IFLNK
    );
    let (fd, _) = r
        .walk(&clean(Path::new("abs")), OFlag::O_PATH, false)
        .unwrap();
    assert_eq!(
        stat_fd(fd.as_fd()).unwrap().st_mode & libc::S_IFMT,
        libc::S_IFLNK
    );
}

#[test]
fn parent_and_create_never_leave_the_root() {
    let (t, r) = setup("create");
    let (dir, name) = r.open_parent(Path::new("/up/newfile")).unwrap();
    let mut f = create_file_at(dir.as_fd(), name.as_deref().unwrap(), 0o644).unwrap();
    f.write_all(b"x").unwrap();
    assert!(t.0.join("root/etc/newfile").exists());
    // A symlink as the last name is never written through.
    let (dir, name) = r.open_parent(Path::new("out")).unwrap();
    assert!(create_file_at(dir.as_fd(), name.as_deref().unwrap(), 0o644).is_err());
    assert_eq!(std::fs::read(t.0.join("outside")).unwrap(), b"host");
    // mkdir_all through an absolute symlink creates inside the root.
    let d = r.mkdir_all(Path::new("slash/new/deep")).unwrap();
    assert!(t.0.join("root/new/deep").is_dir());
    mkdir_at(d.as_fd(), OsStr::new("x"), 0o700).unwrap();
    chown_at(d.as_fd(), OsStr::new("x"), 1, 2).unwrap();
    chmod_at(d.as_fd(), OsStr::new("x"), 0o751).unwrap();
    let st = lstat_at(d.as_fd(), OsStr::new("x")).unwrap().unwrap();
    assert_eq!((st.st_uid, st.st_gid, st.st_mode & 0o7777), (1, 2, 0o751));
    remove_all_at(r.fd(), OsStr::new("new")).unwrap();
    assert!(!t.0.join("root/new").exists());
    // Removing a symlink removes the link, not its target.
    remove_all_at(r.fd(), OsStr::new("slash")).unwrap();
    assert!(t.0.join("root/etc/passwd").exists());
    let (_, name) = r.open_parent(Path::new("/")).unwrap();
    assert!(name.is_none());
}

#[test]
fn xattrs_round_trip() {
    let (_t, r) = setup("xattr");
    let dir = r
        .open_path(Path::new("etc"), OFlag::O_RDONLY | OFlag::O_DIRECTORY, true)
        .unwrap();
    if set_xattr_at(
        dir.as_fd(),
        OsStr::new("passwd"),
        OsStr::new("user.wharf"),
        b"v",
    )
    .is_err()
    {
        eprintln!("skipped: no user xattrs on this filesystem");
        return;
    }
    let list = xattrs_at(dir.as_fd(), OsStr::new("passwd")).unwrap();
    assert!(
        list.contains(&(OsString::from("user.wharf"), b"v".to_vec())),
        "{list:?}"
    );
}
