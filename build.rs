//! Links the per-container monitor, `wharf-monitor`, position-dependent
//! (issue 13; the why is in `src/monitor_main.rs`). Only that binary: the
//! daemon and CLI, `wharf`, stay position-independent.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bin=wharf-monitor=-no-pie");
}
