//! `save` (`docker save`): the archive Docker 25+ writes, readable by both
//! `docker load` and our `load`: an OCI image layout (`oci-layout`,
//! `index.json`, `blobs/sha256/…`) plus Docker's `manifest.json` and
//! `repositories`. Layers are the uncompressed tars kept at load/import
//! time, so their blob digests are their diff IDs.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{Read, Write};

use crate::archive::{
    Descriptor, DockerManifestEntry, Index, Manifest, ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME,
    MEDIA_OCI_CONFIG, MEDIA_OCI_INDEX, MEDIA_OCI_LAYER_TAR, MEDIA_OCI_MANIFEST,
};
use crate::digest::{sha256_digest, sha256_hex};
use crate::error::{ImageError, IoContext, Result};
use crate::layer::layer_dir;
use crate::reference::Reference;
use crate::store::{resolve_hex, ImageStore};

/// One image to write, with the tags it is saved under.
struct Saved {
    hex: String,
    tags: Vec<String>,
}

impl ImageStore {
    /// Writes `references` (tags, IDs, or a bare repository name meaning all
    /// its tags, like Docker) as one archive to `writer`.
    pub fn save<W: Write>(&self, references: &[String], writer: W) -> Result<()> {
        let mut pins = self.pins();
        let mut saved: Vec<Saved> = Vec::new();
        {
            let st = self.lock();
            let mut add = |hex: String, tag: Option<String>| {
                let pos = match saved.iter().position(|s| s.hex == hex) {
                    Some(p) => p,
                    None => {
                        saved.push(Saved {
                            hex,
                            tags: Vec::new(),
                        });
                        saved.len() - 1
                    }
                };
                if let Some(t) = tag {
                    if !saved[pos].tags.contains(&t) {
                        saved[pos].tags.push(t);
                    }
                }
            };
            for r in references {
                let by_name = !r.starts_with("sha256:") && Reference::parse(r).is_ok();
                if by_name {
                    let parsed = Reference::parse(r)?;
                    if parsed.is_name_only() {
                        let name = parsed.familiar_name();
                        let tagged: Vec<(String, String)> = st
                            .tags
                            .iter()
                            .filter(|(t, _)| t.rsplit_once(':').is_some_and(|(n, _)| n == name))
                            .map(|(t, h)| (t.clone(), h.clone()))
                            .collect();
                        if !tagged.is_empty() {
                            for (t, h) in tagged {
                                add(h, Some(t));
                            }
                            continue;
                        }
                    } else if parsed.digest.is_none() {
                        let tag = parsed.familiar_tagged();
                        let hex = resolve_hex(&st, r)?;
                        if st.tags.get(&tag) == Some(&hex) {
                            add(hex, Some(tag));
                            continue;
                        }
                        add(hex, None);
                        continue;
                    }
                }
                add(resolve_hex(&st, r)?, None);
            }
        }
        // Keep the layers from a concurrent removal while streaming.
        let mut configs = Vec::new();
        for s in &saved {
            let bytes = fs::read(self.root.join("imagedb").join(&s.hex))
                .ctx(|| format!("reading image config {}", s.hex))?;
            let config = crate::config::ImageConfig::from_slice(&bytes)
                .map_err(|e| ImageError::InvalidArchive(format!("image config {}: {e}", s.hex)))?;
            for d in &config.rootfs.diff_ids {
                if !self.pin_existing(&mut pins, d) {
                    return Err(ImageError::NotFound(format!("layer {d}")));
                }
            }
            configs.push((bytes, config));
        }
        let mut out = ArchiveWriter::new(writer);
        out.dir("blobs/")?;
        out.dir("blobs/sha256/")?;
        let mut index = Index {
            schema_version: 2,
            media_type: MEDIA_OCI_INDEX.into(),
            manifests: Vec::new(),
        };
        let mut docker_manifest = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (s, (config_bytes, config)) in saved.iter().zip(&configs) {
            out.blob(config_bytes)?;
            let mut layers = Vec::new();
            for d in &config.rootfs.diff_ids {
                let hex = sha256_hex(d).ok_or_else(|| ImageError::NotFound(d.clone()))?;
                let path = layer_dir(&self.root, hex).join("layer.tar");
                let size = out.file_blob(hex, &path)?;
                layers.push(Descriptor {
                    media_type: MEDIA_OCI_LAYER_TAR.into(),
                    digest: d.clone(),
                    size,
                    ..Descriptor::default()
                });
            }
            let manifest = Manifest {
                schema_version: 2,
                media_type: MEDIA_OCI_MANIFEST.into(),
                config: Descriptor {
                    media_type: MEDIA_OCI_CONFIG.into(),
                    digest: format!("sha256:{}", s.hex),
                    size: config_bytes.len() as u64,
                    ..Descriptor::default()
                },
                layers,
            };
            let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
            let manifest_digest = out.blob(&manifest_bytes)?;
            let descriptor = |annotations| Descriptor {
                media_type: MEDIA_OCI_MANIFEST.into(),
                digest: manifest_digest.clone(),
                size: manifest_bytes.len() as u64,
                annotations,
                platform: None,
            };
            if s.tags.is_empty() {
                index.manifests.push(descriptor(BTreeMap::new()));
            }
            for t in &s.tags {
                let Ok(r) = Reference::parse(t) else { continue };
                let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
                let annotations = BTreeMap::from([
                    (
                        ANNOTATION_IMAGE_NAME.to_string(),
                        format!("{}:{tag}", r.full_name()),
                    ),
                    (ANNOTATION_REF_NAME.to_string(), tag.clone()),
                ]);
                index.manifests.push(descriptor(annotations));
                if let Some(top) = config.rootfs.diff_ids.last().and_then(|d| sha256_hex(d)) {
                    repositories
                        .entry(r.familiar_name())
                        .or_default()
                        .insert(tag, top.to_string());
                }
            }
            docker_manifest.push(DockerManifestEntry {
                config: format!("blobs/sha256/{}", s.hex),
                repo_tags: (!s.tags.is_empty()).then(|| s.tags.clone()),
                layers: config
                    .rootfs
                    .diff_ids
                    .iter()
                    .filter_map(|d| sha256_hex(d))
                    .map(|h| format!("blobs/sha256/{h}"))
                    .collect(),
            });
        }
        out.file("index.json", &to_json(&index))?;
        out.file("manifest.json", &to_json(&docker_manifest))?;
        out.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        if !repositories.is_empty() {
            out.file("repositories", &to_json(&repositories))?;
        }
        out.finish()
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

/// A tar writer that writes each blob once.
struct ArchiveWriter<W: Write> {
    tar: tar::Builder<W>,
    written: HashSet<String>,
}

impl<W: Write> ArchiveWriter<W> {
    fn new(w: W) -> Self {
        ArchiveWriter {
            tar: tar::Builder::new(w),
            written: HashSet::new(),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(0);
        h
    }

    fn dir(&mut self, path: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.tar
            .append_data(&mut h, path, std::io::empty())
            .ctx(|| "writing archive".into())
    }

    fn file(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, 0o644, data.len() as u64);
        self.tar
            .append_data(&mut h, path, data)
            .ctx(|| format!("writing {path} to archive"))
    }

    /// Writes bytes as `blobs/sha256/<digest>` once; returns the digest.
    fn blob(&mut self, data: &[u8]) -> Result<String> {
        let digest = sha256_digest(data);
        let hex = digest.trim_start_matches("sha256:").to_string();
        if self.written.insert(hex.clone()) {
            self.file(&format!("blobs/sha256/{hex}"), data)?;
        }
        Ok(digest)
    }

    /// Writes a stored file as the blob `hex` once; returns its size.
    fn file_blob(&mut self, hex: &str, path: &std::path::Path) -> Result<u64> {
        let file = File::open(path).ctx(|| format!("opening {}", path.display()))?;
        let size = file
            .metadata()
            .ctx(|| format!("reading {}", path.display()))?
            .len();
        if self.written.insert(hex.to_string()) {
            let mut h = Self::header(tar::EntryType::Regular, 0o644, size);
            self.tar
                .append_data(&mut h, format!("blobs/sha256/{hex}"), file.take(size))
                .ctx(|| format!("writing layer {hex} to archive"))?;
        }
        Ok(size)
    }

    fn finish(self) -> Result<()> {
        let mut w = self.tar.into_inner().ctx(|| "finishing archive".into())?;
        w.flush().ctx(|| "flushing archive".into())
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
