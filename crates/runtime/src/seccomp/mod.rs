//! Seccomp profiles in Docker's format, turned into the OCI `linux.seccomp`
//! of one container.
//!
//! Docker's profile format (the one `--security-opt seccomp=FILE` takes and
//! the daemon's default is written in) is not the OCI format: rules carry
//! `includes`/`excludes` conditions on the container's capabilities, the
//! machine's architecture and the kernel version, and architectures come as
//! an `archMap`. A profile is therefore resolved per container, the way
//! moby's `profiles/seccomp` does it: a rule applies when every capability
//! it includes is granted, no capability it excludes is, and the arch and
//! kernel conditions hold.
//!
//! The default profile (`default.json`) follows moby's default as shipped
//! with Docker 28: an allow-list with EPERM for everything else;
//! `ptrace`/`process_vm_*` allowed on kernels from 4.8; `personality` only
//! for the personas Docker allows (not `READ_IMPLIES_EXEC`); `socket`
//! refused for `AF_VSOCK`; `io_uring_*` refused (removed from Docker's
//! profile in 25.0); namespace, mount, module, clock, reboot and tracing
//! calls only with the capability that would make them useful.

use serde::Deserialize;
use serde_json::{json, Value};

/// Docker's default profile, as data.
const DEFAULT_PROFILE: &str = include_str!("default.json");

/// A profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("invalid seccomp profile: {0}")]
    Invalid(String),
}

/// Docker's profile format (`types.Seccomp` in moby).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerProfile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u32>,
    #[serde(default)]
    pub arch_map: Option<Vec<ArchMap>>,
    /// The OCI-style flat list, used when `archMap` is absent.
    #[serde(default)]
    pub architectures: Option<Vec<String>>,
    #[serde(default)]
    pub flags: Option<Vec<String>>,
    #[serde(default)]
    pub listener_path: Option<String>,
    #[serde(default)]
    pub syscalls: Option<Vec<Rule>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchMap {
    pub architecture: String,
    #[serde(default)]
    pub sub_architectures: Option<Vec<String>>,
}

/// One syscall rule; `name` is the legacy single-name form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub names: Option<Vec<String>>,
    pub action: String,
    #[serde(default)]
    pub errno_ret: Option<u32>,
    #[serde(default)]
    pub args: Option<Vec<Value>>,
    #[serde(default)]
    pub includes: Option<Filter>,
    #[serde(default)]
    pub excludes: Option<Filter>,
}

/// A rule's condition on the container and the machine.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub caps: Option<Vec<String>>,
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// What a profile is resolved against.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The container's capabilities, in `CAP_` form.
    pub caps: &'a [String],
    /// Go's name of the machine architecture (`amd64`, `arm64`, ...).
    pub arch: &'a str,
    /// The running kernel's (major, minor).
    pub kernel: (u32, u32),
}

impl Target<'_> {
    /// This machine, with `caps`.
    pub fn host(caps: &[String]) -> Target<'_> {
        Target {
            caps,
            arch: go_arch(),
            kernel: kernel_version(),
        }
    }
}

/// Go's `runtime.GOARCH` for this build, the names profiles use.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The running kernel's major and minor version (0.0 when unreadable, so
/// no `minKernel` rule applies).
pub fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    parse_kernel(&release).unwrap_or((0, 0))
}

fn parse_kernel(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.trim().split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// libseccomp's name for this build's native architecture.
fn native_scmp_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "SCMP_ARCH_X86_64",
        "aarch64" => "SCMP_ARCH_AARCH64",
        "s390x" => "SCMP_ARCH_S390X",
        "riscv64" => "SCMP_ARCH_RISCV64",
        "mips64" => "SCMP_ARCH_MIPS64",
        "powerpc64" => "SCMP_ARCH_PPC64LE",
        _ => "SCMP_ARCH_NATIVE",
    }
}

impl Filter {
    fn is_empty(&self) -> bool {
        self.caps.as_ref().is_none_or(|c| c.is_empty())
            && self.arches.as_ref().is_none_or(|a| a.is_empty())
            && self.min_kernel.as_ref().is_none_or(|k| k.is_empty())
    }
}

fn kernel_at_least(t: &Target, min: &str) -> Result<bool, SeccompError> {
    let want =
        parse_kernel(min).ok_or_else(|| SeccompError::Invalid(format!("bad minKernel {min:?}")))?;
    Ok(t.kernel >= want)
}

