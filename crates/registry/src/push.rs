//! Push: each layer's kept uncompressed tar (skipped when the registry
//! has it), the config, then an OCI manifest under the tag.

use std::fs::File;

use serde_json::json;
use wharf_image::archive::{Descriptor, Manifest, MEDIA_OCI_CONFIG, MEDIA_OCI_LAYER_TAR};
use wharf_image::{short_id, ImageStore};

use crate::client::{Body, Client};
use crate::error::{RegistryError, Result};
use crate::name::RemoteName;
use crate::pull::{sha256, Progress, MEDIA_OCI_MANIFEST};

/// Pushes the local image `name` (a tag; digests are refused) and returns
/// the manifest digest.
pub fn push(
    client: &Client,
    store: &ImageStore,
    name: &RemoteName,
    progress: Progress,
) -> Result<String> {
    if name.reference.digest.is_some() {
        return Err(RegistryError::Invalid(
            "cannot push a digest reference".into(),
        ));
    }
    let tag = name
        .reference
        .tag
        .clone()
        .unwrap_or_else(|| "latest".into());
    let local = name.local_tag().unwrap_or_default();
    let image = store.resolve(&local)?;
    progress(
        json!({"status": format!("The push refers to repository [{}]", name.reference.full_name().strip_prefix("docker.io/").unwrap_or(&name.reference.full_name()))}),
    );
    let scope = format!("repository:{}:pull,push", name.repo);
    client.authorize(&name.host, &scope)?;
    let config_bytes = store.config_bytes(&image)?;
    let mut layers = Vec::new();
    // Docker lists layers top first.
    for diff_id in image.config.rootfs.diff_ids.iter().rev() {
        let id = short_id(diff_id).to_string();
        let path = store.layer_tar(diff_id)?;
        let size = std::fs::metadata(&path)
            .map_err(|e| RegistryError::Transport(format!("layer {id}: {e}")))?
            .len();
        if exists(client, name, &scope, diff_id)? {
            progress(json!({"status": "Layer already exists", "progressDetail": {}, "id": id}));
        } else {
            progress(json!({"status": "Preparing", "progressDetail": {}, "id": id}));
            let file = File::open(&path)
                .map_err(|e| RegistryError::Transport(format!("layer {id}: {e}")))?;
            upload(
                client,
                name,
                &scope,
                diff_id,
                Body::Reader(Box::new(file), size),
            )?;
            progress(json!({"status": "Pushed", "progressDetail": {}, "id": id}));
        }
        layers.push(Descriptor {
            media_type: MEDIA_OCI_LAYER_TAR.into(),
            digest: diff_id.clone(),
            size,
            ..Default::default()
        });
    }
    layers.reverse();
    let config_digest = sha256(&config_bytes);
    if !exists(client, name, &scope, &config_digest)? {
        upload(
            client,
            name,
            &scope,
            &config_digest,
            Body::Bytes(config_bytes.clone()),
        )?;
    }
    let manifest = Manifest {
        schema_version: 2,
        media_type: MEDIA_OCI_MANIFEST.into(),
        config: Descriptor {
            media_type: MEDIA_OCI_CONFIG.into(),
            digest: config_digest,
            size: config_bytes.len() as u64,
            ..Default::default()
        },
        layers,
    };
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    let digest = put_manifest(client, name, &tag, MEDIA_OCI_MANIFEST, bytes.clone())?;
    store.add_repo_digest(&name.familiar(), &digest, &image.id)?;
    // Docker sends the status and the aux record as two messages; its CLI
    // prints only the first.
    progress(json!({"status": format!("{tag}: digest: {digest} size: {}", bytes.len())}));
    progress(
        json!({"progressDetail": {}, "aux": {"Tag": tag, "Digest": digest, "Size": bytes.len()}}),
    );
    Ok(digest)
}

/// PUTs a manifest or index under `reference`; returns its digest.
pub fn put_manifest(
    client: &Client,
    name: &RemoteName,
    reference: &str,
    media: &str,
    bytes: Vec<u8>,
) -> Result<String> {
    let scope = format!("repository:{}:pull,push", name.repo);
    client.authorize(&name.host, &scope)?;
    let digest = sha256(&bytes);
    let req = client
        .request(
            "PUT",
            &name.host,
            &format!("/v2/{}/manifests/{reference}", name.repo),
            &scope,
        )
        .set("Content-Type", media);
    client.send(
        req,
        Some(Body::Bytes(bytes)),
        &format!("manifest {}:{reference}", name.familiar()),
    )?;
    Ok(digest)
}

/// True when the registry has the blob.
pub fn exists(client: &Client, name: &RemoteName, scope: &str, digest: &str) -> Result<bool> {
    let req = client.request(
        "HEAD",
        &name.host,
        &format!("/v2/{}/blobs/{digest}", name.repo),
        scope,
    );
    match client.send(req, None, &format!("blob {digest}")) {
        Ok(_) => Ok(true),
        Err(RegistryError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A monolithic upload: POST for a session, PUT the content with its digest.
pub fn upload(
    client: &Client,
    name: &RemoteName,
    scope: &str,
    digest: &str,
    body: Body,
) -> Result<()> {
    client.authorize(&name.host, scope)?;
    let what = format!("upload to {}", name.familiar());
    let req = client.request(
        "POST",
        &name.host,
        &format!("/v2/{}/blobs/uploads/", name.repo),
        scope,
    );
    let resp = client.send(req, Some(Body::Bytes(Vec::new())), &what)?;
    let location = resp
        .header("location")
        .ok_or_else(|| RegistryError::Transport(format!("{what}: no Location in the answer")))?;
    let sep = if location.contains('?') { '&' } else { '?' };
    let target = format!("{location}{sep}digest={digest}");
    let req = client
        .request("PUT", &name.host, &target, scope)
        .set("Content-Type", "application/octet-stream");
    client.send(req, Some(body), &what)?;
    Ok(())
}
