//! `wharf diff CONTAINER`: files changed in the container's writable layer.

use serde::Deserialize;

use super::{seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Change {
    path: String,
    kind: u8,
}

pub async fn run(ctx: &Ctx, a: DiffArgs) -> anyhow::Result<i32> {
    let changes: Option<Vec<Change>> = ctx
        .client
        .get_json(&format!("/containers/{}/changes", seg(&a.container)))
        .await?;
    for c in changes.unwrap_or_default() {
        let k = match c.kind {
            0 => 'C',
            1 => 'A',
            _ => 'D',
        };
        println!("{k} {}", c.path);
    }
    Ok(0)
}
