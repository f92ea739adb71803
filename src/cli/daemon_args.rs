//! Flags of `wharf daemon` (the daemon itself lives in `wharf-daemon`).

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// Socket to listen on (unix:///path)
    #[arg(short = 'H', long = "host")]
    pub host: Option<String>,
    /// Root of persistent state
    #[arg(long = "data-root", default_value = "/var/lib/wharf")]
    pub data_root: PathBuf,
    /// Root of runtime state
    #[arg(long = "exec-root", default_value = "/run/wharf")]
    pub exec_root: PathBuf,
    /// Default OCI runtime (libcontainer or runc)
    #[arg(
        long = "default-runtime",
        alias = "runtime",
        default_value = "libcontainer"
    )]
    pub runtime: String,
    /// Attach containers to this Linux bridge (the default `bridge` network)
    #[arg(short = 'b', long = "bridge", default_value = "")]
    pub bridge: String,
    /// The default bridge's IP and netmask (CIDR, e.g. 172.17.0.1/16)
    #[arg(long = "bip", default_value = "")]
    pub bip: String,
    /// Registry (host:port) to reach over plain HTTP; repeatable
    #[arg(long = "insecure-registry")]
    pub insecure_registries: Vec<String>,
    /// Remount the host's cgroup2 mount with favordynmods (Linux 6.0+):
    /// container starts stop waiting for an RCU grace period per cgroup
    /// move; fork and exit get slightly dearer, host-wide, until reboot
    #[arg(long = "cgroup-favordynmods")]
    pub cgroup_favordynmods: bool,
    /// Monitors kept started ahead of any container, so a start skips a
    /// monitor's process start-up (0: none; an idle one costs about 0.3 MiB of its own)
    #[arg(long = "warm-monitors", default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u16).range(0..=64))]
    pub warm_monitors: u16,
    /// Keep the exec root on a tmpfs of its own when it is on disk (as
    /// /run is on some hosts); =false keeps it where it is
    #[arg(long = "exec-root-tmpfs", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub exec_root_tmpfs: bool,
}
