//! Registry credentials as Docker's CLI keeps them, read for the requests
//! that need them: `~/.docker/config.json` (`$DOCKER_CONFIG/config.json`),
//! `auths.<server>.auth` = base64 of `user:password` (or `identitytoken`),
//! and the credential helpers it names (`credHelpers.<server>`, then
//! `credsStore`: the program `docker-credential-<name>`, asked with `get`).
//! The CLI (`pull`, `push`, `build`, `search`, `manifest`) and compose
//! (`pull`, `build`, `push`) turn them into `X-Registry-Auth` and
//! `X-Registry-Config` headers here. Writing the file (`login`, `logout`)
//! is the CLI's.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use serde::{Deserialize, Serialize};

pub use wharf_api::auth_key::{auth_key, HUB_AUTH_KEY};

/// `X-Registry-Auth` / `X-Registry-Config` value for "no credentials" (`{}`).
pub const NO_AUTH: &str = "e30=";

/// One registry's credentials, as the Engine API's `AuthConfig` sends them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serveraddress: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub identitytoken: String,
}

impl AuthConfig {
    /// base64url JSON, the `X-Registry-Auth` encoding.
    pub fn to_header(&self) -> String {
        URL_SAFE.encode(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
pub fn config_path() -> PathBuf {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".docker")
        });
    dir.join("config.json")
}

/// The whole `config.json` (`{}` when missing or unreadable).
pub fn read_config() -> serde_json::Value {
    std::fs::read(config_path())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({}))
}

/// The `config.json` key of the registry an image name lives on, with
/// Docker's rule: the first path component is a registry when it has a
/// `.` or `:`, is `localhost`, or has capitals; otherwise Docker Hub.
pub fn image_auth_key(image: &str) -> String {
    match image.split_once('/') {
        Some((d, _)) if d.contains(['.', ':']) || d == "localhost" || d.to_lowercase() != d => {
            auth_key(d)
        }
        _ => HUB_AUTH_KEY.to_string(),
    }
}

/// Stored credentials for a registry key (`127.0.0.1:5000`, [`HUB_AUTH_KEY`]).
pub fn lookup(key: &str) -> Option<AuthConfig> {
    lookup_in(&read_config(), key)
}

/// Stored credentials for the registry an image name lives on.
pub fn for_image(image: &str) -> Option<AuthConfig> {
    lookup(&image_auth_key(image))
}

/// The `X-Registry-Auth` value for an image ([`NO_AUTH`] when none is stored).
pub fn header_for(image: &str) -> String {
    for_image(image)
        .map(|c| c.to_header())
        .unwrap_or_else(|| NO_AUTH.into())
}

/// Every stored credential by its `config.json` key: the `auths` entries
/// and the servers named in `credHelpers`.
pub fn all() -> BTreeMap<String, AuthConfig> {
    all_in(&read_config())
}

/// The `X-Registry-Config` value of a build: [`all`] as base64url JSON
/// ([`NO_AUTH`] when there are none).
pub fn all_header() -> String {
    let all = all();
    if all.is_empty() {
        return NO_AUTH.into();
    }
    URL_SAFE.encode(serde_json::to_vec(&all).unwrap_or_default())
}

/// The helper named for `key`: `credHelpers.<key>`, else `credsStore`.
fn helper_for<'a>(config: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    config["credHelpers"][key]
        .as_str()
        .or_else(|| config["credsStore"].as_str())
        .filter(|h| !h.is_empty())
}

fn lookup_in(config: &serde_json::Value, key: &str) -> Option<AuthConfig> {
    if let Some(h) = helper_for(config, key) {
        if let Some(c) = from_helper(&format!("docker-credential-{h}"), key) {
            return Some(c);
        }
    }
    from_auths(config, key)
}

fn all_in(config: &serde_json::Value) -> BTreeMap<String, AuthConfig> {
    let mut keys: Vec<String> = Vec::new();
    for section in ["auths", "credHelpers"] {
        if let Some(m) = config[section].as_object() {
            keys.extend(m.keys().cloned());
        }
    }
    keys.into_iter()
        .filter_map(|k| lookup_in(config, &k).map(|c| (k, c)))
        .collect()
}

/// `auths.<key>`: `auth` (base64 `user:password`) or `identitytoken`.
fn from_auths(config: &serde_json::Value, key: &str) -> Option<AuthConfig> {
    let entry = &config["auths"][key];
    let token = entry["identitytoken"].as_str().unwrap_or("").to_string();
    let (username, password) = match entry["auth"].as_str().filter(|a| !a.is_empty()) {
        Some(auth) => {
            let text = String::from_utf8(STANDARD.decode(auth).ok()?).ok()?;
            let (u, p) = text.split_once(':')?;
            (u.to_string(), p.to_string())
        }
        None if !token.is_empty() => (String::new(), String::new()),
        None => return None,
    };
    Some(AuthConfig {
        username,
        password,
        serveraddress: key.into(),
        identitytoken: token,
    })
}

