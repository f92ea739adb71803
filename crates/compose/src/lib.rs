//! wharf-compose owns Compose: the typed model of the compose-spec
//! (`model`), loading (`load`: discovery, `.env`, interpolation, include,
//! extends, merge, profiles, validation), pure planning (`plan`: order,
//! config hash, create bodies), and convergence against an engine
//! (`engine`), which talks to the daemon only through `wharf-client`.
//! It must not know about command-line parsing (that is `src/cli/compose`)
//! nor about the daemon's crates.

pub mod dockerjson;
pub mod engine;
pub mod error;
pub mod interp;
pub mod load;
pub mod model;
pub mod plan;

pub use error::{ComposeError, ErrorKind};
pub use load::{load, LoadOptions};
pub use model::Project;

use serde_yaml::{Mapping, Value as Y};

/// The normalized model as `docker compose config` prints it: `name`,
/// `services`, `networks`, `volumes`, `configs`, `secrets`, then `x-` keys.
pub fn config_value(p: &Project) -> serde_json::Value {
    let mut top = serde_json::Map::new();
    top.insert("name".into(), p.name.clone().into());
    let mut svcs = serde_json::Map::new();
    for (n, s) in &p.services {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        if let serde_json::Value::Object(m) = &mut v {
            for (k, x) in &s.extensions {
                m.insert(k.clone(), x.clone());
            }
        }
        svcs.insert(n.clone(), v);
    }
    top.insert("services".into(), svcs.into());
    let full = serde_json::to_value(p).unwrap_or_default();
    for k in ["networks", "volumes", "configs", "secrets"] {
        if let Some(v) = full.get(k) {
            top.insert(k.into(), v.clone());
        }
    }
    for (k, x) in &p.extensions {
        top.insert(k.clone(), x.clone());
    }
    let mut v = serde_json::Value::Object(top);
    escape_dollars(&mut v);
    v
}

/// Interpolated values are printed with `$` escaped as `$$`, so the
/// output loads back to the same model (as Compose prints them).
fn escape_dollars(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        serde_json::Value::Array(a) => a.iter_mut().for_each(escape_dollars),
        serde_json::Value::Object(m) => m.values_mut().for_each(escape_dollars),
        _ => {}
    }
}

/// `config` as YAML, keys in Compose's order at the top level.
pub fn config_yaml(p: &Project) -> String {
    let v = config_value(p);
    let mut m = Mapping::new();
    let order = [
        "name", "services", "networks", "volumes", "configs", "secrets",
    ];
    if let serde_json::Value::Object(o) = &v {
        for k in order {
            if let Some(x) = o.get(k) {
                m.insert(Y::from(k), serde_yaml::to_value(x).unwrap_or(Y::Null));
            }
        }
        for (k, x) in o {
            if !order.contains(&k.as_str()) {
                m.insert(
                    Y::from(k.as_str()),
                    serde_yaml::to_value(x).unwrap_or(Y::Null),
                );
            }
        }
    }
    serde_yaml::to_string(&Y::Mapping(m)).unwrap_or_default()
}
