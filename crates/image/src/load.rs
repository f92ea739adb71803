//! `load` (`docker load`): archives written by `docker save` (legacy
//! `<id>/layer.tar` layout and the Docker 25+ OCI layout, both with
//! `manifest.json`) and plain OCI image-layout archives (`index.json`).
//!
//! The archive is first unpacked (safely) into `tmp/`, as Docker does,
//! because `manifest.json` may come after the blobs it names.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::archive::{
    blob_path, DockerManifestEntry, Index, Manifest, ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME,
    MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX,
};
use crate::config::{host_arch, ImageConfig};
use crate::digest::sha256_digest;
use crate::error::{ImageError, IoContext, Result};
use crate::layer::{decompress, remove_tree, stage_layer};
use crate::reference::{parse_tag_target, Reference};
use crate::store::ImageStore;
use crate::unpack::{unpack_tar_with, UnpackOptions};

fn bad(msg: impl Into<String>) -> ImageError {
    ImageError::InvalidArchive(msg.into())
}

/// Removes the extracted archive however `load` ends.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        remove_tree(&self.0);
    }
}

impl ImageStore {
    /// Loads every image of an archive (plain or gzip) and returns Docker's
    /// progress lines: `Loaded image: name:tag` per tag, `Loaded image ID:
    /// sha256:…` for untagged images, and `The image … already exists,
    /// renaming the old one with ID … to empty string` for moved tags.
    pub fn load<R: Read>(&self, reader: R) -> Result<Vec<String>> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let work = WorkDir(
            self.tmp_dir()
                .join(format!("load-{}-{n}", std::process::id())),
        );
        // One archive may not write more than the space left there.
        let opts = UnpackOptions {
            max_alloc: wharf_archive::alloc_limit_for(&self.tmp_dir()),
            ..Default::default()
        };
        unpack_tar_with(decompress(reader)?, &work.0, opts)?;
        let root = fs::canonicalize(&work.0).ctx(|| "resolving load directory".into())?;
        if root.join("manifest.json").is_file() {
            self.load_docker(&root)
        } else if root.join("index.json").is_file() {
            self.load_oci(&root)
        } else {
            Err(bad("no manifest.json or index.json found"))
        }
    }

    fn load_docker(&self, root: &Path) -> Result<Vec<String>> {
        let bytes = read_in(root, "manifest.json")?;
        let entries: Vec<DockerManifestEntry> =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("manifest.json: {e}")))?;
        let mut lines = Vec::new();
        for entry in entries {
            let config_bytes = read_in(root, &entry.config)?;
            let paths: Vec<PathBuf> = entry
                .layers
                .iter()
                .map(|l| path_in(root, l))
                .collect::<Result<_>>()?;
            let tags = entry.repo_tags.unwrap_or_default();
            self.load_one(&config_bytes, &paths, &tags, &mut lines)?;
        }
        Ok(lines)
    }

    fn load_oci(&self, root: &Path) -> Result<Vec<String>> {
        let bytes = read_in(root, "index.json")?;
        let index: Index =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("index.json: {e}")))?;
        let mut lines = Vec::new();
        for desc in &index.manifests {
            let manifest = resolve_manifest(root, &desc.digest, &desc.media_type)?;
            let config_bytes = read_blob(root, &manifest.config.digest)?;
            let paths: Vec<PathBuf> = manifest
                .layers
                .iter()
                .map(|l| {
                    let p = blob_path(&l.digest)
                        .ok_or_else(|| bad(format!("bad layer digest {:?}", l.digest)))?;
                    path_in(root, &p)
                })
                .collect::<Result<_>>()?;
            let mut tags = Vec::new();
            if let Some(name) = desc.annotations.get(ANNOTATION_IMAGE_NAME) {
                tags.push(name.clone());
            } else if let Some(name) = desc.annotations.get(ANNOTATION_REF_NAME) {
                // Only a full reference names an image; a bare tag does not.
                if name.contains([':', '/']) && Reference::parse(name).is_ok() {
                    tags.push(name.clone());
                }
            }
            self.load_one(&config_bytes, &paths, &tags, &mut lines)?;
        }
        Ok(lines)
    }

    /// Stores one image from its config bytes and layer files.
    fn load_one(
        &self,
        config_bytes: &[u8],
        layer_paths: &[PathBuf],
        tags: &[String],
        lines: &mut Vec<String>,
    ) -> Result<()> {
        let config =
            ImageConfig::from_slice(config_bytes).map_err(|e| bad(format!("image config: {e}")))?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != layer_paths.len() {
            return Err(bad(format!(
                "image config lists {} layers, manifest {}",
                diff_ids.len(),
                layer_paths.len()
            )));
        }
        let tags: Vec<String> = tags
            .iter()
            .map(|t| parse_tag_target(t))
            .collect::<Result<_>>()?;
        let mut pins = self.pins();
        for (diff_id, path) in diff_ids.iter().zip(layer_paths) {
            if self.pin_existing(&mut pins, diff_id) {
                continue;
            }
            let file = File::open(path).ctx(|| format!("opening layer {}", path.display()))?;
            let staged = stage_layer(&self.tmp_dir(), file, Some(diff_id))?;
            self.commit_layer(&mut pins, staged)?;
        }
        let (image, retagged) = self.commit_image(config_bytes, &tags)?;
        for r in retagged {
            lines.push(format!(
                "The image {} already exists, renaming the old one with ID {} to empty string",
                r.tag, r.old_id
            ));
        }
        if tags.is_empty() {
            lines.push(format!("Loaded image ID: {}", image.id));
        }
        for t in tags {
            lines.push(format!("Loaded image: {t}"));
        }
        tracing::info!(image = %image.id, "loaded image");
        Ok(())
    }
}

