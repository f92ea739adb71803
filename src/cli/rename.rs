//! `wharf rename CONTAINER NEW_NAME`

use super::{Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    pub container: String,
    pub new_name: String,
}

pub async fn run(ctx: &Ctx, a: RenameArgs) -> anyhow::Result<i32> {
    let new = a.new_name.trim();
    if new.is_empty() || a.container.trim().is_empty() {
        return Err(UsageError("Error: Neither old nor new names may be empty".into()).into());
    }
    ctx.client.containers().rename(&a.container, new).await?;
    Ok(0)
}
