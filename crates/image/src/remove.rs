//! `remove` (`docker rmi`) with Docker's untag/delete/conflict rules, and
//! `history`.

use wharf_api::image::HistoryItem;

use crate::config::parse_time;
use crate::digest::sha256_hex;
use crate::error::{ImageError, Result};
use crate::layer::{self, chain_ids, layer_dir};
use crate::reference::Reference;
use crate::store::{
    digests_of, image_of, refs_of, repo_of, resolve_hex, short_id, tags_of, ImageStore, State,
};

/// One line of `docker rmi` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteItem {
    /// A `name:tag` that no longer points at the image.
    Untagged(String),
    /// An image ID (or a layer's chain ID) that was deleted.
    Deleted(String),
}

/// A container using an image: `(container id, running)`.
pub type InUse = Option<(String, bool)>;

impl ImageStore {
    /// Removes `reference` like `docker rmi [-f]`. `in_use(image_id)` tells
    /// whether a container uses the image (`Some((container_id, running))`);
    /// return a running container when there is one, as Docker checks
    /// running ones first. It is called without the store's lock held.
    ///
    /// - by tag, when other tags remain: only untags;
    /// - by tag, last tag, used by a container: Conflict unless `force`
    ///   (`force` then only untags: the container keeps the image);
    /// - by ID: untags (if at most one tag, or `force`) and deletes; a stopped
    ///   container's use is a Conflict unless `force`, a running one's always.
    pub fn remove(
        &self,
        reference: &str,
        force: bool,
        in_use: &dyn Fn(&str) -> InUse,
    ) -> Result<Vec<DeleteItem>> {
        let hex = resolve_hex(&self.lock(), reference)?;
        let id = format!("sha256:{hex}");
        let user = in_use(&id);
        let mut st = self.lock();
        if resolve_hex(&st, reference)? != hex {
            return Err(ImageError::Conflict(format!(
                "conflict: image {reference} changed during removal, try again"
            )));
        }
        // By tag when the reference names an existing tag (or a recorded
        // `name@digest`), even if it also happens to be a prefix of the ID
        // (`a` for an ID `a1b2…`).
        let key_of = |r: &Reference| match &r.digest {
            None => r.familiar_tagged(),
            Some(d) => format!("{}@{d}", r.familiar_name()),
        };
        let tag_hit = !reference.starts_with("sha256:")
            && Reference::parse(reference).is_ok_and(|r| {
                let key = key_of(&r);
                st.tags.contains_key(&key) || st.digests.contains_key(&key)
            });
        let by_id = !tag_hit;
        let mut records = Vec::new();
        let mut quiet = false;
        let refs = refs_of(&st, &hex);
        if !by_id {
            let parsed = Reference::parse(reference)?;
            let key = key_of(&parsed);
            if !force && single_reference(&refs) {
                if let Some((cid, _)) = &user {
                    return Err(ImageError::Conflict(format!(
                        "conflict: unable to remove repository reference {reference:?} (must force) - container {} is using its referenced image {}",
                        short_id(cid),
                        short_id(&id)
                    )));
                }
            }
            let mut gone = vec![key.clone()];
            if parsed.digest.is_none() {
                // The last tag of a repository takes that repository's
                // digest references with it, as Docker does.
                let name = parsed.familiar_name();
                let other_tag = tags_of(&st, &hex)
                    .iter()
                    .any(|t| *t != key && repo_of(t) == name);
                if !other_tag {
                    gone.extend(
                        digests_of(&st, &hex)
                            .into_iter()
                            .filter(|d| repo_of(d) == name),
                    );
                }
            }
            self.untag(&mut st, &gone, &mut records)?;
            if !refs_of(&st, &hex).is_empty() {
                return Ok(records);
            }
            quiet = true;
        } else if single_reference(&refs) || refs.is_empty() {
            if let Some(c) = conflict(&st, &hex, &user, force, false) {
                return Err(c);
            }
            self.untag(&mut st, &refs, &mut records)?;
        }
        if let Some(c) = conflict(&st, &hex, &user, force, true) {
            let dangling = tags_of(&st, &hex).is_empty();
            if quiet && (!dangling || user.is_some()) {
                return Ok(records);
            }
            return Err(c);
        }
        let remaining = refs_of(&st, &hex);
        self.untag(&mut st, &remaining, &mut records)?;
        let parent = st.images.get(&hex).map(|c| c.parent.clone());
        self.delete_image(&mut st, &hex, &mut records)?;
        drop(st);
        if let Some(p) = parent {
            self.prune_parents(&p, in_use, &mut records);
        }
        Ok(records)
    }

