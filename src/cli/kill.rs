//! `wharf kill [-s SIG] CONTAINER...`

use super::{for_each, parse, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: KillArgs) -> anyhow::Result<i32> {
    let sig = parse::signal(&a.signal).map_err(|e| {
        UsageError(format!(
            "invalid argument \"{}\" for \"-s, --signal\" flag: {e}",
            a.signal
        ))
    })?;
    for_each(&a.containers, true, |n| {
        let sig = sig.clone();
        async move {
            ctx.client.containers().kill(&n, Some(&sig)).await?;
            Ok(())
        }
    })
    .await
}
