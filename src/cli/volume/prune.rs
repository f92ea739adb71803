//! `wharf volume prune [-a] [-f] [--filter k=v]`

use std::io::{BufRead, Write};

use wharf_api::volume::VolumePruneResponse;

use crate::cli::format::human_size;
use crate::cli::ps::filters_json;
use crate::cli::{q, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<label>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force {
        let what = if a.all {
            "all local volumes"
        } else {
            "anonymous local volumes"
        };
        print!("WARNING! This will remove {what} not used by at least one container.\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(0);
        }
    }
    let mut filters = a.filter.clone();
    if a.all {
        filters.push("all=true".into());
    }
    let path = if filters.is_empty() {
        "/volumes/prune".to_string()
    } else {
        format!(
            "/volumes/prune?filters={}",
            q(&filters_json(&filters, "--filter")?)
        )
    };
    let r: VolumePruneResponse = ctx.client.post_json::<(), _>(&path, None).await?;
    if !r.volumes_deleted.is_empty() {
        println!("Deleted Volumes:");
        for v in &r.volumes_deleted {
            println!("{v}");
        }
        println!();
    }
    println!(
        "Total reclaimed space: {}",
        human_size(r.space_reclaimed as i64)
    );
    Ok(0)
}
