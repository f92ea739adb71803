//! `wharf compose`: flags parsed here, the work done by `wharf-compose`
//! (model, loading, planning, convergence through the client).

mod config;
mod down;
mod lifecycle;
mod logs;
mod misc;
mod pause;
mod ps;
mod push;
mod run;
mod up;

use std::path::PathBuf;

use wharf_compose::{LoadOptions, Project};

use super::Ctx;

/// Define and run multi-container applications
#[derive(Debug, clap::Args)]
pub struct ComposeArgs {
    /// Compose configuration files
    #[arg(short = 'f', long = "file")]
    pub file: Vec<PathBuf>,
    /// Project name
    #[arg(short = 'p', long = "project-name")]
    pub project_name: Option<String>,
    /// Specify an alternate working directory
    #[arg(long = "project-directory")]
    pub project_directory: Option<PathBuf>,
    /// Specify a profile to enable
    #[arg(long = "profile")]
    pub profile: Vec<String>,
    /// Specify an alternate environment file
    #[arg(long = "env-file")]
    pub env_file: Vec<PathBuf>,
    /// Set type of progress output (auto, tty, plain, quiet)
    #[arg(long = "progress", default_value = "auto")]
    pub progress: String,
    #[command(subcommand)]
    pub command: ComposeCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum ComposeCmd {
    /// Parse, resolve and render compose file in canonical format
    Config(config::ConfigArgs),
    /// Create and start containers
    Up(up::UpArgs),
    /// Creates containers for a service
    Create(up::CreateArgs),
    /// Stop and remove containers, networks
    Down(down::DownArgs),
    /// List containers
    Ps(ps::PsArgs),
    /// Run a one-off command on a service
    Run(run::RunArgs),
    /// Stop services
    Stop(lifecycle::StopArgs),
    /// Start services
    Start(lifecycle::ServicesArgs),
    /// Restart service containers
    Restart(lifecycle::StopArgs),
    /// Force stop service containers
    Kill(lifecycle::KillArgs),
    /// Removes stopped service containers
    Rm(lifecycle::RmArgs),
    /// View output from containers
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(misc::ExecArgs),
    /// Build or rebuild services
    Build(lifecycle::ServicesArgs),
    /// Pull service images
    Pull(lifecycle::ServicesArgs),
    /// Push service images
    Push(push::PushArgs),
    /// Print the public port for a port binding
    Port(misc::PortArgs),
    /// List running compose projects
    Ls(misc::LsArgs),
    /// Display the running processes
    Top(misc::TopArgs),
    /// List images used by the created containers
    Images(misc::ImagesArgs),
    /// Show the Docker Compose version information
    Version(misc::VersionArgs),
    /// Pause services
    Pause(pause::PauseArgs),
    /// Unpause services
    Unpause(pause::PauseArgs),
}

impl ComposeArgs {
    fn options(&self) -> LoadOptions {
        LoadOptions {
            files: self.file.clone(),
            project_name: self.project_name.clone(),
            project_dir: self.project_directory.clone(),
            profiles: self.profile.clone(),
            env_files: self.env_file.clone(),
        }
    }

    /// Load the project the flags and the current directory name.
    pub fn project(&self) -> anyhow::Result<Project> {
        Ok(wharf_compose::load(&self.options())?)
    }

    /// The project name alone, for commands that work without files
    /// (`down -p x`).
    pub fn project_or_name(&self) -> anyhow::Result<(String, Option<Project>)> {
        match self.project() {
            Ok(p) => Ok((p.name.clone(), Some(p))),
            Err(e) => match &self.project_name {
                Some(n) if self.file.is_empty() => {
                    let nf = e
                        .downcast_ref::<wharf_compose::ComposeError>()
                        .is_some_and(|c| c.kind() == wharf_compose::ErrorKind::NotFound);
                    if nf {
                        Ok((n.clone(), None))
                    } else {
                        Err(e)
                    }
                }
                _ => Err(e),
            },
        }
    }
}

/// Installed (or linked) as `docker-compose` or `wharf-compose`, the
/// binary is `wharf compose`: `docker-compose up -d` = `wharf compose up -d`.
pub fn argv0(mut argv: Vec<String>) -> Vec<String> {
    let name = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name == "docker-compose" || name == "wharf-compose" {
        argv[0] = "wharf".into();
        argv.insert(1, "compose".into());
    }
    argv
}

pub async fn run(ctx: &Ctx, a: ComposeArgs) -> anyhow::Result<i32> {
    use wharf_compose::progress::{self, Mode};
    progress::set_mode(match a.progress.as_str() {
        "auto" => None,
        "tty" => Some(Mode::Tty),
        "plain" => Some(Mode::Plain),
        "quiet" => Some(Mode::Quiet),
        p => anyhow::bail!("invalid --progress {p:?}: use auto, tty, plain or quiet"),
    });
    let r = run_command(ctx, a).await;
    progress::done();
    r
}

async fn run_command(ctx: &Ctx, a: ComposeArgs) -> anyhow::Result<i32> {
    match &a.command {
        ComposeCmd::Config(c) => config::run(&a, c),
        ComposeCmd::Up(u) => up::run(ctx, &a, u).await,
        ComposeCmd::Create(u) => up::create(ctx, &a, u).await,
        ComposeCmd::Down(d) => down::run(ctx, &a, d).await,
        ComposeCmd::Ps(p) => ps::run(ctx, &a, p).await,
        ComposeCmd::Run(r) => run::run(ctx, &a, r).await,
        ComposeCmd::Stop(s) => lifecycle::stop(ctx, &a, s, false).await,
        ComposeCmd::Restart(s) => lifecycle::stop(ctx, &a, s, true).await,
        ComposeCmd::Start(s) => lifecycle::start(ctx, &a, s).await,
        ComposeCmd::Kill(k) => lifecycle::kill(ctx, &a, k).await,
        ComposeCmd::Rm(r) => lifecycle::rm(ctx, &a, r).await,
        ComposeCmd::Logs(l) => logs::run(ctx, &a, l).await,
        ComposeCmd::Exec(e) => misc::exec(ctx, &a, e).await,
        ComposeCmd::Build(s) => lifecycle::build(ctx, &a, s).await,
        ComposeCmd::Pull(s) => lifecycle::pull(ctx, &a, s).await,
        ComposeCmd::Push(s) => push::run(ctx, &a, s).await,
        ComposeCmd::Port(p) => misc::port(ctx, &a, p).await,
        ComposeCmd::Ls(l) => misc::ls(ctx, l).await,
        ComposeCmd::Top(t) => misc::top(ctx, &a, t).await,
        ComposeCmd::Images(i) => misc::images(ctx, &a, i).await,
        ComposeCmd::Version(v) => misc::version(v),
        ComposeCmd::Pause(s) => pause::run(ctx, &a, s, false).await,
        ComposeCmd::Unpause(s) => pause::run(ctx, &a, s, true).await,
    }
}
