//! `wharf create`: create a container and print its ID.

use clap::ArgAction;
use wharf_api::container::ContainerCreateResponse;
use wharf_client::ClientError;

use super::container_opts::{ContainerOpts, Resolved};
use super::{Ctx, UsageError};

#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct CreateArgs {
    #[command(flatten)]
    pub opts: ContainerOpts,
    /// IMAGE [COMMAND] [ARG...]
    #[arg(required = true, trailing_var_arg = true, value_name = "IMAGE [COMMAND] [ARG...]", action = ArgAction::Append)]
    pub args: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<i32> {
    let (image, cmd) = split_image(&a.args)?;
    let r = a.opts.resolve(image, cmd, false)?;
    let id = create_container(ctx, &r, a.opts.cidfile.as_deref()).await?;
    println!("{id}");
    Ok(0)
}

/// `IMAGE [COMMAND] [ARG...]` → image and command.
pub fn split_image(args: &[String]) -> Result<(&str, &[String]), UsageError> {
    match args.split_first() {
        Some((image, cmd)) => Ok((image.as_str(), cmd)),
        None => Err(UsageError("requires at least 1 argument".into())),
    }
}

/// The name docker shows in "Unable to find image": `busybox:latest`.
pub fn full_ref(image: &str) -> String {
    let (_, tag) = super::parse::split_repo_tag(image);
    if tag.is_empty() && !image.contains('@') {
        format!("{image}:latest")
    } else {
        image.to_string()
    }
}

/// `POST /containers/create`; warnings go to stderr. A missing image is
/// announced as docker does, then pulled unless `--pull never`.
pub async fn create_container(
    ctx: &Ctx,
    r: &Resolved,
    cidfile: Option<&std::path::Path>,
) -> anyhow::Result<String> {
    for w in &r.warnings {
        eprintln!("{w}");
    }
    if let Some(f) = cidfile {
        if f.exists() {
            // Not a flag error: docker's `create` exits 1 with it, `run` 125.
            anyhow::bail!(
                "container ID file found, make sure the other container isn't running or delete {}",
                f.display()
            );
        }
    }
    // Docker's CLI sends the terminal size with a TTY container so the
    // first output is laid out right; the typed body has no field for it.
    let mut body = serde_json::to_value(&r.body)?;
    if r.body.config.tty {
        if let (Some((h, w)), Some(hc)) = (super::tty::size(), body.get_mut("HostConfig")) {
            hc["ConsoleSize"] = serde_json::json!([h, w]);
        }
    }
    if r.pull == "always" {
        super::pull::pull_to_stderr(ctx, &r.body.config.image).await?;
    }
    let mut resp: Result<ContainerCreateResponse, ClientError> = ctx
        .client
        .containers()
        .create_raw(r.name.as_deref(), &body)
        .await;
    if let Err(e) = &resp {
        if e.status() == Some(404) && e.to_string().contains("No such image") {
            eprintln!(
                "Unable to find image '{}' locally",
                full_ref(&r.body.config.image)
            );
            if r.pull != "never" {
                super::pull::pull_to_stderr(ctx, &r.body.config.image).await?;
                resp = ctx
                    .client
                    .containers()
                    .create_raw(r.name.as_deref(), &body)
                    .await;
            }
        }
    }
    let resp = resp?;
    for w in &resp.warnings {
        eprintln!("WARNING: {w}");
    }
    if let Some(f) = cidfile {
        std::fs::write(f, &resp.id)?;
    }
    Ok(resp.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        assert_eq!(full_ref("busybox"), "busybox:latest");
        assert_eq!(full_ref("busybox:1"), "busybox:1");
        assert_eq!(full_ref("localhost:5000/x"), "localhost:5000/x:latest");
    }
}
