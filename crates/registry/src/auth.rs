//! Credentials (Docker's `X-Registry-Auth` header and `config.json`
//! `auths` entries) and the `WWW-Authenticate` challenges of the token flow.

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Docker's `AuthConfig`, as clients send it base64url-encoded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serveraddress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identitytoken: String,
}

impl Credentials {
    /// Decodes `X-Registry-Auth`; an empty or `{}` header means none.
    pub fn from_header(value: &str) -> Option<Credentials> {
        let v = value.trim();
        if v.is_empty() {
            return None;
        }
        let bytes = URL_SAFE
            .decode(v)
            .or_else(|_| URL_SAFE_NO_PAD.decode(v))
            .or_else(|_| STANDARD.decode(v))
            .ok()?;
        let c: Credentials = serde_json::from_slice(&bytes).ok()?;
        (!c.username.is_empty() || !c.identitytoken.is_empty()).then_some(c)
    }

    /// Decodes a build's `X-Registry-Config`: credentials by registry
    /// (`config.json` keys). `None` when the header is not readable.
    pub fn map_from_header(value: &str) -> Option<BTreeMap<String, Credentials>> {
        let v = value.trim();
        if v.is_empty() {
            return Some(BTreeMap::new());
        }
        let bytes = URL_SAFE
            .decode(v)
            .or_else(|_| URL_SAFE_NO_PAD.decode(v))
            .or_else(|_| STANDARD.decode(v))
            .ok()?;
        let all: BTreeMap<String, Credentials> = serde_json::from_slice(&bytes).ok()?;
        Some(
            all.into_iter()
                .filter(|(_, c)| !c.username.is_empty() || !c.identitytoken.is_empty())
                .map(|(k, c)| (crate::name::auth_key(&k), c))
                .collect(),
        )
    }

    /// Encodes for `X-Registry-Auth`.
    pub fn to_header(&self) -> String {
        URL_SAFE.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// `Basic …` of user and password.
    pub fn basic(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.username, self.password))
        )
    }
}

/// A parsed `WWW-Authenticate` header: scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let mut params = BTreeMap::new();
        let mut s = rest.trim();
        while !s.is_empty() {
            let (key, after) = s.split_once('=')?;
            let key = key
                .trim()
                .trim_start_matches(',')
                .trim()
                .to_ascii_lowercase();
            let after = after.trim_start();
            let (value, next) = if let Some(q) = after.strip_prefix('"') {
                let end = q.find('"')?;
                (q[..end].to_string(), &q[end + 1..])
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            };
            params.insert(key, value);
            s = next.trim_start().trim_start_matches(',').trim_start();
        }
        Some(Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = Challenge::parse(
            r#"Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "http://127.0.0.1:1/token");
        assert_eq!(c.params["scope"], "repository:a:pull,push");
        let c = Challenge::parse(r#"Basic realm="x""#).unwrap();
        assert_eq!(c.scheme, "basic");
    }

    #[test]
    fn header_round_trips() {
        let c = Credentials {
            username: "u".into(),
            password: "p".into(),
            ..Default::default()
        };
        assert_eq!(Credentials::from_header(&c.to_header()), Some(c));
        assert_eq!(Credentials::from_header("e30="), None);
    }
}
