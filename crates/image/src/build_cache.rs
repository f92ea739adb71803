//! The build cache: `buildcache/<key>` holds the ID of the image a build
//! step produced, where the key is the digest of the parent image's ID and
//! the step (its instruction after substitution, the build args it sees
//! and, for `COPY`/`ADD`, the digest of the content copied). A key whose
//! image has gone is a miss. Entries are written atomically; `prune`
//! removes them all.

use std::fs;

use crate::digest::{is_full_hex, sha256_hex};
use crate::error::{IoContext, Result};
use crate::store::{Image, ImageStore};

impl ImageStore {
    fn cache_dir(&self) -> std::path::PathBuf {
        self.root.join("buildcache")
    }

    /// The image cached under `key` (a 64-hex digest), if it still exists.
    pub fn cache_get(&self, key: &str) -> Option<Image> {
        if !is_full_hex(key) {
            return None;
        }
        let id = fs::read_to_string(self.cache_dir().join(key)).ok()?;
        let hex = sha256_hex(id.trim())?;
        self.resolve(&format!("sha256:{hex}")).ok()
    }

    /// Remembers that step `key` produced image `id`.
    pub fn cache_put(&self, key: &str, id: &str) -> Result<()> {
        if !is_full_hex(key) {
            return Ok(());
        }
        let dir = self.cache_dir();
        fs::create_dir_all(&dir).ctx(|| "creating buildcache".into())?;
        wharf_sys::fs::write_atomic(&dir.join(key), id.as_bytes())
            .ctx(|| "writing build cache entry".into())
    }

    /// Forgets every cache entry; returns how many there were.
    pub fn cache_prune(&self) -> Result<usize> {
        let mut n = 0;
        if let Ok(rd) = fs::read_dir(self.cache_dir()) {
            for e in rd.flatten() {
                if fs::remove_file(e.path()).is_ok() {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// Number of cache entries whose image still exists.
    pub fn cache_count(&self) -> usize {
        fs::read_dir(self.cache_dir())
            .map(|rd| {
                rd.flatten()
                    .filter(|e| self.cache_get(&e.file_name().to_string_lossy()).is_some())
                    .count()
            })
            .unwrap_or(0)
    }
}
