//! `--log-driver json-file|local|none` and `--log-opt max-size/max-file`:
//! checked at create (an unknown driver or option is an error there, as in
//! Docker) and turned into the monitor's rotation policy at start.
//!
//! `local` keeps the same line format as `json-file` (wharf's reader reads
//! both) with Docker's `local` defaults: rotation at 20 MB, 5 files.

use wharf_api::container::LogConfig;

use crate::error::{Error, Result};

/// What the monitor does with the container's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPolicy {
    /// `none`: no log file; `logs` cannot read.
    pub disabled: bool,
    /// Rotate when the current file reaches this many bytes.
    pub max_size: Option<u64>,
    /// Files kept, the current one included (≥ 1).
    pub max_file: u32,
}

const JSON_FILE_OPTS: &[&str] = &[
    "max-size",
    "max-file",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];
const LOCAL_OPTS: &[&str] = &["max-size", "max-file", "compress"];

/// Checks a `LogConfig` and gives its policy.
pub fn policy(cfg: &LogConfig) -> Result<LogPolicy> {
    let kind = if cfg.kind.is_empty() {
        "json-file"
    } else {
        cfg.kind.as_str()
    };
    let (allowed, mut p): (&[&str], LogPolicy) = match kind {
        "json-file" => (
            JSON_FILE_OPTS,
            LogPolicy {
                disabled: false,
                max_size: None,
                max_file: 1,
            },
        ),
        "local" => (
            LOCAL_OPTS,
            LogPolicy {
                disabled: false,
                max_size: Some(20 * 1024 * 1024),
                max_file: 5,
            },
        ),
        "none" => (
            &[],
            LogPolicy {
                disabled: true,
                max_size: None,
                max_file: 1,
            },
        ),
        other => {
            return Err(Error::invalid(format!(
                "logger: no log driver named '{other}' is registered"
            )))
        }
    };
    for (k, v) in &cfg.config {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::invalid(format!(
                "unknown log opt '{k}' for {kind} log driver"
            )));
        }
        match k.as_str() {
            "max-size" => {
                let n = ram_in_bytes(v)
                    .ok_or_else(|| Error::invalid(format!("invalid size: '{v}'")))?;
                p.max_size = if n > 0 { Some(n) } else { None };
            }
            "max-file" => {
                let n: i64 = v.parse().map_err(|_| {
                    Error::invalid(format!("strconv.Atoi: parsing \"{v}\": invalid syntax"))
                })?;
                if n < 1 {
                    return Err(Error::invalid("max-file cannot be less than 1"));
                }
                p.max_file = u32::try_from(n).unwrap_or(u32::MAX);
            }
            _ => {}
        }
    }
    if kind == "json-file" && p.max_file > 1 && p.max_size.is_none() {
        return Err(Error::invalid(
            "max-file can only be set if max-size is set",
        ));
    }
    Ok(p)
}

/// Docker's `units.RAMInBytes`: `10m`, `1.5g`, `512k`, `100`, `2MiB` …
/// (binary multiples).
fn ram_in_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(num_end);
    let n: f64 = num.parse().ok()?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return None,
    };
    Some((n * mult) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cfg(kind: &str, opts: &[(&str, &str)]) -> LogConfig {
        LogConfig {
            kind: kind.into(),
            config: opts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn drivers_and_options_as_docker() {
        let p = policy(&cfg("json-file", &[("max-size", "1k"), ("max-file", "3")])).unwrap();
        assert_eq!((p.max_size, p.max_file), (Some(1024), 3));
        let p = policy(&cfg("local", &[])).unwrap();
        assert_eq!((p.max_size, p.max_file), (Some(20 << 20), 5));
        assert!(policy(&cfg("none", &[])).unwrap().disabled);
        assert!(policy(&cfg("", &[])).is_ok());
        let e = policy(&cfg("syslogx", &[])).unwrap_err();
        assert_eq!(
            e.message,
            "logger: no log driver named 'syslogx' is registered"
        );
        let e = policy(&cfg("json-file", &[("foo", "1")])).unwrap_err();
        assert_eq!(e.message, "unknown log opt 'foo' for json-file log driver");
        assert!(policy(&cfg("json-file", &[("max-size", "ten")])).is_err());
        assert!(policy(&cfg("json-file", &[("max-size", "1m"), ("max-file", "0")])).is_err());
        assert!(policy(&cfg("json-file", &[("max-file", "2")])).is_err());
        assert!(policy(&cfg("none", &[("max-size", "1m")])).is_err());
        assert_eq!(ram_in_bytes("1.5m"), Some(1572864));
        assert_eq!(ram_in_bytes("2MiB"), Some(2 << 20));
        assert_eq!(ram_in_bytes("100"), Some(100));
    }
}
