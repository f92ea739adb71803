//! Usage errors and help as docker's CLI (docker 28, cobra/pflag) prints
//! them: `unknown flag: --x` (exit 125), `'wharf run' requires at least 1
//! argument` (exit 1), `unknown command` (exit 1), help with the command
//! groups of `docker --help`, sorted options with their value types, and
//! docker's usage lines (`wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]`).

use std::fmt::Write as _;

use clap::builder::ValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// Docker commands wharf does not have; named so a user hears "not
/// available" rather than "unknown command".
const NOT_AVAILABLE: &[&str] = &[
    "build",
    "pull",
    "push",
    "compose",
    "login",
    "logout",
    "search",
    "commit",
    "cp",
    "builder",
    "buildx",
    "checkpoint",
    "context",
    "manifest",
    "plugin",
    "system",
    "trust",
    "config",
    "node",
    "secret",
    "service",
    "stack",
    "swarm",
    "scout",
    "init",
    "debug",
];

/// `docker --help`'s groups; commands not listed go under "Commands".
const COMMON: &[&str] = &[
    "run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version",
    "info",
];
const MANAGEMENT: &[&str] = &[
    "builder",
    "compose",
    "container",
    "image",
    "network",
    "plugin",
    "system",
    "volume",
];

/// The subcommand path named by `argv` (`["volume", "create"]`), skipping
/// global options and their values; stops at the first non-command word.
pub fn command_path(root: &Command, argv: &[String]) -> Vec<String> {
    let mut path = Vec::new();
    let mut cmd = root;
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a == "--" {
            break;
        }
        if a.starts_with('-') {
            // A value-taking flag without `=` swallows the next word.
            if takes_separate_value(cmd, a) {
                i += 1;
            }
            i += 1;
            continue;
        }
        match cmd.find_subcommand(a) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                cmd = sub;
            }
            None => break,
        }
        i += 1;
    }
    path
}

fn takes_separate_value(cmd: &Command, flag: &str) -> bool {
    if flag.contains('=') {
        return false;
    }
    let arg = if let Some(long) = flag.strip_prefix("--") {
        cmd.get_arguments().find(|a| a.get_long() == Some(long))
    } else {
        let c = flag.chars().last();
        cmd.get_arguments()
            .find(|a| a.get_short().is_some() && a.get_short() == c)
    };
    arg.is_some_and(|a| a.get_action().takes_values() && flag_len_ok(flag))
}

/// `-t` takes the next word; `-t5` carries its value.
fn flag_len_ok(flag: &str) -> bool {
    flag.starts_with("--") || flag.len() == 2
}

fn find<'a>(root: &'a Command, path: &[String]) -> &'a Command {
    let mut cmd = root;
    for p in path {
        match cmd.find_subcommand(p) {
            Some(c) => cmd = c,
            None => break,
        }
    }
    cmd
}

/// `wharf volume create`.
fn full_name(path: &[String]) -> String {
    let mut s = "wharf".to_string();
    for p in path {
        s.push(' ');
        s.push_str(p);
    }
    s
}

fn visible_options(cmd: &Command) -> Vec<&Arg> {
    let mut v: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
        .filter(|a| a.get_long() != Some("version"))
        .collect();
    v.sort_by_key(|a| {
        a.get_long()
            .map(str::to_string)
            .unwrap_or_else(|| a.get_short().map(String::from).unwrap_or_default())
    });
    v
}

/// Docker's usage line: `wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]`.
pub fn usage_line(root: &Command, path: &[String]) -> String {
    let cmd = find(root, path);
    let mut s = full_name(path);
    if path.is_empty() {
        return "wharf [OPTIONS] COMMAND".into();
    }
    if cmd.has_subcommands() {
        s.push_str(" COMMAND");
        return s;
    }
    if visible_options(cmd)
        .iter()
        .any(|a| a.get_long() != Some("help"))
    {
        s.push_str(" [OPTIONS]");
    }
    for a in cmd
        .get_arguments()
        .filter(|a| a.is_positional() && !a.is_hide_set())
    {
        let name = a
            .get_value_names()
            .and_then(|n| n.first())
            .map(|n| n.to_string())
            .unwrap_or_else(|| a.get_id().as_str().to_ascii_uppercase());
        let multiple = matches!(a.get_action(), ArgAction::Append)
            || a.get_num_args().is_some_and(|n| n.max_values() > 1);
        let word = if name.contains('[') {
            name
        } else if multiple && a.is_trailing_var_arg_set() && name == "COMMAND" {
            "COMMAND [ARG...]".to_string()
        } else if multiple {
            format!("{name} [{name}...]")
        } else {
            name
        };
        s.push(' ');
        if a.is_required_set() {
            s.push_str(&word);
        } else {
            s.push('[');
            s.push_str(&word);
            s.push(']');
        }
    }
    s
}

