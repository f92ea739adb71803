//! `wharf rm [-f] [-v] CONTAINER...`

use super::{for_each, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove the specified link
    #[arg(short = 'l', long)]
    pub link: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    if a.link {
        return Err(UsageError(
            "--link is not supported: wharf has no legacy container links".into(),
        )
        .into());
    }
    for_each(&a.containers, true, |n| async move {
        ctx.client
            .containers()
            .remove(&n, a.force, a.volumes)
            .await?;
        Ok(())
    })
    .await
}
