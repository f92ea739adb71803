//! `wharf logs [-f] [--tail N] [-t] [--since] [--until] CONTAINER`

use tokio::io::AsyncWriteExt;
use wharf_client::stdcopy::StreamKind;
use wharf_client::LogsOptions;

use super::format::{now_unix, parse_time_arg};
use super::{Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Show logs since timestamp or relative (e.g. 42m for 42 minutes)
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp or relative
    #[arg(long)]
    pub until: Option<String>,
    /// Show extra details provided to logs
    #[arg(long)]
    pub details: bool,
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: LogsArgs) -> anyhow::Result<i32> {
    let c = ctx.client.containers().inspect(&a.container).await?;
    let now = now_unix();
    let mut opts = LogsOptions {
        follow: a.follow,
        timestamps: a.timestamps,
        details: a.details,
        tail: Some(a.tail.clone()),
        ..LogsOptions::default()
    };
    for (k, v, slot) in [
        ("since", &a.since, &mut opts.since),
        ("until", &a.until, &mut opts.until),
    ] {
        if let Some(v) = v {
            let t = parse_time_arg(v, now).map_err(|e| {
                UsageError(format!("invalid argument \"{v}\" for \"--{k}\" flag: {e}"))
            })?;
            *slot = Some(t);
        }
    }
    let mut logs = ctx
        .client
        .containers()
        .logs(&c.id, c.config.tty, &opts)
        .await?;
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    while let Some(chunk) = logs.next().await {
        let (kind, data) = chunk?;
        if kind == StreamKind::Stderr {
            stderr.write_all(&data).await?;
            stderr.flush().await?;
        } else {
            stdout.write_all(&data).await?;
            stdout.flush().await?;
        }
    }
    Ok(0)
}
