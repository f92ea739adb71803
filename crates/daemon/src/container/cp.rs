//! `docker cp`'s backend: `HEAD`/`GET`/`PUT /containers/{id}/archive`.
//!
//! Every path is resolved inside the container's root with
//! [`wharf_sys::inroot`] (`openat2(RESOLVE_IN_ROOT)`, or an `O_NOFOLLOW`
//! walk), and everything after is done through file descriptors, never by
//! reopening a resolved path string: a symlink the container swaps in
//! meanwhile leads nowhere outside (CVE-2018-15664). Nothing of the
//! container's is ever executed or loaded by the daemon (CVE-2019-14271):
//! the tar is read and written by this process's own code.
//!
//! Where the root comes from:
//! - a running container: `/proc/<pid>/root`, which is the container's
//!   root *in its own mount namespace*, so a walk from it crosses into the
//!   container's volumes, bind mounts and tmpfs mounts as the container
//!   sees them;
//! - a stopped one: on a dedicated thread with a private mount namespace,
//!   the container's overlay (its writable layer on top) is mounted and
//!   its volumes and bind mounts bound onto their destinations (each
//!   destination itself resolved in the root, mounted through its fd);
//!   the namespace, and every mount in it, goes away with the thread. The
//!   container's operation lock is held meanwhile, so it cannot start
//!   with its upper directory in use.

use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::fcntl::OFlag;
use wharf_api::archive::{go_mode, PathStat};
use wharf_sys::inroot::{self, Root};

use super::record::Container;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// Where a cp request's path leads, as Docker reads the request.
#[derive(Debug, Clone)]
pub struct CpPath {
    /// The path as the client gave it (for messages).
    pub given: String,
    /// A trailing `/` or `/.`: the last component is followed and must
    /// be a directory.
    pub follow: bool,
    /// Docker's `filepath.Base` of the absolute path: the archive's top name.
    pub base: String,
}

impl CpPath {
    pub fn parse(path: Option<&str>) -> Result<CpPath> {
        let given = path.unwrap_or("");
        if given.is_empty() {
            return Err(Error::invalid("path cannot be empty"));
        }
        let follow = given.ends_with('/') || given.ends_with("/.") || given == ".";
        let comps = inroot::clean(Path::new(given));
        let trimmed = given.trim_end_matches('/');
        let base = if trimmed.ends_with("/.") || trimmed == "." {
            ".".to_string()
        } else {
            comps
                .last()
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/".into())
        };
        Ok(CpPath {
            given: given.to_string(),
            follow,
            base,
        })
    }

    fn path(&self) -> &Path {
        Path::new(&self.given)
    }
}

fn not_found(p: &CpPath, key: &str) -> Error {
    Error::not_found(format!(
        "Could not find the file {} in container {key}",
        p.given
    ))
}

/// Maps an I/O error of a walk to the API's answer.
fn walk_error(e: std::io::Error, p: &CpPath, key: &str) -> Error {
    match e.raw_os_error() {
        Some(nix::libc::ENOENT) => not_found(p, key),
        Some(nix::libc::ENOTDIR) => Error::invalid(format!("{}: not a directory", p.given)),
        Some(nix::libc::ELOOP) => {
            Error::invalid(format!("{}: too many levels of symbolic links", p.given))
        }
        Some(nix::libc::EROFS) => Error::invalid("mounted volume is marked read-only"),
        _ => Error::internal(format!("{}: {e}", p.given)),
    }
}

/// Docker's `ContainerPathStat` of `p` in `root`.
pub fn stat(root: &Root, p: &CpPath, key: &str) -> Result<PathStat> {
    let err = |e| walk_error(e, p, key);
    let st = if p.follow {
        let fd = root
            .open_path(p.path(), OFlag::O_PATH | OFlag::O_DIRECTORY, true)
            .map_err(err)?;
        inroot::stat_fd(fd.as_fd()).map_err(err)?
    } else {
        let (dir, last) = root.open_parent(p.path()).map_err(err)?;
        match last {
            None => inroot::stat_fd(dir.as_fd()).map_err(err)?,
            Some(name) => inroot::lstat_at(dir.as_fd(), &name)
                .map_err(err)?
                .ok_or_else(|| not_found(p, key))?,
        }
    };
    let is_link = st.st_mode & nix::libc::S_IFMT == nix::libc::S_IFLNK;
    let link_target = if is_link {
        match root.resolve(p.path(), true) {
            Ok(t) => t.display().to_string(),
            // Dangling: where it would lead, as Docker shows it.
            Err(_) => root
                .resolve(p.path(), false)
                .map(|t| t.display().to_string())
                .unwrap_or_default(),
        }
    } else {
        String::new()
    };
    let mtime = chrono::DateTime::from_timestamp(st.st_mtime, st.st_mtime_nsec as u32)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default();
    Ok(PathStat {
        name: p.base.clone(),
        size: st.st_size,
        mode: go_mode(st.st_mode),
        mtime,
        link_target,
    })
}

