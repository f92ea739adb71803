//! The docker-compatible command line: one file per command, flags parsed
//! by clap, then resolved into API requests sent through `wharf-client`.
//! Exit codes follow docker's: 125 for engine and flag errors on
//! `run`/`create`, 1 for other commands' errors, the container's own code
//! where a command waits for one.

pub mod daemon_args;

mod attach;
mod build;
mod builder;
mod commit;
mod completion;
mod compose;
mod container;
mod container_opts;
mod container_prune;
mod cp;
mod create;
mod diff;
mod download;
mod events;
mod exec;
mod export;
mod fast_parse;
mod format;
mod history;
mod image;
mod image_prune;
mod images;
mod import;
mod info;
mod inspect;
mod jsonmsg;
mod kill;
mod load;
mod login;
mod logs;
mod manifest;
mod network;
mod parse;
mod pause;
mod port;
mod prune;
mod ps;
mod pull;
mod push;
mod registry_auth;
mod rename;
mod restart;
mod rm;
mod rmi;
mod run;
mod save;
mod search;
mod start;
mod stats;
mod stop;
mod stream;
mod tabwriter;
mod tag;
mod template;
mod template_plain;
mod template_value;
mod top;
mod tty;
mod update;
mod usage;
mod version;
mod volume;
mod wait;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use wharf_client::{Client, ClientError};

/// A Docker-compatible container engine
#[derive(Debug, Parser)]
#[command(name = "wharf", version, disable_help_subcommand = true)]
pub struct Cli {
    /// Daemon socket to connect to (unix:///path); env WHARF_HOST
    #[arg(short = 'H', long = "host")]
    pub host: Option<String>,
    /// Enable debug output
    #[arg(short = 'D', long = "debug")]
    pub debug: bool,
    /// Logging level (debug, info, warn, error)
    #[arg(short = 'l', long = "log-level")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Display a live stream of container(s) resource usage statistics
    Stats(stats::StatsArgs),
    /// Update configuration of one or more containers
    Update(update::UpdateArgs),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(diff::DiffArgs),
    /// Export a container's filesystem as a tar archive
    Export(export::ExportArgs),
    /// Copy files/folders between a container and the local filesystem
    Cp(cp::CpArgs),
    /// Pause all processes within one or more containers
    Pause(pause::PauseArgs),
    /// Unpause all processes within one or more containers
    Unpause(pause::PauseArgs),
    /// Remove one or more containers
    Rm(rm::RmArgs),
    /// List containers
    Ps(ps::PsArgs),
    /// Fetch the logs of a container
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(exec::ExecArgs),
    /// Attach local standard input, output, and error streams to a running container
    Attach(attach::AttachArgs),
    /// Block until one or more containers stop, then print their exit codes
    Wait(wait::WaitArgs),
    /// Return low-level information on wharf objects
    Inspect(inspect::InspectArgs),
    /// Rename a container
    Rename(rename::RenameArgs),
    /// Display the running processes of a container
    Top(top::TopArgs),
    /// List port mappings or a specific mapping for the container
    Port(port::PortArgs),
    /// Get real time events from the server
    Events(events::EventsArgs),
    /// List images
    Images(images::ImagesArgs),
    /// Import the contents from a tarball to create a filesystem image
    Import(import::ImportArgs),
    /// Download an image from a registry
    Pull(pull::PullArgs),
    /// Upload an image to a registry
    Push(push::PushArgs),
    /// Search for images in a registry
    Search(search::SearchArgs),
    /// Log in to a registry
    Login(login::LoginArgs),
    /// Log out from a registry
    Logout(login::LogoutArgs),
    /// Build an image from a Dockerfile
    Build(build::BuildArgs),
    /// Manage builds
    #[command(subcommand)]
    Builder(builder::BuilderCmd),
    /// Create a new image from a container's changes
    Commit(commit::CommitArgs),
    /// Load an image from a tar archive or STDIN
    Load(load::LoadArgs),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(save::SaveArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(tag::TagArgs),
    /// Remove one or more images
    Rmi(rmi::RmiArgs),
    /// Show the history of an image
    History(history::HistoryArgs),
    /// Show the wharf version information
    Version(version::VersionArgs),
    /// Display system-wide information
    Info(info::InfoArgs),
    /// Manage containers
    #[command(subcommand)]
    Container(container::ContainerCmd),
    /// Manage images
    #[command(subcommand)]
    Image(image::ImageCmd),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::VolumeCmd),
    /// Manage networks
    #[command(subcommand)]
    Network(network::NetworkCmd),
    /// Manage Docker image manifests and manifest lists
    #[command(subcommand)]
    Manifest(manifest::ManifestCmd),
    /// Run the wharf daemon
    Daemon(daemon_args::DaemonArgs),
    /// Generate the autocompletion script for the specified shell
    Completion(completion::CompletionArgs),
    /// Define and run multi-container applications (Compose)
    Compose(compose::ComposeArgs),
    /// Per-container monitor (started by the daemon)
    #[command(name = "__monitor", hide = true)]
    Monitor {
        #[arg(required_unless_present = "warm")]
        config: Option<PathBuf>,
        /// Warm monitor of this exec root: waits for its config on stdin
        #[arg(long = "warm", value_name = "EXEC_ROOT", conflicts_with = "config")]
        warm: Option<PathBuf>,
    },
}

