//! A container's mounts, resolved once into one list before the runtime
//! sees them: `HostConfig.Mounts`, `Binds`, `Tmpfs`, `VolumesFrom` and the
//! image's `VOLUME`s. Named volumes are created (and referenced) at create,
//! mounted at start, released at remove.

use std::collections::BTreeMap;
use std::path::Path;

use wharf_api::container::{ContainerConfig, HostConfig};
use wharf_api::mount::Mount;
pub use wharf_runtime::spec::MountEntry as RtMount;

use super::record::{Container, ResolvedMount};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// Create-time resolution. On error, references already taken are released.
pub fn resolve(
    d: &Daemon,
    id: &str,
    config: &ContainerConfig,
    hc: &HostConfig,
) -> Result<Vec<ResolvedMount>> {
    let mut requested: Vec<(Mount, String)> = Vec::new();
    for b in hc.binds.iter().flatten() {
        let (m, mode) = wharf_volume::spec::parse_volume_flag_mode(b).map_err(crate::kinded)?;
        requested.push((m, mode));
    }
    for m in hc.mounts.iter().flatten() {
        requested.push((m.clone(), String::new()));
    }
    // A `Config.Volumes` key with a colon is a whole `-v` spec (docker's
    // CLI puts specs it cannot classify there); moby parses it like Binds.
    for spec in config
        .volumes
        .iter()
        .flat_map(|v| v.keys())
        .filter(|k| k.contains(':'))
    {
        let (m, mode) = wharf_volume::spec::parse_volume_flag_mode(spec).map_err(crate::kinded)?;
        requested.push((m, mode));
    }
    for (path, opts) in hc.tmpfs.iter().flatten() {
        let m = wharf_volume::spec::parse_tmpfs_entry(path, opts).map_err(crate::kinded)?;
        requested.push((m, String::new()));
    }
    let only: Vec<Mount> = requested.iter().map(|(m, _)| m.clone()).collect();
    wharf_volume::spec::validate(&only).map_err(crate::kinded)?;

    let mut out: Vec<ResolvedMount> = Vec::new();
    let result = (|| {
        for (m, mode) in requested {
            out.push(resolve_one(d, id, &m, mode)?);
        }
        for from in hc.volumes_from.iter().flatten() {
            for m in volumes_from(d, from)? {
                if out.iter().any(|o| o.destination == m.destination) {
                    continue;
                }
                if m.kind == "volume" {
                    d.volumes.add_ref(&m.name, id).map_err(crate::kinded)?;
                }
                out.push(m);
            }
        }
        // The image's VOLUMEs (and `-v /path`) get fresh anonymous volumes
        // unless something is already mounted there.
        for path in config
            .volumes
            .iter()
            .flat_map(|v| v.keys())
            .filter(|k| !k.contains(':'))
        {
            if !path.starts_with('/') {
                return Err(Error::invalid(format!(
                    "invalid volume specification: '{path}': the target must be an absolute path"
                )));
            }
            let dest = clean_target(path);
            if out.iter().any(|o| o.destination == dest) {
                continue;
            }
            let anon = Mount {
                target: dest,
                kind: "volume".into(),
                ..Default::default()
            };
            out.push(resolve_one(d, id, &anon, String::new())?);
        }
        Ok::<_, Error>(())
    })();
    if let Err(e) = result {
        release(d, id, &out);
        let _ = remove_anonymous(d, &out);
        return Err(e);
    }
    Ok(out)
}

fn clean_target(p: &str) -> String {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.into()
    }
}

fn resolve_one(d: &Daemon, id: &str, m: &Mount, mode: String) -> Result<ResolvedMount> {
    let destination = clean_target(&m.target);
    let mut r = ResolvedMount {
        kind: m.kind.clone(),
        name: String::new(),
        source: m.source.clone(),
        destination,
        read_only: m.read_only,
        propagation: String::new(),
        options: Vec::new(),
        no_copy: false,
        anonymous: false,
        mode,
    };
    match m.kind.as_str() {
        "bind" => {
            let bo = m.bind_options.clone().unwrap_or_default();
            r.propagation = bo.propagation.clone().unwrap_or_else(|| "rprivate".into());
            let src = Path::new(&m.source);
            if !src.is_absolute() {
                return Err(Error::invalid(format!(
                    "invalid mount config for type \"bind\": invalid mount path: '{}' mount path must be absolute",
                    m.source
                )));
            }
            if !src.exists() {
                if bo.create_mountpoint {
                    std::fs::create_dir_all(src).map_err(|e| {
                        Error::invalid(format!(
                            "error while creating mount source path '{}': {e}",
                            m.source
                        ))
                    })?;
                } else {
                    return Err(Error::invalid(format!(
                        "invalid mount config for type \"bind\": bind source path does not exist: {}",
                        m.source
                    )));
                }
            }
        }
        "volume" => {
            let vo = m.volume_options.clone().unwrap_or_default();
            r.no_copy = vo.no_copy;
            let (driver, opts) = match &vo.driver_config {
                Some(dc) => (dc.name.clone(), dc.options.clone()),
                None => (String::new(), BTreeMap::new()),
            };
            let labels = vo.labels.clone().unwrap_or_default();
            let name = if m.source.is_empty() {
                r.anonymous = true;
                let v = d
                    .volumes
                    .create_anonymous(&driver, &opts, &labels)
                    .map_err(crate::kinded)?;
                d.events.volume("create", &v.name, &v.driver);
                v.name
            } else {
                match d.volumes.get(&m.source) {
                    Ok(v) => v.name,
                    Err(e) if e.kind() == wharf_api::error::ErrorKind::NotFound => {
                        let v = d
                            .volumes
                            .create(&m.source, &driver, &opts, &labels)
                            .map_err(crate::kinded)?;
                        d.events.volume("create", &v.name, &v.driver);
                        v.name
                    }
                    Err(e) => return Err(crate::kinded(e)),
                }
            };
            d.volumes.add_ref(&name, id).map_err(crate::kinded)?;
            r.source = name.clone();
            r.name = name;
        }
        "tmpfs" => {
            if !m.source.is_empty() {
                return Err(Error::invalid(
                    "invalid mount config for type \"tmpfs\": source must not be specified",
                ));
            }
            r.options = wharf_volume::spec::tmpfs_options(m).map_err(crate::kinded)?;
        }
        other => {
            return Err(Error::invalid(format!(
                "invalid mount config: mount type unknown: {other:?}"
            )))
        }
    }
    Ok(r)
}

