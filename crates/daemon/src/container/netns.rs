//! The container's network namespace, made by the daemon and handed to the
//! runtime by path (the OCI namespace `path`), so networking can configure it
//! before the container starts. The namespace work itself lives in
//! `wharf_sys::netns` (dedicated threads, never a tokio worker).
//!
//! Making a namespace (`unshare`, then `lo` up) costs about a millisecond
//! and a half of every start; a spare made ahead of need turns that into
//! one bind mount. The daemon keeps [`SPARES`] of them, held by open files
//! only (nothing on disk: they go with the daemon), and makes the next one
//! on a thread of its own after each start took one. Idle cost: that many
//! empty namespaces in the kernel, a few tens of KiB each.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use wharf_sys::netns::Spare;

use crate::error::{Error, Result};

/// Spare namespaces kept ready: one start at a time takes one, and a
/// burst of concurrent starts makes its own after the first.
const SPARES: usize = 2;

static POOL: Mutex<Vec<Spare>> = Mutex::new(Vec::new());
static REFILLING: AtomicBool = AtomicBool::new(false);

/// Creates a new network namespace with `lo` up, pinned at `path`.
pub fn create(path: &Path) -> Result<()> {
    let spare = POOL.lock().ok().and_then(|mut p| p.pop());
    let made = match spare {
        Some(s) => wharf_sys::netns::pin(s, path),
        None => wharf_sys::netns::create(path),
    };
    refill();
    made.map_err(|e| Error::internal(e.to_string()))
}

/// Tops the pool up on a background thread (one at a time).
pub fn refill() {
    if REFILLING.swap(true, Ordering::AcqRel) {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("wharf-netns-spare".into())
        .spawn(|| {
            loop {
                let short = POOL.lock().map(|p| p.len() < SPARES).unwrap_or(false);
                if !short {
                    break;
                }
                match wharf_sys::netns::make_spare() {
                    Ok(s) => {
                        if let Ok(mut p) = POOL.lock() {
                            p.push(s);
                        }
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "no spare network namespace");
                        break;
                    }
                }
            }
            REFILLING.store(false, Ordering::Release);
        });
    if spawned.is_err() {
        REFILLING.store(false, Ordering::Release);
    }
}

/// Releases the namespace (it lives on while a process is still in it).
pub fn remove(path: &Path) {
    wharf_sys::netns::remove(path)
}
