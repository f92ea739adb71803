//! `wharf restart [-t N] [-s SIG] CONTAINER...`

use super::stop::stop_query;
use super::{for_each, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct RestartArgs {
    /// Signal to send to the container
    #[arg(short = 's', long)]
    pub signal: Option<String>,
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long = "timeout",
        visible_alias = "time",
        allow_hyphen_values = true
    )]
    pub timeout: Option<i64>,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RestartArgs) -> anyhow::Result<i32> {
    let query = stop_query(a.timeout, a.signal.as_deref())?;
    for_each(&a.containers, true, |n| {
        let query = query.clone();
        async move {
            ctx.client
                .post::<()>(&format!("/containers/{}/restart{query}", seg(&n)), None)
                .await?;
            Ok(())
        }
    })
    .await
}
