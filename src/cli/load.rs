//! `wharf load [-i FILE] [-q]`: load a `docker save` or OCI archive.

use wharf_client::Client;

use super::{jsonmsg, tty, Ctx};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN
    #[arg(short = 'i', long)]
    pub input: Option<String>,
    /// Suppress the load output
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

pub async fn run(ctx: &Ctx, a: LoadArgs) -> anyhow::Result<i32> {
    let body = match &a.input {
        Some(p) if p != "-" => {
            let f = tokio::fs::File::open(p)
                .await
                .map_err(|e| anyhow::anyhow!("open {p}: {}", super::container_opts::io_msg(&e)))?;
            Client::reader_body(f)
        }
        _ => {
            if tty::stdin_is_terminal() {
                anyhow::bail!("requested load from stdin, but stdin is empty");
            }
            Client::reader_body(tokio::io::stdin())
        }
    };
    let messages = ctx.client.images().load(body, a.quiet).await?;
    jsonmsg::print_stream(messages).await?;
    Ok(0)
}
