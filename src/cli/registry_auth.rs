//! Credentials kept as Docker keeps them: `~/.docker/config.json`
//! (`$DOCKER_CONFIG/config.json`), `auths.<server>.auth` = base64 of
//! `user:password`. Reading them (and the headers made of them) is
//! `wharf_client::registry_auth`'s, shared with compose; writing them
//! (`login`, `logout`) is here, crash-safely, mode 0600.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use wharf_client::registry_auth::{self as auth, AuthConfig};
use wharf_registry::Credentials;

pub use wharf_client::registry_auth::{all_header, config_path, header_for};

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
    auth::auth_key(server.unwrap_or("docker.io"))
}

fn credentials(c: AuthConfig) -> Credentials {
    Credentials {
        username: c.username,
        password: c.password,
        serveraddress: c.serveraddress,
        identitytoken: c.identitytoken,
    }
}

/// Stored credentials for the registry an image name lives on.
pub fn for_image(image: &str) -> Option<Credentials> {
    auth::for_image(image).map(credentials)
}

pub fn store(key: &str, c: &Credentials) -> anyhow::Result<()> {
    let mut v = auth::read_config();
    if !v.is_object() {
        v = serde_json::json!({});
    }
    let encoded = STANDARD.encode(format!("{}:{}", c.username, c.password));
    v["auths"][key] = serde_json::json!({ "auth": encoded });
    write(&v)
}

/// Removes the entry; false when there was none.
pub fn remove(key: &str) -> anyhow::Result<bool> {
    let mut v = auth::read_config();
    let removed = v["auths"]
        .as_object_mut()
        .is_some_and(|m| m.remove(key).is_some());
    if removed {
        write(&v)?;
    }
    Ok(removed)
}
