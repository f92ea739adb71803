//! `import`: a root filesystem tar becomes a one-layer image
//! (`docker import`, `POST /images/create?fromSrc=`).

use std::io::Read;

use crate::changes::apply_changes;
use crate::config::{host_arch, now_rfc3339, History, ImageConfig, RootFs, RunConfig};
use crate::error::Result;
use crate::layer::stage_layer;
use crate::reference::parse_tag_target;
use crate::store::{Image, ImageStore};

impl ImageStore {
    /// Imports a rootfs tar (plain or gzip, detected), applying Dockerfile
    /// style `changes`, tagging it `reference` (`name[:tag]`) if given.
    /// `message` becomes the config and history comment (the daemon passes
    /// Docker's default `Imported from -` when the user gave none).
    /// Changes and reference are validated before anything is read or stored.
    pub fn import<R: Read>(
        &self,
        reader: R,
        changes: &[String],
        reference: Option<&str>,
        message: &str,
    ) -> Result<Image> {
        self.import_for(reader, changes, reference, message, None)
    }

    /// [`ImageStore::import`] for a platform (`docker import --platform`):
    /// `(os, architecture, variant)` of the config, the host's when `None`.
    pub fn import_for<R: Read>(
        &self,
        reader: R,
        changes: &[String],
        reference: Option<&str>,
        message: &str,
        platform: Option<(&str, &str, &str)>,
    ) -> Result<Image> {
        let (os, arch, variant) = platform.unwrap_or(("linux", host_arch(), ""));
        let run_config = apply_changes(&RunConfig::default(), changes)?;
        let tags = match reference {
            Some(r) if !r.is_empty() => vec![parse_tag_target(r)?],
            _ => Vec::new(),
        };
        let mut pins = self.pins();
        let staged = stage_layer(&self.tmp_dir(), reader, None)?;
        let diff_id = self.commit_layer(&mut pins, staged)?;
        let created = now_rfc3339();
        let config = ImageConfig {
            architecture: arch.to_string(),
            variant: variant.to_string(),
            os: os.to_string(),
            created: Some(created.clone()),
            comment: message.to_string(),
            config: run_config,
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![diff_id],
            },
            history: vec![History {
                created: Some(created),
                comment: message.to_string(),
                ..History::default()
            }],
            ..ImageConfig::default()
        };
        let bytes = serde_json::to_vec(&config).unwrap_or_default();
        let (image, _) = self.commit_image(&bytes, &tags)?;
        tracing::info!(image = %image.id, tags = ?image.repo_tags, "imported image");
        Ok(image)
    }
}
