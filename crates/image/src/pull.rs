//! The store's side of registry pulls and pushes: layers streamed by the
//! registry client (a reader that checks the blob's size and digest and
//! fails at its end when they are wrong) are unpacked in parallel as they
//! arrive, checked against the config's diff IDs, and committed with the
//! config in one go; nothing is visible until every layer is in. Push reads
//! the config bytes and the kept uncompressed `layer.tar` of each layer.

use std::io::Read;
use std::path::PathBuf;

use crate::error::{ImageError, IoContext, Result};
use crate::layer::{layer_dir, stage_layer, StagedLayer};
use crate::reference::parse_tag_target;
use crate::store::{Image, ImageStore};
use crate::ImageConfig;

/// What happened to one layer of a pull, for progress messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerEvent {
    AlreadyExists,
    Extracting,
    Complete,
}

impl ImageStore {
    /// A directory under the store's `tmp/` for downloads (same filesystem,
    /// removed with the rest of `tmp/` at start-up).
    pub fn download_dir(&self) -> PathBuf {
        self.tmp_dir()
    }

    /// True when the layer with this diff ID is already stored.
    pub fn has_layer(&self, diff_id: &str) -> bool {
        crate::digest::sha256_hex(diff_id).is_some_and(|h| self.lock().layers.contains_key(h))
    }

    /// Stores a pulled image: `fetch(i)` returns a reader of the blob of
    /// layer `i` (compressed or not) that fails rather than end early or
    /// with the wrong digest; the layer is staged in `tmp/` and only
    /// committed once read to its end, called only for layers not yet stored, from
    /// up to `parallel` threads at once. Each layer's uncompressed digest
    /// must match the config's diff ID. `tag` (familiar `name:tag`) is
    /// pointed at the image when given.
    pub fn store_pulled<'r>(
        &self,
        config_bytes: &[u8],
        tag: Option<&str>,
        parallel: usize,
        fetch: &(dyn Fn(usize) -> Result<Box<dyn Read + Send + 'r>> + Sync),
        event: &(dyn Fn(usize, LayerEvent) + Sync),
    ) -> Result<Image> {
        let config = ImageConfig::from_slice(config_bytes)
            .map_err(|e| ImageError::InvalidArchive(format!("bad image config: {e}")))?;
        let tags: Vec<String> = tag.map(parse_tag_target).transpose()?.into_iter().collect();
        let diff_ids = &config.rootfs.diff_ids;
        let mut pins = self.pins();
        let mut todo = Vec::new();
        for (i, d) in diff_ids.iter().enumerate() {
            if self.pin_existing(&mut pins, d) {
                event(i, LayerEvent::AlreadyExists);
            } else {
                todo.push(i);
            }
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: std::sync::Mutex<Vec<(usize, Result<StagedLayer>)>> = Default::default();
        std::thread::scope(|s| {
            for _ in 0..parallel.clamp(1, 8).min(todo.len().max(1)) {
                s.spawn(|| loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = todo.get(k) else { break };
                    let r = fetch(i).and_then(|file| {
                        event(i, LayerEvent::Extracting);
                        stage_layer(&self.tmp_dir(), file, Some(&diff_ids[i]))
                    });
                    let failed = r.is_err();
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((i, r));
                    if failed {
                        // Stop handing out work; the others finish theirs.
                        next.store(todo.len(), std::sync::atomic::Ordering::Relaxed);
                        break;
                    }
                });
            }
        });
        let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        results.sort_by_key(|(i, _)| *i);
        let mut staged = Vec::new();
        let mut first_err = None;
        for (i, r) in results {
            match r {
                Ok(l) => staged.push((i, l)),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_err {
            for (_, l) in staged {
                crate::layer::remove_tree(&l.dir);
            }
            return Err(e);
        }
        if staged.len() != todo.len() {
            return Err(ImageError::InvalidArchive("a layer was not fetched".into()));
        }
        let mut staged = staged.into_iter();
        while let Some((i, l)) = staged.next() {
            if let Err(e) = self.commit_layer(&mut pins, l) {
                for (_, rest) in staged {
                    crate::layer::remove_tree(&rest.dir);
                }
                return Err(e);
            }
            event(i, LayerEvent::Complete);
        }
        let (image, _) = self.commit_image(config_bytes, &tags)?;
        Ok(image)
    }

    /// The exact config bytes of a stored image (its ID is their digest).
    pub fn config_bytes(&self, image: &Image) -> Result<Vec<u8>> {
        let path = self.root().join("imagedb").join(image.hex());
        std::fs::read(&path).ctx(|| format!("reading image config {}", image.hex()))
    }

    /// The uncompressed tar of a stored layer, as received or built.
    pub fn layer_tar(&self, diff_id: &str) -> Result<PathBuf> {
        let hex = crate::digest::sha256_hex(diff_id)
            .ok_or_else(|| ImageError::InvalidArchive(format!("bad layer digest {diff_id}")))?;
        let p = layer_dir(self.root(), hex).join("layer.tar");
        if !p.is_file() {
            return Err(ImageError::NotFound(format!("layer {diff_id}")));
        }
        Ok(p)
    }
}