/// `--volumes-from C[:ro|:rw]`: the other container's volumes and binds.
fn volumes_from(d: &Daemon, spec: &str) -> Result<Vec<ResolvedMount>> {
    let (name, mode) = match spec.rsplit_once(':') {
        Some((n, m)) if m == "ro" || m == "rw" => (n, Some(m)),
        _ => (spec, None),
    };
    let other = d.get(name)?;
    Ok(other
        .mounts
        .into_iter()
        .filter(|m| m.kind != "tmpfs")
        .map(|mut m| {
            if let Some(mode) = mode {
                m.read_only = mode == "ro";
            }
            m.anonymous = false;
            m
        })
        .collect())
}

/// Start-time: mount volumes, copy image content into empty volumes, and
/// turn everything into runtime mount entries.
pub fn activate(d: &Daemon, rec: &Container, rootfs: &Path) -> Result<Vec<RtMount>> {
    let mut out = Vec::new();
    let mut mounted: Vec<&str> = Vec::new();
    let result = (|| {
        for m in &rec.mounts {
            let mut options = Vec::new();
            let source = match m.kind.as_str() {
                "volume" => {
                    let path = d.volumes.mount(&m.name, &rec.id).map_err(crate::kinded)?;
                    mounted.push(&m.name);
                    if !m.no_copy {
                        let image_dir = rootfs.join(m.destination.trim_start_matches('/'));
                        if image_dir.is_dir() && !is_symlink(&image_dir) {
                            wharf_volume::copy_up(&image_dir, &path).map_err(crate::kinded)?;
                        }
                    }
                    options.extend(["rbind".to_string(), "rprivate".to_string()]);
                    path
                }
                "bind" => {
                    let src = std::path::PathBuf::from(&m.source);
                    if !src.exists() {
                        return Err(Error::invalid(format!(
                            "invalid mount config for type \"bind\": bind source path does not exist: {}",
                            m.source
                        )));
                    }
                    options.push("rbind".into());
                    options.push(if m.propagation.is_empty() {
                        "rprivate".into()
                    } else {
                        m.propagation.clone()
                    });
                    src
                }
                // tmpfs: Docker's defaults were merged in at create.
                _ => {
                    options.extend(m.options.iter().cloned());
                    "tmpfs".into()
                }
            };
            if m.read_only {
                options.push("ro".into());
            }
            out.push(RtMount {
                destination: m.destination.clone().into(),
                kind: if m.kind == "tmpfs" {
                    "tmpfs".into()
                } else {
                    "bind".into()
                },
                source,
                options,
            });
        }
        Ok::<_, Error>(())
    })();
    if let Err(e) = result {
        for name in mounted {
            let _ = d.volumes.unmount(name, &rec.id);
        }
        return Err(e);
    }
    Ok(out)
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false)
}

/// Stop-time: unmount what `activate` mounted (tmpfs/bind-typed volumes).
pub fn deactivate(d: &Daemon, rec: &Container) {
    for m in rec.mounts.iter().filter(|m| m.kind == "volume") {
        if let Err(e) = d.volumes.unmount(&m.name, &rec.id) {
            tracing::warn!(volume = %m.name, error = %e, "unmount volume");
        }
    }
}

/// Remove-time (and create rollback): drop the container's references.
pub fn release(d: &Daemon, id: &str, mounts: &[ResolvedMount]) {
    for m in mounts.iter().filter(|m| m.kind == "volume") {
        d.volumes.remove_ref(&m.name, id);
    }
}

/// `rm -v` / `--rm`: anonymous volumes go with the container.
pub fn remove_anonymous(d: &Daemon, mounts: &[ResolvedMount]) -> Vec<String> {
    let mut failures = Vec::new();
    for m in mounts.iter().filter(|m| m.kind == "volume" && m.anonymous) {
        let driver = d.volumes.get(&m.name).map(|v| v.driver).unwrap_or_default();
        match d.volumes.remove(&m.name, false) {
            Ok(()) => d.events.volume("destroy", &m.name, &driver),
            Err(e) => failures.push(format!("remove volume {}: {e}", m.name)),
        }
    }
    failures
}
