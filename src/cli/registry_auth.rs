//! Credentials kept as Docker keeps them: `~/.docker/config.json`
//! (`$DOCKER_CONFIG/config.json`), `auths.<server>.auth` = base64 of
//! `user:password`. Written crash-safely, mode 0600.

use std::path::PathBuf;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use wharf_registry::name::{auth_key, HUB_AUTH_KEY};
use wharf_registry::Credentials;

pub fn config_path() -> PathBuf {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            PathBuf::from(home).join(".docker")
        });
    dir.join("config.json")
}

fn read() -> serde_json::Value {
    std::fs::read(config_path())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({}))
}

fn write(v: &serde_json::Value) -> anyhow::Result<()> {
    let path = config_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let bytes = serde_json::to_vec_pretty(v)?;
    wharf_sys::fs::write_atomic(&path, &bytes)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// The `config.json` key of a server argument (`docker.io` when none).
pub fn key_of(server: Option<&str>) -> String {
    auth_key(server.unwrap_or("docker.io"))
}

/// Stored credentials for the registry an image name lives on.
pub fn for_image(image: &str) -> Option<Credentials> {
    let name = wharf_registry::RemoteName::parse(image, None).ok()?;
    let key = match name.host.as_str() {
        h if h == wharf_registry::name::HUB_HOST => HUB_AUTH_KEY.to_string(),
        h => h.to_string(),
    };
    lookup(&key)
}

pub fn lookup(key: &str) -> Option<Credentials> {
    let v = read();
    let auth = v["auths"][key]["auth"].as_str()?;
    let raw = STANDARD.decode(auth).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some(Credentials {
        username: user.into(),
        password: pass.into(),
        serveraddress: key.into(),
        ..Default::default()
    })
}

pub fn store(key: &str, c: &Credentials) -> anyhow::Result<()> {
    let mut v = read();
    if !v.is_object() {
        v = serde_json::json!({});
    }
    let auth = STANDARD.encode(format!("{}:{}", c.username, c.password));
    v["auths"][key] = serde_json::json!({ "auth": auth });
    write(&v)
}

/// Removes the entry; false when there was none.
pub fn remove(key: &str) -> anyhow::Result<bool> {
    let mut v = read();
    let removed = v["auths"]
        .as_object_mut()
        .is_some_and(|m| m.remove(key).is_some());
    if removed {
        write(&v)?;
    }
    Ok(removed)
}

/// The `X-Registry-Auth` value for an image (`e30=` when none is stored).
pub fn header_for(image: &str) -> String {
    for_image(image)
        .map(|c| c.to_header())
        .unwrap_or_else(|| "e30=".into())
}

/// The `X-Registry-Config` value of a build: every stored credential by
/// its `config.json` key, base64url JSON (`e30=` when there are none).
pub fn all_header() -> String {
    use base64::engine::general_purpose::URL_SAFE;
    let v = read();
    let mut all = serde_json::Map::new();
    if let Some(auths) = v["auths"].as_object() {
        for key in auths.keys() {
            if let Some(c) = lookup(key) {
                all.insert(key.clone(), serde_json::to_value(c).unwrap_or_default());
            }
        }
    }
    URL_SAFE.encode(serde_json::Value::Object(all).to_string())
}