impl Cli {
    /// Parse argv; help and version exit 0, a usage error is printed and
    /// exits as docker's CLI does (`usage.rs`).
    pub fn parse_or_exit() -> Cli {
        let argv = compose::argv0(std::env::args().collect());
        if let Some(c) = fast_parse::parse(&argv) {
            return c;
        }
        match Cli::try_parse_from(&argv) {
            Ok(c) => c,
            Err(e) => {
                use clap::CommandFactory;
                usage::exit_with(&Cli::command(), &argv, e)
            }
        }
    }
}

/// A bad flag value, reported as docker does and with exit code 125.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// An error whose message is already printed; the process exits with `code`.
#[derive(Debug, thiserror::Error)]
#[error("exit status {code}")]
pub struct StatusError {
    pub code: i32,
}

/// What every command gets: the client for the chosen daemon.
pub struct Ctx {
    pub client: Client,
}

/// Run a CLI command to completion and return the process exit code.
pub fn main(host: Option<&str>, command: Command) -> i32 {
    let name = command_name(&command);
    let run_like = matches!(name, "run" | "create");
    let client = match Client::from_host(host) {
        Ok(c) => c,
        Err(e) => return report(&anyhow::Error::from(e), name, run_like),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wharf: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let ctx = Ctx { client };
    let res = rt.block_on(dispatch(&ctx, command));
    // Blocking stdin readers may still be parked; do not wait for them.
    rt.shutdown_background();
    match res {
        Ok(code) => code,
        Err(e) => report(&e, name, run_like),
    }
}

/// Print an error the way docker's CLI does and pick the exit code.
/// Docker 28's `run` reports an engine error with a `docker: ` prefix and
/// exits 125; its `create` prints the bare error and exits 1, as the other
/// commands do. Flag-value errors are 125 for both.
fn report(e: &anyhow::Error, name: &str, run_like: bool) -> i32 {
    let engine_code = if name == "run" { 125 } else { 1 };
    let prefix = if name == "run" { "wharf: " } else { "" };
    let usage_prefix = if run_like { "wharf: " } else { "" };
    if let Some(s) = e.downcast_ref::<StatusError>() {
        return s.code;
    }
    // Our stdout was closed (`wharf logs -f x | head`): end quietly with
    // the shell status of a SIGPIPE death, as docker's CLI does.
    // A broken pipe to the daemon is not that: it is reported below.
    let to_daemon = e
        .chain()
        .any(|c| matches!(c.downcast_ref::<ClientError>(), Some(ClientError::Http(_))));
    let broken_pipe = !to_daemon
        && e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        });
    if broken_pipe {
        return 141;
    }
    if let Some(u) = e.downcast_ref::<UsageError>() {
        if run_like && u.0.starts_with("invalid argument \"") {
            // A flag's value: docker prints pflag's error bare, with usage.
            use clap::CommandFactory;
            let usage = usage::usage_line(&Cli::command(), &[name.to_string()]);
            eprintln!("{u}\n\nUsage:  {usage}\n\nRun 'wharf {name} --help' for more information");
            return 125;
        }
        eprintln!("{usage_prefix}{u}");
        eprintln!("See 'wharf {name} --help'.");
        return 125;
    }
    if let Some(ce) = e.downcast_ref::<ClientError>() {
        eprintln!("{prefix}{ce}");
        // An unreachable daemon is an engine error: 125 for run, 1 for
        // create and the rest (docker 28).
        return engine_code;
    }
    eprintln!("{prefix}{e:#}");
    engine_code
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Run(_) => "run",
        Command::Create(_) => "create",
        Command::Container(container::ContainerCmd::Run(_)) => "run",
        Command::Container(container::ContainerCmd::Create(_)) => "create",
        Command::Start(_) => "start",
        Command::Stop(_) => "stop",
        Command::Restart(_) => "restart",
        Command::Kill(_) => "kill",
        Command::Stats(_) => "stats",
        Command::Update(_) => "update",
        Command::Diff(_) => "diff",
        Command::Export(_) => "export",
        Command::Cp(_) => "cp",
        Command::Pause(_) => "pause",
        Command::Unpause(_) => "unpause",
        Command::Rm(_) => "rm",
        Command::Ps(_) => "ps",
        Command::Logs(_) => "logs",
        Command::Exec(_) => "exec",
        Command::Attach(_) => "attach",
        Command::Wait(_) => "wait",
        Command::Inspect(_) => "inspect",
        Command::Rename(_) => "rename",
        Command::Top(_) => "top",
        Command::Port(_) => "port",
        Command::Events(_) => "events",
        Command::Images(_) => "images",
        Command::Import(_) => "import",
        Command::Pull(_) => "pull",
        Command::Push(_) => "push",
        Command::Search(_) => "search",
        Command::Login(_) => "login",
        Command::Logout(_) => "logout",
        Command::Build(_) => "build",
        Command::Builder(_) => "builder",
        Command::Commit(_) => "commit",
        Command::Load(_) => "load",
        Command::Save(_) => "save",
        Command::Tag(_) => "tag",
        Command::Rmi(_) => "rmi",
        Command::History(_) => "history",
        Command::Version(_) => "version",
        Command::Info(_) => "info",
        Command::Container(_) => "container",
        Command::Image(_) => "image",
        Command::Volume(_) => "volume",
        Command::Network(_) => "network",
        Command::Manifest(_) => "manifest",
        Command::Daemon(_) => "daemon",
        Command::Completion(_) => "completion",
        Command::Compose(_) => "compose",
        Command::Monitor { .. } => "__monitor",
    }
}

