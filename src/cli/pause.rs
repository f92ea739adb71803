//! `wharf pause CONTAINER...` and `wharf unpause CONTAINER...`

use super::{for_each, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// Pauses (`action` "pause") or unpauses every container named.
pub async fn run(ctx: &Ctx, a: PauseArgs, action: &str) -> anyhow::Result<i32> {
    for_each(&a.containers, true, |n| async move {
        ctx.client
            .post::<()>(&format!("/containers/{}/{action}", seg(&n)), None)
            .await?;
        Ok(())
    })
    .await
}