/// A flag's value type as pflag names it (`list`, `int`, `bytes`, ...).
fn value_type(a: &Arg) -> Option<&'static str> {
    if !a.get_action().takes_values() {
        return None;
    }
    let long = a.get_long().unwrap_or("");
    let by_name = match long {
        "memory" | "memory-swap" | "memory-reservation" | "shm-size" | "kernel-memory" => {
            Some("bytes")
        }
        "health-interval" | "health-timeout" | "health-start-period" | "health-start-interval" => {
            Some("duration")
        }
        "cpus" => Some("decimal"),
        "filter" => Some("filter"),
        "mount" => Some("mount"),
        "ulimit" => Some("ulimit"),
        "blkio-weight" => Some("uint16"),
        _ => None,
    };
    if by_name.is_some() {
        return by_name;
    }
    if matches!(a.get_action(), ArgAction::Append) {
        return Some("list");
    }
    let p: &ValueParser = a.get_value_parser();
    let id = p.type_id();
    if id == std::any::TypeId::of::<i64>()
        || id == std::any::TypeId::of::<i32>()
        || id == std::any::TypeId::of::<u32>()
        || id == std::any::TypeId::of::<u64>()
        || id == std::any::TypeId::of::<usize>()
        || id == std::any::TypeId::of::<Option<i64>>()
    {
        return Some("int");
    }
    if id == std::any::TypeId::of::<u16>() {
        return Some("uint16");
    }
    if id == std::any::TypeId::of::<f64>() {
        return Some("decimal");
    }
    if id == std::any::TypeId::of::<bool>() {
        return None;
    }
    Some("string")
}

fn option_lines(cmd: &Command, is_root: bool) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for a in visible_options(cmd) {
        let mut left = String::new();
        match a.get_short() {
            Some(c) => {
                let _ = write!(left, "  -{c}, ");
            }
            None => left.push_str("      "),
        }
        if let Some(l) = a.get_long() {
            let _ = write!(left, "--{l}");
        }
        if let Some(t) = value_type(a) {
            let _ = write!(left, " {t}");
        }
        let mut help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        if is_root && a.get_long() == Some("host") {
            help = format!(
                "Daemon socket to connect to (default \"{}\"; env WHARF_HOST)",
                wharf_client::DEFAULT_HOST
            );
        }
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|d| d.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && value_type(a).is_some() && !a.is_hide_default_value_set() {
            let d = defaults.join(",");
            if value_type(a) == Some("string") {
                let _ = write!(help, " (default \"{d}\")");
            } else {
                let _ = write!(help, " (default {d})");
            }
        }
        rows.push((left, help));
    }
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 3;
    let mut out = String::new();
    for (l, h) in rows {
        let _ = writeln!(out, "{l:width$}{h}");
    }
    out
}

fn command_rows(cmds: &[&Command]) -> String {
    let mut out = String::new();
    for c in cmds {
        let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(out, "  {:<12}{about}", c.get_name());
    }
    out
}

