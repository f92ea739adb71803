//! `wharf compose stop|restart|start|kill|rm|build|pull [SERVICE...]`:
//! the project's containers, dependents first when stopping.

use futures_util::future::join_all;
use wharf_compose::engine;

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    pub service: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ServicesArgs {
    pub service: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// SIGNAL to send to the container
    #[arg(short = 's', long, default_value = "SIGKILL")]
    pub signal: String,
    pub service: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Don't ask to confirm removal
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers, if required, before removing
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers
    #[arg(short = 'v', long)]
    pub volumes: bool,
    pub service: Vec<String>,
}

/// One container's call between its progress lines: `verb` before (when
/// given), `done` after success; a failure is named by its container.
pub(super) async fn step(
    x: &engine::Ctr,
    verb: Option<&str>,
    done: &str,
    call: impl std::future::Future<Output = Result<(), wharf_client::ClientError>>,
) -> Result<(), String> {
    if let Some(v) = verb {
        engine::progress("Container", &x.name, v);
    }
    match call.await {
        Ok(()) => {
            engine::progress("Container", &x.name, done);
            Ok(())
        }
        Err(e) => Err(format!("{}: {e}", x.name)),
    }
}

pub(super) fn collect(results: Vec<Result<(), String>>) -> anyhow::Result<i32> {
    let errs: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if errs.is_empty() {
        Ok(0)
    } else {
        anyhow::bail!("{}", errs.join("\n"))
    }
}

pub async fn stop(ctx: &Ctx, a: &ComposeArgs, s: &StopArgs, restart: bool) -> anyhow::Result<i32> {
    let p = a.project()?;
    let mut all = Vec::new();
    for level in engine::select(&ctx.client, &p, &s.service, restart, !restart).await? {
        let r = join_all(level.iter().map(|x| async {
            let (verb, done) = if restart {
                ("Restarting", "Started")
            } else {
                ("Stopping", "Stopped")
            };
            let c = ctx.client.containers();
            let call = async {
                if restart {
                    c.restart(&x.id, s.timeout).await
                } else {
                    c.stop(&x.id, s.timeout).await
                }
            };
            step(x, Some(verb), done, call).await
        }))
        .await;
        all.extend(r);
    }
    collect(all)
}

pub async fn start(ctx: &Ctx, a: &ComposeArgs, s: &ServicesArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    let mut all = Vec::new();
    for level in engine::select(&ctx.client, &p, &s.service, true, false).await? {
        if let Some(x) = level.first() {
            engine::wait_dependencies(&ctx.client, &p, &p.services[&x.service]).await?;
        }
        let r = join_all(level.iter().map(|x| async {
            let c = ctx.client.containers();
            step(x, Some("Starting"), "Started", c.start(&x.id)).await
        }))
        .await;
        all.extend(r);
    }
    collect(all)
}

pub async fn kill(ctx: &Ctx, a: &ComposeArgs, k: &KillArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    let mut all = Vec::new();
    for level in engine::select(&ctx.client, &p, &k.service, false, true).await? {
        let r = join_all(level.iter().map(|x| async {
            let c = ctx.client.containers();
            step(x, None, "Killed", c.kill(&x.id, Some(&k.signal))).await
        }))
        .await;
        all.extend(r);
    }
    collect(all)
}

pub async fn rm(ctx: &Ctx, a: &ComposeArgs, r: &RmArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    let _ = r.force;
    let mut all = Vec::new();
    for level in engine::select(&ctx.client, &p, &r.service, true, true).await? {
        let res = join_all(level.iter().map(|x| async {
            if x.state == "running" && !r.stop {
                return Ok(());
            }
            if x.state == "running" {
                ctx.client
                    .containers()
                    .stop(&x.id, None)
                    .await
                    .map_err(|e| format!("{}: {e}", x.name))?;
            }
            let c = ctx.client.containers();
            step(x, None, "Removed", c.remove(&x.id, false, r.volumes)).await
        }))
        .await;
        all.extend(res);
    }
    collect(all)
}

pub async fn build(ctx: &Ctx, a: &ComposeArgs, s: &ServicesArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    for (n, svc) in &p.services {
        if s.service.is_empty() || s.service.contains(n) {
            engine::build_service(&ctx.client, &p, n, svc).await?;
        }
    }
    Ok(0)
}

pub async fn pull(ctx: &Ctx, a: &ComposeArgs, s: &ServicesArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    for (n, svc) in &p.services {
        if (s.service.is_empty() || s.service.contains(n)) && svc.image.is_some() {
            engine::pull(&ctx.client, &svc.image_name(&p.name, n)).await?;
        }
    }
    Ok(0)
}
