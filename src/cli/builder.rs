//! `wharf builder prune [-a] [-f]`: forgets the build cache.

use clap::Subcommand;
use serde::Deserialize;

use crate::cli::format::human_size;
use crate::cli::{prune, Ctx};

#[derive(Debug, Subcommand)]
pub enum BuilderCmd {
    /// Remove build cache
    Prune(BuilderPruneArgs),
}

#[derive(Debug, clap::Args)]
pub struct BuilderPruneArgs {
    /// Remove all unused build cache, not just dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PruneResponse {
    caches_deleted: Option<Vec<String>>,
    space_reclaimed: u64,
}

pub async fn dispatch(ctx: &Ctx, c: BuilderCmd) -> anyhow::Result<i32> {
    match c {
        BuilderCmd::Prune(a) => {
            if !a.force && !prune::confirm("This will remove all dangling build cache.")? {
                return Ok(0);
            }
            let r: PruneResponse = ctx.client.post_json::<(), _>("/build/prune", None).await?;
            let n = r.caches_deleted.map(|c| c.len()).unwrap_or(0);
            println!("Deleted build cache entries: {n}");
            println!(
                "Total reclaimed space: {}",
                human_size(r.space_reclaimed as i64)
            );
            Ok(0)
        }
    }
}
