//! Reading the mount table (`/proc/self/mountinfo`).

use std::fs;
use std::io;
use std::path::Path;

/// Whether `path` is a mount point (a bind mount of a directory on the
/// same filesystem keeps `st_dev`, so comparing devices is not enough).
/// Asks `statx` for `STATX_ATTR_MOUNT_ROOT` (Linux 5.8+): constant time,
/// where reading `/proc/self/mountinfo` costs in proportion to every
/// mount on the host (two per running container: overlay and netns), which
/// made each start slower the more containers ran. Falls back to the
/// mount table on kernels that do not report the attribute.
pub fn is_mountpoint(path: &Path) -> io::Result<bool> {
    match statx_mount_root(path) {
        Ok(Some(root)) => Ok(root),
        Ok(None) => is_mountpoint_by_table(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(_) => is_mountpoint_by_table(path),
    }
}

/// `Some(is the root of a mount)` when the kernel reports the attribute.
fn statx_mount_root(path: &Path) -> io::Result<Option<bool>> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut stx = std::mem::MaybeUninit::<libc::statx>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `stx` a buffer of the size
    // statx writes; no automount, no symlink following (a mount point is
    // named by its own path, as in the mount table).
    let rc = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT,
            0,
            stx.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: statx succeeded, so it filled the buffer (zeroed before).
    let stx = unsafe { stx.assume_init() };
    let bit = libc::STATX_ATTR_MOUNT_ROOT as u64;
    if stx.stx_attributes_mask & bit == 0 {
        return Ok(None);
    }
    Ok(Some(stx.stx_attributes & bit != 0))
}

/// [`is_mountpoint`] read from `/proc/self/mountinfo`.
pub fn is_mountpoint_by_table(path: &Path) -> io::Result<bool> {
    Ok(mount_points()?.iter().any(|mp| mp == path))
}

/// Every mount point in `/proc/self/mountinfo`, unescaped.
pub fn mount_points() -> io::Result<Vec<std::path::PathBuf>> {
    let info = fs::read_to_string("/proc/self/mountinfo")?;
    Ok(info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|mp| unescape_mountinfo(mp).into())
        .collect())
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
pub fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo(r"/a\040b"), "/a b");
        assert_eq!(unescape_mountinfo(r"/a\\b"), r"/a\\b");
        assert_eq!(unescape_mountinfo("/plain"), "/plain");
    }

    #[test]
    fn root_is_a_mount_point() {
        assert!(is_mountpoint(Path::new("/")).unwrap());
        assert!(!is_mountpoint(Path::new("/proc/self")).unwrap());
    }

    #[test]
    fn statx_agrees_with_the_mount_table() {
        for p in [
            "/",
            "/proc",
            "/sys",
            "/etc",
            "/usr/bin",
            "/dev",
            "/no/such/path",
        ] {
            let p = Path::new(p);
            let table = is_mountpoint_by_table(p).unwrap();
            assert_eq!(is_mountpoint(p).unwrap(), table, "{}", p.display());
        }
    }
}
