//! `wharf network <sub>`: create, ls, inspect, rm, prune, connect,
//! disconnect. One file per subcommand.

mod connect;
mod create;
mod disconnect;
mod inspect;
mod ls;
mod prune;
mod rm;

use clap::Subcommand;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum NetworkCmd {
    /// Connect a container to a network
    Connect(connect::ConnectArgs),
    /// Create a network
    Create(create::CreateArgs),
    /// Disconnect a container from a network
    Disconnect(disconnect::DisconnectArgs),
    /// Display detailed information on one or more networks
    Inspect(inspect::InspectArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(ls::LsArgs),
    /// Remove all unused networks
    Prune(prune::PruneArgs),
    /// Remove one or more networks
    #[command(visible_alias = "remove")]
    Rm(rm::RmArgs),
}

pub async fn dispatch(ctx: &Ctx, c: NetworkCmd) -> anyhow::Result<i32> {
    match c {
        NetworkCmd::Connect(a) => connect::run(ctx, a).await,
        NetworkCmd::Create(a) => create::run(ctx, a).await,
        NetworkCmd::Disconnect(a) => disconnect::run(ctx, a).await,
        NetworkCmd::Inspect(a) => inspect::run(ctx, a).await,
        NetworkCmd::Ls(a) => ls::run(ctx, a).await,
        NetworkCmd::Prune(a) => prune::run(ctx, a).await,
        NetworkCmd::Rm(a) => rm::run(ctx, a).await,
    }
}
