//! `wharf exec [-i] [-t] [-d] [-e] [-w] [-u] CONTAINER COMMAND [ARG...]`:
//! exit with the command's code.

use std::path::PathBuf;

use wharf_api::exec::{ExecConfig, ExecStartConfig};

use super::stream::{self, End};
use super::{tty, Ctx, StatusError, UsageError};

#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir")]
    pub workdir: Option<String>,
    /// Username or UID (format: "<name|uid>[:<group|gid>]")
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Give extended privileges to the command
    #[arg(long)]
    pub privileged: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    pub container: String,
    /// COMMAND [ARG...]
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: ExecArgs) -> anyhow::Result<i32> {
    let env = super::container_opts::environment(&a.env_file, &a.env)?;
    let detach_keys = match &a.detach_keys {
        Some(k) => stream::detach_keys(k)
            .map_err(|e| UsageError(format!("invalid detach keys ({k}): {e}")))?,
        None => stream::DEFAULT_DETACH.to_vec(),
    };
    if !a.detach && a.tty && a.interactive && !tty::stdin_is_terminal() {
        eprintln!("the input device is not a TTY");
        return Err(StatusError { code: 1 }.into());
    }
    let console = if a.tty {
        tty::size().map(|(h, w)| vec![h as u32, w as u32])
    } else {
        None
    };
    let cfg = ExecConfig {
        attach_stdin: a.interactive && !a.detach,
        attach_stdout: !a.detach,
        attach_stderr: !a.detach,
        console_size: console.clone(),
        detach_keys: a.detach_keys.clone().unwrap_or_default(),
        tty: a.tty,
        env: (!env.is_empty()).then_some(env),
        cmd: Some(a.command.clone()),
        privileged: a.privileged,
        user: a.user.clone().unwrap_or_default(),
        working_dir: a.workdir.clone().unwrap_or_default(),
    };
    let exec_id = ctx.client.exec().create(&a.container, &cfg).await?;
    if exec_id.is_empty() {
        anyhow::bail!("the daemon returned no exec ID");
    }
    if a.detach {
        ctx.client.exec().start_detached(&exec_id, a.tty).await?;
        return Ok(0);
    }
    let body = ExecStartConfig {
        detach: false,
        tty: a.tty,
        console_size: console,
    };
    let h = ctx.client.exec().start(&exec_id, &body).await?;
    if a.tty {
        stream::follow_resizes(ctx.client.clone(), stream::Resize::Exec(exec_id.clone()));
    }
    let raw = if a.tty && a.interactive && tty::stdin_is_terminal() {
        Some(tty::make_raw_stdin()?)
    } else {
        None
    };
    let keys = (a.tty && a.interactive).then_some(detach_keys);
    let end = stream::pump(h, a.tty, a.interactive, keys).await;
    drop(raw);
    if end? == End::Detached {
        return Ok(0);
    }
    // The exit code lands in the exec record just after the stream ends.
    for _ in 0..50 {
        let i = ctx.client.exec().inspect(&exec_id).await?;
        if !i.running {
            return Ok(i.exit_code.unwrap_or(0) as i32);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(0)
}
