//! `wharf run`: create, attach, start, wait; exit with the container's code
//! (125 engine error, 126 cannot invoke, 127 not found), as docker's CLI.

use clap::ArgAction;
use wharf_client::AttachOptions;
use wharf_client::{Client, ClientError};

use super::container_opts::ContainerOpts;
use super::create::{create_container, split_image};
use super::stream::{self, End};
use super::{tty, Ctx, StatusError, UsageError};

#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    #[command(flatten)]
    pub opts: ContainerOpts,
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Proxy received signals to the process
    #[arg(long = "sig-proxy", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    /// IMAGE [COMMAND] [ARG...]
    #[arg(required = true, trailing_var_arg = true, value_name = "IMAGE [COMMAND] [ARG...]", action = ArgAction::Append)]
    pub args: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: RunArgs) -> anyhow::Result<i32> {
    let (image, cmd) = split_image(&a.args)?;
    let r = a.opts.resolve(image, cmd, a.detach)?;
    let detach_keys = match &a.detach_keys {
        Some(k) => stream::detach_keys(k)
            .map_err(|e| UsageError(format!("invalid detach keys ({k}): {e}")))?,
        None => stream::DEFAULT_DETACH.to_vec(),
    };
    let cfg = &r.body.config;
    if !a.detach && cfg.tty && cfg.attach_stdin && !tty::stdin_is_terminal() {
        eprintln!("wharf: the input device is not a TTY");
        return Err(StatusError { code: 1 }.into());
    }
    let id = create_container(ctx, &r, a.opts.cidfile.as_deref()).await?;
    if a.detach {
        start(&ctx.client, &id).await?;
        println!("{id}");
        return Ok(0);
    }
    let session = Session {
        id: id.clone(),
        tty: cfg.tty,
        stdin: cfg.attach_stdin,
        stdout: cfg.attach_stdout,
        stderr: cfg.attach_stderr,
        auto_remove: r.body.host_config.as_ref().is_some_and(|h| h.auto_remove),
        sig_proxy: a.sig_proxy,
        detach_keys,
    };
    session.run(&ctx.client, true).await
}

/// An attached run of a container: used by `run` and `start -a`.
pub struct Session {
    pub id: String,
    pub tty: bool,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub auto_remove: bool,
    pub sig_proxy: bool,
    pub detach_keys: Vec<u8>,
}

impl Session {
    /// Attach, register the wait, start (when `start`), pump the streams,
    /// and return the container's exit code.
    pub async fn run(self, client: &Client, start_it: bool) -> anyhow::Result<i32> {
        let hijacked = if self.stdin || self.stdout || self.stderr {
            let opts = AttachOptions {
                stdin: self.stdin,
                stdout: self.stdout,
                stderr: self.stderr,
                ..AttachOptions::default()
            };
            Some(client.containers().attach(&self.id, &opts).await?)
        } else {
            None
        };
        // Register the wait before starting, so a quick exit is not missed:
        // the daemon answers the headers at once and the body at the exit.
        let condition = if self.auto_remove {
            "removed"
        } else {
            "next-exit"
        };
        let wait = client
            .containers()
            .wait_pending(&self.id, Some(condition))
            .await?;
        if start_it {
            if let Err(e) = start(client, &self.id).await {
                return Err(start_error(e));
            }
        }
        if self.tty {
            stream::follow_resizes(client.clone(), stream::Resize::Container(self.id.clone()));
        } else if self.sig_proxy {
            stream::proxy_signals(client.clone(), self.id.clone());
        }
        if let Some(h) = hijacked {
            let raw = if self.tty && self.stdin && tty::stdin_is_terminal() {
                Some(tty::make_raw_stdin()?)
            } else {
                None
            };
            let keys = (self.tty && self.stdin).then(|| self.detach_keys.clone());
            let end = stream::pump(h, self.tty, self.stdin, keys).await;
            drop(raw);
            if end? == End::Detached {
                return Ok(0);
            }
        }
        let w = wait.result().await?;
        if let Some(err) = w.error.filter(|e| !e.message.is_empty()) {
            eprintln!("wharf: Error response from daemon: {}", err.message);
            return Err(StatusError { code: 125 }.into());
        }
        Ok(w.status_code as i32)
    }
}

/// `POST /containers/{id}/start`; already running (304) is fine.
pub async fn start(client: &Client, id: &str) -> Result<(), ClientError> {
    client.containers().start(id).await
}

/// A failed start: docker maps "not found" to 127 and "permission denied"
/// to 126; anything else is an engine error (125).
fn start_error(e: ClientError) -> anyhow::Error {
    let msg = e.to_string();
    let code = start_error_code(&msg);
    eprintln!("wharf: {msg}");
    StatusError { code }.into()
}

pub fn start_error_code(msg: &str) -> i32 {
    if msg.contains("executable file not found") || msg.contains("no such file or directory") {
        127
    } else if msg.contains("permission denied") || msg.contains("is a directory") {
        126
    } else {
        125
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_error_codes() {
        assert_eq!(
            start_error_code("exec: \"nope\": executable file not found in $PATH"),
            127
        );
        assert_eq!(start_error_code("exec /etc: permission denied"), 126);
        assert_eq!(start_error_code("cgroup failure"), 125);
    }
}
