//! Filters of `GET /volumes` (`dangling`, `name`, `label`, `driver`), read
//! from Docker's `filters` query JSON in either of its two shapes:
//! `{"name":{"x":true}}` or the legacy `{"name":["x"]}`.

use std::collections::BTreeMap;

use wharf_api::volume::Volume;

use crate::error::{Result, VolumeError};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilters {
    /// `dangling=true`: no container references the volume.
    pub dangling: Option<bool>,
    /// Substrings of the name; any may match.
    pub names: Vec<String>,
    /// `label=k` (present) or `label=k=v` (equal); all must match.
    pub labels: Vec<(String, Option<String>)>,
    /// Driver names; any may match.
    pub drivers: Vec<String>,
}

impl ListFilters {
    /// Parses the `filters` query parameter (empty means no filter).
    pub fn from_query_json(json: &str) -> Result<Self> {
        if json.trim().is_empty() {
            return Ok(Self::default());
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|_| VolumeError::InvalidFilter(json.to_string()))?;
        let obj = value
            .as_object()
            .ok_or_else(|| VolumeError::InvalidFilter(json.to_string()))?;
        let mut map = BTreeMap::new();
        for (key, v) in obj {
            let values: Vec<String> = match v {
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, on)| on.as_bool().unwrap_or(false))
                    .map(|(k, _)| k.clone())
                    .collect(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| VolumeError::InvalidFilter(key.clone()))?,
                _ => return Err(VolumeError::InvalidFilter(key.clone())),
            };
            map.insert(key.clone(), values);
        }
        Self::from_map(&map)
    }

    /// Builds filters from `key → values`, refusing unknown keys.
    pub fn from_map(map: &BTreeMap<String, Vec<String>>) -> Result<Self> {
        let mut f = ListFilters::default();
        for (key, values) in map {
            match key.as_str() {
                "dangling" => {
                    for v in values {
                        f.dangling = Some(match v.as_str() {
                            "true" | "1" => true,
                            "false" | "0" => false,
                            _ => return Err(VolumeError::InvalidFilter(format!("dangling={v}"))),
                        });
                    }
                }
                "name" => f.names.extend(values.iter().cloned()),
                "driver" => f.drivers.extend(values.iter().cloned()),
                "label" => f
                    .labels
                    .extend(values.iter().map(|v| match v.split_once('=') {
                        Some((k, val)) => (k.to_string(), Some(val.to_string())),
                        None => (v.clone(), None),
                    })),
                other => return Err(VolumeError::InvalidFilter(other.to_string())),
            }
        }
        Ok(f)
    }

    /// Whether `v` (referenced by `ref_count` containers) passes.
    pub fn matches(&self, v: &Volume, ref_count: usize) -> bool {
        if let Some(d) = self.dangling {
            if d != (ref_count == 0) {
                return false;
            }
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| v.name.contains(n.as_str())) {
            return false;
        }
        if !self.drivers.is_empty() && !self.drivers.contains(&v.driver) {
            return false;
        }
        self.labels
            .iter()
            .all(|(k, want)| match (v.labels.get(k), want) {
                (Some(_), None) => true,
                (Some(have), Some(w)) => have == w,
                (None, _) => false,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(name: &str, labels: &[(&str, &str)]) -> Volume {
        Volume {
            name: name.into(),
            driver: "local".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Volume::default()
        }
    }

    #[test]
    fn parses_both_json_shapes() {
        let a = ListFilters::from_query_json(r#"{"dangling":{"true":true},"name":{"db":true}}"#)
            .unwrap();
        let b = ListFilters::from_query_json(r#"{"dangling":["true"],"name":["db"]}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.dangling, Some(true));
        assert_eq!(
            ListFilters::from_query_json("").unwrap(),
            ListFilters::default()
        );
    }

    #[test]
    fn refuses_unknown_filters() {
        let e = ListFilters::from_query_json(r#"{"colour":["red"]}"#).unwrap_err();
        assert_eq!(e.to_string(), "invalid filter 'colour'");
        let e = ListFilters::from_query_json(r#"{"dangling":["maybe"]}"#).unwrap_err();
        assert_eq!(e.to_string(), "invalid filter 'dangling=maybe'");
        assert!(ListFilters::from_query_json("[1]").is_err());
    }

    #[test]
    fn matching() {
        let v = vol("app-db", &[("env", "prod"), ("tier", "")]);
        let f = |j: &str| ListFilters::from_query_json(j).unwrap();
        assert!(f(r#"{"name":["db"]}"#).matches(&v, 0));
        assert!(!f(r#"{"name":["web"]}"#).matches(&v, 0));
        assert!(f(r#"{"name":["web","db"]}"#).matches(&v, 0));
        assert!(f(r#"{"label":["env"]}"#).matches(&v, 0));
        assert!(f(r#"{"label":["env=prod","tier"]}"#).matches(&v, 0));
        assert!(!f(r#"{"label":["env=dev"]}"#).matches(&v, 0));
        assert!(!f(r#"{"label":["env","missing"]}"#).matches(&v, 0));
        assert!(f(r#"{"dangling":["true"]}"#).matches(&v, 0));
        assert!(!f(r#"{"dangling":["true"]}"#).matches(&v, 1));
        assert!(f(r#"{"dangling":["0"]}"#).matches(&v, 2));
        assert!(f(r#"{"driver":["local"]}"#).matches(&v, 0));
        assert!(!f(r#"{"driver":["nfs"]}"#).matches(&v, 0));
    }
}
