//! `wharf compose down [-v] [--rmi local|all] [--remove-orphans] [-t N]`

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// Remove named volumes declared in the volumes section and anonymous volumes
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove images used by services: local or all
    #[arg(long)]
    pub rmi: Option<String>,
    /// Remove containers for services not defined in the Compose file
    #[arg(long = "remove-orphans")]
    pub remove_orphans: bool,
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<i64>,
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, d: &DownArgs) -> anyhow::Result<i32> {
    if let Some(r) = &d.rmi {
        if r != "local" && r != "all" {
            anyhow::bail!("invalid --rmi {r:?}: use local or all");
        }
    }
    let (name, p) = a.project_or_name()?;
    let o = wharf_compose::engine::DownOptions {
        volumes: d.volumes,
        remove_orphans: d.remove_orphans,
        timeout: d.timeout,
        rmi: d.rmi.clone(),
    };
    wharf_compose::engine::down(&ctx.client, &name, p.as_ref(), &o).await?;
    Ok(0)
}
