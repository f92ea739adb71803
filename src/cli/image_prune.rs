//! `wharf image prune [-a] [-f] [--filter label=…]`

use serde::Deserialize;

use crate::cli::format::human_size;
use crate::cli::{prune, Ctx};

#[derive(Debug, clap::Args)]
pub struct ImagePruneArgs {
    /// Remove all unused images, not just dangling ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. "label=<key>=<value>")
    #[arg(long = "filter")]
    pub filter: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Item {
    untagged: Option<String>,
    deleted: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct PruneResponse {
    images_deleted: Option<Vec<Item>>,
    space_reclaimed: u64,
}

pub async fn run(ctx: &Ctx, a: ImagePruneArgs) -> anyhow::Result<i32> {
    let warning = if a.all {
        "This will remove all images without at least one container associated to them."
    } else {
        "This will remove all dangling images."
    };
    if !a.force && !prune::confirm(warning)? {
        return Ok(0);
    }
    let mut filters = a.filter.clone();
    if a.all {
        filters.push("dangling=false".into());
    }
    let f = prune::filters(&filters)?;
    let mut qs = wharf_client::query::Query::new();
    qs.filters(&f);
    let path = qs.to_path("/images/prune");
    let r: PruneResponse = ctx.client.post_json::<(), _>(&path, None).await?;
    let items: Vec<String> = r
        .images_deleted
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match (i.untagged, i.deleted) {
            (Some(t), _) => Some(format!("untagged: {t}")),
            (_, Some(d)) => Some(format!("deleted: {d}")),
            _ => None,
        })
        .collect();
    prune::print_deleted("Deleted Images", &items);
    println!(
        "Total reclaimed space: {}",
        human_size(r.space_reclaimed as i64)
    );
    Ok(0)
}
