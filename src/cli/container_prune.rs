//! `wharf container prune [-f] [--filter until=…|label=…]`

use std::io::{BufRead, Write};

use serde::Deserialize;

use crate::cli::format::human_size;
use crate::cli::ps::filters_json;
use crate::cli::{q, Ctx};

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PruneResponse {
    containers_deleted: Option<Vec<String>>,
    space_reclaimed: u64,
}

pub async fn run(ctx: &Ctx, a: PruneArgs) -> anyhow::Result<i32> {
    if !a.force {
        print!("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if !matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Ok(0);
        }
    }
    let path = if a.filter.is_empty() {
        "/containers/prune".to_string()
    } else {
        format!(
            "/containers/prune?filters={}",
            q(&filters_json(&a.filter, "--filter")?)
        )
    };
    let r: PruneResponse = ctx.client.post_json::<(), _>(&path, None).await?;
    let deleted = r.containers_deleted.unwrap_or_default();
    if !deleted.is_empty() {
        println!("Deleted Containers:");
        for c in &deleted {
            println!("{c}");
        }
        println!();
    }
    println!(
        "Total reclaimed space: {}",
        human_size(r.space_reclaimed as i64)
    );
    Ok(0)
}
