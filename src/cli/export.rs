//! `wharf export [-o FILE] CONTAINER`: the container's filesystem as a tar.

use super::{download, Ctx};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: ExportArgs) -> anyhow::Result<i32> {
    download::check_destination(a.output.as_deref())?;
    let resp = ctx.client.containers().export(&a.container).await?;
    download::write(resp, a.output.as_deref(), "export container").await?;
    Ok(0)
}
