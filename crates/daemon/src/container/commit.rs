//! `POST /commit` (`docker commit`): the container's writable layer (its
//! overlay upper directory, OCI whiteouts) becomes a new layer on top of
//! its image, with `--change` lines applied to the image's config, a
//! history entry (`-m`, `-a`) and the image as parent.

use std::sync::Arc;

use wharf_image::config::{now_rfc3339, History};

use crate::daemon::Daemon;
use crate::error::{Error, Result};

pub struct CommitOptions {
    pub container: String,
    /// Familiar `name:tag`, if any.
    pub reference: Option<String>,
    pub comment: String,
    pub author: String,
    pub changes: Vec<String>,
}

/// Blocking: packs and stores the layer; returns the new image ID.
pub fn commit(d: &Arc<Daemon>, o: CommitOptions) -> Result<String> {
    let rec = d.get(&o.container)?;
    let base = d.images.resolve(&rec.image_id).map_err(crate::kinded)?;
    let run_config = wharf_image::changes::apply_changes(&base.config.config, &o.changes)
        .map_err(crate::kinded)?;
    let tags = match &o.reference {
        Some(r) => vec![wharf_image::reference::parse_tag_target(r).map_err(crate::kinded)?],
        None => Vec::new(),
    };
    let mut txn = d.images.transaction();
    if !txn.hold(&base) {
        return Err(Error::not_found(format!(
            "image {} lost its layers",
            base.id
        )));
    }
    let tmp = d
        .data_root
        .join("build")
        .join(format!("commit-{}", crate::util::random_id()));
    std::fs::create_dir_all(tmp.parent().unwrap_or(&tmp))?;
    let upper = d.paths(&rec.id).upper();
    let result = (|| {
        let f = std::fs::File::create(&tmp)?;
        if upper.is_dir() {
            wharf_image::pack_upper(&upper, std::io::BufWriter::new(f))?
                .into_inner()
                .map_err(|e| Error::internal(format!("writing layer: {e}")))?;
        } else {
            tar_empty(f)?;
        }
        let diff = txn
            .add_layer(std::fs::File::open(&tmp)?)
            .map_err(crate::kinded)?;
        let mut cfg = base.config.clone();
        let now = now_rfc3339();
        cfg.created = Some(now.clone());
        cfg.parent = base.id.clone();
        cfg.author = o.author.clone();
        cfg.comment = o.comment.clone();
        cfg.config = run_config;
        cfg.rootfs.diff_ids.push(diff);
        cfg.history.push(History {
            created: Some(now),
            created_by: rec
                .config
                .entrypoint
                .iter()
                .flatten()
                .chain(rec.config.cmd.iter().flatten())
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            author: o.author.clone(),
            comment: o.comment.clone(),
            empty_layer: false,
        });
        let img = txn.commit_image(&cfg, &tags).map_err(crate::kinded)?;
        Ok(img.id)
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn tar_empty(f: std::fs::File) -> Result<()> {
    tar::Builder::new(f).into_inner()?;
    Ok(())
}
