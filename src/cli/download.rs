//! Writing a streamed archive answer (`save`, `export`, `volume export`) to
//! `-o FILE` or to stdout, never to a terminal.

use tokio::io::AsyncWriteExt;
use wharf_client::Response;

use super::tty;

/// Refuses a terminal as the destination, as docker does.
pub fn check_destination(output: Option<&str>) -> anyhow::Result<()> {
    if matches!(output, None | Some("-")) && tty::stdout_is_terminal() {
        anyhow::bail!("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    Ok(())
}

/// Copies `resp`'s body to `output` (a file) or stdout; `what` names the
/// operation in an error (`failed to {what}: open FILE: …`).
pub async fn write(mut resp: Response, output: Option<&str>, what: &str) -> anyhow::Result<()> {
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = match output {
        None | Some("-") => Box::new(tokio::io::stdout()),
        Some(p) => Box::new(tokio::fs::File::create(p).await.map_err(|e| {
            anyhow::anyhow!(
                "failed to {what}: open {p}: {}",
                super::container_opts::io_msg(&e)
            )
        })?),
    };
    while let Some(chunk) = resp.chunk().await {
        out.write_all(&chunk?).await?;
    }
    out.flush().await?;
    out.shutdown().await?;
    Ok(())
}
