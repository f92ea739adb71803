//! `wharf network disconnect [-f] NETWORK CONTAINER`

use wharf_api::network::NetworkDisconnectRequest;

use crate::cli::Ctx;

#[derive(Debug, clap::Args)]
pub struct DisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short = 'f', long)]
    pub force: bool,
    pub network: String,
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: DisconnectArgs) -> anyhow::Result<i32> {
    let b = NetworkDisconnectRequest {
        container: a.container.clone(),
        force: a.force,
    };
    ctx.client.networks().disconnect(&a.network, &b).await?;
    Ok(0)
}
