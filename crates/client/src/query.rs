//! Query strings and Docker's `filters` parameter.

use std::collections::BTreeMap;

/// Docker's `filters` query parameter: each key with its values, sent as
/// `{"key":["v1","v2"]}`. Empty filters are not sent at all.
pub type Filters = BTreeMap<String, Vec<String>>;

/// Build filters from `key=value` pairs (the CLI's `-f/--filter` form).
/// A pair without `=` is returned as the error.
pub fn filters_from_pairs<S: AsRef<str>>(pairs: &[S]) -> Result<Filters, String> {
    let mut f = Filters::new();
    for p in pairs {
        let p = p.as_ref();
        let Some((k, v)) = p.split_once('=') else {
            return Err(p.to_string());
        };
        f.entry(k.trim().to_ascii_lowercase())
            .or_default()
            .push(v.to_string());
    }
    Ok(f)
}

/// A query string under construction: `?a=1&b=x+y`.
#[derive(Debug, Default, Clone)]
pub struct Query {
    parts: Vec<String>,
}

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    /// Add `key=value`, the value percent-encoded.
    pub fn push(&mut self, key: &str, value: impl AsRef<str>) -> &mut Query {
        self.parts
            .push(format!("{key}={}", crate::query_escape(value.as_ref())));
        self
    }

    /// Add `key=value` when there is a value.
    pub fn opt(&mut self, key: &str, value: Option<impl AsRef<str>>) -> &mut Query {
        if let Some(v) = value {
            self.push(key, v);
        }
        self
    }

    /// Add `key=1` when `on` (docker's CLI sends booleans as `1`/absent).
    pub fn flag(&mut self, key: &str, on: bool) -> &mut Query {
        if on {
            self.parts.push(format!("{key}=1"));
        }
        self
    }

    /// Add `key=1` or `key=0`, always sent.
    pub fn bool(&mut self, key: &str, on: bool) -> &mut Query {
        self.parts.push(format!("{key}={}", on as u8));
        self
    }

    /// Add `filters={...}` unless there are none.
    pub fn filters(&mut self, f: &Filters) -> &mut Query {
        if !f.is_empty() {
            let json = serde_json::to_string(f).unwrap_or_default();
            self.push("filters", json);
        }
        self
    }

    /// Add a map as JSON (`buildargs`, `labels`) unless it is empty.
    pub fn json_map(&mut self, key: &str, m: &BTreeMap<String, String>) -> &mut Query {
        if !m.is_empty() {
            let json = serde_json::to_string(m).unwrap_or_default();
            self.push(key, json);
        }
        self
    }

    /// `path` with this query appended.
    pub fn to_path(&self, path: &str) -> String {
        if self.parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", self.parts.join("&"))
        }
    }
}

/// Escape one path segment (a container, image or volume name). `/` and
/// `:` stay as they are: image names like `library/busybox:1` travel
/// unescaped, as docker's client sends them.
pub fn seg(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_encodes_values_and_filters() {
        let mut f = Filters::new();
        f.insert("label".into(), vec!["a=b".into()]);
        let mut q = Query::new();
        q.flag("all", true)
            .flag("size", false)
            .push("name", "a b")
            .filters(&f);
        assert_eq!(
            q.to_path("/containers/json"),
            "/containers/json?all=1&name=a+b&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D"
        );
        assert_eq!(Query::new().to_path("/x"), "/x");
    }

    #[test]
    fn filters_from_cli_pairs() {
        let f = filters_from_pairs(&["label=a=b", "name=x", "label=c"]).unwrap();
        assert_eq!(f["label"], vec!["a=b", "c"]);
        assert_eq!(f["name"], vec!["x"]);
        assert_eq!(filters_from_pairs(&["bad"]).unwrap_err(), "bad");
    }

    #[test]
    fn segments_keep_slashes() {
        assert_eq!(seg("library/busybox:1"), "library/busybox:1");
        assert_eq!(seg("a b?#%"), "a%20b%3F%23%25");
    }
}
