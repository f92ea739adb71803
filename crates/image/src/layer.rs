//! Layers on disk, by diff ID: `layers/<hex>/diff` (the unpacked tree,
//! an overlayfs lower directory shared by every image that lists the
//! layer), `layers/<hex>/layer.tar` (the uncompressed tar as received,
//! kept so `save` writes digest-identical blobs) and `layers/<hex>/meta.json`.
//! A layer is built under `tmp/` and renamed into place whole.

use std::fs::{self, File};
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use crate::digest::TeeReader;
use crate::error::{ImageError, IoContext, Result};
use crate::unpack::{unpack_tar_with, UnpackOptions};

/// What `meta.json` records about a layer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct LayerMeta {
    pub diff_id: String,
    /// Sum of the regular files' sizes, Docker's layer size.
    pub size: u64,
}

/// A layer fully built in a temporary directory, not yet visible.
pub(crate) struct StagedLayer {
    pub dir: PathBuf,
    pub meta: LayerMeta,
}

pub(crate) fn layer_dir(root: &Path, hex: &str) -> PathBuf {
    root.join("layers").join(hex)
}

/// Wraps `reader` in the decompressor its first bytes call for.
pub fn decompress<'a, R: Read + 'a>(mut reader: R) -> Result<Box<dyn Read + 'a>> {
    let mut magic = Vec::with_capacity(6);
    (&mut reader)
        .take(6)
        .read_to_end(&mut magic)
        .ctx(|| "reading archive header".into())?;
    let stream = Cursor::new(magic.clone()).chain(reader);
    if magic.starts_with(&[0x1f, 0x8b]) {
        return Ok(Box::new(MultiGzDecoder::new(stream)));
    }
    let unsupported = |what: &str| {
        Err(ImageError::InvalidArchive(format!(
            "{what}-compressed archives are not supported (use plain, gzip or zstd tar)"
        )))
    };
    if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        // zstd layers (OCI `tar+zstd`), as registries serve them.
        let dec = ruzstd::decoding::StreamingDecoder::new(stream)
            .map_err(|e| ImageError::InvalidArchive(format!("bad zstd stream: {e}")))?;
        return Ok(Box::new(dec));
    }
    if magic.starts_with(b"BZh") {
        return unsupported("bzip2");
    }
    if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return unsupported("xz");
    }
    Ok(Box::new(stream))
}

/// Unpacks a layer tar (plain or gzip) into a new directory under `tmp`,
/// keeping the uncompressed tar and digesting it. When `expected` is given
/// the digest must match it.
pub(crate) fn stage_layer<R: Read>(
    tmp_root: &Path,
    reader: R,
    expected: Option<&str>,
) -> Result<StagedLayer> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = tmp_root.join(format!("layer-{}-{n}", std::process::id()));
    fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    let result = (|| {
        let tar_path = dir.join("layer.tar");
        let file = File::create(&tar_path).ctx(|| format!("creating {}", tar_path.display()))?;
        let mut tee = TeeReader::new(decompress(reader)?, Some(io::BufWriter::new(file)));
        let opts = UnpackOptions {
            overlay_whiteouts: true,
            max_alloc: wharf_archive::alloc_limit_for(tmp_root),
            ..Default::default()
        };
        let stats = unpack_tar_with(&mut tee, &dir.join("diff"), opts)?;
        tee.drain().map_err(|e| {
            if wharf_archive::unpack::is_no_space(&e) {
                ImageError::io("writing layer.tar", e)
            } else {
                ImageError::InvalidArchive(format!("reading layer: {e}"))
            }
        })?;
        let (diff_id, _, copy) = tee.finish();
        if let Some(w) = copy {
            let file = w
                .into_inner()
                .map_err(|e| ImageError::io("writing layer.tar", e.into_error()))?;
            file.sync_all().ctx(|| "syncing layer.tar".into())?;
        }
        if let Some(exp) = expected {
            if exp != diff_id {
                return Err(ImageError::DigestMismatch {
                    expected: exp.to_string(),
                    actual: diff_id,
                });
            }
        }
        let meta = LayerMeta {
            diff_id,
            size: stats.size,
        };
        let bytes = serde_json::to_vec(&meta).unwrap_or_default();
        wharf_sys::fs::write_atomic(&dir.join("meta.json"), &bytes)
            .ctx(|| "writing layer meta.json".into())?;
        Ok(meta)
    })();
    match result {
        Ok(meta) => Ok(StagedLayer { dir, meta }),
        Err(e) => {
            remove_tree(&dir);
            Err(e)
        }
    }
}

/// Reads `meta.json` of a committed layer.
pub(crate) fn read_meta(dir: &Path) -> Option<LayerMeta> {
    let bytes = fs::read(dir.join("meta.json")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Best-effort removal of a directory tree (never follows symlinks).
pub(crate) fn remove_tree(dir: &Path) {
    if let Err(e) = fs::remove_dir_all(dir) {
        if e.kind() != io::ErrorKind::NotFound {
            tracing::warn!(path = %dir.display(), error = %e, "cannot remove directory");
        }
    }
}

/// Docker's chain IDs: the first layer's diff ID, then
/// `sha256(parent_chain + " " + diff_id)`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(parent) => crate::digest::sha256_digest(format!("{parent} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}
