//! `wharf container prune [-f] [--filter until=…|label=…]`

use serde::Deserialize;

use crate::cli::format::human_size;
use crate::cli::{prune, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PruneResponse {
    containers_deleted: Option<Vec<String>>,
    space_reclaimed: u64,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force && !prune::confirm("This will remove all stopped containers.")? {
        return Ok(0);
    }
    let path = prune::path("/containers/prune", &a.filter)?;
    let r: PruneResponse = ctx.client.post_json::<(), _>(&path, None).await?;
    prune::print_deleted(
        "Deleted Containers",
        &r.containers_deleted.unwrap_or_default(),
    );
    println!(
        "Total reclaimed space: {}",
        human_size(r.space_reclaimed as i64)
    );
    Ok(0)
}
