//! Each container's seccomp filter compiled once per daemon, not once per
//! container.
//!
//! libcontainer compiles `linux.seccomp` with libseccomp inside every
//! container's init: about 22 ms of CPU for Docker's default profile, the
//! largest single share of a container's create (issue 13). The daemon
//! compiles each distinct profile here instead, with the same libseccomp
//! calls in the same order as libcontainer 0.7's `initialize_seccomp` (so
//! the program is the one it would have loaded), keeps the result, and
//! writes it beside the bundle's `config.json` as `seccomp.bpf`; the
//! monitor hands it to the init, which only loads it
//! (`oci::confine`). We write this translation ourselves because
//! libcontainer offers no way to compile without loading.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompFilterFlag, LinuxSeccompOperator,
};

/// The file beside `config.json` that carries the compiled filter.
pub const BPF_FILE: &str = "seccomp.bpf";

/// A profile libseccomp refused.
#[derive(Debug, thiserror::Error)]
#[error("compiling the seccomp profile failed: {0}")]
pub struct CompileError(String);

impl CompileError {
    pub fn kind(&self) -> wharf_api::error::ErrorKind {
        wharf_api::error::ErrorKind::InvalidArgument
    }
}

/// Profiles kept compiled. Distinct profiles come from distinct capability
/// sets and custom `seccomp=FILE` options; past this many the cache starts
/// over rather than grow without bound.
const CACHE_MAX: usize = 32;

type Cache = Mutex<HashMap<String, Arc<Vec<u8>>>>;

/// The program for `seccomp`, compiled at its first use by this process.
/// `None` for a profile the init must compile itself: one with
/// `SCMP_ACT_NOTIFY`, whose listener fd only a live load returns.
pub fn compiled(seccomp: &LinuxSeccomp) -> Result<Option<Arc<Vec<u8>>>, CompileError> {
    if uses_notify(seccomp) {
        return Ok(None);
    }
    // The key is the whole profile, not a hash of it: a custom profile
    // must never be served another profile's program.
    let key = serde_json::to_string(seccomp).map_err(|e| CompileError(e.to_string()))?;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(p) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(Some(p.clone()));
    }
    // Compiled outside the lock: a first start with another profile does
    // not wait behind this one.
    let program = Arc::new(compile(seccomp)?);
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= CACHE_MAX {
        c.clear();
    }
    c.insert(key, program.clone());
    Ok(Some(program))
}

fn uses_notify(seccomp: &LinuxSeccomp) -> bool {
    seccomp.default_action() == LinuxSeccompAction::ScmpActNotify
        || seccomp
            .syscalls()
            .iter()
            .flatten()
            .any(|s| s.action() == LinuxSeccompAction::ScmpActNotify)
}

/// The `seccomp(2)` flags the program is loaded with, as libseccomp sets
/// them from the profile's `flags`.
pub fn load_flags(seccomp: &LinuxSeccomp) -> u32 {
    use wharf_sys::seccomp::{FLAG_LOG, FLAG_SPEC_ALLOW, FLAG_TSYNC};
    seccomp.flags().iter().flatten().fold(0, |f, flag| {
        f | match flag {
            LinuxSeccompFilterFlag::SeccompFilterFlagLog => FLAG_LOG,
            LinuxSeccompFilterFlag::SeccompFilterFlagTsync => FLAG_TSYNC,
            LinuxSeccompFilterFlag::SeccompFilterFlagSpecAllow => FLAG_SPEC_ALLOW,
            // Only meaningful with a notify listener, which is never
            // precompiled.
            LinuxSeccompFilterFlag::SeccompFilterFlagWaitKillableRecv => 0,
        }
    })
}

