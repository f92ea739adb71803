//! Engine events: a broadcast for live subscribers and a bounded history
//! for `since`/`until` queries.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::broadcast;
use wharf_api::system::{EventActor, EventMessage};

use crate::http::Filters;

const HISTORY: usize = 1024;

pub struct Events {
    tx: broadcast::Sender<EventMessage>,
    history: Mutex<VecDeque<EventMessage>>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            tx: broadcast::channel(256).0,
            history: Mutex::new(VecDeque::with_capacity(HISTORY)),
        }
    }
}

impl Events {
    pub fn emit(&self, kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) {
        let now = chrono::Utc::now();
        let nanos = now.timestamp_nanos_opt().unwrap_or(0);
        let mut ev = EventMessage {
            kind: kind.into(),
            action: action.into(),
            actor: EventActor {
                id: id.into(),
                attributes,
            },
            scope: "local".into(),
            time: now.timestamp(),
            time_nano: nanos,
            ..Default::default()
        };
        if kind == "container" {
            ev.status = Some(action.into());
            ev.id = Some(id.into());
            ev.from = ev.actor.attributes.get("image").cloned();
        }
        if let Ok(mut h) = self.history.lock() {
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(ev.clone());
        }
        let _ = self.tx.send(ev);
    }

    /// A volume event; Docker's carry the volume's `driver` attribute.
    pub fn volume(&self, action: &str, name: &str, driver: &str) {
        let driver = if driver.is_empty() { "local" } else { driver };
        let attrs = BTreeMap::from([("driver".to_string(), driver.to_string())]);
        self.emit("volume", action, name, attrs);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<EventMessage> {
        self.tx.subscribe()
    }

    pub fn since(&self, since_nanos: i64, until_nanos: Option<i64>) -> Vec<EventMessage> {
        self.history
            .lock()
            .map(|h| {
                h.iter()
                    .filter(|e| e.time_nano >= since_nanos)
                    .filter(|e| until_nanos.is_none_or(|u| e.time_nano <= u))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Docker's event filters: type, event/action, container, image, label.
pub fn matches(ev: &EventMessage, f: &Filters) -> bool {
    let check = |key: &str, value: &dyn Fn(&str) -> bool| {
        let wanted = f.get(key);
        wanted.is_empty() || wanted.iter().any(|w| value(w))
    };
    let attrs = &ev.actor.attributes;
    check("type", &|w| w == ev.kind)
        && check("event", &|w| {
            w == ev.action || ev.action.starts_with(&format!("{w}:"))
        })
        && check("container", &|w| {
            ev.kind == "container"
                && (ev.actor.id.starts_with(w) || attrs.get("name").is_some_and(|n| n == w))
        })
        && check("image", &|w| {
            attrs.get("image").is_some_and(|i| i == w)
                || (ev.kind == "image"
                    && (ev.actor.id == w || attrs.get("name").is_some_and(|n| n == w)))
        })
        && check("volume", &|w| ev.kind == "volume" && ev.actor.id == w)
        && check("label", &|w| match w.split_once('=') {
            Some((k, v)) => attrs.get(k).is_some_and(|x| x == v),
            None => attrs.contains_key(w),
        })
}

/// Parses Docker's `since`/`until` values: unix seconds (with optional
/// fraction), RFC 3339, or a Go duration relative to now (`10m`).
pub fn parse_time(value: &str) -> Option<i64> {
    if let Ok(secs) = value.parse::<f64>() {
        return Some((secs * 1e9) as i64);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return t.timestamp_nanos_opt();
    }
    let d = wharf_api::duration::parse_go_duration(value)?;
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    Some(now - d.as_nanos() as i64)
}
