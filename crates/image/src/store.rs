//! The image store: configs by image ID, the tag map, and the shared
//! in-memory index behind one `Mutex`. Layout under the root:
//!
//! ```text
//! imagedb/<hex>          config JSON bytes; the image ID is sha256 of them
//! layers/<diff-hex>/     see `layer.rs`
//! repositories.json      {"Repositories": {"busybox": {"busybox:latest": "sha256:…",
//!                         "busybox@sha256:<manifest>": "sha256:…"}}}  (tags and repo digests, as Docker keeps them)
//! tmp/                   staging; emptied at open
//! ```
//!
//! Visibility order makes crashes harmless: layers are renamed into place
//! whole, then the config is written atomically (the image exists from
//! then on), then the tag map is rewritten atomically. Layers that no
//! config references are removed at open.
//!
//! Long work (unpacking) runs without the lock; layers staged by an
//! import that has not committed yet are "pinned" so a concurrent `remove`
//! never deletes them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::config::ImageConfig;
use crate::digest::{is_full_hex, sha256_digest, sha256_hex};
use crate::error::{ImageError, IoContext, Result};
use crate::layer::{self, layer_dir, StagedLayer};
use crate::reference::Reference;

/// An image as the daemon sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// `sha256:<hex>` of the config bytes.
    pub id: String,
    pub config: ImageConfig,
    /// Familiar `name:tag` references pointing at this image, sorted.
    pub repo_tags: Vec<String>,
    /// Familiar `name@sha256:…` of the manifests (or indexes) this image
    /// was pulled by or pushed as, sorted.
    pub repo_digests: Vec<String>,
    /// Sum of the layers' sizes in bytes.
    pub size: u64,
}

impl Image {
    /// The hex part of the ID.
    pub fn hex(&self) -> &str {
        self.id.strip_prefix("sha256:").unwrap_or(&self.id)
    }
}

/// Docker's 12-character short form of an ID.
pub fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.get(..12).unwrap_or(hex)
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RepositoriesFile {
    repositories: BTreeMap<String, BTreeMap<String, String>>,
}

pub(crate) struct State {
    /// Image hex → parsed config.
    pub images: BTreeMap<String, ImageConfig>,
    /// Familiar `name:tag` → image hex.
    pub tags: BTreeMap<String, String>,
    /// Familiar `name@sha256:…` (a registry manifest's digest) → image hex.
    pub digests: BTreeMap<String, String>,
    /// Layer diff hex → size.
    pub layers: HashMap<String, u64>,
    /// Layer diff hex → number of uncommitted operations using it.
    pub pinned: HashMap<String, usize>,
}

/// The local image store. `Send + Sync`; every method blocks (call it
/// from `spawn_blocking` in async code).
pub struct ImageStore {
    pub(crate) root: PathBuf,
    pub(crate) state: Mutex<State>,
}

/// Layers held by an operation in flight; unpinned on drop.
pub(crate) struct Pins<'a> {
    store: &'a ImageStore,
    hexes: Vec<String>,
}

impl Drop for Pins<'_> {
    fn drop(&mut self) {
        let mut st = self.store.lock();
        for h in &self.hexes {
            if let Some(n) = st.pinned.get_mut(h) {
                *n -= 1;
                if *n == 0 {
                    st.pinned.remove(h);
                }
            }
        }
    }
}

/// What a tag operation replaced: Docker's load reports moved tags.
pub(crate) struct Retagged {
    pub tag: String,
    pub old_id: String,
}

