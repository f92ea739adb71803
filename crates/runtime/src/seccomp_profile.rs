//! Docker's seccomp profile format (`--security-opt seccomp=profile.json`,
//! the format of moby's `profiles/seccomp/default.json`) converted into the
//! OCI `linux.seccomp` a runtime loads, as dockerd does: `archMap` picks the
//! host's architecture and its sub-architectures, and each syscall rule is
//! kept only when its `includes` hold (capabilities in the container's
//! bounding set, the host's architecture, a kernel at least `minKernel`)
//! and its `excludes` do not.

use serde::Deserialize;
use serde_json::{json, Value};
use wharf_api::error::ErrorKind;

/// A profile that cannot be used: refused at create.
#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("decoding seccomp profile failed: {0}")]
    Decode(String),
    #[error("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")]
    ArchAndArchMap,
    #[error(
        "seccomp profile rule {index} uses both 'name' and 'names': use either 'name' or 'names'"
    )]
    NameAndNames { index: usize },
    #[error("seccomp profile rule {index} names no syscall")]
    NoNames { index: usize },
    #[error("seccomp profile rule {index}: invalid minKernel {value:?}: want MAJOR.MINOR")]
    MinKernel { index: usize, value: String },
    #[error("invalid seccomp profile: {0}")]
    Invalid(String),
}

impl SeccompError {
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidArgument
    }
}

/// Docker's `types.Seccomp`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Profile {
    default_action: String,
    default_errno_ret: Option<u32>,
    architectures: Vec<String>,
    arch_map: Vec<ArchMap>,
    syscalls: Vec<Syscall>,
    flags: Vec<String>,
    listener_path: String,
    listener_metadata: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    sub_architectures: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Syscall {
    name: String,
    names: Vec<String>,
    action: String,
    errno_ret: Option<u32>,
    args: Vec<Value>,
    includes: Filter,
    excludes: Filter,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Filter {
    caps: Vec<String>,
    arches: Vec<String>,
    min_kernel: Option<String>,
}

/// What a rule's includes and excludes are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Go's name of the architecture (`amd64`, `arm64`), as profiles spell it.
    pub arch: String,
    /// libseccomp's name of the native architecture (`SCMP_ARCH_X86_64`).
    pub scmp_arch: String,
    /// `(major, minor)` of the running kernel.
    pub kernel: (u32, u32),
}

impl Host {
    /// This machine.
    pub fn current() -> Host {
        let (arch, scmp) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", "SCMP_ARCH_X86_64"),
            "x86" => ("386", "SCMP_ARCH_X86"),
            "aarch64" => ("arm64", "SCMP_ARCH_AARCH64"),
            "arm" => ("arm", "SCMP_ARCH_ARM"),
            "powerpc64" => ("ppc64le", "SCMP_ARCH_PPC64LE"),
            "s390x" => ("s390x", "SCMP_ARCH_S390X"),
            "riscv64" => ("riscv64", "SCMP_ARCH_RISCV64"),
            other => (other, ""),
        };
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        Host {
            arch: arch.to_string(),
            scmp_arch: scmp.to_string(),
            kernel: parse_kernel(&release).unwrap_or((0, 0)),
        }
    }
}

/// `"6.1.0-13-amd64"` → `(6, 1)`.
fn parse_kernel(s: &str) -> Option<(u32, u32)> {
    let mut it = s.trim().split(['.', '-']);
    let major = it.next()?.parse().ok()?;
    let minor = it
        .next()
        .map(|m| {
            m.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
        })
        .unwrap_or_default()
        .parse()
        .ok()?;
    Some((major, minor))
}

