//! wharf-archive owns the one safe tar unpacker every user-supplied tar
//! goes through: image layers and imports (wharf-image) and volume imports
//! (wharf-volume). Nothing it unpacks can land outside its destination.
//! It knows nothing of images or volumes.

pub mod pack;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod unpack;

pub use pack::pack_in_root;
pub use unpack::{
    alloc_limit_for, unpack_in_root, unpack_in_root_rebased, unpack_tar, unpack_tar_with,
    UnpackError, UnpackOptions, UnpackStats,
};

#[cfg(test)]
mod unpack_fuzz_tests;
