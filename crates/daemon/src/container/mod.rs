//! Containers: records, the state machine and the lifecycle operations.

pub mod attach;
pub mod attach_ws;
pub mod cgroups;
pub mod changes;
pub mod commit;
pub mod cp;
pub mod create;
pub mod deferred_teardown;
pub mod etc;
pub mod export;
pub mod health;
pub mod inspect;
pub mod joined;
pub mod logdriver;
pub mod logs;
pub mod monitor;
pub mod mounts;
pub mod netns;
pub mod network;
pub mod pause;
pub mod prune;
pub mod reconcile;
pub mod record;
pub mod remove;
pub mod resources;
pub mod rootfs;
pub mod security;
pub mod start;
pub mod state;
pub mod stats;
pub mod stop;
pub mod stray_monitors;
pub mod update;
pub mod user;

use std::collections::BTreeMap;

use record::Container;

/// Attributes Docker puts on container events.
pub fn event_attrs(rec: &Container) -> BTreeMap<String, String> {
    let mut a: BTreeMap<String, String> = rec.config.labels.clone().unwrap_or_default();
    a.insert("name".into(), rec.name.clone());
    a.insert("image".into(), rec.image_ref.clone());
    a
}
