//! `wharf pull [--platform P] [-q] NAME[:TAG|@DIGEST]`

use super::{jsonmsg, Ctx};

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// Set platform if server is multi-platform capable
    #[arg(long)]
    pub platform: Option<String>,
    /// Suppress verbose output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Download all tagged images in the repository (not supported)
    #[arg(short = 'a', long = "all-tags")]
    pub all_tags: bool,
    /// NAME[:TAG|@DIGEST]
    pub name: String,
}

pub async fn run(ctx: &Ctx, a: PullArgs) -> anyhow::Result<i32> {
    if a.all_tags {
        anyhow::bail!("--all-tags is not supported: name the tag to pull");
    }
    pull(ctx, &a.name, a.platform.as_deref(), a.quiet).await?;
    Ok(0)
}

/// Pulls `name`, printing progress (or only the name when `quiet`).
pub async fn pull(
    ctx: &Ctx,
    name: &str,
    platform: Option<&str>,
    quiet: bool,
) -> anyhow::Result<()> {
    wharf_registry::RemoteName::parse(name, None)
        .map_err(|e| super::UsageError(format!("invalid reference {name:?}: {e}")))?;
    let auth = super::registry_auth::header_for(name);
    let messages = ctx
        .client
        .images()
        .pull_with_auth(name, platform, &auth)
        .await?;
    if quiet {
        jsonmsg::drain_stream(messages).await?;
        println!("{}", super::create::full_ref(name));
    } else {
        jsonmsg::print_progress(messages).await?;
    }
    Ok(())
}

/// `run`/`create`'s pull: docker prints its progress on stderr.
pub async fn pull_to_stderr(ctx: &Ctx, name: &str) -> anyhow::Result<()> {
    let auth = super::registry_auth::header_for(name);
    let mut messages = ctx
        .client
        .images()
        .pull_with_auth(name, None, &auth)
        .await?;
    messages
        .for_each(|m| {
            if let Some(s) = &m.status {
                if s == "Downloading" || s == "Extracting" {
                    return;
                }
                match &m.id {
                    Some(id) => eprintln!("{id}: {s}"),
                    None => eprintln!("{s}"),
                }
            }
        })
        .await?;
    Ok(())
}
