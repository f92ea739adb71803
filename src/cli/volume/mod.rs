//! `wharf volume <sub>`: create, ls, inspect, rm, prune, and wharf's
//! export/import extensions. One file per subcommand.

mod create;
mod export;
mod import;
mod inspect;
mod ls;
mod prune;
mod rm;

use clap::Subcommand;

use super::Ctx;

#[derive(Debug, Subcommand)]
pub enum VolumeCmd {
    /// Create a volume
    Create(create::CreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(ls::LsArgs),
    /// Display detailed information on one or more volumes
    Inspect(inspect::InspectArgs),
    /// Remove one or more volumes
    #[command(visible_alias = "remove")]
    Rm(rm::RmArgs),
    /// Remove unused local volumes
    Prune(prune::PruneArgs),
    /// Write a volume's content as a tar archive (wharf extension)
    Export(export::ExportArgs),
    /// Fill a volume from a tar archive (wharf extension)
    Import(import::ImportArgs),
}

pub async fn dispatch(ctx: &Ctx, c: VolumeCmd) -> anyhow::Result<i32> {
    match c {
        VolumeCmd::Create(a) => create::run(ctx, a).await,
        VolumeCmd::Ls(a) => ls::run(ctx, a).await,
        VolumeCmd::Inspect(a) => inspect::run(ctx, a).await,
        VolumeCmd::Rm(a) => rm::run(ctx, a).await,
        VolumeCmd::Prune(a) => prune::run(ctx, a).await,
        VolumeCmd::Export(a) => export::run(ctx, a).await,
        VolumeCmd::Import(a) => import::run(ctx, a).await,
    }
}
