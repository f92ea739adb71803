//! `GET /system/df` (`docker system df`): images with their container
//! counts and shared sizes, containers with the size of their writable
//! layer, volumes with their usage, and the build cache's entries.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::daemon::Daemon;
use crate::error::Result;
use crate::http::Filters;

fn du(p: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.size() } else { 0 };
    }
    std::fs::read_dir(p)
        .map(|rd| rd.flatten().map(|e| du(&e.path())).sum())
        .unwrap_or(0)
}

/// Blocking: walks writable layers and volumes.
pub fn df(d: &Daemon) -> Result<serde_json::Value> {
    let images = d.images.list();
    // How many images list each layer: a layer of several is shared.
    let mut layer_users: HashMap<String, usize> = HashMap::new();
    for img in &images {
        for l in &img.config.rootfs.diff_ids {
            *layer_users.entry(l.clone()).or_default() += 1;
        }
    }
    let mut layers_size: u64 = 0;
    let mut seen = std::collections::HashSet::new();
    let mut out_images = Vec::new();
    for img in &images {
        let mut s = crate::image_view::summary(d, img);
        let dirs = d.images.layer_dirs(img);
        let mut shared = 0i64;
        for (l, dir) in img.config.rootfs.diff_ids.iter().zip(dirs.iter()) {
            let size = du(dir) as i64;
            if layer_users.get(l).copied().unwrap_or(0) > 1 {
                shared += size;
            }
            if seen.insert(l.clone()) {
                layers_size += size as u64;
            }
        }
        s.shared_size = shared;
        out_images.push(serde_json::to_value(&s).unwrap_or_default());
    }
    let mut containers = Vec::new();
    for c in crate::container::inspect::list(d, true, None, &Filters::default())? {
        let mut v = serde_json::to_value(&c).unwrap_or_default();
        let size = du(&d.paths(&c.id).upper()) as i64;
        v["SizeRw"] = size.into();
        v["SizeRootFs"] = (size
            + d.images
                .resolve(&c.image_id)
                .map(|i| i.size as i64)
                .unwrap_or(0))
        .into();
        containers.push(v);
    }
    let mut volumes = Vec::new();
    for mut v in d
        .volumes
        .list(&wharf_volume::filters::ListFilters::default())
        .map_err(crate::kinded)?
    {
        v.usage_data = d.volumes.usage(&v.name).ok();
        volumes.push(serde_json::to_value(&v).unwrap_or_default());
    }
    let cache: Vec<serde_json::Value> = (0..d.images.cache_count())
        .map(|i| {
            serde_json::json!({
                "ID": format!("classic-{i}"),
                "Type": "regular",
                "Description": "build step (classic builder: the cached image is listed with the images)",
                "InUse": false,
                "Shared": true,
                "Size": 0,
                "UsageCount": 1,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "LayersSize": layers_size,
        "Images": out_images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": cache,
    }))
}
