//! `GET /containers/{id}/json` and `GET /containers/json`.

use wharf_api::container::{
    ContainerInspect, ContainerState, ContainerSummary, GraphDriver, SummaryHostConfig,
    SummaryNetworkSettings,
};

use super::record::Container;
use super::state::Status;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::Filters;

pub fn inspect(d: &Daemon, rec: &Container) -> ContainerInspect {
    let paths = d.paths(&rec.id);
    let etc = super::joined::etc_owner(d, rec);
    let s = &rec.state;
    let mut host_config = rec.host_config.clone();
    if host_config.network_mode.is_empty() {
        host_config.network_mode = "bridge".into();
    }
    ContainerInspect {
        id: rec.id.clone(),
        created: rec.created.clone(),
        path: rec.path.clone(),
        args: rec.args.clone(),
        state: ContainerState {
            status: s.status.as_str().into(),
            running: matches!(
                s.status,
                Status::Running | Status::Paused | Status::Restarting
            ),
            paused: s.status == Status::Paused,
            restarting: s.status == Status::Restarting,
            oom_killed: s.oom_killed,
            dead: s.status == Status::Dead,
            pid: s.pid,
            exit_code: s.exit_code,
            error: s.error.clone(),
            started_at: s.started_at.clone(),
            finished_at: s.finished_at.clone(),
            health: s.health.clone(),
        },
        image: rec.image_id.clone(),
        resolv_conf_path: etc.resolv().to_string_lossy().into(),
        hostname_path: etc.hostname().to_string_lossy().into(),
        hosts_path: etc.hosts().to_string_lossy().into(),
        log_path: paths.log(&rec.id).to_string_lossy().into(),
        name: format!("/{}", rec.name),
        restart_count: rec.restart_count,
        driver: "overlay2".into(),
        platform: "linux".into(),
        exec_ids: if rec.exec_ids.is_empty() {
            None
        } else {
            Some(rec.exec_ids.clone())
        },
        host_config,
        graph_driver: GraphDriver {
            name: "overlay2".into(),
            data: [
                (
                    "MergedDir".to_string(),
                    paths.merged().to_string_lossy().into_owned(),
                ),
                (
                    "UpperDir".to_string(),
                    paths.upper().to_string_lossy().into_owned(),
                ),
                (
                    "WorkDir".to_string(),
                    paths.work().to_string_lossy().into_owned(),
                ),
            ]
            .into_iter()
            .collect(),
        },
        mounts: rec
            .mounts
            .iter()
            .map(|m| m.to_mount_point(&d.volumes_root()))
            .collect(),
        config: rec.config.clone(),
        network_settings: super::network::settings(d, rec),
        ..Default::default()
    }
}

fn network_mode(rec: &Container) -> String {
    match rec.host_config.network_mode.as_str() {
        "" | "default" => "bridge".into(),
        m => m.into(),
    }
}

/// Docker's human status column: `Up 5 seconds`, `Exited (0) 3 seconds ago`, `Created`.
pub fn status_text(rec: &Container) -> String {
    let s = &rec.state;
    match s.status {
        Status::Running => {
            let health = match s.health.as_ref().map(|h| h.status.as_str()) {
                Some("starting") => " (health: starting)",
                Some("healthy") => " (healthy)",
                Some("unhealthy") => " (unhealthy)",
                _ => "",
            };
            format!("Up {}{health}", human_since(&s.started_at))
        }
        Status::Paused => format!("Up {} (Paused)", human_since(&s.started_at)),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            s.exit_code,
            human_since(&s.finished_at)
        ),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            s.exit_code,
            human_since(&s.finished_at)
        ),
        Status::Created => "Created".into(),
        Status::Removing => "Removal In Progress".into(),
        Status::Dead => "Dead".into(),
    }
}

fn human_since(rfc: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(rfc) else {
        return "Less than a second".into();
    };
    let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds();
    wharf_api::duration::human_duration(secs)
}

