//! Paths resolved inside a root directory, the way the kernel resolves
//! them for a process chrooted there: `..` stops at the root, an absolute
//! symlink target starts again at the root, and nothing ever leads out.
//!
//! Everything here hands back file descriptors, never path strings to
//! reopen, so a symlink swapped in between two steps (CVE-2018-15664) can
//! redirect nothing: the walk is `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)`, or where the kernel lacks `openat2` (ENOSYS) a
//! component-by-component walk with `O_NOFOLLOW` that reads each symlink
//! and resolves its target inside the root itself.
//!
//! The `*_at` helpers act on one name inside an already-resolved parent
//! directory fd and never follow that last name.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::fcntl::{openat, readlinkat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, mkdirat, mknodat, FileStat, Mode, SFlag};
use nix::unistd::{fchownat, linkat, symlinkat, unlinkat, Gid, Uid, UnlinkatFlags};

/// Symlinks one resolution may follow before ELOOP, as the kernel's limit.
const MAX_SYMLINKS: u32 = 40;

/// Set once `openat2` answered ENOSYS; later walks go straight to the fallback.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

fn errno(e: nix::Error) -> io::Error {
    io::Error::from(e)
}

fn ctx(e: io::Error, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}

/// A directory every path is resolved inside of.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
}

/// Splits `path` lexically into the components below the root, as Go's
/// `filepath.Clean` of `"/" + path` would: `.` drops, `..` pops (and stops
/// at the root). Symlinks are *not* looked at here; they are resolved in
/// the root by the walk.
pub fn clean(path: &Path) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

