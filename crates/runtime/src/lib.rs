//! wharf-runtime owns the container runtime layer: OCI bundle (`config.json`)
//! generation with Docker's defaults ([`spec`]), the generated `/etc` files
//! ([`etc_files`]), the [`oci::Runtime`] trait with its libcontainer and
//! runc drivers, and the per-container [`monitor`] process with its control
//! [`protocol`], the daemon-side [`spawn`] helpers and async [`client`].
//!
//! It must not touch container records, images, volumes or networks: the
//! daemon resolves those (rootfs mounted, mounts listed, netns path) before
//! handing a [`spec::RunSpec`] here. The monitor code path stays free of
//! tokio; only [`client`] (feature `client`) uses it.

pub mod build_id;
pub mod config;
pub mod etc_files;
pub mod monitor;
pub mod oci;
pub mod oom;
pub mod protocol;
pub mod seccomp;
pub mod seccomp_profile;
pub mod spawn;
pub mod spec;
pub mod warm;

#[cfg(feature = "client")]
pub mod client;

pub use config::{read_exit_record, MonitorConfig};
pub use monitor::{monitor_main, warm_main};
pub use protocol::{ContainerState, ExecConfig, ExecStatus, ExitRecord, Reply, Request, Status};
pub use spawn::{find_monitor, monitor_exe, spawn_monitor, spawn_monitor_with, MonitorStatus};
pub use spec::{generate_spec, write_bundle, MountEntry, NetNs, RunSpec, User};
