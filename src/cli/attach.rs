//! `wharf attach [--no-stdin] [--sig-proxy] CONTAINER`

use clap::ArgAction;
use wharf_client::AttachOptions;

use super::stream::{self, End};
use super::{tty, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// Do not attach STDIN
    #[arg(long = "no-stdin")]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    pub container: String,
}

pub async fn run(ctx: &Ctx, a: AttachArgs) -> anyhow::Result<i32> {
    let c = ctx.client.containers().inspect(&a.container).await?;
    if !c.state.running {
        anyhow::bail!("You cannot attach to a stopped container, start it first");
    }
    if c.state.paused {
        anyhow::bail!("You cannot attach to a paused container, unpause it first");
    }
    let detach_keys = match &a.detach_keys {
        Some(k) => stream::detach_keys(k)
            .map_err(|e| UsageError(format!("invalid detach keys ({k}): {e}")))?,
        None => stream::DEFAULT_DETACH.to_vec(),
    };
    let tty_mode = c.config.tty;
    let stdin = !a.no_stdin && c.config.open_stdin;
    if tty_mode && stdin && !tty::stdin_is_terminal() {
        anyhow::bail!("the input device is not a TTY");
    }
    let opts = AttachOptions {
        stdin,
        stdout: true,
        stderr: true,
        ..AttachOptions::default()
    };
    let h = ctx.client.containers().attach(&c.id, &opts).await?;
    let wait = ctx.client.containers().wait_pending(&c.id, None).await?;
    if tty_mode {
        stream::follow_resizes(ctx.client.clone(), stream::Resize::Container(c.id.clone()));
    } else if a.sig_proxy {
        stream::proxy_signals(ctx.client.clone(), c.id.clone());
    }
    let raw = if tty_mode && stdin && tty::stdin_is_terminal() {
        Some(tty::make_raw_stdin()?)
    } else {
        None
    };
    let keys = (tty_mode && stdin).then_some(detach_keys);
    let end = stream::pump(h, tty_mode, stdin, keys).await;
    drop(raw);
    if end? == End::Detached {
        return Ok(0);
    }
    let w = wait.result().await.unwrap_or_default();
    Ok(w.status_code as i32)
}
