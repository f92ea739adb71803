//! `wharf image <sub>`: image commands under docker's management names.

use clap::Subcommand;

use super::*;

#[derive(Debug, Subcommand)]
pub enum ImageCmd {
    /// List images
    #[command(visible_alias = "list")]
    Ls(images::ImagesArgs),
    /// Import the contents from a tarball to create a filesystem image
    Import(import::ImportArgs),
    /// Load an image from a tar archive or STDIN
    Load(load::LoadArgs),
    /// Save one or more images to a tar archive
    Save(save::SaveArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(tag::TagArgs),
    /// Remove one or more images
    #[command(visible_alias = "remove")]
    Rm(rmi::RmiArgs),
    /// Show the history of an image
    History(history::HistoryArgs),
    /// Display detailed information on one or more images
    Inspect(ImageInspectArgs),
    /// Remove unused images
    Prune(image_prune::ImagePruneArgs),
    /// Build an image from a Dockerfile
    Build(build::BuildArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImageInspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    #[arg(required = true, value_name = "IMAGE")]
    pub names: Vec<String>,
}

pub async fn dispatch(ctx: &Ctx, c: ImageCmd) -> anyhow::Result<i32> {
    match c {
        ImageCmd::Ls(a) => images::run(ctx, a).await,
        ImageCmd::Import(a) => import::run(ctx, a).await,
        ImageCmd::Load(a) => load::run(ctx, a).await,
        ImageCmd::Save(a) => save::run(ctx, a).await,
        ImageCmd::Tag(a) => tag::run(ctx, a).await,
        ImageCmd::Rm(a) => rmi::run(ctx, a).await,
        ImageCmd::History(a) => history::run(ctx, a).await,
        ImageCmd::Prune(a) => image_prune::run(ctx, a).await,
        ImageCmd::Build(a) => build::run(ctx, a).await,
        ImageCmd::Inspect(a) => {
            let a = inspect::InspectArgs {
                format: a.format,
                kind: Some("image".into()),
                size: false,
                names: a.names,
            };
            inspect::run(ctx, a).await
        }
    }
}
