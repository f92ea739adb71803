//! Network wire types used by containers (settings, endpoints, ports).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One host binding of a published port.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

/// `NetworkingConfig` of the create body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkingConfig {
    pub endpoints_config: Option<BTreeMap<String, EndpointSettings>>,
}

/// `EndpointSettings`: a container's attachment to one network.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointSettings {
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<serde_json::Value>,
    pub links: Option<Vec<String>>,
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "MacAddress")]
    pub mac_address: String,
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: i64,
    #[serde(rename = "DNSNames")]
    pub dns_names: Option<Vec<String>>,
}

/// `NetworkSettings` of container inspect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkSettings {
    pub bridge: String,
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    pub sandbox_key: String,
    pub ports: BTreeMap<String, Option<Vec<PortBinding>>>,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: i64,
    pub mac_address: String,
    pub networks: BTreeMap<String, EndpointSettings>,
}

/// One `IPAM.Config` entry of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpamConfig {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subnet: String,
    #[serde(rename = "IPRange", skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux_address: Option<BTreeMap<String, String>>,
}

/// `IPAM` of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Ipam {
    pub driver: String,
    pub options: Option<BTreeMap<String, String>>,
    pub config: Option<Vec<IpamConfig>>,
}

/// A container's entry in a network's `Containers` map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkContainer {
    pub name: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub mac_address: String,
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: String,
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: String,
}

/// `ConfigReference` of a network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConfigReference {
    pub network: String,
}

/// `Network` of `GET /networks` and `GET /networks/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkResource {
    pub name: String,
    #[serde(rename = "Id")]
    pub id: String,
    pub created: String,
    pub scope: String,
    pub driver: String,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Ipam,
    pub internal: bool,
    pub attachable: bool,
    pub ingress: bool,
    pub config_from: ConfigReference,
    pub config_only: bool,
    pub containers: BTreeMap<String, NetworkContainer>,
    pub options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

/// The body of `POST /networks/create`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkCreateRequest {
    pub name: String,
    pub check_duplicate: Option<bool>,
    pub driver: String,
    pub scope: String,
    pub internal: bool,
    pub attachable: bool,
    pub ingress: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Option<Ipam>,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: Option<bool>,
    pub options: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// The answer of `POST /networks/create`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkCreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    pub warning: String,
}

/// The body of `POST /networks/{id}/connect`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkConnectRequest {
    pub container: String,
    pub endpoint_config: Option<EndpointSettings>,
}

/// The body of `POST /networks/{id}/disconnect`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkDisconnectRequest {
    pub container: String,
    pub force: bool,
}

/// The answer of `POST /networks/prune`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkPruneResponse {
    pub networks_deleted: Option<Vec<String>>,
}
