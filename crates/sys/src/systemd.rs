//! systemd socket activation (`sd_listen_fds`): the listening unix socket a
//! `wharf.socket` unit passes as fd 3, for `wharf daemon -H fd://`.

use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::net::UnixListener;

/// First passed descriptor (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

#[derive(Debug, thiserror::Error)]
pub enum ListenFdsError {
    #[error("no socket was passed by systemd (LISTEN_FDS/LISTEN_PID unset or not for this process); -H fd:// needs socket activation (contrib/wharf.socket)")]
    NotActivated,
    #[error("descriptor {0} passed by systemd is not a listening unix socket")]
    NotUnixSocket(RawFd),
}

/// Take the first socket systemd passed to this process, once. The
/// environment variables are cleared so children do not see them.
pub fn take_listen_socket() -> Result<UnixListener, ListenFdsError> {
    let pid_ok = std::env::var("LISTEN_PID")
        .ok()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == std::process::id());
    let n = std::env::var("LISTEN_FDS")
        .ok()
        .and_then(|n| n.parse::<i32>().ok())
        .unwrap_or(0);
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");
    if !pid_ok || n < 1 {
        return Err(ListenFdsError::NotActivated);
    }
    let fd = LISTEN_FDS_START;
    // Check the descriptor before taking ownership of it.
    let st = nix::sys::stat::fstat(fd).map_err(|_| ListenFdsError::NotUnixSocket(fd))?;
    if st.st_mode & libc::S_IFMT != libc::S_IFSOCK {
        return Err(ListenFdsError::NotUnixSocket(fd));
    }
    match nix::sys::socket::getsockname::<nix::sys::socket::UnixAddr>(fd) {
        Ok(_) => {}
        Err(_) => return Err(ListenFdsError::NotUnixSocket(fd)),
    }
    let _ = nix::fcntl::fcntl(
        fd,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    );
    // SAFETY: systemd passed fd 3 to this process (LISTEN_PID matches), it
    // was just checked to be an open unix socket, and it is taken exactly
    // once (the variables are cleared above), so the listener is its only
    // owner.
    let l = unsafe { UnixListener::from_raw_fd(fd) };
    l.set_nonblocking(true)
        .map_err(|_| ListenFdsError::NotUnixSocket(fd))?;
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_activated_without_the_variables() {
        std::env::remove_var("LISTEN_PID");
        assert!(matches!(
            take_listen_socket(),
            Err(ListenFdsError::NotActivated)
        ));
    }
}
