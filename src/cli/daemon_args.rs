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
}
