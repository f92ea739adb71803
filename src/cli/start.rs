//! `wharf start [-a] [-i] CONTAINER...`

use super::run::Session;
use super::stream;
use super::{for_each, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Attach container's STDIN
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: StartArgs) -> anyhow::Result<i32> {
    if a.attach || a.interactive {
        if a.containers.len() > 1 {
            return Err(UsageError(
                "you cannot start and attach multiple containers at once".into(),
            )
            .into());
        }
        let name = &a.containers[0];
        let c = ctx.client.containers().inspect(name).await?;
        let detach_keys = match &a.detach_keys {
            Some(k) => stream::detach_keys(k)
                .map_err(|e| UsageError(format!("invalid detach keys ({k}): {e}")))?,
            None => stream::DEFAULT_DETACH.to_vec(),
        };
        let session = Session {
            id: c.id.clone(),
            tty: c.config.tty,
            stdin: a.interactive && c.config.open_stdin,
            stdout: true,
            stderr: true,
            auto_remove: c.host_config.auto_remove,
            sig_proxy: true,
            detach_keys,
        };
        return session.run(&ctx.client, true).await;
    }
    for_each(&a.containers, true, |n| async move {
        super::run::start(&ctx.client, &n).await?;
        Ok(())
    })
    .await
}
