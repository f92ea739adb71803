//! `wharf volume prune [-a] [-f] [--filter k=v]`

use crate::cli::format::human_size;
use crate::cli::{prune, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<label>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    let what = if a.all {
        "all local volumes"
    } else {
        "anonymous local volumes"
    };
    if !a.force
        && !prune::confirm(&format!(
            "This will remove {what} not used by at least one container."
        ))?
    {
        return Ok(0);
    }
    let mut filters = a.filter.clone();
    if a.all {
        filters.push("all=true".into());
    }
    let r = ctx
        .client
        .volumes()
        .prune(&prune::filters(&filters)?)
        .await?;
    prune::print_deleted("Deleted Volumes", &r.volumes_deleted);
    println!(
        "Total reclaimed space: {}",
        human_size(r.space_reclaimed as i64)
    );
    Ok(0)
}