pub fn summary(d: &Daemon, rec: &Container) -> ContainerSummary {
    // Docker's list quotes an argument holding a space: `sh -c 'echo hi'`.
    let mut command = rec.path.clone();
    for a in &rec.args {
        command.push(' ');
        if a.contains(' ') {
            command.push('\'');
            command.push_str(a);
            command.push('\'');
        } else {
            command.push_str(a);
        }
    }
    let ports = wharf_network::ports::summary_ports(
        rec.config.exposed_ports.as_ref(),
        &super::network::published(rec),
    );
    let networks = super::network::networks_map(d, rec);
    ContainerSummary {
        id: rec.id.clone(),
        names: vec![format!("/{}", rec.name)],
        image: rec.image_ref.clone(),
        image_id: rec.image_id.clone(),
        command,
        created: chrono::DateTime::parse_from_rfc3339(&rec.created)
            .map(|t| t.timestamp())
            .unwrap_or(0),
        ports,
        labels: rec.config.labels.clone().unwrap_or_default(),
        state: rec.state.status.as_str().into(),
        status: status_text(rec),
        host_config: SummaryHostConfig {
            network_mode: network_mode(rec),
        },
        network_settings: SummaryNetworkSettings { networks },
        mounts: rec
            .mounts
            .iter()
            .map(|m| m.to_mount_point(&d.volumes_root()))
            .collect(),
        size_rw: None,
        size_root_fs: None,
    }
}

/// `GET /containers/json` with Docker's filters.
pub fn list(
    d: &Daemon,
    all: bool,
    limit: Option<i64>,
    filters: &Filters,
) -> Result<Vec<ContainerSummary>> {
    filters.only(&[
        "id", "name", "label", "status", "ancestor", "exited", "before", "since", "volume",
        "network", "health", "is-task", "publish", "expose",
    ])?;
    for s in filters.get("status") {
        if ![
            "created",
            "restarting",
            "running",
            "removing",
            "paused",
            "exited",
            "dead",
        ]
        .contains(&s.as_str())
        {
            return Err(Error::invalid(format!("invalid filter 'status={s}'")));
        }
    }
    let ancestors: Vec<String> = filters
        .get("ancestor")
        .iter()
        .map(|a| {
            d.images
                .resolve(a)
                .map(|i| i.id)
                .unwrap_or_else(|_| a.clone())
        })
        .collect();
    let any =
        |vals: &[String], f: &dyn Fn(&str) -> bool| vals.is_empty() || vals.iter().any(|v| f(v));
    // The summaries are built from the records in place, under the table
    // lock, instead of from a full copy of every record (issue 13: `ps`
    // with 200 running). Nothing below takes the table lock again.
    let table = d.table();
    let status_filter = filters.get("status");
    let mut recs: Vec<&Container> = table
        .by_id
        .values()
        .map(|e| &e.rec)
        .filter(|r| all || !status_filter.is_empty() || r.state.status.is_active())
        .collect();
    recs.sort_by(|a, b| b.created.cmp(&a.created));
    let no_labels = Default::default();
    let mut out = Vec::new();
    for rec in recs {
        let labels = rec.config.labels.as_ref().unwrap_or(&no_labels);
        let ok = any(filters.get("id"), &|v| rec.id.starts_with(v))
            && any(filters.get("name"), &|v| {
                let v = v.strip_prefix('/').unwrap_or(v);
                rec.name.contains(v)
            })
            && any(status_filter, &|v| v == rec.state.status.as_str())
            && any(filters.get("health"), &|v| {
                let h = rec.state.health.as_ref().map(|h| h.status.as_str());
                h.unwrap_or("none") == v
            })
            && any(&ancestors, &|v| rec.image_id == v || rec.image_ref == v)
            && any(filters.get("exited"), &|v| {
                rec.state.status == Status::Exited && v.parse() == Ok(rec.state.exit_code)
            })
            && any(filters.get("network"), &|v| {
                rec.networks
                    .iter()
                    .any(|(id, a)| a.name == v || id.starts_with(v))
                    || rec.host_config.network_mode == v
            })
            && any(filters.get("volume"), &|v| {
                rec.mounts
                    .iter()
                    .any(|m| m.name == v || m.destination == v || m.source == v)
            })
            && filters
                .get("label")
                .iter()
                .all(|l| match l.split_once('=') {
                    Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
                    None => labels.contains_key(l.as_str()),
                });
        if ok {
            out.push(summary(d, rec));
        }
    }
    drop(table);
    if let Some(n) = limit.filter(|n| *n > 0) {
        out.truncate(n as usize);
    }
    Ok(out)
}
