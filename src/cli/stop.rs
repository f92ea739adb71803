//! `wharf stop [-t N] [-s SIG] CONTAINER...`

use super::{for_each, parse, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct StopArgs {
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

/// The query of stop and restart: `?t=N&signal=S`.
/// The signal of `-s`, checked.
pub fn stop_signal(signal: Option<&str>) -> Result<Option<String>, UsageError> {
    signal
        .map(|s| {
            parse::signal(s).map_err(|e| {
                UsageError(format!(
                    "invalid argument \"{s}\" for \"-s, --signal\" flag: {e}"
                ))
            })
        })
        .transpose()
}

pub async fn run(ctx: &Ctx, a: StopArgs) -> anyhow::Result<i32> {
    post_each(ctx, a, "stop").await
}

/// `POST /containers/{id}/{action}?t=&signal=` for each container: stop
/// and restart take the same flags.
pub async fn post_each(ctx: &Ctx, a: StopArgs, action: &str) -> anyhow::Result<i32> {
    let signal = stop_signal(a.signal.as_deref())?;
    let t = a.timeout;
    for_each(&a.containers, true, |n| {
        let signal = signal.clone();
        async move {
            let c = ctx.client.containers();
            if action == "restart" {
                c.restart_with(&n, t, signal.as_deref()).await?;
            } else {
                c.stop_with(&n, t, signal.as_deref()).await?;
            }
            Ok(())
        }
    })
    .await
}