/// Compiles `seccomp` into classic BPF without loading it.
pub fn compile(seccomp: &LinuxSeccomp) -> Result<Vec<u8>, CompileError> {
    let e = |what: &str| {
        let what = what.to_string();
        move |err: libseccomp::error::SeccompError| CompileError(format!("{what}: {err}"))
    };
    let default = action(seccomp.default_action(), seccomp.default_errno_ret())?;
    let mut ctx = ScmpFilterContext::new(default).map_err(e("new filter"))?;
    for arch in seccomp.architectures().iter().flatten() {
        ctx.add_arch(scmp_arch(*arch))
            .map_err(e(&format!("add architecture {arch:?}")))?;
    }
    // As libcontainer: the kernel's no_new_privs bit is the runtime's to
    // set (from `noNewPrivileges`), never libseccomp's.
    ctx.set_ctl_nnp(false)
        .map_err(e("clear SCMP_FLTATR_CTL_NNP"))?;
    for rule in seccomp.syscalls().iter().flatten() {
        let act = action(rule.action(), rule.errno_ret())?;
        if act == default {
            // Redundant, and libseccomp refuses it.
            continue;
        }
        for name in rule.names() {
            // A name this libseccomp does not know is a call this kernel
            // does not have: nothing to filter.
            let Ok(sc) = ScmpSyscall::from_name(name) else {
                continue;
            };
            let Some(args) = rule.args() else {
                ctx.add_rule(act, sc)
                    .map_err(e(&format!("add rule for {name}")))?;
                continue;
            };
            let cmps: Vec<ScmpArgCompare> = args
                .iter()
                .map(|a| {
                    ScmpArgCompare::new(a.index() as u32, compare(a.op(), a.value_two()), a.value())
                })
                .collect();
            let mut seen = HashSet::new();
            let repeated = args.iter().any(|a| !seen.insert(a.index()));
            if repeated {
                // libseccomp compares each argument at most once per rule:
                // one rule per comparison, as runc and libcontainer do.
                for c in &cmps {
                    ctx.add_rule_conditional(act, sc, std::slice::from_ref(c))
                        .map_err(e(&format!("add rule for {name}")))?;
                }
            } else {
                ctx.add_rule_conditional(act, sc, &cmps)
                    .map_err(e(&format!("add rule for {name}")))?;
            }
        }
    }
    // Through a memory file: `seccomp_export_bpf_mem` needs libseccomp 2.6.
    let file = rustix::fs::memfd_create("wharf-seccomp", rustix::fs::MemfdFlags::CLOEXEC)
        .map_err(|err| CompileError(format!("memfd for the program: {err}")))?;
    ctx.export_bpf(&file).map_err(e("export the program"))?;
    let mut file = std::fs::File::from(file);
    let mut program = Vec::new();
    std::io::Seek::rewind(&mut file)
        .and_then(|_| std::io::Read::read_to_end(&mut file, &mut program))
        .map_err(|err| CompileError(format!("read the program back: {err}")))?;
    Ok(program)
}

fn action(a: LinuxSeccompAction, errno: Option<u32>) -> Result<ScmpAction, CompileError> {
    let errno = errno.map(|e| e as i32).unwrap_or(libc_eperm());
    Ok(match a {
        LinuxSeccompAction::ScmpActKill | LinuxSeccompAction::ScmpActKillThread => {
            ScmpAction::KillThread
        }
        LinuxSeccompAction::ScmpActTrap => ScmpAction::Trap,
        LinuxSeccompAction::ScmpActErrno => ScmpAction::Errno(errno),
        LinuxSeccompAction::ScmpActTrace => ScmpAction::Trace(
            errno
                .try_into()
                .map_err(|_| CompileError(format!("trace errno {errno} out of range")))?,
        ),
        LinuxSeccompAction::ScmpActAllow => ScmpAction::Allow,
        LinuxSeccompAction::ScmpActKillProcess => ScmpAction::KillProcess,
        LinuxSeccompAction::ScmpActNotify => ScmpAction::Notify,
        LinuxSeccompAction::ScmpActLog => ScmpAction::Log,
    })
}

/// `EPERM`, the errno of an `SCMP_ACT_ERRNO` without `errnoRet`.
fn libc_eperm() -> i32 {
    nix::errno::Errno::EPERM as i32
}

