//! `wharf tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`

use super::parse::split_repo_tag;
use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct TagArgs {
    pub source: String,
    pub target: String,
}

pub async fn run(ctx: &Ctx, a: TagArgs) -> anyhow::Result<i32> {
    let (repo, tag) = split_repo_tag(&a.target);
    ctx.client
        .images()
        .tag(&a.source, &repo, Some(&tag))
        .await?;
    Ok(0)
}
