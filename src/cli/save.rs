//! `wharf save [-o FILE] IMAGE...`: the archive `docker save` writes.

use super::{download, Ctx};

#[derive(Debug, clap::Args)]
pub struct SaveArgs {
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long)]
    pub output: Option<String>,
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: SaveArgs) -> anyhow::Result<i32> {
    download::check_destination(a.output.as_deref())?;
    let resp = ctx.client.images().save(&a.images).await?;
    download::write(resp, a.output.as_deref(), "save image").await?;
    Ok(0)
}
