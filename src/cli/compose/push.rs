//! `wharf compose push [--ignore-push-failures] [-q] [SERVICE...]`: the
//! images of the services that are built (`build:` and `image:`), as
//! Docker Compose pushes them; the others are skipped.

use anyhow::Context;
use futures_util::future::join_all;
use wharf_compose::engine;

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Push what it can and ignores images with push failures
    #[arg(long = "ignore-push-failures")]
    pub ignore_push_failures: bool,
    /// Push without printing progress information
    #[arg(short = 'q', long)]
    pub quiet: bool,
    pub service: Vec<String>,
}

async fn push_one(ctx: &Ctx, image: &str) -> anyhow::Result<()> {
    let (repo, tag) = crate::cli::parse::split_repo_tag(image);
    let auth = wharf_client::registry_auth::header_for(image);
    let mut messages = ctx
        .client
        .images()
        .push(
            &repo,
            Some(tag.as_str()).filter(|t| !t.is_empty()),
            Some(&auth),
        )
        .await?;
    let mut err = None;
    messages
        .for_each(|m| {
            if let Some(e) = &m.error {
                err = Some(e.to_string());
            }
        })
        .await?;
    match err {
        Some(e) => anyhow::bail!("{e}"),
        None => Ok(()),
    }
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, u: &PushArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    for s in &u.service {
        if !p.services.contains_key(s) {
            anyhow::bail!("no such service: {s}");
        }
    }
    let chosen: Vec<(&String, String)> = p
        .services
        .iter()
        .filter(|(n, _)| u.service.is_empty() || u.service.contains(n))
        .filter_map(|(n, s)| {
            if s.build.is_some() && s.image.is_some() {
                Some((n, s.image_name(&p.name, n)))
            } else {
                if !u.quiet {
                    engine::progress("Service", n, "Skipped");
                }
                None
            }
        })
        .collect();
    let results = join_all(chosen.iter().map(|(n, image)| async move {
        if !u.quiet {
            engine::progress("Image", image, "Pushing");
        }
        let r = push_one(ctx, image)
            .await
            .with_context(|| format!("pushing {image}"));
        if !u.quiet && r.is_ok() {
            engine::progress("Image", image, "Pushed");
        }
        (n, r)
    }))
    .await;
    let mut failed = Vec::new();
    for (n, r) in results {
        if let Err(e) = r {
            if u.ignore_push_failures {
                eprintln!("WARN[0000] service {n}: {e:#}");
            } else {
                failed.push(format!("{e:#}"));
            }
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("{}", failed.join("\n"));
    }
    Ok(0)
}
