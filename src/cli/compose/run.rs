//! `wharf compose run [--rm] [-d] [-e K=V] [--no-deps] [--entrypoint E]
//! [-v V] [-p P] [--service-ports] [--name N] SERVICE [CMD...]`

use wharf_client::LogsOptions;
use wharf_compose::engine::{self, RunSpec, UpOptions};

use super::{ComposeArgs, Ctx};

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Add or override a label
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Don't start linked services
    #[arg(long = "no-deps")]
    pub no_deps: bool,
    /// Override the entrypoint of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Run command with all service's ports enabled and mapped to the host
    #[arg(long = "service-ports")]
    pub service_ports: bool,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Run as specified username or uid
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Disable pseudo-TTY allocation
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    pub service: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub async fn run(ctx: &Ctx, a: &ComposeArgs, r: &RunArgs) -> anyhow::Result<i32> {
    let p = a.project()?;
    if !p.services.contains_key(&r.service) {
        anyhow::bail!("no such service: {}", r.service);
    }
    let deps: Vec<String> = p.services[&r.service]
        .depends_on
        .keys()
        .filter(|d| p.services.contains_key(*d))
        .cloned()
        .collect();
    let sel = wharf_compose::plan::with_deps(&p, std::slice::from_ref(&r.service), false);
    let nets: std::collections::BTreeSet<String> = sel.clone();
    engine::ensure_networks(&ctx.client, &p, &nets).await?;
    engine::ensure_volumes(&ctx.client, &p, &nets).await?;
    engine::ensure_images(
        &ctx.client,
        &p,
        &std::iter::once(r.service.clone()).collect(),
        false,
        false,
    )
    .await?;
    if !r.no_deps && !deps.is_empty() {
        engine::up(
            &ctx.client,
            &p,
            &UpOptions {
                services: deps,
                no_recreate: true,
                ..UpOptions::default()
            },
        )
        .await?;
    }
    engine::wait_dependencies(&ctx.client, &p, &p.services[&r.service]).await?;
    let tty = !r.no_tty
        && !r.detach
        && crate::cli::tty::stdin_is_terminal()
        && crate::cli::tty::stdout_is_terminal();
    let spec = RunSpec {
        service: r.service.clone(),
        command: if r.command.is_empty() {
            None
        } else {
            Some(r.command.clone())
        },
        entrypoint: match &r.entrypoint {
            Some(e) => Some(
                wharf_compose::load::shell_split(e)
                    .map_err(|m| anyhow::anyhow!("invalid --entrypoint: {m}"))?,
            ),
            None => None,
        },
        env: r.env.clone(),
        volumes: r.volume.clone(),
        publish: r.publish.clone(),
        service_ports: r.service_ports,
        name: r.name.clone(),
        tty,
        stdin: r.interactive,
        user: r.user.clone(),
        workdir: r.workdir.clone(),
        labels: r.label.clone(),
    };
    let (id, name) = engine::create_oneoff(&ctx.client, &p, &spec).await?;
    let c = ctx.client.containers();
    if r.detach {
        c.start(&id).await?;
        println!("{name}");
        return Ok(0);
    }
    let wait = c.wait_pending(&id, Some("next-exit")).await?;
    c.start(&id).await?;
    let mut logs = c
        .logs(
            &id,
            tty,
            &LogsOptions {
                follow: true,
                ..LogsOptions::default()
            },
        )
        .await?;
    {
        use std::io::Write;
        while let Some(Ok((kind, chunk))) = logs.next().await {
            if matches!(kind, wharf_client::stdcopy::StreamKind::Stderr) {
                let _ = std::io::stderr().write_all(&chunk);
            } else {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(&chunk);
                let _ = o.flush();
            }
        }
    }
    let code = wait.result().await?.status_code;
    if r.rm {
        c.remove(&id, true, true).await?;
    }
    Ok(code as i32)
}
