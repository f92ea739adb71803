//! `wharf compose pause|unpause [SERVICE...]`: freezes or thaws the
//! project's running containers, all of them at once.

use futures_util::future::join_all;
use wharf_compose::engine;

use super::lifecycle::{collect, step};
use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct PauseArgs {
    pub service: Vec<String>,
}

/// `pause` (or `unpause` when `resume`): every selected running container
/// concurrently; the errors of all are reported together.
pub async fn run(ctx: &Ctx, a: &ComposeArgs, s: &PauseArgs, resume: bool) -> anyhow::Result<i32> {
    let p = a.project()?;
    let ctrs: Vec<engine::Ctr> = engine::select(&ctx.client, &p, &s.service, false, false)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let (verb, done) = if resume {
        ("Unpausing", "Unpaused")
    } else {
        ("Pausing", "Paused")
    };
    let results = join_all(ctrs.iter().map(|x| async move {
        let c = ctx.client.containers();
        let call = async {
            if resume {
                c.unpause(&x.id).await
            } else {
                c.pause(&x.id).await
            }
        };
        step(x, Some(verb), done, call).await
    }))
    .await;
    collect(results)
}