async fn dispatch(ctx: &Ctx, command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Run(a) => run::run(ctx, a).await,
        Command::Create(a) => create::run(ctx, a).await,
        Command::Start(a) => start::run(ctx, a).await,
        Command::Stop(a) => stop::run(ctx, a).await,
        Command::Restart(a) => restart::run(ctx, a).await,
        Command::Kill(a) => kill::run(ctx, a).await,
        Command::Stats(a) => stats::run(ctx, a).await,
        Command::Update(a) => update::run(ctx, a).await,
        Command::Diff(a) => diff::run(ctx, a).await,
        Command::Export(a) => export::run(ctx, a).await,
        Command::Cp(a) => cp::run(ctx, a).await,
        Command::Pause(a) => pause::run(ctx, a, "pause").await,
        Command::Unpause(a) => pause::run(ctx, a, "unpause").await,
        Command::Rm(a) => rm::run(ctx, a).await,
        Command::Ps(a) => ps::run(ctx, a).await,
        Command::Logs(a) => logs::run(ctx, a).await,
        Command::Exec(a) => exec::run(ctx, a).await,
        Command::Attach(a) => attach::run(ctx, a).await,
        Command::Wait(a) => wait::run(ctx, a).await,
        Command::Inspect(a) => inspect::run(ctx, a).await,
        Command::Rename(a) => rename::run(ctx, a).await,
        Command::Top(a) => top::run(ctx, a).await,
        Command::Port(a) => port::run(ctx, a).await,
        Command::Events(a) => events::run(ctx, a).await,
        Command::Images(a) => images::run(ctx, a).await,
        Command::Import(a) => import::run(ctx, a).await,
        Command::Pull(a) => pull::run(ctx, a).await,
        Command::Push(a) => push::run(ctx, a).await,
        Command::Search(a) => search::run(ctx, a).await,
        Command::Login(a) => login::run(ctx, a).await,
        Command::Logout(a) => login::logout(ctx, a).await,
        Command::Build(a) => build::run(ctx, a).await,
        Command::Builder(c) => builder::dispatch(ctx, c).await,
        Command::Commit(a) => commit::run(ctx, a).await,
        Command::Load(a) => load::run(ctx, a).await,
        Command::Save(a) => save::run(ctx, a).await,
        Command::Tag(a) => tag::run(ctx, a).await,
        Command::Rmi(a) => rmi::run(ctx, a).await,
        Command::History(a) => history::run(ctx, a).await,
        Command::Version(a) => version::run(ctx, a).await,
        Command::Info(a) => info::run(ctx, a).await,
        Command::Container(c) => Box::pin(container::dispatch(ctx, c)).await,
        Command::Image(c) => Box::pin(image::dispatch(ctx, c)).await,
        Command::Volume(c) => volume::dispatch(ctx, c).await,
        Command::Network(c) => network::dispatch(ctx, c).await,
        Command::Manifest(c) => manifest::dispatch(ctx, c).await,
        Command::Completion(a) => completion::run(a),
        Command::Compose(a) => Box::pin(compose::run(ctx, a)).await,
        Command::Daemon(_) | Command::Monitor { .. } => {
            // main.rs handles both before a runtime exists.
            Err(anyhow::anyhow!(
                "internal: {} dispatched to the cli",
                command_name(&command)
            ))
        }
    }
}

