//! The key a registry's credentials are kept under in Docker's
//! `config.json` (and in `X-Registry-Config`): the CLI and compose look
//! credentials up by it, the daemon reads the keys build clients send.

/// The key Docker keeps Docker Hub's credentials under.
pub const HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";

/// The `config.json` key of a server name: scheme, trailing `/` and
/// `/v1`/`/v2` dropped; Docker Hub's names all map to [`HUB_AUTH_KEY`].
pub fn auth_key(server: &str) -> String {
    let s = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let s = s.strip_suffix("/v1").or(s.strip_suffix("/v2")).unwrap_or(s);
    match s {
        "" | "docker.io" | "index.docker.io" | "registry-1.docker.io" => HUB_AUTH_KEY.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names_share_one_key_and_others_lose_scheme_and_version() {
        for hub in [
            "",
            "docker.io",
            "https://index.docker.io/v1/",
            "registry-1.docker.io",
        ] {
            assert_eq!(auth_key(hub), HUB_AUTH_KEY, "{hub}");
        }
        assert_eq!(auth_key("http://127.0.0.1:5000/"), "127.0.0.1:5000");
        assert_eq!(auth_key("https://r.example/v2"), "r.example");
    }
}
