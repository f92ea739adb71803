//! Pull: manifest (index → this platform's manifest), config, then the
//! layers in parallel, each streamed to a file under the store's `tmp/`
//! with its digest and size checked on the way, then unpacked by the store.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;
use sha2::{Digest, Sha256};
use wharf_image::archive::{Descriptor, Index, Manifest};
use wharf_image::pull::LayerEvent;
use wharf_image::{short_id, Image, ImageConfig, ImageError, ImageStore};

use crate::client::Client;
use crate::error::{RegistryError, Result};
use crate::name::RemoteName;

pub const MEDIA_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const MEDIA_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const MEDIA_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MAX_MANIFEST: u64 = 4 << 20;
const MAX_CONFIG: u64 = 8 << 20;

/// A progress message in Docker's JSON stream form.
pub type Progress<'a> = &'a (dyn Fn(serde_json::Value) + Sync);

/// `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn host() -> Platform {
        Platform {
            os: "linux".into(),
            arch: wharf_image::config::host_arch().into(),
            variant: None,
        }
    }

    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad =
            || RegistryError::Invalid(format!("invalid platform {s:?}: want os/arch[/variant]"));
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(bad()),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// What a finished pull reports.
pub struct Pulled {
    pub image: Image,
    /// Digest of the manifest (or index) the reference named.
    pub digest: String,
    /// False when the tag already pointed at this image.
    pub changed: bool,
}

/// Fetches a manifest or index by tag or digest and checks its digest.
/// Returns the bytes, their media type and digest.
pub fn fetch_manifest(
    client: &Client,
    name: &RemoteName,
    reference: &str,
) -> Result<(Vec<u8>, String, String)> {
    let scope = format!("repository:{}:pull", name.repo);
    client.authorize(&name.host, &scope)?;
    let req = client
        .request(
            "GET",
            &name.host,
            &format!("/v2/{}/manifests/{reference}", name.repo),
            &scope,
        )
        .set(
            "Accept",
            &[
                MEDIA_OCI_INDEX,
                MEDIA_DOCKER_LIST,
                MEDIA_OCI_MANIFEST,
                MEDIA_DOCKER_MANIFEST,
            ]
            .join(", "),
        );
    let what = format!("manifest for {}:{reference}", name.familiar());
    let resp = client.send(req, None, &what)?;
    let media = resp
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let announced = resp.header("docker-content-digest");
    let bytes = resp.bytes(MAX_MANIFEST)?;
    let digest = sha256(&bytes);
    let expected = if reference.contains(':') {
        Some(reference.to_string())
    } else {
        announced.filter(|d| d.starts_with("sha256:"))
    };
    if let Some(exp) = expected {
        if exp != digest {
            return Err(RegistryError::BadContent(format!(
                "manifest digest mismatch for {}: expected {exp}, got {digest}",
                name.familiar()
            )));
        }
    }
    Ok((bytes, media, digest))
}

fn is_index(media: &str, v: &serde_json::Value) -> bool {
    media == MEDIA_OCI_INDEX || media == MEDIA_DOCKER_LIST || v.get("manifests").is_some()
}

/// Picks the platform's entry of an index (variant only when asked for).
pub fn choose(index: &Index, want: &Platform) -> Option<Descriptor> {
    index
        .manifests
        .iter()
        .find(|d| {
            d.platform.as_ref().is_some_and(|p| {
                p.os == want.os
                    && p.architecture == want.arch
                    && (want.variant.is_none() || p.variant == want.variant)
            })
        })
        .cloned()
}

