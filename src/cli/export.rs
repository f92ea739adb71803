//! `wharf export [-o FILE] CONTAINER`: the container's filesystem as a tar.

use tokio::io::AsyncWriteExt;

use super::{seg, tty, Ctx};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<i32> {
    let to_stdout = matches!(a.output.as_deref(), None | Some("-"));
    if to_stdout && tty::stdout_is_terminal() {
        anyhow::bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    let mut resp = ctx
        .client
        .get(&format!("/containers/{}/export", seg(&a.container)))
        .await?;
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = if to_stdout {
        Box::new(tokio::io::stdout())
    } else {
        let p = a.output.clone().unwrap_or_default();
        Box::new(tokio::fs::File::create(&p).await.map_err(|e| {
            anyhow::anyhow!(
                "failed to export container: open {p}: {}",
                super::container_opts::io_msg(&e)
            )
        })?)
    };
    while let Some(chunk) = resp.chunk().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    out.shutdown().await?;
    Ok(0)
}
