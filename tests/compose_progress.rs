//! Compose's progress display: on a terminal (a real pty through
//! `script`), Docker Compose's `[+] Running n/m` block with one
//! ` ✔ Container <name>  Started` line per resource; plain lines when
//! stderr is not a terminal; nothing with `--progress quiet`.
mod common;

use common::Daemon;
use std::process::Command;
use std::time::Duration;

const PROJECT: &str = r#"
services:
  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
"#;

#[test]
fn compose_progress_tty_plain_quiet() {
    let d = Daemon::start();
    let dir = d.tmp().join("wctty");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("compose.yaml");
    std::fs::write(&f, PROJECT).unwrap();
    let f = f.to_string_lossy().to_string();
    let line = format!(
        "{} -H {} compose -f {f} -p wctty up -d",
        common::WHARF,
        d.host()
    );
    let mut c = Command::new("script");
    c.args(["-qec", &line, "/dev/null"]);
    let o = common::run_cmd(c, None, Duration::from_secs(120));
    o.success();
    let text = o.stdout.replace('\r', "");
    assert!(text.contains("[+] Running 3/3"), "{text}");
    assert!(text.contains(" ✔ Container wctty-web-1  Started"), "{text}");
    assert!(text.contains(" ✔ Network wctty_default  Created"), "{text}");
    assert!(
        text.contains("\x1b[2K"),
        "lines are redrawn in place: {text:?}"
    );
    // not a terminal: one plain line per step
    let o = d.wharf_timeout(
        &["compose", "-f", &f, "-p", "wctty", "down"],
        Duration::from_secs(120),
    );
    o.success();
    assert!(o.stderr.contains(" Container wctty-web-1  Removed"), "{o}");
    assert!(!o.stderr.contains("[+]"), "{o}");
    // quiet: nothing
    let o = d.wharf_timeout(
        &[
            "compose",
            "-f",
            &f,
            "-p",
            "wctty",
            "--progress",
            "quiet",
            "up",
            "-d",
        ],
        Duration::from_secs(120),
    );
    o.success();
    assert_eq!(o.stderr.trim(), "", "{o}");
    let o = d.wharf_timeout(
        &[
            "compose",
            "-f",
            &f,
            "-p",
            "wctty",
            "--progress",
            "bogus",
            "ps",
        ],
        Duration::from_secs(30),
    );
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("invalid --progress"), "{o}");
    d.wharf_timeout(
        &["compose", "-f", &f, "-p", "wctty", "down", "-t", "0"],
        Duration::from_secs(120),
    )
    .success();
}
