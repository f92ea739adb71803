//! Short-lived work in a forked copy of a single-threaded process.
//!
//! The per-container monitor stays small for the container's life only if
//! the code of heavy, occasional work (an exec through the runtime: spec
//! parsing, libcontainer's namespace joining, the runc client) is never
//! faulted into its own address space. [`run_in_child`] does that work in a
//! forked child, as containerd's shim has runc do an exec in a process of
//! its own: the child's page faults and heap are its own and go away with
//! it, and only the bytes it answers come back.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult, Pid};

/// Runs `work` in a forked child and returns the bytes it produced.
///
/// Only for a single-threaded process (the monitor): a fork copies the
/// calling thread alone, so another thread's lock (malloc's) could be held
/// forever in the child. Processes the child starts and leaves running are
/// re-parented to the nearest subreaper when it exits; the monitor is one,
/// so they become its children, as they were when it started them itself.
/// An `Err` means the child could not be forked or died without answering.
pub fn run_in_child<F>(work: F) -> io::Result<Vec<u8>>
where
    F: FnOnce() -> Vec<u8>,
{
    if threads() > 1 {
        return Err(io::Error::other(
            "run_in_child needs a single-threaded process",
        ));
    }
    let (read, write) = pipe_cloexec()?;
    // SAFETY: the process is single-threaded (checked above), so no lock
    // can be held by a thread that does not exist in the child; the child
    // runs `work`, writes its answer and leaves with `_exit`, which runs no
    // destructors or atexit handlers of the parent's state.
    match unsafe { fork() }.map_err(io::Error::from)? {
        ForkResult::Child => {
            drop(read);
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let code = match out {
                Ok(mut bytes) => {
                    bytes.truncate(MAX_ANSWER);
                    let mut f = std::fs::File::from(write);
                    if f.write_all(&bytes).is_ok() {
                        0
                    } else {
                        1
                    }
                }
                Err(_) => 2,
            };
            // SAFETY: _exit ends this forked child at once, without
            // unwinding or flushing state that belongs to the parent.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(write);
            drop(work);
            // Wait first, then read what the child left in the pipe: the
            // processes it started inherit the pipe's write end until they
            // exec (a created container's init waits for its start), so an
            // end of file would come too late. An answer fits in the pipe.
            let status = wait_for(child)?;
            let mut out = Vec::new();
            let mut f = std::fs::File::from(read);
            match f.read_to_end(&mut out) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            match status {
                WaitStatus::Exited(_, 0) => Ok(out),
                s => Err(io::Error::other(format!(
                    "helper process ended without an answer ({s:?})"
                ))),
            }
        }
    }
}

/// The most an answer may hold: well within a pipe's buffer (64 KiB), so
/// the child never blocks writing it while the parent waits for its exit.
const MAX_ANSWER: usize = 16 * 1024;

fn wait_for(child: Pid) -> io::Result<WaitStatus> {
    loop {
        match waitpid(child, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

fn pipe_cloexec() -> io::Result<(OwnedFd, OwnedFd)> {
    // Non-blocking: the parent reads only what is there once the child has
    // exited; the child's answer fits, so its writes never meet a full pipe.
    let flags = nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK;
    nix::unistd::pipe2(flags).map_err(io::Error::from)
}

/// The number of threads of this process, from `/proc/self/stat`.
fn threads() -> usize {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Field 20 (num_threads), counted after the ")" closing comm.
            let rest = s.rsplit_once(')')?.1;
            rest.split_whitespace().nth(17)?.parse().ok()
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn thread_count_is_read() {
        assert!(super::threads() >= 1);
    }
}
