//! `wharf container prune [-f] [--filter until=…|label=…]`

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

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force && !prune::confirm("This will remove all stopped containers.")? {
        return Ok(0);
    }
    let r = ctx
        .client
        .containers()
        .prune(&prune::filters(&a.filter)?)
        .await?;
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
