//! A background reaper for directories that are finished with: a removed
//! container's data directory, a stopped container's run directory. The
//! caller renames the directory into `<root>/trash` (one atomic step, so
//! its name is free at once and a crash leaves nothing half-deleted under
//! a live name) and the deletion itself runs on one background thread, off
//! the path that `run --rm` and `rm` wait on. Start-up empties the trash
//! left by a daemon that stopped before its reaper finished.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

/// The trash directory of a root (data root or exec root).
pub fn trash_dir(root: &Path) -> PathBuf {
    root.join("trash")
}

fn queue() -> &'static Mutex<Sender<PathBuf>> {
    static Q: OnceLock<Mutex<Sender<PathBuf>>> = OnceLock::new();
    Q.get_or_init(|| {
        let (tx, rx) = channel::<PathBuf>();
        let spawned = std::thread::Builder::new()
            .name("wharf-reaper".into())
            .spawn(move || {
                for dir in rx {
                    delete(&dir);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the reaper thread");
        }
        Mutex::new(tx)
    })
}

fn delete(dir: &Path) {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(path = %dir.display(), error = %e, "reaper: cannot delete"),
    }
}

/// Moves `dir` into `<root>/trash` and deletes it in the background.
/// Falls back to deleting it here when the move is not possible (another
/// file system, a mount point). A missing `dir` is fine.
pub fn remove_later(root: &Path, dir: &Path) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    if std::fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    // Removal is how users free space: on a nearly full file system the
    // space comes back before the caller answers.
    if wharf_sys::fs::nearly_full(root) {
        return match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    let trash = trash_dir(root);
    let name = format!(
        "{}-{}-{}",
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let target = trash.join(name);
    let moved = std::fs::create_dir_all(&trash).and_then(|()| std::fs::rename(dir, &target));
    match moved {
        Ok(()) => {
            let sent = queue()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(target.clone());
            if sent.is_err() {
                delete(&target);
            }
            Ok(())
        }
        Err(_) => match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// Queues whatever an earlier daemon left in `<root>/trash`.
pub fn sweep(root: &Path) {
    let Ok(entries) = std::fs::read_dir(trash_dir(root)) else {
        return;
    };
    let tx = queue().lock().unwrap_or_else(|p| p.into_inner()).clone();
    for e in entries.flatten() {
        let _ = tx.send(e.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_then_deletes_and_sweeps() {
        let root = std::env::temp_dir().join(format!("wharf-reaper-{}", std::process::id()));
        let dir = root.join("containers").join("abc");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/f"), b"x").unwrap();
        remove_later(&root, &dir).unwrap();
        assert!(!dir.exists(), "the name is free at once");
        // a missing directory is not an error
        remove_later(&root, &dir).unwrap();
        // a leftover from an earlier daemon goes with the sweep
        std::fs::create_dir_all(trash_dir(&root).join("old/x")).unwrap();
        sweep(&root);
        for _ in 0..200 {
            if std::fs::read_dir(trash_dir(&root))
                .unwrap()
                .next()
                .is_none()
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(std::fs::read_dir(trash_dir(&root))
            .unwrap()
            .next()
            .is_none());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
