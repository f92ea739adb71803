//! `POST /images/prune` (`docker image prune [-a]`): dangling images (no
//! tag, no child), or with `dangling=false` every image no container
//! uses; each removal takes its untagged parents along (a build's
//! intermediate steps).

use std::sync::Arc;

use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::Filters;

pub fn prune(d: &Arc<Daemon>, filters: &Filters) -> Result<serde_json::Value> {
    filters.only(&["dangling", "label", "until"])?;
    let dangling_only = match filters.get("dangling").first().map(String::as_str) {
        None | Some("true") | Some("1") => true,
        Some("false") | Some("0") => false,
        Some(v) => return Err(Error::invalid(format!("invalid filter 'dangling={v}'"))),
    };
    let mut deleted = Vec::new();
    let mut reclaimed: u64 = 0;
    // Rounds: removing a child makes its parent a candidate.
    loop {
        let images = d.images.list();
        let parents: std::collections::HashSet<String> = images
            .iter()
            .map(|i| i.config.parent.clone())
            .filter(|p| !p.is_empty())
            .collect();
        let mut progressed = false;
        for img in images {
            let referenced = !img.repo_tags.is_empty() || !img.repo_digests.is_empty();
            if parents.contains(&img.id) || (dangling_only && referenced) {
                continue;
            }
            let labels = img.config.config.labels.clone().unwrap_or_default();
            let label_ok = filters
                .get("label")
                .iter()
                .all(|l| match l.split_once('=') {
                    Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
                    None => labels.contains_key(l.as_str()),
                });
            if !label_ok || d.image_user(&img.id).is_some() {
                continue;
            }
            let before = d.images.list().iter().map(|i| i.size).sum::<u64>();
            match d.images.remove(&img.id, true, &|id: &str| d.image_user(id)) {
                Ok(items) => {
                    progressed = true;
                    for it in items {
                        let v = match it {
                            wharf_image::DeleteItem::Untagged(t) => {
                                serde_json::json!({ "Untagged": t })
                            }
                            wharf_image::DeleteItem::Deleted(i) => {
                                d.events.emit("image", "delete", &i, Default::default());
                                serde_json::json!({ "Deleted": i })
                            }
                        };
                        deleted.push(v);
                    }
                }
                Err(e) => tracing::info!(image = %img.id, error = %e, "prune skipped image"),
            }
            let after = d.images.list().iter().map(|i| i.size).sum::<u64>();
            reclaimed += before.saturating_sub(after);
        }
        if !progressed || dangling_only {
            break;
        }
    }
    Ok(serde_json::json!({
        "ImagesDeleted": if deleted.is_empty() { serde_json::Value::Null } else { deleted.into() },
        "SpaceReclaimed": reclaimed,
    }))
}
