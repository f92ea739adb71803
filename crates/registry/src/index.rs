//! Multi-platform indexes made from images already in a registry, as
//! `docker manifest create` / `push` make them: each source manifest is
//! described (digest, size, media type, and the platform its config
//! states), then an index of those descriptors is PUT under the target tag.
//! A source in another repository of the same registry is brought over
//! first: its blobs mounted (`?mount=&from=`), its manifest PUT by digest.

use wharf_image::archive::{Descriptor, Index, Manifest, Platform};
use wharf_image::ImageConfig;

use crate::client::{Body, Client};
use crate::error::{RegistryError, Result};
use crate::name::RemoteName;
use crate::pull::{
    fetch_manifest, fetch_manifest_json, fetch_small_blob, is_index, MAX_CONFIG, MEDIA_DOCKER_LIST,
    MEDIA_DOCKER_MANIFEST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST,
};

/// The descriptor of the single-platform manifest `name` names, its
/// platform read from the image config. An index is refused, as Docker's
/// `manifest create` refuses one.
pub fn describe(client: &Client, name: &RemoteName) -> Result<Descriptor> {
    let (v, media, digest, size) = fetch_manifest_json(client, name, &name.manifest_ref())?;
    if is_index(&media, &v) {
        return Err(RegistryError::Invalid(format!(
            "{} is a manifest list",
            name.reference
        )));
    }
    let m: Manifest = serde_json::from_value(v)
        .map_err(|e| RegistryError::BadContent(format!("bad manifest: {e}")))?;
    let cfg = fetch_small_blob(client, name, &m.config, MAX_CONFIG)?;
    let c = ImageConfig::from_slice(&cfg)
        .map_err(|e| RegistryError::BadContent(format!("bad image config: {e}")))?;
    let variant = serde_json::from_slice::<serde_json::Value>(&cfg)
        .ok()
        .and_then(|v| v["variant"].as_str().map(str::to_string))
        .filter(|s| !s.is_empty());
    Ok(Descriptor {
        media_type: if media.is_empty() {
            MEDIA_OCI_MANIFEST.into()
        } else {
            media
        },
        digest,
        size,
        platform: Some(Platform {
            architecture: c.architecture.clone(),
            os: c.os.clone(),
            variant,
        }),
        ..Default::default()
    })
}

/// PUTs an index of `entries` (each source name with its descriptor)
/// under `target`'s tag; returns the index digest. Every source must be on
/// the target's registry.
pub fn push_index(
    client: &Client,
    target: &RemoteName,
    entries: &[(RemoteName, Descriptor)],
) -> Result<String> {
    if entries.is_empty() {
        return Err(RegistryError::Invalid(format!(
            "manifest list {} has no manifests",
            target.reference
        )));
    }
    let tag = target
        .reference
        .tag
        .clone()
        .unwrap_or_else(|| "latest".into());
    let mut manifests = Vec::new();
    for (src, d) in entries {
        if src.host != target.host {
            return Err(RegistryError::Invalid(format!(
                "cannot use source images from a different registry than the target image: {} != {}",
                src.host, target.host
            )));
        }
        if src.repo != target.repo {
            copy_manifest(client, src, target, d)?;
        }
        manifests.push(d.clone());
    }
    let all_docker = manifests
        .iter()
        .all(|d| d.media_type == MEDIA_DOCKER_MANIFEST);
    let media = if all_docker {
        MEDIA_DOCKER_LIST
    } else {
        MEDIA_OCI_INDEX
    };
    let index = Index {
        schema_version: 2,
        media_type: media.into(),
        manifests,
    };
    let bytes = serde_json::to_vec(&index).unwrap_or_default();
    crate::push::put_manifest(client, target, &tag, media, bytes)
}

/// Brings the manifest `d` of `src` into `target`'s repository: its
/// config and layers mounted from `src`'s repository, then the manifest
/// itself PUT by digest.
fn copy_manifest(
    client: &Client,
    src: &RemoteName,
    target: &RemoteName,
    d: &Descriptor,
) -> Result<()> {
    let (bytes, _, _) = fetch_manifest(client, src, &d.digest)?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::BadContent(format!("bad manifest: {e}")))?;
    let scope = format!(
        "repository:{}:pull,push repository:{}:pull",
        target.repo, src.repo
    );
    client.authorize(&target.host, &scope)?;
    for blob in std::iter::once(&m.config).chain(&m.layers) {
        let what = format!("blob {} from {}", blob.digest, src.familiar());
        let req = client.request(
            "POST",
            &target.host,
            &format!(
                "/v2/{}/blobs/uploads/?mount={}&from={}",
                target.repo, blob.digest, src.repo
            ),
            &scope,
        );
        let resp = client.send(req, Some(Body::Bytes(Vec::new())), &what)?;
        if resp.inner.status() != 201 {
            return Err(RegistryError::Transport(format!(
                "cannot mount {what} into {}: push the image to {} first",
                target.familiar(),
                target.familiar()
            )));
        }
    }
    crate::push::put_manifest(client, target, &d.digest, &d.media_type, bytes)?;
    Ok(())
}
