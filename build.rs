//! Links the per-container monitor, `wharf-monitor`, position-dependent
//! (issue 13; the why is in `src/monitor_main.rs`). Only that binary: the
//! daemon and CLI, `wharf`, stay position-independent.
//!
//! `wharf` packs its relative relocations (DT_RELR, `-z
//! pack-relative-relocs`): about 38 000 of them are 0.9 MB of `.rela.dyn`
//! as RELA entries and a few KB as RELR, so every CLI start reads and
//! walks less before `main` (issue 13). The image stays randomized. A GNU
//! ld older than 2.38 ignores the option with a warning; ld only emits
//! RELR when the C library announces support (glibc 2.36).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bin=wharf-monitor=-no-pie");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bin=wharf=-Wl,-z,pack-relative-relocs");
    }
}
