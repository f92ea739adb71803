//! `wharf network create [-d DRIVER] [--subnet] [--gateway] [--ip-range]
//! [--internal] [--ipv6] [--attachable] [--label k=v] [-o k=v] NAME`

use std::collections::BTreeMap;

use wharf_api::network::{Ipam, IpamConfig, NetworkCreateRequest, NetworkCreateResponse};

use crate::cli::{parse, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Driver to manage the Network
    #[arg(short = 'd', long, default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long)]
    pub subnet: Vec<String>,
    /// IPv4 or IPv6 Gateway for the master subnet
    #[arg(long)]
    pub gateway: Vec<String>,
    /// Allocate container ip from a sub-range
    #[arg(long = "ip-range")]
    pub ip_range: Vec<String>,
    /// IP Address Management Driver
    #[arg(long = "ipam-driver", default_value = "default")]
    pub ipam_driver: String,
    /// Restrict external access to the network
    #[arg(long)]
    pub internal: bool,
    /// Enable or disable IPv6 networking
    #[arg(long)]
    pub ipv6: bool,
    /// Enable manual container attachment
    #[arg(long)]
    pub attachable: bool,
    /// Set metadata on a network
    #[arg(long)]
    pub label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt")]
    pub opt: Vec<String>,
    pub name: String,
}

/// Builds the `POST /networks/create` body. Gateways and ranges pair with
/// the subnets in order, as given.
pub fn body(a: &CreateArgs) -> Result<NetworkCreateRequest, UsageError> {
    if a.gateway.len() > a.subnet.len() {
        return Err(UsageError(format!(
            "no matching subnet for gateway {}",
            a.gateway[a.subnet.len()]
        )));
    }
    if a.ip_range.len() > a.subnet.len() {
        return Err(UsageError(format!(
            "no matching subnet for range {}",
            a.ip_range[a.subnet.len()]
        )));
    }
    let config: Vec<IpamConfig> = a
        .subnet
        .iter()
        .enumerate()
        .map(|(i, s)| IpamConfig {
            subnet: s.clone(),
            gateway: a.gateway.get(i).cloned().unwrap_or_default(),
            ip_range: a.ip_range.get(i).cloned().unwrap_or_default(),
            aux_address: None,
        })
        .collect();
    let mut opts = BTreeMap::new();
    for o in &a.opt {
        let (k, v) = o.split_once('=').ok_or_else(|| {
            UsageError(format!(
                "invalid argument \"{o}\" for \"-o, --opt\" flag: invalid key value pair format"
            ))
        })?;
        opts.insert(k.to_string(), v.to_string());
    }
    Ok(NetworkCreateRequest {
        name: a.name.clone(),
        check_duplicate: Some(true),
        driver: a.driver.clone(),
        internal: a.internal,
        attachable: a.attachable,
        ipam: Some(Ipam {
            driver: a.ipam_driver.clone(),
            options: None,
            config: Some(config),
        }),
        enable_ipv6: Some(a.ipv6),
        options: Some(opts),
        labels: Some(parse::labels(&a.label)),
        ..Default::default()
    })
}

pub async fn run(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<i32> {
    let b = body(&a)?;
    let r: NetworkCreateResponse = ctx.client.networks().create(&b).await?;
    println!("{}", r.id);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(subnet: &[&str], gateway: &[&str]) -> CreateArgs {
        CreateArgs {
            driver: "bridge".into(),
            subnet: subnet.iter().map(|s| s.to_string()).collect(),
            gateway: gateway.iter().map(|s| s.to_string()).collect(),
            ip_range: vec![],
            ipam_driver: "default".into(),
            internal: true,
            ipv6: false,
            attachable: false,
            label: vec!["a=b".into()],
            opt: vec!["com.docker.network.bridge.name=br-x".into()],
            name: "net".into(),
        }
    }

    #[test]
    fn create_body() {
        let j =
            serde_json::to_value(body(&args(&["10.1.0.0/24"], &["10.1.0.9"])).unwrap()).unwrap();
        assert_eq!(j["Name"], "net");
        assert_eq!(j["Internal"], true);
        assert_eq!(j["IPAM"]["Config"][0]["Subnet"], "10.1.0.0/24");
        assert_eq!(j["IPAM"]["Config"][0]["Gateway"], "10.1.0.9");
        assert_eq!(j["Options"]["com.docker.network.bridge.name"], "br-x");
        assert_eq!(j["Labels"]["a"], "b");
        assert!(body(&args(&[], &["10.1.0.1"])).is_err());
    }
}