fn compare(op: LinuxSeccompOperator, datum_b: Option<u64>) -> ScmpCompareOp {
    match op {
        LinuxSeccompOperator::ScmpCmpNe => ScmpCompareOp::NotEqual,
        LinuxSeccompOperator::ScmpCmpLt => ScmpCompareOp::Less,
        LinuxSeccompOperator::ScmpCmpLe => ScmpCompareOp::LessOrEqual,
        LinuxSeccompOperator::ScmpCmpEq => ScmpCompareOp::Equal,
        LinuxSeccompOperator::ScmpCmpGe => ScmpCompareOp::GreaterEqual,
        LinuxSeccompOperator::ScmpCmpGt => ScmpCompareOp::Greater,
        LinuxSeccompOperator::ScmpCmpMaskedEq => ScmpCompareOp::MaskedEqual(datum_b.unwrap_or(0)),
    }
}

fn scmp_arch(a: Arch) -> ScmpArch {
    match a {
        Arch::ScmpArchNative => ScmpArch::Native,
        Arch::ScmpArchX86 => ScmpArch::X86,
        Arch::ScmpArchX86_64 => ScmpArch::X8664,
        Arch::ScmpArchX32 => ScmpArch::X32,
        Arch::ScmpArchArm => ScmpArch::Arm,
        Arch::ScmpArchAarch64 => ScmpArch::Aarch64,
        Arch::ScmpArchMips => ScmpArch::Mips,
        Arch::ScmpArchMips64 => ScmpArch::Mips64,
        Arch::ScmpArchMips64n32 => ScmpArch::Mips64N32,
        Arch::ScmpArchMipsel => ScmpArch::Mipsel,
        Arch::ScmpArchMipsel64 => ScmpArch::Mipsel64,
        Arch::ScmpArchMipsel64n32 => ScmpArch::Mipsel64N32,
        Arch::ScmpArchPpc => ScmpArch::Ppc,
        Arch::ScmpArchPpc64 => ScmpArch::Ppc64,
        Arch::ScmpArchPpc64le => ScmpArch::Ppc64Le,
        Arch::ScmpArchS390 => ScmpArch::S390,
        Arch::ScmpArchS390x => ScmpArch::S390X,
        Arch::ScmpArchRiscv64 => ScmpArch::Riscv64,
        Arch::ScmpArchParisc => ScmpArch::Parisc,
        Arch::ScmpArchParisc64 => ScmpArch::Parisc64,
        Arch::ScmpArchLoongarch64 => ScmpArch::Loongarch64,
        Arch::ScmpArchM68k => ScmpArch::M68k,
        Arch::ScmpArchSh => ScmpArch::Sh,
        Arch::ScmpArchSheb => ScmpArch::Sheb,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(v: serde_json::Value) -> LinuxSeccomp {
        serde_json::from_value(v).unwrap()
    }

    fn default_profile() -> LinuxSeccomp {
        let caps: Vec<String> = crate::spec::DEFAULT_CAPS
            .iter()
            .map(|s| s.to_string())
            .collect();
        profile(crate::seccomp::default_profile(&caps))
    }

    #[test]
    fn the_default_profile_compiles_once_into_whole_instructions() {
        let p = default_profile();
        let first = compiled(&p).unwrap().unwrap();
        assert!(
            first.len() > 8 * 100 && first.len().is_multiple_of(8),
            "{}",
            first.len()
        );
        let again = compiled(&p).unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again), "compiled twice");
        assert_eq!(
            *first,
            compile(&p).unwrap(),
            "compilation is not deterministic"
        );
    }

    #[test]
    fn another_profile_gets_another_program() {
        let a = compiled(&default_profile()).unwrap().unwrap();
        let b = profile(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        }));
        let b = compiled(&b).unwrap().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_notify_profile_is_left_to_the_init() {
        let p = profile(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]
        }));
        assert!(compiled(&p).unwrap().is_none());
    }

    #[test]
    fn flags_map_to_the_kernels() {
        let p = profile(serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
        }));
        assert_eq!(
            load_flags(&p),
            wharf_sys::seccomp::FLAG_LOG | wharf_sys::seccomp::FLAG_SPEC_ALLOW
        );
    }
}