/// Pulls `name` into `store` for `platform` (the host's when `None`).
pub fn pull(
    client: &Client,
    store: &ImageStore,
    name: &RemoteName,
    platform: Option<&Platform>,
    progress: Progress,
) -> Result<Pulled> {
    let want = platform.cloned().unwrap_or_else(Platform::host);
    let top_ref = name.manifest_ref();
    let (mut bytes, mut media, top_digest) = fetch_manifest(client, name, &top_ref)?;
    let shown_repo = match name.reference.path.strip_prefix("library/") {
        Some(short) if name.host == crate::name::HUB_HOST => short,
        _ => &name.reference.path,
    };
    progress(json!({"status": format!("Pulling from {shown_repo}"), "id": top_ref}));
    let mut depth = 0;
    let manifest: Manifest = loop {
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| RegistryError::BadContent(format!("manifest is not JSON: {e}")))?;
        if !is_index(&media, &v) {
            if v.get("schemaVersion").and_then(|s| s.as_u64()) == Some(1) {
                return Err(RegistryError::Invalid(
                    "Docker image manifest schema 1 is not supported".into(),
                ));
            }
            break serde_json::from_value(v)
                .map_err(|e| RegistryError::BadContent(format!("bad manifest: {e}")))?;
        }
        depth += 1;
        if depth > 3 {
            return Err(RegistryError::BadContent(
                "image indexes nested too deeply".into(),
            ));
        }
        let index: Index = serde_json::from_value(v)
            .map_err(|e| RegistryError::BadContent(format!("bad image index: {e}")))?;
        let d = choose(&index, &want).ok_or_else(|| {
            RegistryError::NotFound(format!(
                "no matching manifest for {want} in the manifest list entries"
            ))
        })?;
        let (b, m, _) = fetch_manifest(client, name, &d.digest)?;
        bytes = b;
        media = if m.is_empty() { d.media_type } else { m };
    };
    let config_bytes = fetch_small_blob(client, name, &manifest.config, MAX_CONFIG)?;
    let config = ImageConfig::from_slice(&config_bytes)
        .map_err(|e| RegistryError::BadContent(format!("bad image config: {e}")))?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(RegistryError::BadContent(format!(
            "image config lists {} layers, manifest {}",
            config.rootfs.diff_ids.len(),
            manifest.layers.len()
        )));
    }
    if let Some(p) = &platform {
        if !config.architecture.is_empty() && config.architecture != p.arch {
            return Err(RegistryError::NotFound(format!(
                "image {} is {}/{}, not {p}",
                name.familiar(),
                config.os,
                config.architecture
            )));
        }
    }
    let id = sha256(&config_bytes);
    let tag = name.local_tag();
    let before = tag
        .as_deref()
        .and_then(|t| store.resolve(t).ok())
        .map(|i| i.id);
    let fetch = |i: usize| -> wharf_image::Result<File> {
        let l = &manifest.layers[i];
        fetch_layer(client, store, name, l, progress).map_err(|e| match e {
            RegistryError::Image(e) => e,
            other => ImageError::InvalidArchive(other.to_string()),
        })
    };
    let event = |i: usize, e: LayerEvent| {
        let id = short_id(&manifest.layers[i].digest).to_string();
        let status = match e {
            LayerEvent::AlreadyExists => "Already exists",
            LayerEvent::Extracting => "Extracting",
            LayerEvent::Complete => "Pull complete",
        };
        progress(json!({"status": status, "progressDetail": {}, "id": id}));
    };
    let image = store
        .store_pulled(&config_bytes, tag.as_deref(), 4, &fetch, &event)
        .map_err(|e| match e {
            ImageError::InvalidArchive(m) => RegistryError::BadContent(m),
            other => RegistryError::Image(other),
        })?;
    debug_assert_eq!(image.id, id);
    progress(json!({"status": format!("Digest: {top_digest}")}));
    let changed = before.as_deref() != Some(image.id.as_str());
    let shown = tag
        .clone()
        .unwrap_or_else(|| format!("{}@{top_digest}", name.familiar()));
    progress(json!({"status": if changed {
        format!("Status: Downloaded newer image for {shown}")
    } else {
        format!("Status: Image is up to date for {shown}")
    }}));
    Ok(Pulled {
        image,
        digest: top_digest,
        changed,
    })
}

fn blob_path(name: &RemoteName, digest: &str) -> Result<String> {
    if wharf_image::archive::blob_path(digest).is_none() || !digest.starts_with("sha256:") {
        return Err(RegistryError::BadContent(format!(
            "bad blob digest {digest:?}"
        )));
    }
    Ok(format!("/v2/{}/blobs/{digest}", name.repo))
}

