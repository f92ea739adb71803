//! `wharf port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published
//! ports, from `NetworkSettings.Ports` of inspect, printed as docker does
//! (`80/tcp -> 0.0.0.0:8080`, or `0.0.0.0:8080` for one port).

use wharf_api::port::{port_lines, PortBindings};

use super::{Ctx, StatusError};

#[derive(Debug, clap::Args)]
pub struct PortArgs {
    pub container: String,
    /// A container port, `80` or `80/tcp`
    #[arg(value_name = "PRIVATE_PORT[/PROTO]")]
    pub private_port: Option<String>,
}

pub async fn run(ctx: &Ctx, a: PortArgs) -> anyhow::Result<i32> {
    let filter = match &a.private_port {
        None => None,
        Some(p) => {
            let (port, proto) = p.split_once('/').unwrap_or((p.as_str(), "tcp"));
            let proto = if proto.is_empty() { "tcp" } else { proto };
            let n: u16 = port
                .parse()
                .map_err(|_| anyhow::anyhow!("Error: invalid port ({port})"))?;
            Some((n, proto.to_ascii_lowercase()))
        }
    };
    let raw = ctx
        .client
        .containers()
        .inspect_raw(&a.container, false)
        .await?;
    let v: serde_json::Value = serde_json::from_slice(&raw)?;
    let ports: PortBindings = v
        .pointer("/NetworkSettings/Ports")
        .filter(|p| !p.is_null())
        .map(|p| serde_json::from_value(p.clone()))
        .transpose()?
        .unwrap_or_default();
    match port_lines(&ports, filter.as_ref().map(|(n, p)| (*n, p.as_str()))) {
        Some(lines) => {
            for l in lines {
                println!("{l}");
            }
            Ok(0)
        }
        None => {
            eprintln!(
                "Error: No public port '{}' published for {}",
                a.private_port.as_deref().unwrap_or_default(),
                a.container
            );
            Err(StatusError { code: 1 }.into())
        }
    }
}
