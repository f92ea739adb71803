//! Filesystem work of `COPY`/`ADD`/`WORKDIR` inside a build step's root:
//! paths are resolved inside the root the way the kernel resolves them in
//! a chroot (a symlink never leads out, `..` stops at the root), entries
//! are created without following the final component, and copied trees
//! are hashed for the build cache.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// Resolves `path` (absolute or relative to `root`) inside `root`,
/// following symlinks as a chroot would, including the last component
/// when `follow_last`. Missing components are kept as written.
pub fn resolve_in_root(root: &Path, path: &str, follow_last: bool) -> PathBuf {
    let mut todo: Vec<String> = components(path);
    todo.reverse();
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            cur.pop();
            continue;
        }
        let last = todo.is_empty();
        let candidate = root.join(cur.join("/")).join(&c);
        if (!last || follow_last) && hops < 40 {
            if let Ok(target) = fs::read_link(&candidate) {
                hops += 1;
                let t = target.to_string_lossy().into_owned();
                if t.starts_with('/') {
                    cur.clear();
                }
                let mut parts = components(&t);
                parts.reverse();
                todo.extend(parts);
                continue;
            }
        }
        cur.push(c);
    }
    root.join(cur.join("/"))
}

fn components(p: &str) -> Vec<String> {
    Path::new(p)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

/// `mkdir -p` of `path` inside `root`; new directories get 0755 and
/// `owner`. Returns the resolved directory.
pub fn mkdir_in_root(root: &Path, path: &str, owner: Option<(u32, u32)>) -> io::Result<PathBuf> {
    let mut cur = String::new();
    for c in components(path) {
        if c == ".." {
            continue;
        }
        cur.push('/');
        cur.push_str(&c);
        let p = resolve_in_root(root, &cur, true);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{cur} exists and is not a directory"),
                ))
            }
            Err(_) => {
                fs::create_dir(&p)?;
                fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
                if let Some((u, g)) = owner {
                    std::os::unix::fs::lchown(&p, Some(u), Some(g))?;
                }
            }
        }
    }
    Ok(resolve_in_root(root, path, true))
}

/// How copied entries are owned and moded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attrs {
    /// `--chown`, else `keep_owner` decides.
    pub owner: Option<(u32, u32)>,
    /// Keep the source's owner (`--from`); otherwise 0:0.
    pub keep_owner: bool,
    /// `--chmod`.
    pub mode: Option<u32>,
}

impl Attrs {
    fn apply(&self, dst: &Path, meta: &fs::Metadata) -> io::Result<()> {
        let (u, g) = self.owner.unwrap_or(if self.keep_owner {
            (meta.uid(), meta.gid())
        } else {
            (0, 0)
        });
        std::os::unix::fs::lchown(dst, Some(u), Some(g))?;
        if !meta.file_type().is_symlink() {
            let mode = self.mode.unwrap_or(meta.mode() & 0o7777);
            fs::set_permissions(dst, fs::Permissions::from_mode(mode))?;
            let t = nix::sys::time::TimeSpec::new(meta.mtime(), meta.mtime_nsec());
            let _ = nix::sys::stat::utimensat(
                None,
                dst,
                &t,
                &t,
                nix::sys::stat::UtimensatFlags::NoFollowSymlink,
            );
        }
        Ok(())
    }
}

