//! `wharf pause CONTAINER...` and `wharf unpause CONTAINER...`

use super::{for_each, Ctx};

#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// Pauses (`action` "pause") or unpauses every container named.
pub async fn run(ctx: &Ctx, a: PauseArgs, action: &str) -> anyhow::Result<i32> {
    for_each(&a.containers, true, |n| async move {
        let c = ctx.client.containers();
        if action == "pause" {
            c.pause(&n).await?;
        } else {
            c.unpause(&n).await?;
        }
        Ok(())
    })
    .await
}
