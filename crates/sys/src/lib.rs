//! wharf-sys owns every `unsafe` block and every raw syscall wharf makes:
//! mounts, namespaces, ptys, process control and crash-safe file writes.
//! Other crates forbid `unsafe_code`; they call the safe functions here.
//! Each `unsafe` block carries a `// SAFETY:` comment.

pub mod cgroupfs;
pub mod child;
pub mod fs;
pub mod inroot;
pub mod mem;
pub mod mount;
pub mod mountns;
pub mod net;
pub mod netns;
pub mod seccomp;
pub mod sockpath;
pub mod systemd;
pub mod tmpfs;
