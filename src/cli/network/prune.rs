//! `wharf network prune [-f] [--filter k=v]`

use crate::cli::{prune, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<label>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force
        && !prune::confirm(
            "This will remove all custom networks not used by at least one container.",
        )?
    {
        return Ok(0);
    }
    let r = ctx
        .client
        .networks()
        .prune(&prune::filters(&a.filter)?)
        .await?;
    prune::print_deleted("Deleted Networks", &r.networks_deleted.unwrap_or_default());
    Ok(0)
}
