//! `wharf container <sub>`: the same commands under docker's management
//! group names (`ls`, `rm`, ...).

use clap::Subcommand;

use super::*;

#[derive(Debug, Subcommand)]
pub enum ContainerCmd {
    /// Create and run a new container from an image
    Run(run::RunArgs),
    /// Create a new container
    Create(create::CreateArgs),
    /// Start one or more stopped containers
    Start(start::StartArgs),
    /// Stop one or more running containers
    Stop(stop::StopArgs),
    /// Restart one or more containers
    Restart(restart::RestartArgs),
    /// Kill one or more running containers
    Kill(kill::KillArgs),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(diff::DiffArgs),
    /// Export a container's filesystem as a tar archive
    Export(export::ExportArgs),
    /// Update configuration of one or more containers
    Update(update::UpdateArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(stats::StatsArgs),
    /// Remove all stopped containers
    Prune(container_prune::PruneArgs),
    /// Pause all processes within one or more containers
    Pause(pause::PauseArgs),
    /// Unpause all processes within one or more containers
    Unpause(pause::PauseArgs),
    /// Remove one or more containers
    #[command(visible_alias = "remove")]
    Rm(rm::RmArgs),
    /// List containers
    #[command(visible_aliases = ["ps", "list"])]
    Ls(ps::PsArgs),
    /// Fetch the logs of a container
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(exec::ExecArgs),
    /// Attach to a running container
    Attach(attach::AttachArgs),
    /// Block until one or more containers stop
    Wait(wait::WaitArgs),
    /// Display detailed information on one or more containers
    Inspect(ContainerInspectArgs),
    /// Rename a container
    Rename(rename::RenameArgs),
    /// Display the running processes of a container
    Top(top::TopArgs),
    /// List port mappings or a specific mapping for the container
    Port(port::PortArgs),
}

#[derive(Debug, clap::Args)]
pub struct ContainerInspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Display total file sizes
    #[arg(short = 's', long)]
    pub size: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub names: Vec<String>,
}

pub async fn dispatch(ctx: &Ctx, c: ContainerCmd) -> anyhow::Result<i32> {
    match c {
        ContainerCmd::Run(a) => run::run(ctx, a).await,
        ContainerCmd::Create(a) => create::run(ctx, a).await,
        ContainerCmd::Start(a) => start::run(ctx, a).await,
        ContainerCmd::Stop(a) => stop::run(ctx, a).await,
        ContainerCmd::Restart(a) => restart::run(ctx, a).await,
        ContainerCmd::Kill(a) => kill::run(ctx, a).await,
        ContainerCmd::Diff(a) => diff::run(ctx, a).await,
        ContainerCmd::Export(a) => export::run(ctx, a).await,
        ContainerCmd::Update(a) => update::run(ctx, a).await,
        ContainerCmd::Stats(a) => stats::run(ctx, a).await,
        ContainerCmd::Prune(a) => container_prune::run(ctx, a).await,
        ContainerCmd::Pause(a) => pause::run(ctx, a, "pause").await,
        ContainerCmd::Unpause(a) => pause::run(ctx, a, "unpause").await,
        ContainerCmd::Rm(a) => rm::run(ctx, a).await,
        ContainerCmd::Ls(a) => ps::run(ctx, a).await,
        ContainerCmd::Logs(a) => logs::run(ctx, a).await,
        ContainerCmd::Exec(a) => exec::run(ctx, a).await,
        ContainerCmd::Attach(a) => attach::run(ctx, a).await,
        ContainerCmd::Wait(a) => wait::run(ctx, a).await,
        ContainerCmd::Inspect(a) => {
            let a = inspect::InspectArgs {
                format: a.format,
                kind: Some("container".into()),
                size: a.size,
                names: a.names,
            };
            inspect::run(ctx, a).await
        }
        ContainerCmd::Rename(a) => rename::run(ctx, a).await,
        ContainerCmd::Top(a) => top::run(ctx, a).await,
        ContainerCmd::Port(a) => port::run(ctx, a).await,
    }
}
