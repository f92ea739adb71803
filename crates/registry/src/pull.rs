//! Pull: manifest (index → this platform's manifest), config, then the
//! layers in parallel, each streamed straight into the store's unpacker
//! with its digest and size checked on the way (the staged layer is
//! committed only when the blob proved right).

use std::io::{self, Read};
use std::sync::Mutex;

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
pub(crate) const MAX_CONFIG: u64 = 8 << 20;

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

/// A manifest of `reference` read as JSON, with its media type (the
/// answer's `Content-Type`, else the document's own `mediaType`), digest
/// and size in bytes.
pub fn fetch_manifest_json(
    client: &Client,
    name: &RemoteName,
    reference: &str,
) -> Result<(serde_json::Value, String, String, u64)> {
    let (bytes, media, digest) = fetch_manifest(client, name, reference)?;
    let v: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::BadContent(format!("manifest is not JSON: {e}")))?;
    let media = if media.is_empty() {
        v["mediaType"].as_str().unwrap_or_default().to_string()
    } else {
        media
    };
    Ok((v, media, digest, bytes.len() as u64))
}

pub fn is_index(media: &str, v: &serde_json::Value) -> bool {
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
    if let Some(done) = already_here(store, name, platform, progress) {
        return Ok(done);
    }
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
        .clone()
        .unwrap_or_else(|| format!("{}@{top_digest}", name.familiar()));
    let before = store.resolve(&before).ok().map(|i| i.id);
    let problems = Mutex::new(Vec::new());
    let fetch = |i: usize| -> wharf_image::Result<Box<dyn Read + Send + '_>> {
        let l = &manifest.layers[i];
        match fetch_layer(client, name, l, progress, &problems) {
            Ok(r) => Ok(Box::new(r)),
            Err(RegistryError::Image(e)) => Err(e),
            Err(other) => Err(ImageError::InvalidArchive(other.to_string())),
        }
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
        .map_err(|e| {
            // A blob that was not what the manifest said is the cause of
            // whatever the unpacker made of it.
            let problems = problems.lock().unwrap_or_else(|p| p.into_inner());
            match problems.first() {
                Some(p) => RegistryError::BadContent(p.clone()),
                None => e.into(),
            }
        })
        .map_err(|e| match e {
            RegistryError::Image(ImageError::InvalidArchive(m)) => RegistryError::BadContent(m),
            other => other,
        })?;
    debug_assert_eq!(image.id, id);
    store.add_repo_digest(&name.familiar(), &top_digest, &image.id)?;
    let image = store.resolve(&image.id)?;
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

/// `pull NAME@DIGEST` of an image already pulled by that digest: nothing
/// to fetch (a digest names immutable content), "Image is up to date".
fn already_here(
    store: &ImageStore,
    name: &RemoteName,
    platform: Option<&Platform>,
    progress: Progress,
) -> Option<Pulled> {
    let digest = name.reference.digest.as_ref()?;
    let shown = format!("{}@{digest}", name.familiar());
    let image = store.resolve(&shown).ok()?;
    if let Some(p) = platform {
        if image.config.architecture != p.arch || image.config.os != p.os {
            return None;
        }
    }
    progress(json!({"status": format!("Digest: {digest}")}));
    progress(json!({"status": format!("Status: Image is up to date for {shown}")}));
    Some(Pulled {
        image,
        digest: digest.clone(),
        changed: false,
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

pub(crate) fn fetch_small_blob(
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

/// Starts the download of one layer blob; the returned reader checks it
/// on the way (see [`BlobReader`]).
fn fetch_layer<'a>(
    client: &Client,
    name: &RemoteName,
    d: &Descriptor,
    progress: Progress<'a>,
    problems: &'a Mutex<Vec<String>>,
) -> Result<BlobReader<'a>> {
    let scope = format!("repository:{}:pull", name.repo);
    let id = short_id(&d.digest).to_string();
    progress(json!({"status": "Pulling fs layer", "progressDetail": {}, "id": id}));
    let req = client.request("GET", &name.host, &blob_path(name, &d.digest)?, &scope);
    let resp = client.send(req, None, &format!("blob {}", d.digest))?;
    Ok(BlobReader {
        inner: resp.reader(),
        hasher: Sha256::new(),
        total: 0,
        last_report: 0,
        d: d.clone(),
        id,
        progress,
        done: false,
        problems,
    })
}

/// A layer blob as it arrives, streamed straight into the unpacker (one
/// write of the layer instead of a downloaded copy first): hashed and
/// counted on the way, and at its end the size and digest are checked, a
/// wrong blob being an error instead of the end, so the staged layer is
/// never committed. Dropped before its end (the unpack failed first), it
/// reads the rest, so that a corrupt or truncated blob is reported as
/// such rather than as the broken tar it looked like; problems go to
/// `problems`.
struct BlobReader<'a> {
    inner: Box<dyn Read + Send + Sync + 'static>,
    hasher: Sha256,
    total: u64,
    last_report: u64,
    d: Descriptor,
    id: String,
    progress: Progress<'a>,
    done: bool,
    problems: &'a Mutex<Vec<String>>,
}

impl BlobReader<'_> {
    fn bad(&mut self, msg: String) -> io::Error {
        self.done = true;
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(msg.clone());
        io::Error::new(io::ErrorKind::InvalidData, msg)
    }

    fn finish(&mut self) -> io::Result<()> {
        let d = &self.d;
        if d.size > 0 && self.total != d.size {
            let msg = format!(
                "blob {} is truncated: got {} of {} bytes",
                d.digest, self.total, d.size
            );
            return Err(self.bad(msg));
        }
        let got = format!("sha256:{:x}", std::mem::take(&mut self.hasher).finalize());
        if got != d.digest {
            let msg = format!("blob digest mismatch: expected {}, got {got}", d.digest);
            return Err(self.bad(msg));
        }
        self.done = true;
        (self.progress)(
            json!({"status": "Download complete", "progressDetail": {}, "id": self.id}),
        );
        Ok(())
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let msg = format!("reading blob {}: {e}", self.d.digest);
                return Err(self.bad(msg));
            }
        };
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.total += n as u64;
        if self.d.size > 0 && self.total > self.d.size {
            let msg = format!(
                "blob {} is larger than its announced {} bytes",
                self.d.digest, self.d.size
            );
            return Err(self.bad(msg));
        }
        self.hasher.update(&buf[..n]);
        if self.total - self.last_report >= 4 << 20 {
            self.last_report = self.total;
            (self.progress)(json!({"status": "Downloading",
                "progressDetail": {"current": self.total, "total": self.d.size}, "id": self.id}));
        }
        Ok(n)
    }
}

impl Drop for BlobReader<'_> {
    fn drop(&mut self) {
        if self.done || self.d.size == 0 {
            return;
        }
        let mut buf = vec![0u8; 1 << 16];
        while !self.done {
            if self.read(&mut buf).is_err() {
                break;
            }
        }
    }
}

/// `GET /distribution/{name}/json`: the descriptor a reference resolves to
/// and the platforms it offers.
pub fn distribution(client: &Client, name: &RemoteName) -> Result<serde_json::Value> {
    let (v, media, digest, size) = fetch_manifest_json(client, name, &name.manifest_ref())?;
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
        "Descriptor": {"mediaType": media, "digest": digest, "size": size},
        "Platforms": platforms,
    }))
}
