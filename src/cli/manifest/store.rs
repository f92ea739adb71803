//! Local manifest lists, as Docker keeps them:
//! `$DOCKER_CONFIG/manifests/<list>/<source>` (names made file-safe: `/`
//! → `_`, `:` → `-`), one JSON file per source with its reference and
//! descriptor (platform included). Written crash-safely.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use wharf_registry::Descriptor;
use wharf_registry::RemoteName;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    /// The source reference, fully qualified.
    #[serde(rename = "Ref")]
    pub reference: String,
    pub descriptor: Descriptor,
}

/// The fully qualified `host/repo:tag` (or `@digest`) of a name.
pub fn full(name: &RemoteName) -> String {
    let r = &name.reference;
    let mut s = r.full_name();
    if let Some(t) = &r.tag {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = &r.digest {
        s.push('@');
        s.push_str(d);
    }
    s
}

fn safe(s: &str) -> String {
    s.replace('/', "_").replace(':', "-")
}

pub fn list_dir(list: &RemoteName) -> PathBuf {
    let cfg = super::super::registry_auth::config_path();
    let base = cfg.parent().map(PathBuf::from).unwrap_or_default();
    base.join("manifests").join(safe(&full(list)))
}

pub fn exists(list: &RemoteName) -> bool {
    list_dir(list).is_dir()
}

pub fn save(list: &RemoteName, e: &Entry) -> anyhow::Result<()> {
    let dir = list_dir(list);
    std::fs::create_dir_all(&dir)?;
    let bytes = serde_json::to_vec(e)?;
    wharf_sys::fs::write_atomic(&dir.join(safe(&e.reference)), &bytes)?;
    Ok(())
}

/// The entries of a local list, in file-name order.
pub fn load(list: &RemoteName) -> anyhow::Result<Vec<Entry>> {
    let dir = list_dir(list);
    let rd =
        std::fs::read_dir(&dir).map_err(|_| anyhow::anyhow!("No such manifest: {}", full(list)))?;
    let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    names.sort();
    let mut out = Vec::new();
    for p in names {
        let bytes = std::fs::read(&p)?;
        let e: Entry = serde_json::from_slice(&bytes)
            .map_err(|e| anyhow::anyhow!("unreadable manifest entry {}: {e}", p.display()))?;
        out.push(e);
    }
    Ok(out)
}

pub fn load_one(list: &RemoteName, source: &RemoteName) -> anyhow::Result<Entry> {
    let p = list_dir(list).join(safe(&full(source)));
    let bytes = std::fs::read(&p).map_err(|_| {
        anyhow::anyhow!(
            "manifest for image {} does not exist in {}",
            full(source),
            full(list)
        )
    })?;
    Ok(serde_json::from_slice(&bytes)?)
}

pub fn remove(list: &RemoteName) -> anyhow::Result<bool> {
    let dir = list_dir(list);
    if !dir.is_dir() {
        return Ok(false);
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(true)
}