/// Converts a Docker profile (JSON text) for a container whose bounding set
/// is `caps` (`CAP_…` names). `None` when the profile names no default
/// action and no rule: Docker runs such a container unconfined.
pub fn convert(text: &str, caps: &[String], host: &Host) -> Result<Option<Value>, SeccompError> {
    // Docker's own profiles write `null` for empty lists
    // (`"subArchitectures": null`), which means "none".
    let mut v: Value =
        serde_json::from_str(text).map_err(|e| SeccompError::Decode(e.to_string()))?;
    wharf_api::strip_nulls(&mut v);
    let p: Profile = serde_json::from_value(v).map_err(|e| SeccompError::Decode(e.to_string()))?;
    if p.default_action.is_empty() && p.syscalls.is_empty() {
        return Ok(None);
    }
    if !p.architectures.is_empty() && !p.arch_map.is_empty() {
        return Err(SeccompError::ArchAndArchMap);
    }
    let mut arches = p.architectures.clone();
    for m in &p.arch_map {
        if m.architecture == host.scmp_arch {
            arches.push(m.architecture.clone());
            arches.extend(m.sub_architectures.iter().cloned());
        }
    }
    let has_cap = |c: &String| {
        let full = if c.to_ascii_uppercase().starts_with("CAP_") {
            c.to_ascii_uppercase()
        } else {
            format!("CAP_{}", c.to_ascii_uppercase())
        };
        caps.contains(&full)
    };
    let mut syscalls = Vec::new();
    for (index, call) in p.syscalls.iter().enumerate() {
        let mut names = call.names.clone();
        if !call.name.is_empty() {
            if !names.is_empty() {
                return Err(SeccompError::NameAndNames { index });
            }
            names.push(call.name.clone());
        }
        if names.is_empty() {
            return Err(SeccompError::NoNames { index });
        }
        let at_least = |v: &String| -> Result<bool, SeccompError> {
            let want = parse_kernel(v).ok_or_else(|| SeccompError::MinKernel {
                index,
                value: v.clone(),
            })?;
            Ok(host.kernel >= want)
        };
        let ex = &call.excludes;
        if ex.arches.contains(&host.arch) || ex.caps.iter().any(has_cap) {
            continue;
        }
        if let Some(v) = &ex.min_kernel {
            if at_least(v)? {
                continue;
            }
        }
        let inc = &call.includes;
        if (!inc.arches.is_empty() && !inc.arches.contains(&host.arch))
            || !inc.caps.iter().all(has_cap)
        {
            continue;
        }
        if let Some(v) = &inc.min_kernel {
            if !at_least(v)? {
                continue;
            }
        }
        let mut rule = json!({ "names": names, "action": call.action });
        if let Some(e) = call.errno_ret {
            rule["errnoRet"] = json!(e);
        }
        if !call.args.is_empty() {
            rule["args"] = json!(call.args);
        }
        syscalls.push(rule);
    }
    let mut out = json!({ "defaultAction": p.default_action, "syscalls": syscalls });
    if !arches.is_empty() {
        out["architectures"] = json!(arches);
    }
    if let Some(e) = p.default_errno_ret {
        out["defaultErrnoRet"] = json!(e);
    }
    if !p.flags.is_empty() {
        out["flags"] = json!(p.flags);
    }
    if !p.listener_path.is_empty() {
        out["listenerPath"] = json!(p.listener_path);
        out["listenerMetadata"] = json!(p.listener_metadata);
    }
    // The OCI types know every action, architecture and operator name.
    serde_json::from_value::<oci_spec::runtime::LinuxSeccomp>(out.clone())
        .map_err(|e| SeccompError::Invalid(e.to_string()))?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            arch: "amd64".into(),
            scmp_arch: "SCMP_ARCH_X86_64".into(),
            kernel: (5, 10),
        }
    }

    const PROFILE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
        ],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["newer"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.99"}},
            {"names": ["chown"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_CHOWN"]}}
        ]
    }"#;

    fn names(v: &Value) -> Vec<String> {
        v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn converts_as_dockerd_does() {
        let caps = vec!["CAP_CHOWN".to_string()];
        let v = convert(PROFILE, &caps, &host()).unwrap().unwrap();
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(v["defaultErrnoRet"], 1);
        assert_eq!(
            v["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        );
        assert_eq!(
            names(&v),
            [
                "read",
                "write",
                "mkdir",
                "personality",
                "arch_prctl",
                "ptrace"
            ]
        );
        assert_eq!(v["syscalls"][1]["errnoRet"], 13);
        assert_eq!(v["syscalls"][2]["args"][0]["op"], "SCMP_CMP_EQ");
        // With CAP_SYS_ADMIN and without CAP_CHOWN.
        let caps = vec!["CAP_SYS_ADMIN".to_string()];
        let n = names(&convert(PROFILE, &caps, &host()).unwrap().unwrap());
        assert!(n.contains(&"mount".to_string()) && n.contains(&"chown".to_string()));
    }

    #[test]
    fn empty_profile_is_unconfined_and_bad_ones_are_refused() {
        assert!(convert("{}", &[], &host()).unwrap().is_none());
        for (bad, want) in [
            ("not json", "decoding seccomp profile failed"),
            (
                r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#,
                "use either 'architectures' or 'archMap'",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_BOGUS","syscalls":[]}"#,
                "invalid seccomp profile",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]}"#,
                "use either 'name' or 'names'",
            ),
            (
                r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"x"}}]}"#,
                "invalid minKernel",
            ),
        ] {
            let e = convert(bad, &[], &host()).unwrap_err().to_string();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel("6.18.44-fc-v595"), Some((6, 18)));
        assert_eq!(parse_kernel("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel("5.4-rc1"), Some((5, 4)));
        assert_eq!(parse_kernel("x"), None);
    }
}
