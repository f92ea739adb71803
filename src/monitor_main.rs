//! `wharf-monitor`: the per-container monitor as a small executable of its
//! own, installed beside `wharf` (as containerd's shim is beside
//! containerd). The daemon starts it when it is there, `wharf __monitor`
//! otherwise; both run the same [`wharf_runtime::monitor_main`].
//!
//! Why a second binary (issue 13): one monitor lives per running
//! container, so its resident memory counts once per container. It holds
//! only the monitor's code (no CLI, daemon, tokio, image or network code),
//! and it is linked position-dependent (`build.rs`): its read-only data
//! then needs no load-time relocation, stays the file's own, and an idle
//! monitor drops it from memory. As a position-independent executable
//! every page holding a pointer (vtables, static tables) is written by the
//! loader, private to each process: 0.7 MiB per container. The daemon and
//! the CLI, `wharf`, stay position-independent, their image randomized.
//!
//! Usage: `wharf-monitor __monitor <config.json>` (the `__monitor` word is
//! optional; it keeps the monitor's command line as it was),
//! `wharf-monitor __monitor --warm <exec-root>` (a warm monitor, waiting
//! for its config on stdin: `wharf_runtime::warm`), or
//! `wharf-monitor --build-id`: prints the build id the daemon compares
//! with its own before it uses this monitor (`wharf_runtime::build_id`).

fn main() {
    let mut args = std::env::args_os().skip(1).peekable();
    if args
        .peek()
        .is_some_and(|a| a == wharf_runtime::build_id::FLAG)
    {
        println!("{}", wharf_runtime::build_id::BUILD_ID);
        return;
    }
    if args.peek().is_some_and(|a| a == "__monitor") {
        args.next();
    }
    if args
        .peek()
        .is_some_and(|a| a == wharf_runtime::warm::WARM_FLAG)
    {
        args.next();
        let (Some(root), None) = (args.next(), args.next()) else {
            eprintln!("usage: wharf-monitor __monitor --warm <exec root>");
            std::process::exit(2);
        };
        std::process::exit(wharf_runtime::warm_main(std::path::Path::new(&root)));
    }
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: wharf-monitor __monitor <monitor config>");
        std::process::exit(2);
    };
    std::process::exit(wharf_runtime::monitor_main(std::path::Path::new(&path)));
}