/// `rel` inside the extracted archive, following symlinks (legacy saves
/// link shared layers) but never leaving it.
fn path_in(root: &Path, rel: &str) -> Result<PathBuf> {
    let p = fs::canonicalize(root.join(rel.trim_start_matches('/')))
        .map_err(|_| bad(format!("{rel:?} is missing from the archive")))?;
    if !p.starts_with(root) {
        return Err(bad(format!("{rel:?} points outside the archive")));
    }
    Ok(p)
}

fn read_in(root: &Path, rel: &str) -> Result<Vec<u8>> {
    let p = path_in(root, rel)?;
    fs::read(&p).map_err(|e| bad(format!("reading {rel:?}: {e}")))
}

/// A blob, checked against its sha256 digest.
fn read_blob(root: &Path, digest: &str) -> Result<Vec<u8>> {
    let rel = blob_path(digest).ok_or_else(|| bad(format!("bad digest {digest:?}")))?;
    let bytes = read_in(root, &rel)?;
    if digest.starts_with("sha256:") && sha256_digest(&bytes) != digest {
        return Err(ImageError::DigestMismatch {
            expected: digest.to_string(),
            actual: sha256_digest(&bytes),
        });
    }
    Ok(bytes)
}

/// Follows an index (multi-platform) down to the manifest for this host.
fn resolve_manifest(root: &Path, digest: &str, media_type: &str) -> Result<Manifest> {
    let mut digest = digest.to_string();
    let mut media_type = media_type.to_string();
    for _ in 0..4 {
        let bytes = read_blob(root, &digest)?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| bad(format!("blob {digest}: {e}")))?;
        let is_index = media_type == MEDIA_OCI_INDEX
            || media_type == MEDIA_DOCKER_LIST
            || value.get("manifests").is_some();
        if !is_index {
            return serde_json::from_value(value)
                .map_err(|e| bad(format!("manifest {digest}: {e}")));
        }
        let index: Index =
            serde_json::from_value(value).map_err(|e| bad(format!("index {digest}: {e}")))?;
        let arch = host_arch();
        let chosen = index
            .manifests
            .iter()
            .find(|d| {
                d.platform
                    .as_ref()
                    .is_some_and(|p| p.os == "linux" && p.architecture == arch)
            })
            .or_else(|| {
                // A single entry without a platform is taken as is.
                (index.manifests.len() == 1 && index.manifests[0].platform.is_none())
                    .then(|| &index.manifests[0])
            })
            .ok_or_else(|| {
                bad(format!(
                    "no matching manifest for linux/{arch} in the manifest list entries"
                ))
            })?;
        digest = chosen.digest.clone();
        media_type = chosen.media_type.clone();
    }
    Err(bad("image indexes nested too deeply"))
}
