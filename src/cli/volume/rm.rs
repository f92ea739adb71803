//! `wharf volume rm [-f] NAME...`

use crate::cli::{for_each, Ctx};

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Force the removal of one or more volumes
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(required = true, value_name = "VOLUME")]
    pub names: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    for_each(&a.names, true, |n| async move {
        ctx.client.volumes().remove(&n, a.force).await?;
        Ok(())
    })
    .await
}
