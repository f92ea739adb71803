//! `wharf volume import VOLUME [FILE|-]`: fill a volume from a tar archive
//! (`PUT /volumes/{name}/import`, a wharf extension).

use wharf_client::Client;

use crate::cli::{tty, Ctx};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    pub name: String,
    /// Tar archive to read (default: STDIN)
    pub file: Option<String>,
}

pub async fn run(ctx: &Ctx, a: ImportArgs) -> anyhow::Result<i32> {
    let body = match a.file.as_deref() {
        Some(p) if p != "-" => {
            Client::reader_body(tokio::fs::File::open(p).await.map_err(|e| {
                anyhow::anyhow!("open {p}: {}", crate::cli::container_opts::io_msg(&e))
            })?)
        }
        _ => {
            if tty::stdin_is_terminal() {
                anyhow::bail!("requested import from stdin, but stdin is a terminal");
            }
            Client::reader_body(tokio::io::stdin())
        }
    };
    ctx.client.volumes().import(&a.name, body).await?;
    Ok(0)
}
