//! The monitor's build id (`WHARF_MONITOR_BUILD_ID`): a hash of the code a
//! monitor runs (this crate, `wharf-sys`, the `wharf-monitor` entry point)
//! and of `Cargo.lock`. `wharf` and `wharf-monitor` both carry it; the
//! daemon runs a `wharf-monitor` beside it only when the two agree, so an
//! old monitor left beside a new `wharf` is not used (issue 13).
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = here.join("../..");
    let mut list = Vec::new();
    for dir in [here.join("src"), root.join("crates/sys/src")] {
        println!("cargo:rerun-if-changed={}", dir.display());
        files(&dir, &mut list);
    }
    for f in [root.join("src/monitor_main.rs"), root.join("Cargo.lock")] {
        println!("cargo:rerun-if-changed={}", f.display());
        list.push(f);
    }
    list.sort();
    // FNV-1a, 64 bits: stable across toolchains, unlike std's hasher.
    struct Fnv(u64);
    impl Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for f in &list {
        f.strip_prefix(&root).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    println!(
        "cargo:rustc-env=WHARF_MONITOR_BUILD_ID={}-{:016x}",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
        h.finish()
    );
}
