//! `wharf volume export [-o FILE] VOLUME`: the volume's files as a tar
//! stream (`GET /volumes/{name}/export`, a wharf extension).

use tokio::io::AsyncWriteExt;

use crate::cli::{seg, tty, Ctx};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    pub name: String,
}

pub async fn run(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<i32> {
    let to_stdout = matches!(a.output.as_deref(), None | Some("-"));
    if to_stdout && tty::stdout_is_terminal() {
        anyhow::bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    let mut resp = ctx
        .client
        .get(&format!("/volumes/{}/export", seg(&a.name)))
        .await?;
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = if to_stdout {
        Box::new(tokio::io::stdout())
    } else {
        Box::new(tokio::fs::File::create(a.output.clone().unwrap_or_default()).await?)
    };
    while let Some(chunk) = resp.chunk().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    out.shutdown().await?;
    Ok(0)
}
