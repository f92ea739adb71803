//! `wharf push [-q] NAME[:TAG]`

use super::{jsonmsg, Ctx};

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// NAME[:TAG]
    pub name: String,
}

pub async fn run(ctx: &Ctx, a: PushArgs) -> anyhow::Result<i32> {
    let (repo, tag) = super::parse::split_repo_tag(&a.name);
    let auth = super::registry_auth::header_for(&a.name);
    let messages = ctx
        .client
        .images()
        .push(
            &repo,
            Some(&tag).filter(|t| !t.is_empty()).map(|t| t.as_str()),
            Some(&auth),
        )
        .await?;
    if a.quiet {
        jsonmsg::drain_stream(messages).await?;
        println!("{}", super::create::full_ref(&a.name));
    } else {
        jsonmsg::print_progress(messages).await?;
    }
    Ok(0)
}