impl ImageStore {
    /// Opens (creating if needed) the store under `root`, removing staging
    /// leftovers and layers no image references (a crash between layer
    /// and config commit).
    pub fn open(root: &Path) -> Result<ImageStore> {
        for d in ["imagedb", "layers", "tmp"] {
            let p = root.join(d);
            fs::create_dir_all(&p).ctx(|| format!("creating {}", p.display()))?;
        }
        if let Ok(rd) = fs::read_dir(root.join("tmp")) {
            for e in rd.flatten() {
                layer::remove_tree(&e.path());
            }
        }
        let mut images = BTreeMap::new();
        for e in fs::read_dir(root.join("imagedb"))
            .ctx(|| "reading imagedb".into())?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_full_hex(&name) {
                continue;
            }
            let bytes = fs::read(e.path()).ctx(|| format!("reading image config {name}"))?;
            if sha256_digest(&bytes) != format!("sha256:{name}") {
                tracing::warn!(image = %name, "image config does not match its ID; ignoring it");
                continue;
            }
            match ImageConfig::from_slice(&bytes) {
                Ok(c) => {
                    images.insert(name, c);
                }
                Err(err) => tracing::warn!(image = %name, %err, "unreadable image config"),
            }
        }
        let referenced: HashSet<String> = images
            .values()
            .flat_map(|c| c.rootfs.diff_ids.iter())
            .filter_map(|d| sha256_hex(d).map(str::to_string))
            .collect();
        let mut layers = HashMap::new();
        for e in fs::read_dir(root.join("layers"))
            .ctx(|| "reading layers".into())?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let meta = layer::read_meta(&e.path());
            match meta {
                Some(m) if referenced.contains(&name) => {
                    layers.insert(name, m.size);
                }
                _ => {
                    tracing::info!(layer = %name, "removing unreferenced layer");
                    layer::remove_tree(&e.path());
                }
            }
        }
        // Images whose layers are gone cannot run; drop them from the index.
        images.retain(|hex, c| {
            let ok = c
                .rootfs
                .diff_ids
                .iter()
                .all(|d| sha256_hex(d).is_some_and(|h| layers.contains_key(h)));
            if !ok {
                tracing::warn!(image = %hex, "image has missing layers; ignoring it");
            }
            ok
        });
        let mut tags = BTreeMap::new();
        let mut digests = BTreeMap::new();
        if let Ok(bytes) = fs::read(root.join("repositories.json")) {
            let file: RepositoriesFile = serde_json::from_slice(&bytes).unwrap_or_default();
            for (tag, id) in file.repositories.into_values().flatten() {
                if let Some(hex) = sha256_hex(&id) {
                    if images.contains_key(hex) {
                        match tag.contains('@') {
                            true => digests.insert(tag, hex.to_string()),
                            false => tags.insert(tag, hex.to_string()),
                        };
                    }
                }
            }
        }
        Ok(ImageStore {
            root: root.to_path_buf(),
            state: Mutex::new(State {
                images,
                tags,
                digests,
                layers,
                pinned: HashMap::new(),
            }),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not make the store unusable: the state is
        // only changed after the disk, so it stays consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Pins the layer if it is already in the store.
    pub(crate) fn pin_existing<'a>(&'a self, pins: &mut Pins<'a>, diff_id: &str) -> bool {
        let Some(hex) = sha256_hex(diff_id) else {
            return false;
        };
        let mut st = self.lock();
        if !st.layers.contains_key(hex) {
            return false;
        }
        *st.pinned.entry(hex.to_string()).or_default() += 1;
        pins.hexes.push(hex.to_string());
        true
    }

    pub(crate) fn pins(&self) -> Pins<'_> {
        Pins {
            store: self,
            hexes: Vec::new(),
        }
    }

    /// Makes a staged layer visible (or drops it if the same layer arrived
    /// meanwhile) and pins it.
    pub(crate) fn commit_layer<'a>(
        &'a self,
        pins: &mut Pins<'a>,
        staged: StagedLayer,
    ) -> Result<String> {
        let hex = sha256_hex(&staged.meta.diff_id)
            .ok_or_else(|| ImageError::InvalidArchive("bad layer digest".into()))?
            .to_string();
        let dest = layer_dir(&self.root, &hex);
        let mut st = self.lock();
        let duplicate = st.layers.contains_key(&hex);
        if !duplicate {
            // A leftover directory of a failed removal is stale: replace it.
            if dest.exists() {
                layer::remove_tree(&dest);
            }
            fs::rename(&staged.dir, &dest).ctx(|| format!("committing layer {hex}"))?;
            wharf_sys::fs::sync_dir(&self.root.join("layers")).ctx(|| "syncing layers".into())?;
            st.layers.insert(hex.clone(), staged.meta.size);
        }
        // Pinned under the same lock, so no removal can slip in between.
        *st.pinned.entry(hex.clone()).or_default() += 1;
        drop(st);
        pins.hexes.push(hex);
        if duplicate {
            layer::remove_tree(&staged.dir);
        }
        Ok(staged.meta.diff_id)
    }

    /// Stores a config whose layers are all present (and pinned by the
    /// caller), then points `tags` (familiar `name:tag`) at it.
    pub(crate) fn commit_image(
        &self,
        config_bytes: &[u8],
        tags: &[String],
    ) -> Result<(Image, Vec<Retagged>)> {
        let config = ImageConfig::from_slice(config_bytes)
            .map_err(|e| ImageError::InvalidArchive(format!("bad image config: {e}")))?;
        let id = sha256_digest(config_bytes);
        let hex = id.trim_start_matches("sha256:").to_string();
        let mut st = self.lock();
        for d in &config.rootfs.diff_ids {
            if !sha256_hex(d).is_some_and(|h| st.layers.contains_key(h)) {
                return Err(ImageError::InvalidArchive(format!("layer {d} is missing")));
            }
        }
        if !st.images.contains_key(&hex) {
            let path = self.root.join("imagedb").join(&hex);
            wharf_sys::fs::write_atomic(&path, config_bytes)
                .ctx(|| format!("writing image config {hex}"))?;
            st.images.insert(hex.clone(), config);
        }
        let mut retagged = Vec::new();
        if !tags.is_empty() {
            let mut new_tags = st.tags.clone();
            for t in tags {
                if let Some(old) = new_tags.insert(t.clone(), hex.clone()) {
                    if old != hex {
                        retagged.push(Retagged {
                            tag: t.clone(),
                            old_id: format!("sha256:{old}"),
                        });
                    }
                }
            }
            self.save_refs(&new_tags, &st.digests)?;
            st.tags = new_tags;
        }
        let image = image_of(&st, &hex).ok_or_else(|| ImageError::NotFound(id.clone()))?;
        Ok((image, retagged))
    }

    /// Writes the tag and digest maps crash-safely; callers update memory
    /// after.
    pub(crate) fn save_refs(
        &self,
        tags: &BTreeMap<String, String>,
        digests: &BTreeMap<String, String>,
    ) -> Result<()> {
        let mut file = RepositoriesFile::default();
        for (tag, hex) in tags.iter().chain(digests) {
            let repo = repo_of(tag);
            file.repositories
                .entry(repo.to_string())
                .or_default()
                .insert(tag.clone(), format!("sha256:{hex}"));
        }
        let bytes = serde_json::to_vec(&file).unwrap_or_default();
        wharf_sys::fs::write_atomic(&self.root.join("repositories.json"), &bytes)
            .ctx(|| "writing repositories.json".into())
    }

    /// Finds an image by `name[:tag]`, `sha256:<hex>`, full or short hex ID.
    pub fn resolve(&self, reference: &str) -> Result<Image> {
        let st = self.lock();
        let hex = resolve_hex(&st, reference)?;
        image_of(&st, &hex).ok_or_else(|| ImageError::NotFound(reference.to_string()))
    }

    /// Every image, newest first.
    pub fn list(&self) -> Vec<Image> {
        let st = self.lock();
        let mut out: Vec<Image> = st.images.keys().filter_map(|h| image_of(&st, h)).collect();
        out.sort_by_key(|i| std::cmp::Reverse(i.config.created_unix()));
        out
    }

    /// Points `target` (`name[:tag]`, tag defaults to `latest`) at the image
    /// `source` resolves to.
    pub fn tag(&self, source: &str, target: &str) -> Result<()> {
        let tag = crate::reference::parse_tag_target(target)?;
        let mut st = self.lock();
        let hex = resolve_hex(&st, source)?;
        let mut tags = st.tags.clone();
        tags.insert(tag, hex);
        self.save_refs(&tags, &st.digests)?;
        st.tags = tags;
        Ok(())
    }

    /// Records that `name` (any reference form; its tag is ignored) at the
    /// registry manifest `digest` is the image `id`: Docker's RepoDigests,
    /// kept after a pull (the digest the reference named: an index's when
    /// pulled through one) and after a push. A digest recorded for another
    /// image moves to this one.
    pub fn add_repo_digest(&self, name: &str, digest: &str, id: &str) -> Result<String> {
        let r = Reference::parse(name)?;
        if !digest.starts_with("sha256:") || sha256_hex(digest).is_none() {
            return Err(ImageError::InvalidReference(format!(
                "invalid digest {digest:?}"
            )));
        }
        let key = format!("{}@{digest}", r.familiar_name());
        let mut st = self.lock();
        let hex = resolve_hex(&st, id)?;
        if st.digests.get(&key) == Some(&hex) {
            return Ok(key);
        }
        let mut digests = st.digests.clone();
        digests.insert(key.clone(), hex);
        self.save_refs(&st.tags, &digests)?;
        st.digests = digests;
        Ok(key)
    }

    /// The layers' unpacked directories, **lowest (base) layer first**, in
    /// the config's `rootfs.diff_ids` order. overlayfs wants the *top* layer
    /// first in `lowerdir=`, so reverse this list when building it.
    pub fn layer_dirs(&self, image: &Image) -> Vec<PathBuf> {
        image
            .config
            .rootfs
            .diff_ids
            .iter()
            .filter_map(|d| sha256_hex(d))
            .map(|h| layer_dir(&self.root, h).join("diff"))
            .collect()
    }

    /// The image's size: the sum of its layers' sizes.
    pub fn size(&self, image: &Image) -> u64 {
        let st = self.lock();
        size_of(&st, &image.config)
    }

    /// The root directory of the store.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