    /// After a delete, removes the untagged parents that no other image
    /// builds on and no container uses (a build's intermediate steps), as
    /// Docker's `rmi` does.
    fn prune_parents(
        &self,
        parent: &str,
        in_use: &dyn Fn(&str) -> InUse,
        records: &mut Vec<DeleteItem>,
    ) {
        let mut next = parent.to_string();
        while let Some(hex) = sha256_hex(&next).map(str::to_string) {
            let eligible = |st: &State| {
                st.images.contains_key(&hex)
                    && refs_of(st, &hex).is_empty()
                    && !st.images.values().any(|c| c.parent == next)
            };
            if !eligible(&self.lock()) || in_use(&next).is_some() {
                return;
            }
            let mut st = self.lock();
            if !eligible(&st) {
                return;
            }
            let up = st
                .images
                .get(&hex)
                .map(|c| c.parent.clone())
                .unwrap_or_default();
            if self.delete_image(&mut st, &hex, records).is_err() {
                return;
            }
            next = up;
        }
    }

    fn untag(&self, st: &mut State, tags: &[String], records: &mut Vec<DeleteItem>) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let mut new_tags = st.tags.clone();
        let mut new_digests = st.digests.clone();
        for t in tags {
            new_tags.remove(t);
            new_digests.remove(t);
        }
        self.save_refs(&new_tags, &new_digests)?;
        st.tags = new_tags;
        st.digests = new_digests;
        records.extend(tags.iter().cloned().map(DeleteItem::Untagged));
        Ok(())
    }

    /// Deletes the config, then every layer no other image (or pending
    /// import) uses; a layer is first renamed into `tmp/` so a crash never
    /// leaves a half-deleted layer where overlay would find it.
    fn delete_image(&self, st: &mut State, hex: &str, records: &mut Vec<DeleteItem>) -> Result<()> {
        let Some(config) = st.images.get(hex).cloned() else {
            return Err(ImageError::NotFound(format!("sha256:{hex}")));
        };
        let path = self.root.join("imagedb").join(hex);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ImageError::io(format!("removing image config {hex}"), e)),
        }
        st.images.remove(hex);
        records.push(DeleteItem::Deleted(format!("sha256:{hex}")));
        let still_used: std::collections::HashSet<&str> = st
            .images
            .values()
            .flat_map(|c| c.rootfs.diff_ids.iter())
            .filter_map(|d| sha256_hex(d))
            .collect();
        let chains = chain_ids(&config.rootfs.diff_ids);
        let mut done = std::collections::HashSet::new();
        let mut trash = Vec::new();
        // Top layer first, as Docker lists removed layers.
        for (diff, chain) in config.rootfs.diff_ids.iter().zip(chains).rev() {
            let Some(lhex) = sha256_hex(diff) else {
                continue;
            };
            if !done.insert(lhex)
                || still_used.contains(lhex)
                || st.pinned.contains_key(lhex)
                || !st.layers.contains_key(lhex)
            {
                continue;
            }
            let dir = layer_dir(&self.root, lhex);
            let to = self.tmp_dir().join(format!("rm-{lhex}"));
            match std::fs::rename(&dir, &to) {
                Ok(()) => trash.push(to),
                // Left in place: open() removes unreferenced layers later.
                Err(e) => tracing::warn!(layer = %lhex, error = %e, "cannot remove layer"),
            }
            st.layers.remove(lhex);
            records.push(DeleteItem::Deleted(chain));
        }
        for t in trash {
            layer::remove_tree(&t);
        }
        tracing::info!(image = %hex, "deleted image");
        Ok(())
    }

    /// `docker history`: newest step first; the newest carries the image ID
    /// and tags, and so do the older steps whose image is still in the store
    /// (a build's parents); others are `<missing>`, as Docker shows for
    /// pulled or loaded images.
    pub fn history(&self, reference: &str) -> Result<Vec<HistoryItem>> {
        let st = self.lock();
        let hex = resolve_hex(&st, reference)?;
        let image = image_of(&st, &hex).ok_or_else(|| ImageError::NotFound(reference.into()))?;
        let diffs = &image.config.rootfs.diff_ids;
        let layer_size = |i: usize| -> i64 {
            diffs
                .get(i)
                .and_then(|d| sha256_hex(d))
                .and_then(|h| st.layers.get(h))
                .map(|&s| s as i64)
                .unwrap_or(0)
        };
        let mut items = Vec::new();
        if image.config.history.is_empty() {
            // Some OCI images carry no history: one step per layer.
            for i in 0..diffs.len() {
                items.push(HistoryItem {
                    id: "<missing>".into(),
                    created: image.config.created_unix(),
                    size: layer_size(i),
                    ..HistoryItem::default()
                });
            }
        } else {
            let mut layer = 0;
            for h in &image.config.history {
                let size = if h.empty_layer {
                    0
                } else {
                    layer += 1;
                    layer_size(layer - 1)
                };
                items.push(HistoryItem {
                    id: "<missing>".into(),
                    created: parse_time(h.created.as_deref()),
                    created_by: h.created_by.clone(),
                    tags: Vec::new(),
                    size,
                    comment: h.comment.clone(),
                });
            }
        }
        items.reverse();
        // Locally built or committed images know their parents: each step
        // of the chain still in the store gets its ID and tags, as Docker
        // shows them after a classic build.
        let mut cur = Some(hex.clone());
        let mut i = 0;
        while let (Some(h), true) = (cur.clone(), i < items.len()) {
            let Some(cfg) = st.images.get(&h) else {
                break;
            };
            if cfg.history.len() != items.len() - i {
                break;
            }
            items[i].id = format!("sha256:{h}");
            items[i].tags = tags_of(&st, &h);
            i += 1;
            cur = sha256_hex(&cfg.parent).map(str::to_string);
        }
        Ok(items)
    }
}

