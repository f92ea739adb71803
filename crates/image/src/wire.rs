//! Conversions from [`Image`] to the Engine API's image types, so the
//! daemon's `/images/json` and `/images/{name}/json` handlers stay thin.

use std::collections::BTreeMap;
use std::path::PathBuf;

use wharf_api::container::{ContainerConfig, GraphDriver};
use wharf_api::image::{ImageInspect, ImageMetadata, ImageSummary, RootFs};

use crate::config::RunConfig;
use crate::store::Image;

fn as_value_map(
    m: &Option<BTreeMap<String, crate::config::Empty>>,
) -> Option<BTreeMap<String, serde_json::Value>> {
    m.as_ref().map(|m| {
        m.keys()
            .map(|k| (k.clone(), serde_json::json!({})))
            .collect()
    })
}

/// The image's run defaults as the API's `ContainerConfig`.
pub fn container_config(c: &RunConfig) -> ContainerConfig {
    ContainerConfig {
        user: c.user.clone(),
        exposed_ports: as_value_map(&c.exposed_ports),
        env: c.env.clone(),
        cmd: c.cmd.clone(),
        volumes: as_value_map(&c.volumes),
        working_dir: c.working_dir.clone(),
        entrypoint: c.entrypoint.clone(),
        on_build: c.on_build.clone(),
        labels: c.labels.clone(),
        stop_signal: c.stop_signal.clone(),
        shell: c.shell.clone(),
        ..ContainerConfig::default()
    }
}

impl Image {
    /// One entry of `GET /images/json`. `Containers` and `SharedSize` are
    /// -1 (not computed), as Docker answers without `shared-size`.
    pub fn summary(&self) -> ImageSummary {
        ImageSummary {
            id: self.id.clone(),
            parent_id: self.config.parent.clone(),
            repo_tags: self.repo_tags.clone(),
            repo_digests: self.repo_digests.clone(),
            created: self.config.created_unix(),
            size: self.size as i64,
            shared_size: -1,
            virtual_size: self.size as i64,
            labels: self.config.config.labels.clone().unwrap_or_default(),
            containers: -1,
        }
    }

    /// `GET /images/{name}/json`; `layer_dirs` from
    /// [`ImageStore::layer_dirs`](crate::ImageStore::layer_dirs) (lowest first).
    pub fn inspect(&self, layer_dirs: &[PathBuf]) -> ImageInspect {
        let mut data = BTreeMap::new();
        if let Some((top, lower)) = layer_dirs.split_last() {
            data.insert("UpperDir".to_string(), top.display().to_string());
            if !lower.is_empty() {
                let lower: Vec<String> = lower
                    .iter()
                    .rev()
                    .map(|p| p.display().to_string())
                    .collect();
                data.insert("LowerDir".to_string(), lower.join(":"));
            }
        }
        let c = &self.config;
        ImageInspect {
            id: self.id.clone(),
            repo_tags: self.repo_tags.clone(),
            repo_digests: self.repo_digests.clone(),
            parent: c.parent.clone(),
            comment: c.comment.clone(),
            created: c
                .created
                .clone()
                .unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
            docker_version: c.docker_version.clone(),
            author: c.author.clone(),
            config: container_config(&c.config),
            architecture: c.architecture.clone(),
            os: c.os.clone(),
            size: self.size as i64,
            virtual_size: self.size as i64,
            graph_driver: GraphDriver {
                name: "overlay2".into(),
                data,
            },
            root_fs: RootFs {
                kind: c.rootfs.kind.clone(),
                layers: c.rootfs.diff_ids.clone(),
            },
            // Go clients parse this as a time: the zero time, not "".
            metadata: ImageMetadata {
                last_tag_time: "0001-01-01T00:00:00Z".into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::tests::{rootfs, store};

    #[test]
    fn summary_and_inspect_carry_the_config() {
        let (_t, s) = store();
        let img = s
            .import(
                &rootfs(b"w")[..],
                &[
                    "CMD [\"sh\"]".into(),
                    "EXPOSE 80".into(),
                    "LABEL a=b".into(),
                ],
                Some("w:1"),
                "msg",
            )
            .unwrap();
        let sum = img.summary();
        assert_eq!(sum.id, img.id);
        assert_eq!(sum.repo_tags, vec!["w:1"]);
        assert_eq!(sum.labels["a"], "b");
        assert_eq!(sum.size, img.size as i64);
        let ins = img.inspect(&s.layer_dirs(&img));
        assert_eq!(ins.config.cmd, Some(vec!["sh".to_string()]));
        assert!(ins
            .config
            .exposed_ports
            .as_ref()
            .unwrap()
            .contains_key("80/tcp"));
        assert_eq!(ins.comment, "msg");
        assert_eq!(ins.root_fs.layers, img.config.rootfs.diff_ids);
        assert_eq!(ins.graph_driver.name, "overlay2");
        let v = serde_json::to_value(&ins).unwrap();
        assert_eq!(v["RootFS"]["Type"], "layers");
    }

    #[test]
    fn store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::ImageStore>();
    }
}
