//! Test entry for the monitor (`wharf __monitor` is the product entry):
//! `wharf-runtime-monitor-test <config.json>`.

fn main() {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: wharf-runtime-monitor-test <monitor config>");
        std::process::exit(2);
    };
    std::process::exit(wharf_runtime::monitor_main(std::path::Path::new(&path)));
}
