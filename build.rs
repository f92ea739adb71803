//! Links the `wharf` binary as a position-dependent executable (issue 13).
//!
//! The binary is also every container's monitor. As a PIE, each process
//! applies ~0.6 MiB of load-time relocations to its read-only-after-
//! relocation data (vtables, static tables), making those pages private
//! and dirty in every monitor: 0.6 MiB × containers. Linked at a fixed
//! address, that data is the file's own, clean and shared through the
//! page cache, and an idle monitor can drop it. The cost is that the
//! binary's own image is not randomized; libraries, heap, stacks and
//! mmaps still are.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
