//! `wharf stop [-t N] [-s SIG] CONTAINER...`

use super::{for_each, parse, q, seg, Ctx, UsageError};

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
pub fn stop_query(timeout: Option<i64>, signal: Option<&str>) -> Result<String, UsageError> {
    let mut params = Vec::new();
    if let Some(t) = timeout {
        params.push(format!("t={t}"));
    }
    if let Some(s) = signal {
        let s = parse::signal(s).map_err(|e| {
            UsageError(format!(
                "invalid argument \"{s}\" for \"-s, --signal\" flag: {e}"
            ))
        })?;
        params.push(format!("signal={}", q(&s)));
    }
    Ok(if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    })
}

pub async fn run(ctx: &Ctx, a: StopArgs) -> anyhow::Result<i32> {
    post_each(ctx, a, "stop").await
}

/// `POST /containers/{id}/{action}?t=&signal=` for each container: stop
/// and restart take the same flags.
pub async fn post_each(ctx: &Ctx, a: StopArgs, action: &str) -> anyhow::Result<i32> {
    let query = stop_query(a.timeout, a.signal.as_deref())?;
    for_each(&a.containers, true, |n| {
        let query = query.clone();
        async move {
            ctx.client
                .post::<()>(&format!("/containers/{}/{action}{query}", seg(&n)), None)
                .await?;
            Ok(())
        }
    })
    .await
}
