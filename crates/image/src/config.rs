//! Docker/OCI image config JSON (`application/vnd.docker.container.image.v1+json`,
//! `application/vnd.oci.image.config.v1+json`), with Docker's field names:
//! lower-case at the top, capitalised inside `config`. The store keeps the
//! original bytes (the image ID is their digest); these types read them
//! and write the configs `import` creates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An empty JSON object, the value of `ExposedPorts`/`Volumes` entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The whole image config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageConfig {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub os: String,
    /// RFC 3339 creation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub docker_version: String,
    /// Parent image ID (only images committed by a classic builder).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub parent: String,
    pub config: RunConfig,
    pub rootfs: RootFs,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
}

/// The defaults a container inherits from the image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// `None` and `Some([])` differ: an empty entrypoint resets the parent's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub args_escaped: bool,
}

/// The ordered layer list, by diff ID (sha256 of the uncompressed tar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        }
    }
}

/// One step of how the image was made; `empty_layer` steps add no layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct History {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

impl ImageConfig {
    /// Parses config bytes as found in an archive or the store.
    pub fn from_slice(bytes: &[u8]) -> Result<ImageConfig, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Unix seconds of `created`, 0 when absent or unparsable.
    pub fn created_unix(&self) -> i64 {
        parse_time(self.created.as_deref())
    }
}

/// Unix seconds of an RFC 3339 time, 0 when absent or unparsable.
pub fn parse_time(t: Option<&str>) -> i64 {
    t.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.timestamp())
        .unwrap_or(0)
}

/// Now, in the RFC 3339 form with nanoseconds that Docker writes.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Docker's name for the host architecture (`amd64`, `arm64`, …).
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_docker_config() {
        let json = br#"{"architecture":"amd64","config":{"Hostname":"","Env":["PATH=/bin"],"Cmd":["sh"],"Labels":null,"ExposedPorts":{"80/tcp":{}},"WorkingDir":"/w","User":"1:2","StopSignal":"SIGQUIT"},"created":"2023-05-19T20:19:21.185925476Z","history":[{"created":"2023-05-19T20:19:20Z","created_by":"/bin/sh -c #(nop) ADD file:1 in / "},{"created":"2023-05-19T20:19:21Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#;
        let c = ImageConfig::from_slice(json).unwrap();
        assert_eq!(c.config.cmd, Some(vec!["sh".to_string()]));
        assert_eq!(c.config.env.as_ref().unwrap()[0], "PATH=/bin");
        assert!(c
            .config
            .exposed_ports
            .as_ref()
            .unwrap()
            .contains_key("80/tcp"));
        assert_eq!(c.config.working_dir, "/w");
        assert_eq!(c.config.stop_signal.as_deref(), Some("SIGQUIT"));
        assert!(c.history[1].empty_layer);
        assert_eq!(c.rootfs.diff_ids, vec!["sha256:aa"]);
        assert_eq!(c.created_unix(), 1684527561);
        let again = serde_json::to_vec(&c).unwrap();
        assert_eq!(ImageConfig::from_slice(&again).unwrap().history, c.history);
        let v: serde_json::Value = serde_json::from_slice(&again).unwrap();
        assert_eq!(v["config"]["Cmd"][0], "sh");
        assert_eq!(v["rootfs"]["type"], "layers");
    }
}
