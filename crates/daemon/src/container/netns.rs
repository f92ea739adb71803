//! The container's network namespace, made by the daemon and handed to the
//! runtime by path (the OCI namespace `path`), so networking can configure it
//! before the container starts. The namespace work itself lives in
//! `wharf_sys::netns` (dedicated threads, never a tokio worker).

use std::path::Path;

use crate::error::{Error, Result};

/// Creates a new network namespace with `lo` up, pinned at `path`.
pub fn create(path: &Path) -> Result<()> {
    wharf_sys::netns::create(path).map_err(|e| Error::internal(e.to_string()))
}

/// Releases the namespace (it lives on while a process is still in it).
pub fn remove(path: &Path) {
    wharf_sys::netns::remove(path)
}
