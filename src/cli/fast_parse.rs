//! Parsing argv without building the whole command tree (issue 13).
//!
//! `Cli::command()` builds every subcommand with every flag (`run` and
//! `create` alone have over a hundred): about a megabyte of heap and a
//! good share of a CLI start, for one command used. Here the root is
//! built with its global flags and only the subcommand argv names, from
//! the same derived definitions, and clap parses as usual. Anything this
//! cannot take as it stands (no or unknown subcommand, `--help`, a usage
//! error, a flag before the subcommand that is not a global one) returns
//! `None`, and the caller parses again with the whole tree, which prints
//! help and errors exactly as before.

use clap::{Arg, ArgAction, Args, Command, FromArgMatches, Subcommand};

use super::*;

/// The subcommand named by `argv` (after `wharf` and its global flags).
fn subcommand_name(argv: &[String]) -> Option<&str> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        match a {
            "-H" | "--host" | "-l" | "--log-level" => i += 2,
            "-D" | "--debug" => i += 1,
            _ if a.starts_with("--host=") || a.starts_with("--log-level=") => i += 1,
            _ if a.starts_with('-') => return None,
            _ => return Some(a),
        }
    }
    None
}

/// A subcommand with its flags, as the derive builds it below `wharf`.
fn nested<T: Subcommand>(name: &'static str) -> Command {
    T::augment_subcommands(
        Command::new(name)
            .subcommand_required(true)
            .arg_required_else_help(true),
    )
}

fn subcommand(name: &str) -> Option<Command> {
    macro_rules! args {
        ($($name:literal => $ty:ty),* $(,)?) => {
            match name {
                $($name => Some(<$ty>::augment_args(Command::new($name))),)*
                "builder" => Some(nested::<builder::BuilderCmd>("builder")),
                "container" => Some(nested::<container::ContainerCmd>("container")),
                "image" => Some(nested::<image::ImageCmd>("image")),
                "volume" => Some(nested::<volume::VolumeCmd>("volume")),
                "network" => Some(nested::<network::NetworkCmd>("network")),
                "manifest" => Some(nested::<manifest::ManifestCmd>("manifest")),
                _ => None,
            }
        };
    }
    args! {
        "run" => run::RunArgs,
        "create" => create::CreateArgs,
        "start" => start::StartArgs,
        "stop" => stop::StopArgs,
        "restart" => restart::RestartArgs,
        "kill" => kill::KillArgs,
        "stats" => stats::StatsArgs,
        "update" => update::UpdateArgs,
        "diff" => diff::DiffArgs,
        "export" => export::ExportArgs,
        "cp" => cp::CpArgs,
        "pause" => pause::PauseArgs,
        "unpause" => pause::PauseArgs,
        "rm" => rm::RmArgs,
        "ps" => ps::PsArgs,
        "logs" => logs::LogsArgs,
        "exec" => exec::ExecArgs,
        "attach" => attach::AttachArgs,
        "wait" => wait::WaitArgs,
        "inspect" => inspect::InspectArgs,
        "rename" => rename::RenameArgs,
        "top" => top::TopArgs,
        "port" => port::PortArgs,
        "events" => events::EventsArgs,
        "images" => images::ImagesArgs,
        "import" => import::ImportArgs,
        "pull" => pull::PullArgs,
        "push" => push::PushArgs,
        "search" => search::SearchArgs,
        "login" => login::LoginArgs,
        "logout" => login::LogoutArgs,
        "build" => build::BuildArgs,
        "commit" => commit::CommitArgs,
        "load" => load::LoadArgs,
        "save" => save::SaveArgs,
        "tag" => tag::TagArgs,
        "rmi" => rmi::RmiArgs,
        "history" => history::HistoryArgs,
        "version" => version::VersionArgs,
        "info" => info::InfoArgs,
        "daemon" => daemon_args::DaemonArgs,
        "completion" => completion::CompletionArgs,
        "compose" => compose::ComposeArgs,
    }
}

/// `argv` parsed with the root's global flags and one subcommand, or
/// `None` when only the whole tree can answer.
pub fn parse(argv: &[String]) -> Option<Cli> {
    let sub = subcommand(subcommand_name(argv)?)?;
    let root = Command::new("wharf")
        .disable_help_subcommand(true)
        .subcommand_required(true)
        .arg(
            Arg::new("host")
                .short('H')
                .long("host")
                .action(ArgAction::Set),
        )
        .arg(
            Arg::new("debug")
                .short('D')
                .long("debug")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("log_level")
                .short('l')
                .long("log-level")
                .action(ArgAction::Set),
        )
        .subcommand(sub);
    let matches = root.try_get_matches_from(argv).ok()?;
    Cli::from_arg_matches(&matches).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn argv(s: &[&str]) -> Vec<String> {
        std::iter::once("wharf")
            .chain(s.iter().copied())
            .map(String::from)
            .collect()
    }

    /// Every argv the fast path takes parses as the whole tree parses it.
    #[test]
    fn same_as_the_whole_tree() {
        let cases: &[&[&str]] = &[
            &["ps"],
            &[
                "ps",
                "-a",
                "-q",
                "--no-trunc",
                "-f",
                "status=exited",
                "-n",
                "3",
            ],
            &[
                "-H",
                "unix:///tmp/x.sock",
                "-D",
                "ps",
                "--format",
                "{{.ID}}",
            ],
            &["--host=unix:///x", "--log-level=debug", "images", "-q"],
            &[
                "run", "--rm", "-it", "-e", "A=1", "busybox", "sh", "-c", "echo hi", "--rm",
            ],
            &[
                "run",
                "-d",
                "--name",
                "w",
                "--network",
                "none",
                "busybox",
                "sleep",
                "9",
            ],
            &["create", "--label", "a=b", "busybox"],
            &["start", "-a", "x"],
            &["rm", "-f", "a", "b"],
            &["stop", "-t", "0", "a"],
            &["container", "ls", "-a"],
            &["image", "rm", "-f", "busybox"],
            &["volume", "create", "v"],
            &["network", "ls"],
            &["exec", "-it", "web", "ls", "-la"],
            &["logs", "-f", "--tail", "3", "x"],
            &["inspect", "-f", "{{.Id}}", "x"],
            &["version", "--format", "{{.Server.APIVersion}}"],
            &[
                "daemon",
                "-H",
                "unix:///tmp/d.sock",
                "--data-root",
                "/tmp/d",
            ],
            &["compose", "-p", "x", "ps"],
        ];
        for c in cases {
            let v = argv(c);
            let fast = parse(&v).unwrap_or_else(|| panic!("fast path refused {c:?}"));
            let full = Cli::try_parse_from(&v).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{c:?}");
        }
    }

    /// Help, errors and anything unusual go to the whole tree.
    #[test]
    fn the_rest_is_left_to_the_whole_tree() {
        for c in [
            &[][..],
            &["--version"],
            &["ps", "--help"],
            &["ps", "--bogus"],
            &["container"],
            &["nosuch"],
            &["-x", "ps"],
            &["__monitor", "/x"],
            &["run"],
        ] {
            assert!(parse(&argv(c)).is_none(), "{c:?}");
        }
    }
}
