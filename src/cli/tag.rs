//! `wharf tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`

use super::parse::split_repo_tag;
use super::{q, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct TagArgs {
    pub source: String,
    pub target: String,
}

pub async fn run(ctx: &Ctx, a: TagArgs) -> anyhow::Result<i32> {
    let (repo, tag) = split_repo_tag(&a.target);
    let mut path = format!("/images/{}/tag?repo={}", seg(&a.source), q(&repo));
    if !tag.is_empty() {
        path.push_str(&format!("&tag={}", q(&tag)));
    }
    ctx.client.post::<()>(&path, None).await?;
    Ok(0)
}