fn is_whiteout(meta: &fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Copies one entry `src` (not followed if a symlink) to the resolved
/// destination `dst`, directories recursively and merged with what is
/// there; a file replaces a file or symlink, never a directory.
pub fn copy_entry(src: &Path, dst: &Path, attrs: Attrs) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    let ft = meta.file_type();
    let existing = fs::symlink_metadata(dst).ok();
    if ft.is_dir() {
        match &existing {
            Some(m) if m.is_dir() => {}
            Some(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("cannot copy a directory onto the file {}", dst.display()),
                ))
            }
            None => fs::create_dir(dst)?,
        }
        attrs.apply(dst, &meta)?;
        let mut names: Vec<_> = fs::read_dir(src)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for n in names {
            copy_entry(&src.join(&n), &dst.join(&n), attrs)?;
        }
        return Ok(());
    }
    if is_whiteout(&meta) || ft.is_socket() {
        return Ok(());
    }
    if let Some(m) = &existing {
        if m.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("cannot copy to {}: a directory is there", dst.display()),
            ));
        }
        fs::remove_file(dst)?;
    }
    if ft.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(src)?, dst)?;
    } else if ft.is_file() {
        let mut r = fs::File::open(src)?;
        let mut w = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dst)?;
        io::copy(&mut r, &mut w)?;
    } else {
        // Devices and fifos are only met in images (COPY --from).
        let kind = if ft.is_fifo() {
            nix::sys::stat::SFlag::S_IFIFO
        } else if ft.is_char_device() {
            nix::sys::stat::SFlag::S_IFCHR
        } else {
            nix::sys::stat::SFlag::S_IFBLK
        };
        nix::sys::stat::mknod(
            dst,
            kind,
            nix::sys::stat::Mode::from_bits_truncate(meta.mode() & 0o7777),
            meta.rdev(),
        )
        .map_err(io::Error::from)?;
    }
    attrs.apply(dst, &meta)
}

/// A digest of the entries at `paths` (relative to `root`, already
/// resolved), their names, modes, owners, link targets and content: what
/// a `COPY` step's cache key depends on.
pub fn hash_sources(root: &Path, paths: &[String]) -> io::Result<String> {
    let mut h = Sha256::new();
    for p in paths {
        hash_tree(&mut h, &root.join(p), p)?;
    }
    Ok(format!("{:x}", h.finalize()))
}

fn hash_tree(h: &mut Sha256, path: &Path, rel: &str) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    h.update(rel.as_bytes());
    h.update([0]);
    h.update(
        format!(
            "{:o} {} {} {}",
            meta.mode(),
            meta.uid(),
            meta.gid(),
            meta.len()
        )
        .as_bytes(),
    );
    h.update([0]);
    let ft = meta.file_type();
    if ft.is_symlink() {
        h.update(fs::read_link(path)?.as_os_str().as_encoded_bytes());
    } else if ft.is_file() {
        let mut f = fs::File::open(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    } else if ft.is_dir() {
        let mut names: Vec<_> = fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for n in names {
            let child = format!("{rel}/{}", n.to_string_lossy());
            hash_tree(h, &path.join(&n), &child)?;
        }
    }
    h.update([1]);
    Ok(())
}

/// Every path under `root` (relative, `/`-separated, no leading `/`),
/// directories before their content, sorted.
pub fn list_tree(root: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![String::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&rel)
        };
        for e in fs::read_dir(&dir)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type()?.is_dir() {
                stack.push(child.clone());
            }
            out.push(child);
        }
    }
    out.sort();
    Ok(out)
}

/// Whether the file starts like a tar archive (plain, gzip, bzip2 or
/// xz compressed), as `ADD` decides whether to extract it.
pub fn looks_like_archive(path: &Path) -> bool {
    let Ok(mut f) = fs::File::open(path) else {
        return false;
    };
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(_) => return false,
        }
    }
    let head = &head[..n];
    if head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(b"BZh")
        || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0])
    {
        return true;
    }
    head.len() >= 262 && &head[257..262] == b"ustar"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_stays_in_root() {
        let t = std::env::temp_dir().join(format!("wharf-fsops-{}", std::process::id()));
        let r = t.join("root");
        fs::create_dir_all(r.join("srv/app")).unwrap();
        std::os::unix::fs::symlink("/srv/app", r.join("app")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", r.join("up")).unwrap();
        assert_eq!(resolve_in_root(&r, "/app/x", true), r.join("srv/app/x"));
        assert_eq!(
            resolve_in_root(&r, "/up/passwd", true),
            r.join("etc/passwd")
        );
        assert_eq!(resolve_in_root(&r, "../../x", true), r.join("x"));
        assert_eq!(resolve_in_root(&r, "/app", false), r.join("app"));
        let d = mkdir_in_root(&r, "/app/a/b", None).unwrap();
        assert_eq!(d, r.join("srv/app/a/b"));
        assert!(d.is_dir());
        fs::remove_dir_all(&t).unwrap();
    }
}
