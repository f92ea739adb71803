//! `wharf network rm [-f] NETWORK...`

use crate::cli::{for_each, is_connect_error, Ctx};

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Do not error if the network does not exist
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(required = true, value_name = "NETWORK")]
    pub names: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    let force = a.force;
    for_each(&a.names, true, |n| async move {
        match ctx.client.networks().remove(&n).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = anyhow::Error::from(e);
                let missing = !is_connect_error(&e) && e.to_string().contains("not found");
                if force && missing {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    })
    .await
}