/// Asks a credential helper (`program get`, the server on stdin) as the
/// docker CLI does; `None` when it is missing, fails or knows nothing.
fn from_helper(program: &str, key: &str) -> Option<AuthConfig> {
    let mut child = Command::new(program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(key.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    #[derive(Deserialize)]
    struct HelperAnswer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let a: HelperAnswer = serde_json::from_slice(&out.stdout).ok()?;
    if a.secret.is_empty() {
        return None;
    }
    // Docker's helpers store an identity token under the user `<token>`
    Some(if a.username == "<token>" {
        AuthConfig {
            serveraddress: key.into(),
            identitytoken: a.secret,
            ..Default::default()
        }
    } else {
        AuthConfig {
            username: a.username,
            password: a.secret,
            serveraddress: key.into(),
            ..Default::default()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_of_images_and_servers() {
        assert_eq!(image_auth_key("busybox"), HUB_AUTH_KEY);
        assert_eq!(image_auth_key("library/busybox:1"), HUB_AUTH_KEY);
        assert_eq!(image_auth_key("docker.io/x/y"), HUB_AUTH_KEY);
        assert_eq!(
            image_auth_key("127.0.0.1:5000/private/base:1"),
            "127.0.0.1:5000"
        );
        assert_eq!(image_auth_key("localhost/app"), "localhost");
        assert_eq!(image_auth_key("reg.example/a/b@sha256:00"), "reg.example");
        assert_eq!(auth_key("https://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(auth_key("index.docker.io"), HUB_AUTH_KEY);
    }

    #[test]
    fn reads_auths_entries() {
        let c = json!({"auths": {
            "127.0.0.1:5000": {"auth": STANDARD.encode("alice:s3:cret")},
            "tok.example": {"identitytoken": "T"},
            "empty.example": {},
            "bad.example": {"auth": "!!!"},
        }});
        let a = lookup_in(&c, "127.0.0.1:5000").unwrap();
        assert_eq!(
            (a.username.as_str(), a.password.as_str()),
            ("alice", "s3:cret")
        );
        assert_eq!(a.serveraddress, "127.0.0.1:5000");
        assert_eq!(lookup_in(&c, "tok.example").unwrap().identitytoken, "T");
        assert_eq!(lookup_in(&c, "empty.example"), None);
        assert_eq!(lookup_in(&c, "bad.example"), None);
        assert_eq!(lookup_in(&c, "other"), None);
        let all = all_in(&c);
        assert_eq!(
            all.keys().collect::<Vec<_>>(),
            ["127.0.0.1:5000", "tok.example"]
        );
        let header = AuthConfig {
            username: "alice".into(),
            password: "pw".into(),
            ..Default::default()
        }
        .to_header();
        assert_eq!(
            URL_SAFE.decode(header).unwrap(),
            br#"{"username":"alice","password":"pw"}"#
        );
    }

    #[test]
    fn asks_a_credential_helper() {
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-fake");
        std::fs::write(
            &helper,
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread s\ncase \"$s\" in\n\
             reg.example) echo '{\"ServerURL\":\"reg.example\",\"Username\":\"bob\",\"Secret\":\"pw\"}' ;;\n\
             tok.example) echo '{\"Username\":\"<token>\",\"Secret\":\"T\"}' ;;\n\
             *) echo 'credentials not found in native keychain'; exit 1 ;;\nesac\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = helper.to_str().unwrap();
        let a = from_helper(p, "reg.example").unwrap();
        assert_eq!((a.username.as_str(), a.password.as_str()), ("bob", "pw"));
        let t = from_helper(p, "tok.example").unwrap();
        assert_eq!((t.username.as_str(), t.identitytoken.as_str()), ("", "T"));
        assert_eq!(from_helper(p, "other.example"), None);
        assert_eq!(from_helper("/nonexistent/docker-credential-x", "a"), None);
        // a helper named for the server wins over credsStore; a missing one
        // falls back to the auths entry
        let c = json!({
            "credsStore": "nonexistent-store",
            "credHelpers": {"reg.example": "fake"},
            "auths": {"file.example": {"auth": STANDARD.encode("u:p")}},
        });
        assert_eq!(helper_for(&c, "reg.example"), Some("fake"));
        assert_eq!(helper_for(&c, "file.example"), Some("nonexistent-store"));
        assert_eq!(lookup_in(&c, "file.example").unwrap().username, "u");
    }
}
