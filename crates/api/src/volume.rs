//! Volume wire types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `Volume` as `/volumes` answers it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Volume {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    pub created_at: String,
    pub labels: BTreeMap<String, String>,
    pub scope: String,
    pub options: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_data: Option<VolumeUsage>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeUsage {
    pub size: i64,
    pub ref_count: i64,
}

/// Body of `POST /volumes/create`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeCreateOptions {
    pub name: String,
    pub driver: String,
    pub driver_opts: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// `GET /volumes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeListResponse {
    pub volumes: Vec<Volume>,
    pub warnings: Vec<String>,
}

/// `POST /volumes/prune`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumePruneResponse {
    pub volumes_deleted: Vec<String>,
    pub space_reclaimed: u64,
}
