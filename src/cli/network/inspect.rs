//! `wharf network inspect [-f] NETWORK...`

use crate::cli::inspect::inspect_objects;
use crate::cli::Ctx;

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    #[arg(required = true, value_name = "NETWORK")]
    pub names: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: InspectArgs) -> anyhow::Result<i32> {
    inspect_objects(ctx, "network", &a.names, a.format.as_deref()).await
}