pub(crate) fn size_of(st: &State, config: &ImageConfig) -> u64 {
    let mut seen = HashSet::new();
    config
        .rootfs
        .diff_ids
        .iter()
        .filter_map(|d| sha256_hex(d))
        .filter(|h| seen.insert(*h))
        .map(|h| st.layers.get(h).copied().unwrap_or(0))
        .sum()
}

pub(crate) fn tags_of(st: &State, hex: &str) -> Vec<String> {
    st.tags
        .iter()
        .filter(|(_, h)| h.as_str() == hex)
        .map(|(t, _)| t.clone())
        .collect()
}

pub(crate) fn digests_of(st: &State, hex: &str) -> Vec<String> {
    st.digests
        .iter()
        .filter(|(_, h)| h.as_str() == hex)
        .map(|(t, _)| t.clone())
        .collect()
}

/// Every reference (tags, then digests) pointing at the image.
pub(crate) fn refs_of(st: &State, hex: &str) -> Vec<String> {
    let mut v = tags_of(st, hex);
    v.extend(digests_of(st, hex));
    v
}

/// The repository part of a familiar `name:tag` or `name@digest`.
pub(crate) fn repo_of(r: &str) -> &str {
    if let Some((name, _)) = r.split_once('@') {
        return name;
    }
    match r.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => r,
    }
}