/// Writes `p` of `root` as a tar to `w`.
pub fn archive<W: std::io::Write>(root: &Root, p: &CpPath, key: &str, w: W) -> Result<()> {
    let top = if p.base == "/" { "." } else { p.base.as_str() };
    wharf_archive::pack_in_root(root, p.path(), p.follow, top, w)
        .map(|_| ())
        .map_err(|e| walk_error(e, p, key))
}

/// Options of `PUT /containers/{id}/archive`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractOptions {
    pub no_overwrite_dir_non_dir: bool,
    pub copy_uid_gid: bool,
}

/// Unpacks the tar `body` into directory `p` of `root`.
pub fn extract<R: Read>(
    root: &Root,
    rec: &Container,
    p: &CpPath,
    key: &str,
    opts: ExtractOptions,
    body: R,
) -> Result<()> {
    let err = |e| walk_error(e, p, key);
    let dir = match root.open_path(p.path(), OFlag::O_PATH | OFlag::O_DIRECTORY, true) {
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOTDIR) => {
            return Err(Error::invalid("extraction point is not a directory"))
        }
        other => other.map_err(err)?,
    };
    let on_rootfs = inroot::stat_fd(dir.as_fd()).map_err(err)?.st_dev
        == inroot::stat_fd(root.fd()).map_err(err)?.st_dev;
    if on_rootfs && rec.host_config.readonly_rootfs {
        return Err(Error::invalid("container rootfs is marked read-only"));
    }
    let chown = if opts.copy_uid_gid {
        let user = rec.config.user.clone();
        let spec = if user.is_empty() {
            "0:0"
        } else {
            user.as_str()
        };
        let read = |f: &str| read_small(root, f);
        let u = super::user::resolve_in(&read("/etc/passwd"), &read("/etc/group"), spec)?;
        Some((u.uid, u.gid))
    } else {
        None
    };
    let uopts = wharf_archive::UnpackOptions {
        no_overwrite_dir_non_dir: opts.no_overwrite_dir_non_dir,
        chown,
        ..Default::default()
    };
    // The destination as the walk resolved it, so symlinks on the way to
    // it are followed once, here, inside the root.
    let at = root.resolve(p.path(), true).map_err(err)?;
    drop(dir);
    wharf_archive::unpack_in_root(body, root, &at, uopts)
        .map(|_| ())
        .map_err(|e| match &e {
            wharf_archive::UnpackError::Io { source, .. }
                if source.raw_os_error() == Some(nix::libc::EROFS) =>
            {
                Error::invalid("mounted volume is marked read-only")
            }
            _ => Error::new(e.kind(), e.to_string()),
        })
}

/// A container file of at most 1 MiB, read in the root ("" when missing).
fn read_small(root: &Root, path: &str) -> String {
    let Ok(fd) = root.open_path(Path::new(path), OFlag::O_RDONLY, true) else {
        return String::new();
    };
    let mut s = String::new();
    let _ = inroot::into_file(fd).take(1 << 20).read_to_string(&mut s);
    s
}

