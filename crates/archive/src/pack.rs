//! Packing a path inside a root as a tar, by file descriptors only (for
//! `docker cp` out of a container, running or not): every name is opened
//! relative to its already-open parent with `O_NOFOLLOW`, and metadata is
//! read from the opened object, so a symlink the container swaps in
//! meanwhile can make nothing outside the root be read (CVE-2018-15664).
//! Owners, modes, mtimes, symlinks, hard links within the archive,
//! devices, fifos and extended attributes (PAX `SCHILY.xattr.*`) are kept;
//! sockets are skipped.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use tar::{EntryType, Header};
use wharf_sys::inroot::{self, Root};

/// Writes `path` of `root` to `w` as a tar whose top entry is named `top`
/// (Docker names it after the requested path's last element). With
/// `follow`, a symlink as the last component is followed (inside the root);
/// otherwise the symlink itself is archived.
pub fn pack_in_root<W: Write>(
    root: &Root,
    path: &Path,
    follow: bool,
    top: &str,
    w: W,
) -> io::Result<W> {
    let mut p = Packer {
        b: tar::Builder::new(w),
        links: HashMap::new(),
    };
    // Following: the walk's result is reopened *in the root* again, so a
    // symlink swapped in meanwhile still cannot lead outside.
    let target = if follow {
        root.resolve(path, true)?
    } else {
        path.to_path_buf()
    };
    let (dir, name) = root.open_parent(&target)?;
    let name = name.unwrap_or_else(|| OsString::from("."));
    p.append(dir.as_fd(), &name, Path::new(top))?;
    p.b.into_inner()
}

struct Packer<W: Write> {
    b: tar::Builder<W>,
    /// (dev, ino) of multiply-linked files already archived, and their name.
    links: HashMap<(u64, u64), PathBuf>,
}

fn header_of(st: &nix::sys::stat::FileStat, kind: EntryType) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(st.st_mode & 0o7777);
    h.set_uid(st.st_uid.into());
    h.set_gid(st.st_gid.into());
    h.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
    h.set_size(0);
    h
}

impl<W: Write> Packer<W> {
    fn append(&mut self, dir: BorrowedFd<'_>, name: &OsStr, tar_name: &Path) -> io::Result<()> {
        let Some(st) = inroot::lstat_at(dir, name)? else {
            // Removed while we walked: skip it, as tar does.
            return Ok(());
        };
        let fmt = st.st_mode & nix::libc::S_IFMT;
        if fmt == nix::libc::S_IFSOCK {
            return Ok(());
        }
        self.append_xattrs(dir, name)?;
        match fmt {
            nix::libc::S_IFDIR => {
                let sub = inroot::open_dir_at(dir, name)?;
                // Metadata from the opened directory, not the name.
                let st = inroot::stat_fd(sub.as_fd())?;
                let mut h = header_of(&st, EntryType::Directory);
                self.b
                    .append_data(&mut h, dir_name(tar_name), io::empty())?;
                for child in inroot::list_dir(sub.as_fd())? {
                    self.append(sub.as_fd(), &child, &tar_name.join(&child))?;
                }
            }
            nix::libc::S_IFREG => {
                let fd = match inroot::open_at(dir, name, OFlag::O_RDONLY) {
                    Ok(fd) => fd,
                    Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => return Ok(()),
                    Err(e) => return Err(e),
                };
                let st = inroot::stat_fd(fd.as_fd())?;
                if st.st_mode & nix::libc::S_IFMT != nix::libc::S_IFREG {
                    return Ok(());
                }
                let key = (st.st_dev, st.st_ino);
                if st.st_nlink > 1 {
                    if let Some(first) = self.links.get(&key) {
                        let mut h = header_of(&st, EntryType::Link);
                        let first = first.clone();
                        return self.b.append_link(&mut h, tar_name, first);
                    }
                    self.links.insert(key, tar_name.to_path_buf());
                }
                let size = u64::try_from(st.st_size).unwrap_or(0);
                let mut h = header_of(&st, EntryType::Regular);
                h.set_size(size);
                // A file that shrinks meanwhile is padded: the header's size holds.
                let data = inroot::into_file(fd)
                    .take(size)
                    .chain(io::repeat(0))
                    .take(size);
                self.b.append_data(&mut h, tar_name, data)?;
            }
            nix::libc::S_IFLNK => {
                let target = inroot::readlink_at(dir, name)?;
                let mut h = header_of(&st, EntryType::Symlink);
                self.b.append_link(&mut h, tar_name, target)?;
            }
            nix::libc::S_IFIFO | nix::libc::S_IFCHR | nix::libc::S_IFBLK => {
                let kind = match fmt {
                    nix::libc::S_IFIFO => EntryType::Fifo,
                    nix::libc::S_IFCHR => EntryType::Char,
                    _ => EntryType::Block,
                };
                let mut h = header_of(&st, kind);
                if kind != EntryType::Fifo {
                    h.set_device_major(nix::sys::stat::major(st.st_rdev) as u32)?;
                    h.set_device_minor(nix::sys::stat::minor(st.st_rdev) as u32)?;
                }
                self.b.append_data(&mut h, tar_name, io::empty())?;
            }
            _ => {}
        }
        Ok(())
    }

