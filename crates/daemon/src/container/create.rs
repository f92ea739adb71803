//! `POST /containers/create`: validate, merge the image's defaults, resolve
//! mounts, write the record. Nothing is left behind when a step fails.

use std::collections::BTreeMap;

use wharf_api::container::{ContainerCreateBody, ContainerCreateResponse};

use super::record::{Container, ResolvedMount};
use super::state::State;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::util;

pub fn create(
    d: &Daemon,
    name: Option<&str>,
    body: ContainerCreateBody,
) -> Result<ContainerCreateResponse> {
    let mut config = body.config;
    let mut host_config = body.host_config.unwrap_or_default();
    validate_host_config(&host_config)?;
    crate::container::logdriver::policy(&host_config.log_config)?;
    if host_config.log_config.kind.is_empty() {
        host_config.log_config.kind = "json-file".into();
    }
    crate::container::security::check_and_default(&mut host_config, !config.hostname.is_empty())?;
    if config.image.is_empty() {
        return Err(Error::invalid(
            "config cannot be empty in order to create a container",
        ));
    }
    let image = d.images.resolve(&config.image).map_err(crate::kinded)?;
    let image_id = image.id.clone();
    let ic = wharf_image::wire::container_config(&image.config.config);

    // Merge the image's defaults as Docker does: Cmd from the image only
    // when neither Cmd nor Entrypoint was given.
    let entrypoint_given = config.entrypoint.is_some();
    if config.entrypoint.is_none() {
        config.entrypoint = ic.entrypoint.clone();
    }
    if config.cmd.as_ref().is_none_or(|c| c.is_empty()) && !entrypoint_given {
        config.cmd = ic.cmd.clone();
    }
    config.env = Some(merge_env(
        ic.env.clone().unwrap_or_default(),
        config.env.unwrap_or_default(),
    ));
    if config.working_dir.is_empty() {
        config.working_dir = ic.working_dir.clone();
    }
    if config.user.is_empty() {
        config.user = ic.user.clone();
    }
    if config.stop_signal.is_none() {
        config.stop_signal = ic.stop_signal.clone();
    }
    let image_health = image
        .config
        .config
        .healthcheck
        .clone()
        .and_then(|v| serde_json::from_value(v).ok());
    config.healthcheck = super::health::merge(config.healthcheck.take(), image_health);
    let mut labels: BTreeMap<String, String> = ic.labels.clone().unwrap_or_default();
    labels.extend(config.labels.take().unwrap_or_default());
    config.labels = Some(labels);
    if let Some(v) = &ic.volumes {
        let mut vols = config.volumes.take().unwrap_or_default();
        vols.extend(v.iter().map(|(k, v)| (k.clone(), v.clone())));
        config.volumes = Some(vols);
    }
    if let Some(p) = &ic.exposed_ports {
        let mut ports = config.exposed_ports.take().unwrap_or_default();
        ports.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
        config.exposed_ports = Some(ports);
    }
    let mut argv: Vec<String> = config.entrypoint.clone().unwrap_or_default();
    argv.extend(config.cmd.clone().unwrap_or_default());
    if argv.is_empty() {
        return Err(Error::invalid("no command specified"));
    }

    super::joined::check_create(d, &mut config, &mut host_config)?;
    let id = util::random_id();
    if host_config.uts_mode == "host" {
        // The host's name is what `hostname` shows inside.
        config.hostname = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    if config.hostname.is_empty() {
        config.hostname = id[..12].to_string();
    }
    config.image = config.image.clone();
    let runtime = if host_config.runtime.is_empty() {
        d.default_runtime.clone()
    } else {
        host_config.runtime.clone()
    };
    check_runtime(&runtime)?;

    wharf_network::ports::validate(
        config.exposed_ports.as_ref(),
        host_config.port_bindings.as_ref(),
    )
    .map_err(|e| Error::invalid(e.to_string()))?;
    let networks =
        crate::container::network::resolve(d, &host_config, body.networking_config.as_ref())?;
    let name = reserve_name(d, name, &id)?;
    // Mounts first: resolving them creates named and anonymous volumes and
    // takes references, which a later failure must give back.
    let mounts: Vec<ResolvedMount> =
        match crate::container::mounts::resolve(d, &id, &config, &host_config) {
            Ok(m) => m,
            Err(e) => {
                d.table().names.remove(&name);
                return Err(e);
            }
        };
    let rec = Container {
        id: id.clone(),
        name: name.clone(),
        created: util::now_rfc3339(),
        image_ref: config.image.clone(),
        image_id: image_id.clone(),
        path: argv[0].clone(),
        args: argv[1..].to_vec(),
        config,
        host_config,
        state: State::default(),
        restart_count: 0,
        mounts,
        runtime,
        exec_ids: Vec::new(),
        networks,
    };
    let paths = d.paths(&id);
    let written = (|| {
        wharf_sys::fs::ensure_dir_mode(&paths.dir, wharf_sys::fs::MODE_PRIVATE_DIR)?;
        std::fs::create_dir_all(paths.upper())?;
        std::fs::create_dir_all(paths.work())?;
        std::fs::create_dir_all(paths.merged())?;
        std::fs::create_dir_all(paths.state_dir())?;
        rec.save(&paths)
    })();
    if let Err(e) = written {
        d.table().names.remove(&name);
        crate::container::mounts::release(d, &id, &rec.mounts);
        let _ = crate::container::mounts::remove_anonymous(d, &rec.mounts);
        let _ = std::fs::remove_dir_all(&paths.dir);
        return Err(util::io_error(
            &format!("cannot create container \"/{name}\""),
            &e,
        ));
    }
    let attrs = crate::container::event_attrs(&rec);
    crate::container::network::register(d, &rec);
    d.insert(rec);
    d.events.emit("container", "create", &id, attrs);
    Ok(ContainerCreateResponse {
        id,
        warnings: Vec::new(),
    })
}

/// Claims a name (given or generated) in the table; Docker's 409 on conflict.
fn reserve_name(d: &Daemon, name: Option<&str>, id: &str) -> Result<String> {
    let mut t = d.table();
    let name = match name
        .map(|n| n.strip_prefix('/').unwrap_or(n))
        .filter(|n| !n.is_empty())
    {
        Some(n) => {
            if !util::valid_container_name(n) {
                return Err(Error::invalid(format!(
                    "Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
                )));
            }
            if let Some(other) = t.names.get(n) {
                return Err(Error::conflict(format!(
                    "Conflict. The container name \"/{n}\" is already in use by container \"{other}\". You have to remove (or rename) that container to be able to reuse that name."
                )));
            }
            n.to_string()
        }
        None => {
            let mut retry = 0;
            loop {
                let n = util::random_name(retry);
                if !t.names.contains_key(&n) {
                    break n;
                }
                retry += 1;
            }
        }
    };
    // A placeholder so a concurrent create cannot take the same name.
    t.names.insert(name.clone(), id.to_string());
    Ok(name)
}

fn check_runtime(runtime: &str) -> Result<()> {
    match runtime {
        "libcontainer" | "runc" | "crun" => Ok(()),
        p if p.starts_with('/') => Ok(()),
        other => Err(Error::invalid(format!(
            "unknown or invalid runtime name: {other}"
        ))),
    }
}

/// Bad resource and policy values are refused before anything is created.
fn validate_host_config(h: &wharf_api::container::HostConfig) -> Result<()> {
    if h.memory < 0 {
        return Err(Error::invalid("invalid memory limit: must be positive"));
    }
    if h.memory > 0 && h.memory < 6 * 1024 * 1024 {
        return Err(Error::invalid("Minimum memory limit allowed is 6MB"));
    }
    if h.nano_cpus < 0 {
        return Err(Error::invalid(
            "Range of CPUs is from 0.01 to the number of CPUs available on the system",
        ));
    }
    let ncpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as i64;
    if h.nano_cpus > ncpu * 1_000_000_000 {
        return Err(Error::invalid(format!(
            "Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available"
        )));
    }
    super::resources::check(h)?;
    validate_restart_policy(&h.restart_policy, h.auto_remove)
}

/// Docker's checks of a restart policy (at create and update).
pub fn validate_restart_policy(
    rp: &wharf_api::container::RestartPolicy,
    auto_remove: bool,
) -> Result<()> {
    match rp.name.as_str() {
        "" | "no" | "always" | "unless-stopped" => {
            if rp.maximum_retry_count != 0 {
                return Err(Error::invalid(
                    "invalid restart policy: maximum retry count can only be used with 'on-failure'".to_string()
                ));
            }
        }
        "on-failure" => {
            if rp.maximum_retry_count < 0 {
                return Err(Error::invalid("invalid restart policy: maximum retry count cannot be negative"));
            }
        }
        other => {
            return Err(Error::invalid(format!(
                "invalid restart policy: unknown policy '{other}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"
            )))
        }
    }
    if !rp.name.is_empty() && rp.name != "no" && auto_remove {
        return Err(Error::invalid(
            "conflicting options: cannot specify both --restart and --rm",
        ));
    }
    Ok(())
}

/// Image env first, then the user's, the user's value winning per key.
fn merge_env(image: Vec<String>, user: Vec<String>) -> Vec<String> {
    let key = |s: &String| s.split('=').next().unwrap_or("").to_string();
    let mut out: Vec<String> = Vec::new();
    for e in image.into_iter().chain(user) {
        let k = key(&e);
        if let Some(pos) = out.iter().position(|x| key(x) == k) {
            out[pos] = e;
        } else {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_merge_user_wins() {
        let m = merge_env(
            vec!["PATH=/bin".into(), "A=1".into()],
            vec!["A=2".into(), "B=3".into()],
        );
        assert_eq!(m, vec!["PATH=/bin", "A=2", "B=3"]);
    }
}
