//! `wharf network prune [-f] [--filter k=v]`

use std::io::{BufRead, Write};

use wharf_api::network::NetworkPruneResponse;

use crate::cli::ps::filters_json;
use crate::cli::{q, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<label>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force {
        print!("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(0);
        }
    }
    let path = if a.filter.is_empty() {
        "/networks/prune".to_string()
    } else {
        format!(
            "/networks/prune?filters={}",
            q(&filters_json(&a.filter, "--filter")?)
        )
    };
    let r: NetworkPruneResponse = ctx.client.post_json::<(), _>(&path, None).await?;
    let deleted = r.networks_deleted.unwrap_or_default();
    if !deleted.is_empty() {
        println!("Deleted Networks:");
        for n in &deleted {
            println!("{n}");
        }
        println!();
    }
    Ok(0)
}
