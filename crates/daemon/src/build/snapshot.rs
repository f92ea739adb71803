//! Overlay snapshots for build steps that change files without a
//! container (`COPY`, `ADD`, `WORKDIR`): a fresh upper directory over the
//! stage's layers, mounted under the build's scratch directory; after the
//! step it is unmounted and its upper directory packed as a layer. Also
//! read-only views of an image (`COPY --from`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::mount::{mount, umount2, MntFlags, MsFlags};

use crate::error::{Error, Result};

static SEQ: AtomicU64 = AtomicU64::new(0);

fn unique(base: &Path, what: &str) -> PathBuf {
    base.join(format!(
        "{what}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A mounted overlay; unmounted and removed on drop.
pub struct Snapshot {
    dir: PathBuf,
    pub merged: PathBuf,
    pub upper: PathBuf,
    mounted: bool,
}

impl Snapshot {
    /// Mounts `layers` (lowest first) under a fresh writable upper dir.
    pub fn prepare(scratch: &Path, layers: &[PathBuf]) -> Result<Snapshot> {
        let dir = unique(scratch, "snap");
        let mut s = Snapshot {
            merged: dir.join("merged"),
            upper: dir.join("upper"),
            dir,
            mounted: false,
        };
        let work = s.dir.join("work");
        let empty = s.dir.join("empty");
        for p in [&s.merged, &s.upper, &work, &empty] {
            fs::create_dir_all(p)?;
        }
        let mut lower: Vec<String> = layers
            .iter()
            .rev()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if lower.is_empty() {
            lower.push(empty.to_string_lossy().into_owned());
        }
        let opts = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            s.upper.display(),
            work.display()
        );
        mount_overlay(&s.merged, &opts)?;
        s.mounted = true;
        Ok(s)
    }

    /// Unmounts; the upper directory stays until drop.
    pub fn unmount(&mut self) -> Result<()> {
        if self.mounted {
            umount2(&self.merged, MntFlags::empty())
                .or_else(|_| umount2(&self.merged, MntFlags::MNT_DETACH))
                .map_err(|e| Error::internal(format!("unmount build snapshot: {e}")))?;
            self.mounted = false;
        }
        Ok(())
    }

    /// Whether the step changed anything.
    pub fn upper_is_empty(&self) -> bool {
        fs::read_dir(&self.upper)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        if self.mounted {
            let _ = umount2(&self.merged, MntFlags::MNT_DETACH);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn mount_overlay(target: &Path, opts: &str) -> Result<()> {
    mount(
        Some("overlay"),
        target,
        Some("overlay"),
        MsFlags::empty(),
        Some(opts),
    )
    .map_err(|e| Error::internal(format!("mount build overlay at {}: {e}", target.display())))
}

/// A read-only view of an image's files: its only layer directory, an
/// empty directory, or a read-only overlay of its layers.
pub struct View {
    dir: Option<PathBuf>,
    pub root: PathBuf,
    mounted: bool,
}

impl View {
    pub fn open(scratch: &Path, layers: &[PathBuf]) -> Result<View> {
        match layers {
            [one] => Ok(View {
                dir: None,
                root: one.clone(),
                mounted: false,
            }),
            _ => {
                let dir = unique(scratch, "view");
                let root = dir.join("merged");
                fs::create_dir_all(&root)?;
                let mut v = View {
                    dir: Some(dir),
                    root,
                    mounted: false,
                };
                if !layers.is_empty() {
                    let lower: Vec<String> = layers
                        .iter()
                        .rev()
                        .map(|p| p.to_string_lossy().into_owned())
                        .collect();
                    mount_overlay(&v.root, &format!("lowerdir={}", lower.join(":")))?;
                    v.mounted = true;
                }
                Ok(v)
            }
        }
    }
}

impl Drop for View {
    fn drop(&mut self) {
        if self.mounted {
            let _ = umount2(&self.root, MntFlags::MNT_DETACH);
        }
        if let Some(d) = &self.dir {
            let _ = fs::remove_dir_all(d);
        }
    }
}
