//! `wharf compose up [-d] [--build] [--no-build] [--force-recreate]
//! [--no-recreate] [--no-deps] [--remove-orphans] [--wait] [--scale S=N]
//! [--abort-on-container-exit] [--exit-code-from S] [SERVICE...]` and
//! `wharf compose create`.

use std::collections::BTreeMap;

use wharf_client::LogsOptions;
use wharf_compose::engine::{self, UpOptions};

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// Detached mode: Run containers in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Build images before starting containers
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's policy
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long = "force-recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long = "no-recreate")]
    pub no_recreate: bool,
    /// Don't start linked services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    /// Don't start the services after creating them
    #[arg(long = "no-start")]
    pub no_start: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Wait for services to be running|healthy. Implies detached mode
    #[arg(long)]
    pub wait: bool,
    /// Scale SERVICE to NUM instances
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Stops all containers if any container was stopped
    #[arg(long = "abort-on-container-exit")]
    pub abort_on_container_exit: bool,
    /// Return the exit code of the selected service container
    #[arg(long = "exit-code-from")]
    pub exit_code_from: Option<String>,
    /// Use this timeout in seconds for container shutdown
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
    /// Produce monochrome output
    #[arg(long = "no-color")]
    pub no_color: bool,
    pub service: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Build images before starting containers
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's missing
    #[arg(long = "no-build")]
    pub no_build: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long = "force-recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long = "no-recreate")]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    pub service: Vec<String>,
}

fn scales(v: &[String]) -> anyhow::Result<BTreeMap<String, u32>> {
    let mut m = BTreeMap::new();
    for s in v {
        let (k, n) = s
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("invalid --scale {s:?}: use SERVICE=NUM"))?;
        let n: u32 = n
            .parse()
            .map_err(|_| anyhow::anyhow!("invalid --scale {s:?}: use SERVICE=NUM"))?;
        m.insert(k.to_string(), n);
    }
    Ok(m)
}

pub async fn create(ctx: &Ctx, a: &ComposeArgs, u: &CreateArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    let o = UpOptions {
        services: u.service.clone(),
        force_recreate: u.force_recreate,
        no_recreate: u.no_recreate,
        remove_orphans: u.remove_orphans,
        scale: scales(&u.scale)?,
        build: u.build,
        no_build: u.no_build,
        no_start: true,
        ..UpOptions::default()
    };
    engine::up(&ctx.client, &p, &o).await?;
    Ok(0)
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, u: &UpArgs) -> anyhow::Result<i32> {
    if u.force_recreate && u.no_recreate {
        anyhow::bail!("--force-recreate and --no-recreate are incompatible");
    }
    if u.detach && (u.abort_on_container_exit || u.exit_code_from.is_some()) {
        anyhow::bail!(
            "--abort-on-container-exit and --exit-code-from cannot be combined with --detach"
        );
    }
    let p = a.project()?;
    if let Some(s) = &u.exit_code_from {
        if !p.services.contains_key(s) {
            anyhow::bail!("no such service: {s}");
        }
    }
    let o = UpOptions {
        services: u.service.clone(),
        no_deps: u.no_deps,
        force_recreate: u.force_recreate,
        no_recreate: u.no_recreate,
        remove_orphans: u.remove_orphans,
        scale: scales(&u.scale)?,
        wait: u.wait,
        build: u.build,
        no_build: u.no_build,
        no_start: u.no_start,
        timeout: u.timeout,
    };
    engine::up(&ctx.client, &p, &o).await?;
    wharf_compose::progress::done();
    if u.detach || u.wait || u.no_start {
        return Ok(0);
    }
    // Attached: every selected container's output, prefixed, until they
    // all end, one ends (--abort-on-container-exit), or Ctrl-C.
    let selected = wharf_compose::plan::with_deps(&p, &u.service, u.no_deps);
    let mut ctrs = engine::containers(&ctx.client, &p.name, true).await?;
    ctrs.retain(|x| !x.oneoff && selected.contains(&x.service));
    let lo = LogsOptions {
        follow: true,
        ..LogsOptions::default()
    };
    let abort = u.abort_on_container_exit || u.exit_code_from.is_some();
    let logs = async {
        if abort {
            // the first container to end stops the rest
            let width = ctrs.iter().map(|x| x.name.len()).max().unwrap_or(0);
            let futs: Vec<_> = ctrs
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    Box::pin(super::logs::follow(
                        &ctx.client,
                        std::slice::from_ref(x),
                        &lo,
                        !u.no_color,
                        true,
                        Some((width, i)),
                    ))
                })
                .collect();
            let (ended, _, _rest) = futures_util::future::select_all(futs).await;
            ended
        } else {
            super::logs::follow(&ctx.client, &ctrs, &lo, !u.no_color, true, None).await
        }
    };
    tokio::pin!(logs);
    let interrupted = tokio::select! {
        _ = &mut logs => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    if interrupted || abort {
        if interrupted {
            eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
        } else {
            eprintln!("Aborting on container exit...");
        }
        let levels = engine::select(&ctx.client, &p, &u.service, false, true).await?;
        let graceful = async {
            for level in &levels {
                let futs = level.iter().map(|x| async {
                    engine::progress("Container", &x.name, "Stopping");
                    let r = ctx.client.containers().stop(&x.id, u.timeout).await;
                    engine::progress("Container", &x.name, "Stopped");
                    r
                });
                futures_util::future::join_all(futs).await;
            }
        };
        // the services' last words are still shown while they stop; a
        // second Ctrl-C kills what the graceful stop is waiting for
        let graceful = async {
            graceful.await;
            if interrupted {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), &mut logs).await;
            }
        };
        let forced = tokio::select! {
            _ = graceful => false,
            _ = tokio::signal::ctrl_c() => true,
        };
        if forced {
            let futs = levels.iter().flatten().map(|x| async {
                engine::progress("Container", &x.name, "Killing");
                let r = ctx.client.containers().kill(&x.id, Some("SIGKILL")).await;
                engine::progress("Container", &x.name, "Killed");
                r
            });
            futures_util::future::join_all(futs).await;
        }
    }
    if let Some(s) = &u.exit_code_from {
        for x in &ctrs {
            if &x.service == s {
                let v: serde_json::Value = serde_json::from_slice(
                    &ctx.client.containers().inspect_raw(&x.id, false).await?,
                )?;
                return Ok(v["State"]["ExitCode"].as_i64().unwrap_or(0) as i32);
            }
        }
    }
    Ok(if interrupted { 130 } else { 0 })
}
