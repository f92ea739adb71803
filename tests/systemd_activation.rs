//! `contrib/wharf.socket`: the daemon serves a socket systemd bound and
//! passed (`wharf daemon -H fd://`), as after `systemctl start wharf.socket`.
mod common;

use common::Daemon;

#[test]
fn daemon_serves_a_socket_passed_by_systemd() {
    let mut d = Daemon::start();
    d.stop();
    d.restart_socket_activated();
    // The CLI and the docker CLI reach it on the usual path.
    d.wharf(&["ps", "-a"]).success();
    let o = d.wharf(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "echo",
        "hello",
    ]);
    assert_eq!(o.success().out(), "hello");
    d.docker(&["version"]).success();
    // Stopping it leaves the socket to its owner (systemd), unlike a
    // daemon that bound it itself.
    d.stop();
    assert!(d.sock().exists(), "the passed socket file stays");
}

#[test]
fn fd_host_without_activation_is_a_clear_error() {
    let o = common::run_cmd(
        {
            let mut c = std::process::Command::new(common::WHARF);
            c.args(["daemon", "-H", "fd://", "--data-root", "/tmp/wh-noact/d"])
                .args(["--exec-root", "/tmp/wh-noact/e"]);
            c
        },
        None,
        std::time::Duration::from_secs(30),
    );
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("socket activation"), "{}", o.stderr);
    let _ = std::fs::remove_dir_all("/tmp/wh-noact");
}
