//! `wharf rm [-f] [-v] CONTAINER...`

use super::{for_each, seg, Ctx};

#[derive(Debug, clap::Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove the specified link
    #[arg(short = 'l', long)]
    pub link: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RmArgs) -> anyhow::Result<i32> {
    let query = format!(
        "?force={}&v={}&link={}",
        a.force as u8, a.volumes as u8, a.link as u8
    );
    for_each(&a.containers, true, |n| {
        let query = query.clone();
        async move {
            ctx.client
                .delete(&format!("/containers/{}{query}", seg(&n)))
                .await?;
            Ok(())
        }
    })
    .await
}
