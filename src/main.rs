//! The `wharf` binary: the docker-compatible CLI (`src/cli`, one file per
//! command), `wharf daemon`, and the hidden `__monitor` entry point the
//! daemon re-executes for each container. Logging is set up here, once.
//! The monitor path must stay free of tokio: it is dispatched before any
//! runtime is built.

mod cli;

use cli::{Cli, Command};

fn main() {
    quiet_broken_pipe();
    let args = Cli::parse_or_exit();
    init_logging(&args);
    let code = match args.command {
        Command::Monitor { config, warm } => match (config, warm) {
            (_, Some(exec_root)) => wharf_runtime::warm_main(&exec_root),
            (Some(config), None) => wharf_runtime::monitor_main(&config),
            (None, None) => 2,
        },
        Command::Daemon(d) => run_daemon(args.host.as_deref(), d),
        command => cli::main(args.host.as_deref(), command),
    };
    std::process::exit(code);
}

/// `wharf daemon`: `-H` after the subcommand wins over the global one.
fn run_daemon(global_host: Option<&str>, d: cli::daemon_args::DaemonArgs) -> i32 {
    let opts = wharf_daemon::DaemonOptions {
        host: d
            .host
            .or_else(|| global_host.map(str::to_string))
            .unwrap_or_else(|| wharf_client::DEFAULT_HOST.to_string()),
        data_root: d.data_root,
        exec_root: d.exec_root,
        runtime: d.runtime,
        bridge: d.bridge,
        bip: d.bip,
        insecure_registries: d.insecure_registries,
        cgroup_favordynmods: d.cgroup_favordynmods,
        warm_monitors: d.warm_monitors.into(),
        exec_root_tmpfs: d.exec_root_tmpfs,
    };
    // Two malloc arenas, not eight per core: freed memory stays in the
    // arena of the thread that used it, so every extra arena keeps a
    // burst's peak (issue 13). Blocking-pool threads left over from a
    // burst exit after 2 s idle instead of 10.
    wharf_sys::mem::limit_arenas(2);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(std::time::Duration::from_secs(2))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wharf daemon: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(wharf_daemon::run(opts)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("wharf daemon: {e:#}");
            1
        }
    }
}

/// `wharf ps | head` must end quietly, as a Go program killed by SIGPIPE
/// does (shell status 141), not with a panic trace. Rust ignores SIGPIPE,
/// so a closed stdout surfaces as a print panic; catch exactly that one.
fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// `RUST_LOG` wins; otherwise `-D/--debug` or `-l/--log-level` pick the level.
/// The CLI logs warnings only by default so its output stays docker's.
fn init_logging(args: &Cli) {
    use tracing_subscriber::EnvFilter;
    let default = match args.command {
        Command::Daemon(_) => "info",
        _ => "warn",
    };
    let level = if args.debug {
        "debug".to_string()
    } else {
        args.log_level.clone().unwrap_or_else(|| default.into())
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