/// Print a per-object failure as docker does (`Error response from daemon:
/// ...` on stderr) and remember that the command must exit 1.
pub fn print_obj_error(e: &anyhow::Error) {
    match e.downcast_ref::<ClientError>() {
        Some(ce) => eprintln!("{ce}"),
        None => eprintln!("Error: {e:#}"),
    }
}

/// Fail fast when the daemon is unreachable (connect errors win over
/// per-object errors, as the exit code differs).
pub fn is_connect_error(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<ClientError>(),
        Some(ClientError::Connect { .. })
    )
}

/// Escape one path segment (container or image name); `/` and `:` stay.
/// Kept for commands still writing a request path by hand (prefer the
/// typed calls of `wharf_client`).
#[allow(dead_code)]
pub fn seg(s: &str) -> String {
    wharf_client::seg(s)
}

/// Escape a query value (see [`seg`]).
#[allow(dead_code)]
pub fn q(s: &str) -> String {
    wharf_client::query_escape(s)
}

/// Apply `f` to each named object, printing the name on success and the
/// daemon's error on failure, as docker's multi-object commands do. Exit 1
/// if any failed; a daemon that is not running fails the whole command.
pub async fn for_each<F, Fut>(names: &[String], print_name: bool, f: F) -> anyhow::Result<i32>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut code = 0;
    for n in names {
        match f(n.clone()).await {
            Ok(()) => {
                if print_name {
                    println!("{n}");
                }
            }
            Err(e) if is_connect_error(&e) => return Err(e),
            Err(e) => {
                print_obj_error(&e);
                code = 1;
            }
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Cli {
        let mut v = vec!["wharf"];
        v.extend_from_slice(args);
        Cli::try_parse_from(v).unwrap()
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_flags_stop_at_the_image() {
        let c = parse(&[
            "run",
            "-it",
            "--rm",
            "-h",
            "box",
            "busybox",
            "sh",
            "-c",
            "echo -n hi",
            "--rm",
        ]);
        let Command::Run(r) = c.command else {
            panic!("not run")
        };
        assert!(r.opts.interactive && r.opts.tty && r.opts.rm);
        assert_eq!(r.opts.hostname.as_deref(), Some("box"));
        assert_eq!(r.args, vec!["busybox", "sh", "-c", "echo -n hi", "--rm"]);
    }

    #[test]
    fn run_detached_and_sig_proxy() {
        let c = parse(&[
            "run",
            "-d",
            "--sig-proxy=false",
            "--name",
            "x",
            "busybox",
            "sleep",
            "9",
        ]);
        let Command::Run(r) = c.command else {
            panic!("not run")
        };
        assert!(r.detach && !r.sig_proxy);
        assert_eq!(r.opts.name.as_deref(), Some("x"));
    }

    #[test]
    fn global_host_and_aliases() {
        let c = parse(&["-H", "unix:///tmp/x.sock", "container", "ls", "-a"]);
        assert_eq!(c.host.as_deref(), Some("unix:///tmp/x.sock"));
        assert!(matches!(
            c.command,
            Command::Container(container::ContainerCmd::Ls(_))
        ));
        let c = parse(&["image", "rm", "-f", "busybox"]);
        assert!(matches!(c.command, Command::Image(image::ImageCmd::Rm(_))));
        let c = parse(&["exec", "-it", "web", "ls", "-la"]);
        let Command::Exec(e) = c.command else {
            panic!("not exec")
        };
        assert_eq!(e.command, vec!["ls", "-la"]);
        let c = parse(&["stop", "-t", "0", "a", "b"]);
        let Command::Stop(s) = c.command else {
            panic!("not stop")
        };
        assert_eq!(s.timeout, Some(0));
        let c = parse(&["__monitor", "/run/x/config.json"]);
        assert!(matches!(c.command, Command::Monitor { .. }));
        let c = parse(&["__monitor", "--warm", "/run/x"]);
        assert!(matches!(
            c.command,
            Command::Monitor {
                warm: Some(_),
                config: None
            }
        ));
        let c = parse(&[
            "daemon",
            "-H",
            "unix:///tmp/d.sock",
            "--data-root",
            "/tmp/d",
        ]);
        assert!(matches!(c.command, Command::Daemon(_)));
    }

    #[test]
    fn usage_errors_exit_125() {
        let e = anyhow::Error::from(UsageError("bad".into()));
        assert_eq!(report(&e, "run", true), 125);
        let e = anyhow::Error::from(ClientError::Api {
            status: 404,
            message: "No such container: x".into(),
        });
        assert_eq!(report(&e, "rm", false), 1);
        assert_eq!(report(&e, "run", true), 125);
        let e = anyhow::Error::from(ClientError::Connect {
            host: "unix:///x".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
        assert_eq!(report(&e, "ps", false), 1);
        assert_eq!(report(&e, "run", true), 125);
        // docker 28: `create` exits 1 on an engine error, 125 on a bad flag.
        assert_eq!(report(&e, "create", true), 1);
        let e = anyhow::Error::from(UsageError("bad".into()));
        assert_eq!(report(&e, "create", true), 125);
        let e = anyhow::Error::from(StatusError { code: 127 });
        assert_eq!(report(&e, "run", true), 127);
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(report(&e, "logs", false), 141);
    }
}