impl Root {
    /// Opens a trusted host directory (the caller's own path, e.g. a
    /// container's rootfs mount or `/proc/<pid>/root`) as a root.
    pub fn open(path: &Path) -> io::Result<Root> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| ctx(errno(e), format!("open root {}", path.display())))?;
        // SAFETY: `open` just returned this descriptor and nothing else owns it.
        Ok(Root {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Uses an already-open directory fd as the root.
    pub fn from_fd(fd: OwnedFd) -> Root {
        Root { fd }
    }

    /// The root's own fd.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Opens `path` (absolute or relative, both mean "from the root")
    /// resolved inside the root with `flags` (O_CLOEXEC is added). With
    /// `follow` false a symlink as the last component is not followed
    /// (with `O_PATH` it is opened itself; otherwise ELOOP).
    pub fn open_path(&self, path: &Path, flags: OFlag, follow: bool) -> io::Result<OwnedFd> {
        let comps = clean(path);
        let rel: PathBuf = if comps.is_empty() {
            PathBuf::from(".")
        } else {
            comps.iter().collect()
        };
        let mut flags = flags | OFlag::O_CLOEXEC;
        if !follow {
            flags |= OFlag::O_NOFOLLOW;
        }
        if !NO_OPENAT2.load(Ordering::Relaxed) {
            match openat2_in_root(self.fd.as_raw_fd(), &rel, flags) {
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                    NO_OPENAT2.store(true, Ordering::Relaxed);
                }
                // EAGAIN: a rename raced the walk; the kernel asks to retry.
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                    return self.walk(&comps, flags, follow).map(|(fd, _)| fd);
                }
                other => return other,
            }
        }
        self.walk(&comps, flags, follow).map(|(fd, _)| fd)
    }

    /// Resolves `path` in the root and returns the path it leads to,
    /// symlinks followed (the last one too when `follow`), as seen from
    /// inside the root (`/etc/passwd`). For display (Docker's `linkTarget`);
    /// never reopen it.
    pub fn resolve(&self, path: &Path, follow: bool) -> io::Result<PathBuf> {
        let comps = clean(path);
        let (_, logical) = self.walk(&comps, OFlag::O_PATH | OFlag::O_CLOEXEC, follow)?;
        let mut p = PathBuf::from("/");
        p.extend(logical);
        Ok(p)
    }

    /// Opens the directory that holds `path`'s last component (resolved in
    /// the root, symlinks on the way followed inside it) and returns it with
    /// that last name. `None` as the name means `path` is the root itself.
    pub fn open_parent(&self, path: &Path) -> io::Result<(OwnedFd, Option<OsString>)> {
        let mut comps = clean(path);
        let last = comps.pop();
        let rel: PathBuf = comps.iter().collect();
        let dir = self.open_path(&rel, OFlag::O_RDONLY | OFlag::O_DIRECTORY, true)?;
        Ok((dir, last))
    }

    /// Opens directory `path` inside the root, creating each missing
    /// component (0755, owned by the caller) in the directory resolved so
    /// far. A symlink on the way is followed inside the root; a
    /// non-directory on the way is ENOTDIR.
    pub fn mkdir_all(&self, path: &Path) -> io::Result<OwnedFd> {
        let comps = clean(path);
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY;
        // Fast path: the whole directory exists.
        match self.open_path(path, flags, true) {
            Ok(fd) => return Ok(fd),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let mut dir = self.open_path(Path::new("."), flags, true)?;
        for i in 0..comps.len() {
            let prefix: PathBuf = comps[..=i].iter().collect();
            match self.open_path(&prefix, flags, true) {
                Ok(fd) => dir = fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {
                    // The last step may be a dangling symlink: then ENOENT
                    // again, and we refuse rather than create its target.
                    match mkdirat(
                        Some(dir.as_raw_fd()),
                        comps[i].as_os_str(),
                        Mode::from_bits_truncate(0o755),
                    ) {
                        Ok(()) => {}
                        Err(nix::Error::EEXIST) => {}
                        Err(e) => {
                            return Err(ctx(
                                errno(e),
                                format!("create directory {}", prefix.display()),
                            ))
                        }
                    }
                    dir = open_dir_at(dir.as_fd(), &comps[i])?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(dir)
    }

    /// The userspace walk: one component at a time with `O_NOFOLLOW`,
    /// symlinks read with `readlinkat` and resolved in the root. Returns
    /// the opened fd and the logical components it stands for.
    fn walk(
        &self,
        comps: &[OsString],
        flags: OFlag,
        follow: bool,
    ) -> io::Result<(OwnedFd, Vec<OsString>)> {
        // Directories from the root down to the current one, for `..`.
        let mut stack: Vec<OwnedFd> = Vec::new();
        let mut logical: Vec<OsString> = Vec::new();
        let mut todo: std::collections::VecDeque<OsString> = comps.iter().cloned().collect();
        let mut links = 0;
        let cur = |stack: &Vec<OwnedFd>| -> RawFd {
            stack.last().map_or(self.fd.as_raw_fd(), |f| f.as_raw_fd())
        };
        while let Some(name) = todo.pop_front() {
            if name == ".." {
                stack.pop();
                logical.pop();
                continue;
            }
            if name == "." || name.is_empty() {
                continue;
            }
            let is_last = todo.is_empty();
            let step = openat(
                Some(cur(&stack)),
                name.as_os_str(),
                OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(errno)?;
            // SAFETY: `openat` just returned this descriptor; we own it.
            let step = unsafe { OwnedFd::from_raw_fd(step) };
            let st = fstat(step.as_raw_fd()).map_err(errno)?;
            let kind = st.st_mode & libc::S_IFMT;
            if kind == libc::S_IFLNK && (!is_last || follow) {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = readlinkat(Some(cur(&stack)), name.as_os_str()).map_err(errno)?;
                let target = PathBuf::from(target);
                if target.is_absolute() {
                    stack.clear();
                    logical.clear();
                }
                for c in target.components().rev() {
                    match c {
                        Component::Normal(n) => todo.push_front(n.to_os_string()),
                        Component::ParentDir => todo.push_front("..".into()),
                        _ => {}
                    }
                }
                continue;
            }
            if !is_last && kind != libc::S_IFDIR {
                return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
            }
            stack.push(step);
            logical.push(name);
        }
        // Reopen the final object with the caller's flags, relative to its
        // parent and without following (symlinks were handled above).
        let fd = match logical.last() {
            None => reopen_dot(self.fd.as_raw_fd(), flags)?,
            Some(name) => {
                stack.pop();
                let parent = cur(&stack);
                // Symlinks were expanded above: a name that turned into one
                // since is not followed.
                let f = flags | OFlag::O_NOFOLLOW;
                let raw =
                    openat(Some(parent), name.as_os_str(), f, Mode::empty()).map_err(errno)?;
                // SAFETY: `openat` just returned this descriptor; we own it.
                unsafe { OwnedFd::from_raw_fd(raw) }
            }
        };
        Ok((fd, logical))
    }
}

fn reopen_dot(dir: RawFd, flags: OFlag) -> io::Result<OwnedFd> {
    let raw = openat(Some(dir), ".", flags, Mode::empty()).map_err(errno)?;
    // SAFETY: `openat` just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn openat2_in_root(dir: RawFd, rel: &Path, flags: OFlag) -> io::Result<OwnedFd> {
    let c = CString::new(rel.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: open_how is a plain C struct of integers; all zeros is valid.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = flags.bits() as u64;
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: `c` is a valid NUL-terminated string and `how` a valid
    // open_how that both outlive the call; the kernel reads only
    // `size_of::<open_how>()` bytes of it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir,
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a non-negative return of openat2 is a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as RawFd) })
}

/// Opens directory `name` inside `dir` for reading, never following a symlink.
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    let raw = openat(
        Some(dir.as_raw_fd()),
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)?;
    // SAFETY: `openat` just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Opens `name` inside `dir` with `flags`, never following a symlink.
pub fn open_at(dir: BorrowedFd<'_>, name: &OsStr, flags: OFlag) -> io::Result<OwnedFd> {
    let raw = openat(
        Some(dir.as_raw_fd()),
        name,
        flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)?;
    // SAFETY: `openat` just returned this descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// `lstat` of `name` inside `dir` (None when it does not exist).
pub fn lstat_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<FileStat>> {
    match fstatat(Some(dir.as_raw_fd()), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(st)),
        Err(nix::Error::ENOENT) => Ok(None),
        Err(e) => Err(errno(e)),
    }
}

/// `fstat` of an open fd.
pub fn stat_fd(fd: BorrowedFd<'_>) -> io::Result<FileStat> {
    fstat(fd.as_raw_fd()).map_err(errno)
}

/// Creates regular file `name` in `dir` (it must not exist; a symlink
/// there is not followed), open for writing, with `mode`.
pub fn create_file_at(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> io::Result<File> {
    let raw = openat(
        Some(dir.as_raw_fd()),
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(mode),
    )
    .map_err(errno)?;
    // SAFETY: `openat` just returned this descriptor; we own it.
    Ok(unsafe { File::from_raw_fd(raw) })
}

/// Creates directory `name` in `dir`.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> io::Result<()> {
    mkdirat(Some(dir.as_raw_fd()), name, Mode::from_bits_truncate(mode)).map_err(errno)
}

/// Creates symlink `name` in `dir` pointing at `target` (stored as given).
pub fn symlink_at(dir: BorrowedFd<'_>, name: &OsStr, target: &Path) -> io::Result<()> {
    symlinkat(target, Some(dir.as_raw_fd()), name).map_err(errno)
}

/// Creates a device node or fifo `name` in `dir`.
pub fn mknod_at(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    kind: SFlag,
    mode: u32,
    dev: u64,
) -> io::Result<()> {
    mknodat(
        Some(dir.as_raw_fd()),
        name,
        kind,
        Mode::from_bits_truncate(mode),
        dev,
    )
    .map_err(errno)
}

/// Hard-links `from_dir/from_name` (not following a symlink) as `dir/name`.
pub fn link_at(
    from_dir: BorrowedFd<'_>,
    from_name: &OsStr,
    dir: BorrowedFd<'_>,
    name: &OsStr,
) -> io::Result<()> {
    linkat(
        Some(from_dir.as_raw_fd()),
        from_name,
        Some(dir.as_raw_fd()),
        name,
        AtFlags::empty(),
    )
    .map_err(errno)
}

/// Sets the owner of `name` in `dir` (a symlink itself, not its target).
pub fn chown_at(dir: BorrowedFd<'_>, name: &OsStr, uid: u32, gid: u32) -> io::Result<()> {
    fchownat(
        Some(dir.as_raw_fd()),
        name,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(errno)
}

/// Sets the permission bits of `name` in `dir`; a symlink is left alone
/// (the object is pinned by an `O_PATH` fd first, so a swap cannot
/// redirect the change).
pub fn chmod_at(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> io::Result<()> {
    let obj = open_at(dir, name, OFlag::O_PATH)?;
    let st = stat_fd(obj.as_fd())?;
    if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
        return Ok(());
    }
    let proc = format!("/proc/self/fd/{}", obj.as_raw_fd());
    nix::sys::stat::fchmodat(
        None,
        proc.as_str(),
        Mode::from_bits_truncate(mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )
    .map_err(errno)
}

/// Sets the modification (and access) time of `name` in `dir`, not
/// following a symlink.
pub fn set_mtime_at(dir: BorrowedFd<'_>, name: &OsStr, secs: i64, nsecs: i64) -> io::Result<()> {
    let ts = nix::sys::time::TimeSpec::new(secs, nsecs);
    nix::sys::stat::utimensat(
        Some(dir.as_raw_fd()),
        name,
        &ts,
        &ts,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    )
    .map_err(errno)
}

/// The `/proc/self/fd/<dir>/<name>` path: the directory is reached through
/// its fd, only `name` is looked up. For the `l*xattr` calls, which never
/// follow the last component.
fn via_fd(dir: BorrowedFd<'_>, name: &OsStr) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    // "." is looked up in the directory itself, so the magic link is
    // followed (an `l*xattr` on the bare link would act on the link).
    if name.is_empty() {
        p.push(".");
    } else {
        p.push(name);
    }
    p
}

/// Sets extended attribute `key` on `name` in `dir` (a symlink itself).
pub fn set_xattr_at(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    key: &OsStr,
    value: &[u8],
) -> io::Result<()> {
    let p = via_fd(dir, name);
    let cp = CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let ck =
        CString::new(key.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: both strings are valid and NUL-terminated, `value` is a
    // valid slice of `value.len()` bytes; all outlive the call.
    let r = unsafe {
        libc::lsetxattr(
            cp.as_ptr(),
            ck.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Every extended attribute of `name` in `dir` (a symlink itself), sorted
/// by name. A filesystem without xattr support gives an empty list.
pub fn xattrs_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Vec<(OsString, Vec<u8>)>> {
    let p = via_fd(dir, name);
    let cp = CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut names = vec![0u8; 1024];
    let n = loop {
        // SAFETY: `cp` is valid and NUL-terminated; `names` is a writable
        // buffer of `names.len()` bytes.
        let r = unsafe { libc::llistxattr(cp.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
        if r >= 0 {
            break r as usize;
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ERANGE) if names.len() < 1 << 20 => names.resize(names.len() * 4, 0),
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(e),
        }
    };
    let mut out = Vec::new();
    for key in names[..n].split(|b| *b == 0).filter(|k| !k.is_empty()) {
        let ck = CString::new(key).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let mut value = vec![0u8; 256];
        loop {
            // SAFETY: both strings are valid and NUL-terminated; `value` is
            // a writable buffer of `value.len()` bytes.
            let r = unsafe {
                libc::lgetxattr(
                    cp.as_ptr(),
                    ck.as_ptr(),
                    value.as_mut_ptr().cast(),
                    value.len(),
                )
            };
            if r >= 0 {
                value.truncate(r as usize);
                out.push((OsStr::from_bytes(key).to_os_string(), value));
                break;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::ERANGE) if value.len() < 1 << 20 => value.resize(value.len() * 4, 0),
                // Removed in between: skip it.
                Some(libc::ENODATA) => break,
                _ => return Err(e),
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the target of symlink `name` in `dir`.
pub fn readlink_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<PathBuf> {
    readlinkat(Some(dir.as_raw_fd()), name)
        .map(PathBuf::from)
        .map_err(errno)
}

/// Removes `name` from `dir`, whatever it is (a directory with everything
/// under it), never following a symlink. Missing is fine.
pub fn remove_all_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
    let Some(st) = lstat_at(dir, name)? else {
        return Ok(());
    };
    if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
        return unlinkat(Some(dir.as_raw_fd()), name, UnlinkatFlags::NoRemoveDir).map_err(errno);
    }
    let sub = open_dir_at(dir, name)?;
    for child in list_dir(sub.as_fd())? {
        remove_all_at(sub.as_fd(), &child)?;
    }
    drop(sub);
    unlinkat(Some(dir.as_raw_fd()), name, UnlinkatFlags::RemoveDir).map_err(errno)
}

/// The names in directory `dir` (without `.` and `..`), sorted.
pub fn list_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<OsString>> {
    // A fresh open file description, so reading does not move `dir`'s offset.
    let fd = reopen_dot(
        dir.as_raw_fd(),
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
    )?;
    let mut d = nix::dir::Dir::from_fd(fd.as_raw_fd()).map_err(errno)?;
    // `Dir` now owns the descriptor and closes it.
    std::mem::forget(fd);
    let mut names = Vec::new();
    for e in d.iter() {
        let e = e.map_err(errno)?;
        let n = e.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_os_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Turns an fd into a `File` (for reading and writing content).
pub fn into_file(fd: OwnedFd) -> File {
    File::from(fd)
}

/// Whether this kernel has `openat2` (false once it answered ENOSYS).
pub fn has_openat2() -> bool {
    !NO_OPENAT2.load(Ordering::Relaxed)
}

#[cfg(test)]
#[path = "inroot_tests.rs"]
mod tests;
