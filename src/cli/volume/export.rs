//! `wharf volume export [-o FILE] VOLUME`: the volume's files as a tar
//! stream (`GET /volumes/{name}/export`, a wharf extension).

use crate::cli::{download, Ctx};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    pub name: String,
}

pub async fn run(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<i32> {
    download::check_destination(a.output.as_deref())?;
    let resp = ctx.client.volumes().export(&a.name).await?;
    download::write(resp, a.output.as_deref(), "export volume").await?;
    Ok(0)
}
