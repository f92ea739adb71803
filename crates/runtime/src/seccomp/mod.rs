//! The default seccomp profile, as data in Docker's profile format, resolved
//! for each container (its capabilities, this machine's arch and kernel) by
//! the same converter as a custom `--security-opt seccomp=FILE`
//! ([`crate::seccomp_profile`]).
//!
//! The default profile (`default.json`) follows moby's default as shipped
//! with Docker 28: an allow-list with EPERM for everything else;
//! `ptrace`/`process_vm_*` allowed on kernels from 4.8; `personality` only
//! for the personas Docker allows (not `READ_IMPLIES_EXEC`); `socket`
//! refused for `AF_VSOCK`; `io_uring_*` refused (removed from Docker's
//! profile in 25.0); namespace, mount, module, clock, reboot and tracing
//! calls only with the capability that would make them useful.

pub mod bpf;

use serde_json::Value;

use crate::seccomp_profile::{convert, Host};

/// Docker's default profile, as data.
pub const DEFAULT_PROFILE: &str = include_str!("default.json");

/// The default profile for a container with `caps` on `host`.
pub fn default_profile_for(caps: &[String], host: &Host) -> Value {
    convert(DEFAULT_PROFILE, caps, host)
        .expect("the built-in default profile converts")
        .expect("the built-in default profile is not empty")
}

/// The default profile for a container with `caps` on this machine.
pub fn default_profile(caps: &[String]) -> Value {
    default_profile_for(caps, &Host::current())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names_allowed(v: &Value) -> Vec<String> {
        v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "SCMP_ACT_ALLOW" && r.get("args").is_none())
            .flat_map(|r| r["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }

    fn host(arch: &str, scmp: &str, kernel: (u32, u32)) -> Host {
        Host {
            arch: arch.into(),
            scmp_arch: scmp.into(),
            kernel,
        }
    }

    fn amd64() -> Host {
        host("amd64", "SCMP_ARCH_X86_64", (6, 1))
    }

    fn default_caps() -> Vec<String> {
        crate::spec::DEFAULT_CAPS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn default_profile_follows_docker_rules() {
        let caps = default_caps();
        let p = default_profile_for(&caps, &amd64());
        let allowed = names_allowed(&p);
        for yes in [
            "read",
            "ptrace",
            "process_vm_readv",
            "arch_prctl",
            "chroot",
            "execve",
        ] {
            assert!(allowed.iter().any(|n| n == yes), "{yes} must be allowed");
        }
        for no in [
            "mount",
            "unshare",
            "setns",
            "io_uring_setup",
            "keyctl",
            "add_key",
            "bpf",
            "reboot",
            "init_module",
            "open_tree",
            "fsopen",
            "kexec_load",
            "userfaultfd",
            "personality",
            "socket",
            "clone",
        ] {
            assert!(!allowed.iter().any(|n| n == no), "{no} must not be open");
        }
        assert_eq!(
            p["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        );
        let rules = p["syscalls"].as_array().unwrap();
        let personality: Vec<u64> = rules
            .iter()
            .filter(|r| r["names"] == json!(["personality"]))
            .map(|r| r["args"][0]["value"].as_u64().unwrap())
            .collect();
        assert_eq!(personality, [0, 8, 0x20000, 0x20008, 0xffff_ffff]);
        assert!(rules
            .iter()
            .any(|r| r["names"] == json!(["clone3"]) && r["errnoRet"] == 38));
    }

    #[test]
    fn capabilities_open_their_syscalls() {
        let mut caps = default_caps();
        caps.push("CAP_SYS_ADMIN".into());
        caps.push("CAP_SYS_TIME".into());
        caps.retain(|c| c != "CAP_SYS_CHROOT");
        let p = default_profile_for(&caps, &amd64());
        let allowed = names_allowed(&p);
        for yes in [
            "mount",
            "unshare",
            "setns",
            "clone",
            "clone3",
            "clock_settime",
        ] {
            assert!(allowed.iter().any(|n| n == yes), "{yes} with the cap");
        }
        assert!(!allowed.iter().any(|n| n == "chroot"));
        // With CAP_SYS_ADMIN neither the masked clone nor clone3's ENOSYS stays.
        let rules = p["syscalls"].as_array().unwrap();
        assert!(!rules.iter().any(|r| r["names"] == json!(["clone3"])));
    }

    #[test]
    fn old_kernels_and_other_arches() {
        let caps = default_caps();
        let p = default_profile_for(&caps, &host("amd64", "SCMP_ARCH_X86_64", (4, 4)));
        assert!(!names_allowed(&p).iter().any(|n| n == "ptrace"));
        let p = default_profile_for(&caps, &host("arm64", "SCMP_ARCH_AARCH64", (6, 1)));
        assert!(!names_allowed(&p).iter().any(|n| n == "arch_prctl"));
        assert!(names_allowed(&p).iter().any(|n| n == "set_tls"));
    }
}
