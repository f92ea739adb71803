//! `wharf diff CONTAINER`: files changed in the container's writable layer.

use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: DiffArgs) -> anyhow::Result<i32> {
    let changes = ctx.client.containers().changes(&a.container).await?;
    for c in changes {
        let k = match c.kind {
            0 => 'C',
            1 => 'A',
            _ => 'D',
        };
        println!("{k} {}", c.path);
    }
    Ok(0)
}