/// The help text of the command at `path`, laid out as docker's.
pub fn help(root: &Command, path: &[String]) -> String {
    let cmd = find(root, path);
    let mut out = String::new();
    let _ = writeln!(out, "Usage:  {}\n", usage_line(root, path));
    let about = cmd
        .get_long_about()
        .or(cmd.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _ = writeln!(out, "{about}\n");
    if path.is_empty() {
        let subs: Vec<&Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
        let in_group = |names: &[&str]| -> Vec<&Command> {
            names
                .iter()
                .filter_map(|n| subs.iter().find(|c| c.get_name() == *n).copied())
                .collect()
        };
        let mut rest: Vec<&Command> = subs
            .iter()
            .filter(|c| !COMMON.contains(&c.get_name()) && !MANAGEMENT.contains(&c.get_name()))
            .copied()
            .collect();
        rest.sort_by_key(|c| c.get_name());
        let _ = writeln!(out, "Common Commands:\n{}", command_rows(&in_group(COMMON)));
        let _ = writeln!(
            out,
            "Management Commands:\n{}",
            command_rows(&in_group(MANAGEMENT))
        );
        let _ = writeln!(out, "Commands:\n{}", command_rows(&rest));
        let _ = writeln!(out, "Global Options:\n{}", option_lines(cmd, true));
        out.push_str("Run 'wharf COMMAND --help' for more information on a command.\n");
        return out;
    }
    if cmd.has_subcommands() {
        let mut subs: Vec<&Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
        subs.sort_by_key(|c| c.get_name());
        let _ = writeln!(out, "Commands:\n{}", command_rows(&subs));
        let _ = writeln!(
            out,
            "Run '{} COMMAND --help' for more information on a command.",
            full_name(path)
        );
        return out;
    }
    let aliases: Vec<String> = cmd
        .get_visible_aliases()
        .map(|a| {
            let mut p = path.to_vec();
            if let Some(last) = p.last_mut() {
                *last = a.to_string();
            }
            full_name(&p)
        })
        .collect();
    if !aliases.is_empty() {
        let mut all = vec![full_name(path)];
        all.extend(aliases);
        let _ = writeln!(out, "Aliases:\n  {}\n", all.join(", "));
    }
    let opts = option_lines(cmd, false);
    if !opts.is_empty() {
        let _ = write!(out, "Options:\n{opts}");
    }
    out
}

/// Print a clap parse error (or help) as docker does and exit.
pub fn exit_with(root: &Command, argv: &[String], e: clap::Error) -> ! {
    let path = command_path(root, argv);
    let name = full_name(&path);
    let usage = usage_line(root, &path);
    let invalid = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(" "),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print!("{}", help(root, &path));
            std::process::exit(0);
        }
        ErrorKind::MissingSubcommand => {
            print!("{}", help(root, &path));
            std::process::exit(0);
        }
        ErrorKind::DisplayVersion => {
            let _ = e.print();
            std::process::exit(0);
        }
        ErrorKind::UnknownArgument => {
            let arg = invalid(ContextKind::InvalidArg);
            if !arg.starts_with('-') {
                eprintln!(
                    "\"{name}\" accepts no arguments.\nSee '{name} --help'.\n\nUsage:  {usage}"
                );
                std::process::exit(1);
            }
            let flag = arg.split(['=', ' ']).next().unwrap_or(&arg).to_string();
            if let Some(short) = flag.strip_prefix('-').filter(|s| !s.starts_with('-')) {
                let c = short.chars().next().unwrap_or('?');
                eprintln!("unknown shorthand flag: '{c}' in {flag}");
            } else {
                eprintln!("unknown flag: {flag}");
            }
            eprintln!("\nUsage:  {usage}\n\nRun '{name} --help' for more information");
            std::process::exit(125);
        }
        ErrorKind::MissingRequiredArgument => {
            let cmd = find(root, &path);
            let positionals: Vec<&Arg> = cmd
                .get_arguments()
                .filter(|a| a.is_positional() && a.is_required_set())
                .collect();
            let n = positionals.len().max(1);
            let open = positionals.last().is_some_and(|a| {
                matches!(a.get_action(), ArgAction::Append)
                    || a.get_num_args().is_some_and(|r| r.max_values() > 1)
            });
            let plural = if n == 1 { "argument" } else { "arguments" };
            if positionals.is_empty() {
                // A required flag: clap's own words are clear.
                let msg = e.to_string();
                let first = msg
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                eprintln!(
                    "wharf: {first}\n\nUsage:  {usage}\n\nSee '{name} --help' for more information"
                );
            } else if open {
                eprintln!("wharf: '{name}' requires at least {n} {plural}\n\nUsage:  {usage}\n\nSee '{name} --help' for more information");
            } else {
                eprintln!("wharf: '{name}' requires {n} {plural}\n\nUsage:  {usage}\n\nSee '{name} --help' for more information");
            }
            std::process::exit(1);
        }
        ErrorKind::InvalidSubcommand => {
            let word = invalid(ContextKind::InvalidSubcommand);
            if NOT_AVAILABLE.contains(&word.as_str()) {
                eprintln!("wharf: '{word}' is not available in this version of wharf\n\nRun '{name} --help' for a list of commands");
            } else {
                eprintln!("wharf: unknown command: {name} {word}\n\nRun '{name} --help' for more information");
            }
            std::process::exit(1);
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let arg = invalid(ContextKind::InvalidArg);
            let value = invalid(ContextKind::InvalidValue);
            if !arg.starts_with('-') {
                // A positional argument (`completion tcsh`).
                let what = arg.trim_matches(['<', '>']);
                let valid = invalid(ContextKind::ValidValue);
                let hint = if valid.is_empty() {
                    String::new()
                } else {
                    format!(" (possible values: {})", valid.replace(' ', ", "))
                };
                eprintln!("wharf: invalid {what} \"{value}\"{hint}\n\nUsage:  {usage}\n\nSee '{name} --help' for more information");
                std::process::exit(1);
            }
            let flag = arg.split([' ', '=']).next().unwrap_or(&arg);
            let cmd = find(root, &path);
            let names = cmd
                .get_arguments()
                .find(|a| a.get_long().is_some_and(|l| flag == format!("--{l}")))
                .map(|a| match a.get_short() {
                    Some(c) => format!("-{c}, {flag}"),
                    None => flag.to_string(),
                })
                .unwrap_or_else(|| flag.to_string());
            let int_flag = cmd
                .get_arguments()
                .find(|a| a.get_long().is_some_and(|l| flag == format!("--{l}")))
                .and_then(value_type)
                == Some("int");
            let why = match std::error::Error::source(&e) {
                // Go's strconv words, as pflag reports them.
                Some(s) if int_flag => {
                    let range =
                        s.to_string().contains("too large") || s.to_string().contains("too small");
                    let what = if range {
                        "value out of range"
                    } else {
                        "invalid syntax"
                    };
                    format!("strconv.ParseInt: parsing \"{value}\": {what}")
                }
                Some(s) => s.to_string(),
                None => "invalid syntax".into(),
            };
            eprintln!("invalid argument \"{value}\" for \"{names}\" flag: {why}\n\nUsage:  {usage}\n\nRun '{name} --help' for more information");
            std::process::exit(125);
        }
        _ => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            eprintln!("{first}\n\nUsage:  {usage}\n\nRun '{name} --help' for more information");
            std::process::exit(125);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn paths_skip_global_flags() {
        let root = crate::cli::Cli::command();
        assert_eq!(
            command_path(&root, &argv("wharf -H unix:///x volume create --bogus")),
            vec!["volume", "create"]
        );
        assert_eq!(
            command_path(&root, &argv("wharf run -it busybox")),
            vec!["run"]
        );
        assert!(command_path(&root, &argv("wharf --debug")).is_empty());
    }

    #[test]
    fn usage_lines_read_like_docker() {
        let root = crate::cli::Cli::command();
        let u = |s: &str| usage_line(&root, &argv(s));
        assert_eq!(u("run"), "wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]");
        assert_eq!(u("exec"), "wharf exec [OPTIONS] CONTAINER COMMAND [ARG...]");
        assert_eq!(u("rm"), "wharf rm [OPTIONS] CONTAINER [CONTAINER...]");
        assert_eq!(u("volume"), "wharf volume COMMAND");
        assert_eq!(u("ps"), "wharf ps [OPTIONS]");
    }

    #[test]
    fn root_help_groups_commands() {
        let root = crate::cli::Cli::command();
        let h = help(&root, &[]);
        assert!(h.contains("Common Commands:\n  run "), "{h}");
        assert!(h.contains("Management Commands:\n"), "{h}");
        assert!(h.contains("unix:///run/wharf/wharf.sock"), "{h}");
        assert!(h.ends_with("Run 'wharf COMMAND --help' for more information on a command.\n"));
        let r = help(&root, &argv("run"));
        let opts: Vec<&str> = r.lines().skip_while(|l| *l != "Options:").skip(1).collect();
        let longs: Vec<String> = opts
            .iter()
            .filter_map(|l| l.split("--").nth(1))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect();
        let mut sorted = longs.clone();
        sorted.sort();
        assert_eq!(longs, sorted);
        assert!(r.contains("--memory bytes"), "{r}");
        assert!(r.contains("--env list"), "{r}");
    }
}
