//! `wharf logs [-f] [--tail N] [-t] [--since] [--until] CONTAINER`

use tokio::io::AsyncWriteExt;
use wharf_api::container::ContainerInspect;
use wharf_client::stdcopy::{write_frames, Demuxer};

use super::format::{now_unix, parse_time_arg};
use super::{q, seg, Ctx, UsageError};

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
    let c: ContainerInspect = ctx
        .client
        .get_json(&format!("/containers/{}/json", seg(&a.container)))
        .await?;
    let now = now_unix();
    let mut path = format!(
        "/containers/{}/logs?stdout=1&stderr=1&follow={}&timestamps={}&details={}&tail={}",
        seg(&c.id),
        a.follow as u8,
        a.timestamps as u8,
        a.details as u8,
        q(&a.tail)
    );
    for (k, v) in [("since", &a.since), ("until", &a.until)] {
        if let Some(v) = v {
            let t = parse_time_arg(v, now).map_err(|e| {
                UsageError(format!("invalid argument \"{v}\" for \"--{k}\" flag: {e}"))
            })?;
            path.push_str(&format!("&{k}={}", q(&t)));
        }
    }
    let mut resp = ctx.client.get(&path).await?;
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    let mut demux = Demuxer::new();
    while let Some(chunk) = resp.chunk().await {
        let chunk = chunk?;
        if c.config.tty {
            stdout.write_all(&chunk).await?;
            stdout.flush().await?;
        } else {
            demux.push(&chunk);
            write_frames(&mut demux, &mut stdout, &mut stderr).await?;
        }
    }
    Ok(0)
}
