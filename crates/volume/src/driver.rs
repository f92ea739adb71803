//! The `VolumeDriver` trait: what the store needs from a driver, chosen by
//! name (`local` is the only built-in one).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;

use wharf_api::volume::Volume;

use crate::error::Result;
use crate::name::VolumeName;

/// A volume driver. Implementations are shared between threads and do
/// their own locking. `container_id` in `mount`/`unmount` identifies a user
/// of the mount, so a driver can mount on first use and unmount after the
/// last one (mounting twice for one id counts once).
pub trait VolumeDriver: Send + Sync {
    /// The name users pass as `--driver`.
    fn name(&self) -> &str;
    /// Creates a volume. Creating an existing volume returns it unchanged,
    /// as Docker does.
    fn create(
        &self,
        name: &VolumeName,
        options: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Volume>;
    fn get(&self, name: &str) -> Result<Volume>;
    fn list(&self) -> Result<Vec<Volume>>;
    /// Removes the volume and its data; refused while it is mounted.
    fn remove(&self, name: &str) -> Result<()>;
    /// The host directory holding the volume's data (checked to be a real
    /// directory inside the driver's root). For typed volumes it only holds
    /// the data while mounted.
    fn path(&self, name: &str) -> Result<PathBuf>;
    /// Makes the data available for `container_id` and returns its path.
    fn mount(&self, name: &str, container_id: &str) -> Result<PathBuf>;
    /// Releases `container_id`'s use; the last user unmounts.
    fn unmount(&self, name: &str, container_id: &str) -> Result<()>;
    /// Ids currently holding a mount of the volume.
    fn active_mounts(&self, name: &str) -> Vec<String>;
    /// Bytes used by the volume's data (0 for typed volumes).
    fn size(&self, name: &str) -> Result<u64>;
    /// Writes the volume's data as a tar.
    fn export(&self, name: &str, writer: &mut dyn Write) -> Result<()>;
    /// Replaces the volume's data by the tar in `reader`, all or nothing.
    fn import(&self, name: &str, reader: &mut dyn Read) -> Result<()>;
}