pub(crate) fn image_of(st: &State, hex: &str) -> Option<Image> {
    let config = st.images.get(hex)?;
    Some(Image {
        id: format!("sha256:{hex}"),
        config: config.clone(),
        repo_tags: tags_of(st, hex),
        repo_digests: digests_of(st, hex),
        size: size_of(st, config),
    })
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Unique image whose hex ID starts with `prefix`.
fn by_prefix(st: &State, prefix: &str) -> Option<String> {
    let mut it = st
        .images
        .range(prefix.to_string()..)
        .take_while(|(h, _)| h.starts_with(prefix));
    let first = it.next()?;
    if it.next().is_some() {
        return None;
    }
    Some(first.0.clone())
}

/// Docker's `GetImage` lookup order: a digest ID, then a tag, then an ID prefix.
pub(crate) fn resolve_hex(st: &State, reference: &str) -> Result<String> {
    if let Some(hex) = reference.strip_prefix("sha256:") {
        if is_hex(hex) {
            if let Some(h) = by_prefix(st, hex) {
                if hex.len() == 64 && h != hex {
                    return Err(ImageError::NotFound(reference.to_string()));
                }
                return Ok(h);
            }
        }
        return Err(ImageError::NotFound(reference.to_string()));
    }
    if is_full_hex(reference) {
        return match st.images.contains_key(reference) {
            true => Ok(reference.to_string()),
            false => Err(ImageError::NotFound(format!("sha256:{reference}"))),
        };
    }
    let parsed = Reference::parse(reference)?;
    match &parsed.digest {
        None => {
            if let Some(h) = st.tags.get(&parsed.familiar_tagged()) {
                return Ok(h.clone());
            }
        }
        Some(d) => {
            if let Some(h) = st.digests.get(&format!("{}@{d}", parsed.familiar_name())) {
                return Ok(h.clone());
            }
        }
    }
    if is_hex(reference) {
        if let Some(h) = by_prefix(st, reference) {
            return Ok(h);
        }
    }
    let shown = if parsed.digest.is_some() {
        parsed.to_string()
    } else {
        parsed.familiar_tagged()
    };
    Err(ImageError::NotFound(shown))
}

#[cfg(test)]
#[path = "store_tests.rs"]
pub(crate) mod tests;