/// Runs `f` with the container's root, its mounts included (see the
/// module doc). Blocking: call from a blocking thread.
pub fn with_root<R: Send>(
    d: &Arc<Daemon>,
    rec: &Container,
    f: impl FnOnce(&Root) -> Result<R> + Send,
) -> Result<R> {
    let pid = rec.state.pid;
    if rec.state.status.is_active() && pid > 0 {
        let not_running =
            |e: String| Error::conflict(format!("container {} is not running: {e}", rec.name));
        let root = Root::open(Path::new(&format!("/proc/{pid}/root")))
            .map_err(|e| not_running(e.to_string()))?;
        // The pid must still be the container's: a container always has a
        // mount namespace of its own, and the record must still say running.
        let ns = |p: &str| std::fs::metadata(p).map(|m| (m.dev(), m.ino())).ok();
        let theirs = ns(&format!("/proc/{pid}/ns/mnt"));
        if theirs.is_none() || theirs == ns("/proc/self/ns/mnt") {
            return Err(not_running("its process is gone".into()));
        }
        if d.get(&rec.id).map(|r| r.state.pid).ok() != Some(pid) {
            return Err(not_running("it stopped meanwhile".into()));
        }
        return f(&root);
    }
    let paths = d.paths(&rec.id);
    if super::rootfs::is_mountpoint(&paths.merged()) {
        // Between a stop and the cleanup: the overlay is still mounted.
        let root = Root::open(&paths.merged())?;
        return f(&root);
    }
    let image = d.images.resolve(&rec.image_id).map_err(crate::kinded)?;
    let layers = d.images.layer_dirs(&image);
    if layers.is_empty() {
        return Err(Error::internal("image has no layers"));
    }
    std::fs::create_dir_all(paths.upper())?;
    std::fs::create_dir_all(paths.work())?;
    let view = d.exec_root.join("cp").join(crate::util::random_id());
    std::fs::create_dir_all(&view)?;
    let key = format!("{}-cp-{}", rec.id, crate::util::random_id());
    let mut volumes: Vec<String> = Vec::new();
    let result = (|| {
        let mut binds: Vec<(PathBuf, String, bool)> = Vec::new();
        for m in &rec.mounts {
            match m.kind.as_str() {
                "volume" => {
                    let src = d.volumes.mount(&m.name, &key).map_err(crate::kinded)?;
                    volumes.push(m.name.clone());
                    binds.push((src, m.destination.clone(), m.read_only));
                }
                "bind" => {
                    binds.push((PathBuf::from(&m.source), m.destination.clone(), m.read_only))
                }
                // A stopped container's tmpfs holds nothing.
                _ => {}
            }
        }
        // Parents before children.
        binds.sort_by_key(|b| inroot::clean(Path::new(&b.1)).len());
        let lower: Vec<String> = layers
            .iter()
            .rev()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            paths.upper().display(),
            paths.work().display()
        );
        super::rootfs::clear_volatile_marker(&paths);
        wharf_sys::mountns::run_private(|| -> Result<R> {
            wharf_sys::mountns::mount_overlay(&view, &opts)?;
            let root = Root::open(&view)?;
            for (src, dest, ro) in &binds {
                mount_at(&root, src, dest, *ro)?;
            }
            f(&root)
        })?
    })();
    for name in volumes {
        if let Err(e) = d.volumes.unmount(&name, &key) {
            tracing::warn!(volume = %name, error = %e, "release volume after cp");
        }
    }
    let _ = std::fs::remove_dir(&view);
    result
}

/// Binds `src` onto `dest` of `root`, the destination resolved in the
/// root (and created, as the runtime would at start).
fn mount_at(root: &Root, src: &Path, dest: &str, read_only: bool) -> Result<()> {
    let dest_path = Path::new(dest);
    let target = if src.is_dir() {
        root.mkdir_all(dest_path)?
    } else {
        let (dir, last) = root.open_parent(dest_path)?;
        let last: OsString = last.ok_or_else(|| Error::invalid("cannot bind a file onto /"))?;
        if inroot::lstat_at(dir.as_fd(), &last)?.is_none() {
            inroot::create_file_at(dir.as_fd(), &last, 0o644)?;
        }
        inroot::open_at(dir.as_fd(), &last, OFlag::O_PATH)?
    };
    wharf_sys::mountns::bind_onto_fd(src, target.as_fd())?;
    if read_only {
        // Reopened: the walk now crosses into the new mount.
        let top = root.open_path(dest_path, OFlag::O_PATH, true)?;
        wharf_sys::mountns::remount_read_only(top.as_fd())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_as_docker() {
        let p = CpPath::parse(Some("/etc/hosts")).unwrap();
        assert_eq!((p.follow, p.base.as_str()), (false, "hosts"));
        let p = CpPath::parse(Some("/etc/")).unwrap();
        assert_eq!((p.follow, p.base.as_str()), (true, "etc"));
        let p = CpPath::parse(Some("/etc/.")).unwrap();
        assert_eq!((p.follow, p.base.as_str()), (true, "."));
        let p = CpPath::parse(Some("/")).unwrap();
        assert_eq!((p.follow, p.base.as_str()), (true, "/"));
        assert!(CpPath::parse(Some("")).is_err());
        assert!(CpPath::parse(None).is_err());
    }
}
