//! Unix socket paths of any length.
//!
//! `sun_path` holds 108 bytes, so a socket deep under a long exec root
//! cannot be bound or reached by its plain path. Going through an open
//! descriptor of its directory (`/proc/self/fd/N/name`) keeps the address
//! short whatever the directory's path, and names the same inode, so the
//! monitor that binds and the daemon that connects need not agree on
//! anything but the real path.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// Longest path used as is (the kernel's limit, less the terminating NUL).
const MAX_DIRECT: usize = 107;

/// A bindable/connectable address for a socket file; keep it alive until
/// the `bind` or `connect` has returned.
#[derive(Debug)]
pub struct SocketPath {
    _dir: Option<File>,
    path: PathBuf,
}

impl SocketPath {
    pub fn new(path: &Path) -> io::Result<SocketPath> {
        if path.as_os_str().len() <= MAX_DIRECT {
            return Ok(SocketPath {
                _dir: None,
                path: path.to_path_buf(),
            });
        }
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("socket path {} has no directory", path.display()),
            ));
        };
        let dir = File::open(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("open {}: {e}", dir.display())))?;
        let short = Path::new("/proc/self/fd")
            .join(dir.as_raw_fd().to_string())
            .join(name);
        Ok(SocketPath {
            _dir: Some(dir),
            path: short,
        })
    }

    pub fn as_path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::{UnixListener, UnixStream};

    #[test]
    fn long_paths_bind_and_connect() {
        let mut dir = std::env::temp_dir().join(format!("wharf-sockpath-{}", std::process::id()));
        while dir.as_os_str().len() < 150 {
            dir = dir.join("deeper-directory");
        }
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("monitor.sock");
        let bind = SocketPath::new(&sock).unwrap();
        assert!(bind.as_path().as_os_str().len() < 60);
        let l = UnixListener::bind(bind.as_path()).unwrap();
        assert!(sock.exists(), "the socket file is at its real path");
        let conn = SocketPath::new(&sock).unwrap();
        let _c = UnixStream::connect(conn.as_path()).unwrap();
        l.accept().unwrap();
        let short = std::env::temp_dir().join("x.sock");
        assert_eq!(SocketPath::new(&short).unwrap().as_path(), short);
        let top = std::env::temp_dir().join(format!("wharf-sockpath-{}", std::process::id()));
        std::fs::remove_dir_all(top).unwrap();
    }
}
