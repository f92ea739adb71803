//! `POST /containers/prune`: removes every stopped container (created,
//! exited, dead) that the `until` and `label` filters select.

use std::sync::Arc;

use serde::Serialize;

use super::state::Status;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::http::Filters;

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PruneReport {
    pub containers_deleted: Vec<String>,
    pub space_reclaimed: u64,
}

/// Docker's `label=k`, `label=k=v`, `label!=k`, `label!=k=v` on `labels`.
fn labels_match(filters: &Filters, labels: &std::collections::BTreeMap<String, String>) -> bool {
    let has = |l: &String| match l.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
        None => labels.contains_key(l.as_str()),
    };
    filters.get("label").iter().all(has) && !filters.get("label!").iter().any(has)
}

pub async fn prune(d: &Arc<Daemon>, filters: &Filters) -> Result<PruneReport> {
    filters.only(&["until", "label", "label!"])?;
    let until = match filters.get("until") {
        [] => None,
        [u] => Some(
            crate::events::parse_time(u)
                .ok_or_else(|| Error::invalid(format!("invalid filter 'until={u}'")))?,
        ),
        _ => return Err(Error::invalid("only one until filter is allowed")),
    };
    let candidates: Vec<(String, String)> = d
        .table()
        .by_id
        .values()
        .map(|e| &e.rec)
        .filter(|r| {
            matches!(
                r.state.status,
                Status::Created | Status::Exited | Status::Dead
            )
        })
        .filter(|r| labels_match(filters, &r.config.labels.clone().unwrap_or_default()))
        .filter(|r| {
            until.is_none_or(|u| {
                chrono::DateTime::parse_from_rfc3339(&r.created)
                    .ok()
                    .and_then(|t| t.timestamp_nanos_opt())
                    .is_some_and(|c| c < u)
            })
        })
        .map(|r| (r.id.clone(), r.name.clone()))
        .collect();
    let mut report = PruneReport {
        containers_deleted: Vec::new(),
        space_reclaimed: 0,
    };
    for (id, _name) in candidates {
        let upper = d.paths(&id).upper();
        let size = tokio::task::spawn_blocking(move || {
            wharf_volume::fsutil::dir_size(&upper).unwrap_or(0)
        })
        .await
        .unwrap_or(0);
        // A container started meanwhile is refused by remove (not forced).
        match super::remove::remove(d, &id, false, false).await {
            Ok(()) => {
                report.containers_deleted.push(id);
                report.space_reclaimed += size;
            }
            Err(e) => tracing::debug!(container_id = %id, error = %e.message, "prune skipped"),
        }
    }
    Ok(report)
}