    fn append_xattrs(&mut self, dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<()> {
        let Ok(list) = inroot::xattrs_at(dir, name) else {
            return Ok(());
        };
        let mut body = Vec::new();
        for (key, value) in list {
            let key = key.to_string_lossy();
            if key.starts_with("trusted.overlay.") || key == "security.selinux" {
                continue;
            }
            pax_record(&mut body, &format!("SCHILY.xattr.{key}"), &value);
        }
        if body.is_empty() {
            return Ok(());
        }
        let mut h = Header::new_ustar();
        h.set_path("PaxHeaders/xattrs")?;
        h.set_entry_type(EntryType::XHeader);
        h.set_mode(0o644);
        h.set_size(body.len() as u64);
        h.set_cksum();
        self.b.append(&h, &body[..])
    }
}

/// A directory's tar name ends with `/`, as Docker's do.
fn dir_name(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_os_string();
    if !s.to_string_lossy().ends_with('/') {
        s.push("/");
    }
    PathBuf::from(s)
}

/// Appends one PAX record, `"<len> <key>=<value>\n"`, whose length counts itself.
pub fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len.to_string().len() + rest != len {
        len += 1;
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn packs_by_fd_and_never_follows_out() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path().join("root");
        fs::create_dir_all(r.join("etc/sub")).unwrap();
        fs::write(r.join("etc/passwd"), b"inside").unwrap();
        fs::hard_link(r.join("etc/passwd"), r.join("etc/hl")).unwrap();
        fs::write(tmp.path().join("secret"), b"host").unwrap();
        std::os::unix::fs::symlink("../../secret", r.join("etc/leak")).unwrap();
        std::os::unix::fs::symlink("/etc", r.join("e")).unwrap();
        let root = Root::open(&r).unwrap();
        let tar = pack_in_root(&root, Path::new("/e"), true, "e", Vec::new()).unwrap();
        let mut a = tar::Archive::new(&tar[..]);
        let mut seen = Vec::new();
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            assert_ne!(data, b"host");
            seen.push((name, e.header().entry_type()));
        }
        assert!(
            seen.contains(&("e/hl".into(), EntryType::Regular)),
            "{seen:?}"
        );
        assert!(
            seen.contains(&("e/passwd".into(), EntryType::Link)),
            "{seen:?}"
        );
        assert!(
            seen.contains(&("e/leak".into(), EntryType::Symlink)),
            "{seen:?}"
        );
        // Not following: the symlink itself.
        let tar = pack_in_root(&root, Path::new("/e"), false, "e", Vec::new()).unwrap();
        let mut a = tar::Archive::new(&tar[..]);
        let kinds: Vec<_> = a
            .entries()
            .unwrap()
            .map(|e| e.unwrap().header().entry_type())
            .collect();
        assert_eq!(kinds, vec![EntryType::Symlink]);
    }
}