/// Docker's `isSingleReference`: at most one tag, and every digest
/// reference of that tag's repository.
fn single_reference(refs: &[String]) -> bool {
    if refs.len() <= 1 {
        return refs.len() == 1;
    }
    let tags: Vec<&String> = refs.iter().filter(|r| !r.contains('@')).collect();
    if tags.len() > 1 {
        return false;
    }
    let name = repo_of(tags.first().copied().unwrap_or(&refs[0]));
    refs.iter().all(|r| repo_of(r) == name)
}

/// Docker's `checkImageDeleteConflict`: a running container is a hard
/// conflict; a stopped one, or (when `check_refs`) remaining tags, a soft
/// one that `force` overrides.
fn conflict(
    st: &State,
    hex: &str,
    user: &InUse,
    force: bool,
    check_refs: bool,
) -> Option<ImageError> {
    let id = format!("sha256:{hex}");
    let msg = |hard: bool, what: String| {
        Some(ImageError::Conflict(format!(
            "conflict: unable to delete {} ({}) - {what}",
            short_id(&id),
            if hard {
                "cannot be forced"
            } else {
                "must be forced"
            }
        )))
    };
    if let Some((cid, true)) = user {
        return msg(
            true,
            format!("image is being used by running container {}", short_id(cid)),
        );
    }
    if force {
        return None;
    }
    if check_refs && !refs_of(st, hex).is_empty() {
        return msg(false, "image is referenced in multiple repositories".into());
    }
    if let Some((cid, false)) = user {
        return msg(
            false,
            format!("image is being used by stopped container {}", short_id(cid)),
        );
    }
    None
}
