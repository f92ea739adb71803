//! `wharf network connect [--alias A]... [--ip IP] [--ip6 IP] [--link C:A]
//! NETWORK CONTAINER`

use wharf_api::network::{EndpointSettings, NetworkConnectRequest};

use crate::cli::{Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct ConnectArgs {
    /// Add network-scoped alias for the container
    #[arg(long)]
    pub alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long)]
    pub ip: Option<String>,
    /// IPv6 address (e.g., 2001:db8::33)
    #[arg(long)]
    pub ip6: Option<String>,
    /// Add link to another container
    #[arg(long)]
    pub link: Vec<String>,
    pub network: String,
    pub container: String,
}

pub fn body(a: &ConnectArgs) -> Result<NetworkConnectRequest, UsageError> {
    let mut ipam = serde_json::Map::new();
    for (flag, v, want6) in [("--ip", &a.ip, false), ("--ip6", &a.ip6, true)] {
        if let Some(ip) = v {
            match ip.parse::<std::net::IpAddr>() {
                Ok(x) if x.is_ipv6() == want6 => {}
                _ => {
                    return Err(UsageError(format!(
                        "invalid argument \"{ip}\" for \"{flag}\" flag: invalid IP address"
                    )))
                }
            }
            let key = if want6 { "IPv6Address" } else { "IPv4Address" };
            ipam.insert(key.into(), ip.clone().into());
        }
    }
    Ok(NetworkConnectRequest {
        container: a.container.clone(),
        endpoint_config: Some(EndpointSettings {
            aliases: (!a.alias.is_empty()).then(|| a.alias.clone()),
            links: (!a.link.is_empty()).then(|| a.link.clone()),
            ipam_config: (!ipam.is_empty()).then_some(serde_json::Value::Object(ipam)),
            ..Default::default()
        }),
    })
}

pub async fn run(ctx: &Ctx, a: ConnectArgs) -> anyhow::Result<i32> {
    let b = body(&a)?;
    ctx.client.networks().connect(&a.network, &b).await?;
    Ok(0)
}