fn fetch_small_blob(
    client: &Client,
    name: &RemoteName,
    d: &Descriptor,
    max: u64,
) -> Result<Vec<u8>> {
    let scope = format!("repository:{}:pull", name.repo);
    let req = client.request("GET", &name.host, &blob_path(name, &d.digest)?, &scope);
    let bytes = client
        .send(req, None, &format!("blob {}", d.digest))?
        .bytes(max)?;
    let got = sha256(&bytes);
    if got != d.digest {
        return Err(RegistryError::BadContent(format!(
            "blob digest mismatch: expected {}, got {got}",
            d.digest
        )));
    }
    Ok(bytes)
}

/// Streams one layer blob to an unlinked file under the store's `tmp/`,
/// checking size and digest, and returns it rewound.
fn fetch_layer(
    client: &Client,
    store: &ImageStore,
    name: &RemoteName,
    d: &Descriptor,
    progress: Progress,
) -> Result<File> {
    static N: AtomicU64 = AtomicU64::new(0);
    let scope = format!("repository:{}:pull", name.repo);
    let id = short_id(&d.digest).to_string();
    progress(json!({"status": "Pulling fs layer", "progressDetail": {}, "id": id}));
    let req = client.request("GET", &name.host, &blob_path(name, &d.digest)?, &scope);
    let resp = client.send(req, None, &format!("blob {}", d.digest))?;
    let path = store.download_dir().join(format!(
        "blob-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| ImageError::Io {
            context: format!("creating {}", path.display()),
            source: e,
        })?;
    // Unlinked at once: nothing is left behind however the pull ends.
    let _ = std::fs::remove_file(&path);
    let mut reader = resp.reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total: u64 = 0;
    let mut last_report = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| RegistryError::Transport(format!("reading blob {}: {e}", d.digest)))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if d.size > 0 && total > d.size {
            return Err(RegistryError::BadContent(format!(
                "blob {} is larger than its announced {} bytes",
                d.digest, d.size
            )));
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(|e| ImageError::Io {
            context: "writing blob".into(),
            source: e,
        })?;
        if total - last_report >= 4 << 20 {
            last_report = total;
            progress(
                json!({"status": "Downloading", "progressDetail": {"current": total, "total": d.size}, "id": id}),
            );
        }
    }
    let got = format!("sha256:{:x}", hasher.finalize());
    if d.size > 0 && total != d.size {
        return Err(RegistryError::BadContent(format!(
            "blob {} is truncated: got {total} of {} bytes",
            d.digest, d.size
        )));
    }
    if got != d.digest {
        return Err(RegistryError::BadContent(format!(
            "blob digest mismatch: expected {}, got {got}",
            d.digest
        )));
    }
    progress(json!({"status": "Download complete", "progressDetail": {}, "id": id}));
    file.seek(SeekFrom::Start(0)).map_err(|e| ImageError::Io {
        context: "rewinding blob".into(),
        source: e,
    })?;
    Ok(file)
}

/// `GET /distribution/{name}/json`: the descriptor a reference resolves to
/// and the platforms it offers.
pub fn distribution(client: &Client, name: &RemoteName) -> Result<serde_json::Value> {
    let (bytes, media, digest) = fetch_manifest(client, name, &name.manifest_ref())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::BadContent(format!("manifest is not JSON: {e}")))?;
    let media = if media.is_empty() {
        v["mediaType"].as_str().unwrap_or_default().to_string()
    } else {
        media
    };
    let platforms: Vec<serde_json::Value> = if is_index(&media, &v) {
        let index: Index = serde_json::from_value(v)
            .map_err(|e| RegistryError::BadContent(format!("bad image index: {e}")))?;
        index
            .manifests
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .map(|p| json!({"architecture": p.architecture, "os": p.os, "variant": p.variant}))
            .collect()
    } else {
        let m: Manifest = serde_json::from_value(v)
            .map_err(|e| RegistryError::BadContent(format!("bad manifest: {e}")))?;
        let cfg = fetch_small_blob(client, name, &m.config, MAX_CONFIG)?;
        let c = ImageConfig::from_slice(&cfg)
            .map_err(|e| RegistryError::BadContent(format!("bad image config: {e}")))?;
        vec![json!({"architecture": c.architecture, "os": c.os})]
    };
    Ok(json!({
        "Descriptor": {"mediaType": media, "digest": digest, "size": bytes.len()},
        "Platforms": platforms,
    }))
}
