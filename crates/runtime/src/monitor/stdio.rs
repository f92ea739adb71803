//! The container's end of its stdio: pipes, or a pty whose master the
//! runtime sends over a console socket.

use std::fs::File;
use std::io::{self, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

use crate::oci::ProcStdio;

/// The monitor's ends of a process's stdio.
pub struct HostIo {
    /// Where input goes (a pipe, or the pty master).
    pub stdin: Option<File>,
    /// Output sources with their stream number (1 stdout, 2 stderr); a pty
    /// master appears once as stream 1.
    pub outputs: Vec<(File, u8)>,
    /// The pty master, for resizes.
    pub master: Option<File>,
}

/// Pipes for a non-tty process: the process's ends and the monitor's ends.
pub fn pipes(open_stdin: bool) -> io::Result<(ProcStdio, HostIo)> {
    let (stdin_r, stdin_w) = if open_stdin {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        (r, Some(File::from(w)))
    } else {
        (OwnedFd::from(File::open("/dev/null")?), None)
    };
    let (out_r, out_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let (err_r, err_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    Ok((
        ProcStdio {
            stdin: stdin_r,
            stdout: out_w,
            stderr: err_w,
        },
        HostIo {
            stdin: stdin_w,
            outputs: vec![(File::from(out_r), 1), (File::from(err_r), 2)],
            master: None,
        },
    ))
}

/// /dev/null for all three, for a tty process (the runtime wires the pty).
pub fn null_stdio() -> io::Result<ProcStdio> {
    Ok(ProcStdio {
        stdin: File::open("/dev/null")?.into(),
        stdout: File::options().write(true).open("/dev/null")?.into(),
        stderr: File::options().write(true).open("/dev/null")?.into(),
    })
}

/// A listening console socket at `path` (replacing a stale one).
/// A short path for a transient console socket: a unix socket path must
/// fit in 108 bytes, which a deep exec root would exceed. It only lives
/// while the runtime hands over the pty master.
pub fn console_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("wharf-console-{}-{tag}.sock", std::process::id()))
}

pub fn console_listener(path: &Path) -> io::Result<UnixListener> {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Accepts the runtime's connection and receives the pty master from it.
pub fn receive_master(listener: &UnixListener, timeout: Duration) -> io::Result<HostIo> {
    let deadline = Instant::now() + timeout;
    let stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    };
    stream.set_nonblocking(false)?;
    let fd = recv_fd(&stream)?;
    let master = File::from(fd);
    Ok(HostIo {
        stdin: Some(master.try_clone()?),
        outputs: vec![(master.try_clone()?, 1)],
        master: Some(master),
    })
}

fn recv_fd(stream: &UnixStream) -> io::Result<OwnedFd> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut cmsg = RecvAncillaryBuffer::new(&mut space);
    let mut buf = [0u8; 512];
    rustix::net::recvmsg(
        stream,
        &mut [IoSliceMut::new(&mut buf)],
        &mut cmsg,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    for msg in cmsg.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = msg {
            if let Some(fd) = fds.next() {
                return Ok(fd);
            }
        }
    }
    Err(io::Error::other("console socket sent no file descriptor"))
}

/// Sets the pty window size.
pub fn resize(master: &File, height: u16, width: u16) -> io::Result<()> {
    let ws = rustix::termios::Winsize {
        ws_row: height,
        ws_col: width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(master, ws)?;
    Ok(())
}

/// Reads once; `Ok(None)` means end of stream (EOF, or EIO on a pty whose
/// other side closed).
pub fn read_chunk(f: &mut File, buf: &mut [u8]) -> io::Result<Option<usize>> {
    match f.read(buf) {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => Ok(None),
        Err(e) => Err(e),
    }
}
