//! wharf-volume owns data that outlives containers: validated volume names,
//! the `VolumeDriver` trait and the `local` driver (`<root>/<name>/_data`
//! plus crash-safe metadata), the `VolumeStore` with container references
//! (the in-use check), volume export/import as tar, Docker's copy-up of
//! image content into an empty volume, and the parsing/validation of mount
//! specs (`--mount`, `-v`/Binds, `--tmpfs`).
//!
//! It must not touch containers, HTTP or the CLI: the daemon resolves a
//! container's mounts with this crate and wires them into the runtime; the
//! wire types live in `wharf_api`. Raw syscalls it needs (mount, umount,
//! chown) go through `nix`'s safe wrappers; no `unsafe` here.

// Names, sizes and mount specs are pure parsing shared with the CLI; they
// live in wharf_api and keep their old paths here.
pub use wharf_api::mount_spec as spec;
pub use wharf_api::size;
pub use wharf_api::volume_name as name;

pub use name::VolumeName;
pub mod archive;
pub mod copy;
pub mod fsutil;

pub use copy::copy_up;
pub mod driver;
pub mod error;
pub mod local;

pub use driver::VolumeDriver;
pub use error::VolumeError;
pub use local::LocalDriver;
pub mod filters;
pub mod store;

pub use filters::ListFilters;
pub use store::{VolumeStore, ANONYMOUS_LABEL};