/// Whether `rule` applies to `t` (moby's include/exclude semantics).
fn applies(rule: &Rule, t: &Target) -> Result<bool, SeccompError> {
    let has_cap = |c: &String| t.caps.iter().any(|h| h.eq_ignore_ascii_case(c));
    if let Some(inc) = rule.includes.as_ref().filter(|f| !f.is_empty()) {
        if let Some(arches) = inc.arches.as_ref().filter(|a| !a.is_empty()) {
            if !arches.iter().any(|a| a == t.arch) {
                return Ok(false);
            }
        }
        if let Some(caps) = &inc.caps {
            if !caps.iter().all(has_cap) {
                return Ok(false);
            }
        }
        if let Some(k) = inc.min_kernel.as_ref().filter(|k| !k.is_empty()) {
            if !kernel_at_least(t, k)? {
                return Ok(false);
            }
        }
    }
    if let Some(exc) = rule.excludes.as_ref().filter(|f| !f.is_empty()) {
        if exc
            .arches
            .as_ref()
            .is_some_and(|a| a.iter().any(|a| a == t.arch))
        {
            return Ok(false);
        }
        if exc.caps.as_ref().is_some_and(|c| c.iter().any(has_cap)) {
            return Ok(false);
        }
        if let Some(k) = exc.min_kernel.as_ref().filter(|k| !k.is_empty()) {
            if kernel_at_least(t, k)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

impl DockerProfile {
    /// Parses a profile in Docker's format (what `--security-opt
    /// seccomp=FILE` sends, as text).
    pub fn parse(text: &str) -> Result<DockerProfile, SeccompError> {
        serde_json::from_str(text).map_err(|e| SeccompError::Invalid(e.to_string()))
    }

    /// The OCI `linux.seccomp` object of this profile for `t`.
    pub fn resolve(&self, t: &Target) -> Result<Value, SeccompError> {
        let mut out = json!({ "defaultAction": self.default_action });
        if let Some(e) = self.default_errno_ret {
            out["defaultErrnoRet"] = json!(e);
        }
        let native = native_scmp_arch();
        let arches: Vec<String> = match (&self.arch_map, &self.architectures) {
            (Some(map), _) => map
                .iter()
                .filter(|m| m.architecture == native)
                .flat_map(|m| {
                    std::iter::once(m.architecture.clone())
                        .chain(m.sub_architectures.clone().unwrap_or_default())
                })
                .collect(),
            (None, Some(list)) => list.clone(),
            (None, None) => Vec::new(),
        };
        if !arches.is_empty() {
            out["architectures"] = json!(arches);
        }
        if let Some(flags) = self.flags.as_ref().filter(|f| !f.is_empty()) {
            out["flags"] = json!(flags);
        }
        if let Some(p) = self.listener_path.as_ref().filter(|p| !p.is_empty()) {
            out["listenerPath"] = json!(p);
        }
        let mut rules = Vec::new();
        for rule in self.syscalls.iter().flatten() {
            if !applies(rule, t)? {
                continue;
            }
            let mut names = rule.names.clone().unwrap_or_default();
            names.extend(rule.name.clone());
            if names.is_empty() {
                return Err(SeccompError::Invalid(
                    "a syscall rule names no syscall".into(),
                ));
            }
            let mut r = json!({ "names": names, "action": rule.action });
            if let Some(e) = rule.errno_ret {
                r["errnoRet"] = json!(e);
            }
            if let Some(args) = rule.args.as_ref().filter(|a| !a.is_empty()) {
                r["args"] = json!(args);
            }
            rules.push(r);
        }
        out["syscalls"] = json!(rules);
        // The runtimes take the result as is: check it is a valid OCI object
        // here, so a bad custom profile fails at create, not at start.
        serde_json::from_value::<oci_spec::runtime::LinuxSeccomp>(out.clone())
            .map_err(|e| SeccompError::Invalid(e.to_string()))?;
        Ok(out)
    }
}

/// Docker's default profile in its own format.
pub fn default_docker_profile() -> DockerProfile {
    DockerProfile::parse(DEFAULT_PROFILE).expect("the built-in default profile parses")
}

/// The default profile for a container with `caps` on this machine.
pub fn default_profile(caps: &[String]) -> Value {
    default_docker_profile()
        .resolve(&Target::host(caps))
        .expect("the built-in default profile resolves")
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn target(caps: &[String]) -> Target<'_> {
        Target {
            caps,
            arch: "amd64",
            kernel: (6, 1),
        }
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
        let p = default_docker_profile().resolve(&target(&caps)).unwrap();
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
        let p = default_docker_profile().resolve(&target(&caps)).unwrap();
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
        let old = Target {
            caps: &caps,
            arch: "amd64",
            kernel: (4, 4),
        };
        let p = default_docker_profile().resolve(&old).unwrap();
        assert!(!names_allowed(&p).iter().any(|n| n == "ptrace"));
        let arm = Target {
            caps: &caps,
            arch: "arm64",
            kernel: (6, 1),
        };
        let p = default_docker_profile().resolve(&arm).unwrap();
        assert!(!names_allowed(&p).iter().any(|n| n == "arch_prctl"));
        assert!(names_allowed(&p).iter().any(|n| n == "set_tls"));
    }

    #[test]
    fn custom_profiles_and_bad_ones() {
        let caps = default_caps();
        let p = DockerProfile::parse(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO"}]}"#,
        )
        .unwrap()
        .resolve(&target(&caps))
        .unwrap();
        assert_eq!(p["syscalls"][0]["names"], json!(["mkdir"]));
        assert!(DockerProfile::parse("{").is_err());
        assert!(DockerProfile::parse(r#"{"syscalls":[]}"#).is_err());
        let bad_action = DockerProfile::parse(r#"{"defaultAction":"SCMP_ACT_BOGUS"}"#).unwrap();
        assert!(bad_action.resolve(&target(&caps)).is_err());
        assert_eq!(parse_kernel("6.18.44-fc-v595"), Some((6, 18)));
        assert_eq!(parse_kernel("4.8"), Some((4, 8)));
    }
}
