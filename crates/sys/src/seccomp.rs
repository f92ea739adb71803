//! Loading a seccomp filter that was compiled beforehand.
//!
//! libseccomp compiles a profile and loads it in one call; Docker's default
//! profile takes it about 22 ms of CPU, paid by every container's init when
//! the runtime compiles it there. wharf compiles each distinct profile once
//! per daemon and the container's init loads the finished program with the
//! kernel's `seccomp(2)`, as libseccomp's own load does.

use std::io;

/// `SECCOMP_FILTER_FLAG_TSYNC`: the filter applies to every thread.
pub const FLAG_TSYNC: u32 = 1;
/// `SECCOMP_FILTER_FLAG_LOG`: log every action except `ALLOW`.
pub const FLAG_LOG: u32 = 2;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`: keep speculative store bypass open.
pub const FLAG_SPEC_ALLOW: u32 = 4;

/// The size of one `struct sock_filter` instruction.
const INSN: usize = 8;

/// Loads the classic BPF `program` (`struct sock_filter` instructions in
/// host byte order, as libseccomp's `seccomp_export_bpf` writes them) as a
/// seccomp filter of the calling thread. Needs `no_new_privs` or
/// `CAP_SYS_ADMIN`, as any filter does; never sets `no_new_privs` itself.
pub fn load_filter(program: &[u8], flags: u32) -> io::Result<()> {
    if program.is_empty()
        || !program.len().is_multiple_of(INSN)
        || program.len() / INSN > u16::MAX as usize
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "a seccomp program of {} bytes is not a whole number of instructions",
                program.len()
            ),
        ));
    }
    // The kernel reads the instructions through an aligned pointer: decode
    // them into `sock_filter` values instead of casting the byte slice.
    let insns: Vec<libc::sock_filter> = program
        .chunks_exact(INSN)
        .map(|c| libc::sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    let prog = libc::sock_fprog {
        len: insns.len() as u16,
        filter: insns.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: `prog` points at `insns`, which outlives the call; the kernel
    // copies the program and keeps no pointer into our memory.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            &prog as *const libc::sock_fprog,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_program_is_refused_before_the_kernel_sees_it() {
        for len in [0, 7, 9] {
            let e = load_filter(&vec![0u8; len], 0).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{len}");
        }
    }
}
