//! `VolumeStore`: the daemon's single entry point to volumes. It picks the
//! driver by name and keeps container references, which make a volume "in
//! use" for `volume rm`/`prune` whether the container runs or not.
//! References live in memory only: the daemon rebuilds them from its
//! container records at start-up with `add_ref`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use wharf_api::volume::{Volume, VolumeCreateOptions, VolumeUsage};

use crate::driver::VolumeDriver;
use crate::error::{Result, VolumeError};
use crate::filters::ListFilters;
use crate::local::{LocalDriver, DRIVER_NAME};
use crate::name::VolumeName;

/// The label Docker 23+ puts on anonymous volumes; `prune` without `all`
/// removes only volumes carrying it.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

#[derive(Default)]
struct Inner {
    drivers: BTreeMap<String, Arc<dyn VolumeDriver>>,
    refs: HashMap<String, BTreeSet<String>>,
}

/// Volumes of all drivers plus their container references.
pub struct VolumeStore {
    inner: Mutex<Inner>,
}

impl VolumeStore {
    /// A store with the `local` driver rooted at `root`
    /// (`<data-root>/volumes`).
    pub fn open(root: &Path) -> Result<Self> {
        let store = Self::with_drivers(Vec::new());
        store.register_driver(Arc::new(LocalDriver::open(root)?));
        Ok(store)
    }

    pub fn with_drivers(drivers: Vec<Arc<dyn VolumeDriver>>) -> Self {
        let store = VolumeStore {
            inner: Mutex::new(Inner::default()),
        };
        for d in drivers {
            store.register_driver(d);
        }
        store
    }

    pub fn register_driver(&self, driver: Arc<dyn VolumeDriver>) {
        self.lock()
            .drivers
            .insert(driver.name().to_string(), driver);
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn driver(inner: &Inner, name: &str) -> Result<Arc<dyn VolumeDriver>> {
        let name = if name.is_empty() { DRIVER_NAME } else { name };
        inner
            .drivers
            .get(name)
            .cloned()
            .ok_or_else(|| VolumeError::DriverNotFound(name.to_string()))
    }

    /// The driver that has volume `name`, and the volume.
    fn find(inner: &Inner, name: &str) -> Result<(Arc<dyn VolumeDriver>, Volume)> {
        for d in inner.drivers.values() {
            match d.get(name) {
                Ok(v) => return Ok((d.clone(), v)),
                Err(VolumeError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(VolumeError::NotFound(name.to_string()))
    }

    /// Creates a volume (a random 64-hex name when `name` is empty; driver
    /// `local` when `driver` is empty). An existing volume of the same
    /// driver is returned as is, as Docker does.
    pub fn create(
        &self,
        name: &str,
        driver: &str,
        options: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Volume> {
        let vname = if name.is_empty() {
            VolumeName::random()
        } else {
            VolumeName::new(name)
        }
        .map_err(|source| VolumeError::InvalidName {
            name: name.to_string(),
            source,
        })?;
        let inner = self.lock();
        let wanted = if driver.is_empty() {
            DRIVER_NAME
        } else {
            driver
        };
        match Self::find(&inner, vname.as_str()) {
            Ok((d, v)) if d.name() == wanted => return Ok(v),
            Ok((d, _)) => {
                return Err(VolumeError::NameConflict {
                    name: vname.to_string(),
                    existing: d.name().to_string(),
                })
            }
            Err(VolumeError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        Self::driver(&inner, wanted)?.create(&vname, options, labels)
    }

    /// `POST /volumes/create`.
    pub fn create_from_api(&self, req: &VolumeCreateOptions) -> Result<Volume> {
        let empty = BTreeMap::new();
        self.create(
            &req.name,
            &req.driver,
            req.driver_opts.as_ref().unwrap_or(&empty),
            req.labels.as_ref().unwrap_or(&empty),
        )
    }

    /// A fresh anonymous volume (`-v /data`, an image's `VOLUME`), marked
    /// with [`ANONYMOUS_LABEL`].
    pub fn create_anonymous(
        &self,
        driver: &str,
        options: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Volume> {
        let mut labels = labels.clone();
        labels.insert(ANONYMOUS_LABEL.to_string(), String::new());
        self.create("", driver, options, &labels)
    }

    /// Whether the volume was created anonymous.
    pub fn is_anonymous(v: &Volume) -> bool {
        v.labels.contains_key(ANONYMOUS_LABEL)
    }

    pub fn get(&self, name: &str) -> Result<Volume> {
        Self::find(&self.lock(), name).map(|(_, v)| v)
    }

    /// Volumes passing `filters`, sorted by name.
    pub fn list(&self, filters: &ListFilters) -> Result<Vec<Volume>> {
        let inner = self.lock();
        let mut out = Vec::new();
        for d in inner.drivers.values() {
            for v in d.list()? {
                let n = inner.refs.get(&v.name).map_or(0, BTreeSet::len);
                if filters.matches(&v, n) {
                    out.push(v);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Size and reference count (`UsageData` of `/system/df`).
    pub fn usage(&self, name: &str) -> Result<VolumeUsage> {
        let (d, refs) = {
            let inner = self.lock();
            let (d, _) = Self::find(&inner, name)?;
            (d, inner.refs.get(name).map_or(0, BTreeSet::len))
        };
        Ok(VolumeUsage {
            size: i64::try_from(d.size(name)?).unwrap_or(i64::MAX),
            ref_count: refs as i64,
        })
    }

    /// Removes a volume and its data. Refused while any container
    /// references it, even with `force` (as Docker); `force` only turns
    /// "no such volume" into success.
    pub fn remove(&self, name: &str, force: bool) -> Result<()> {
        let mut inner = self.lock();
        let d = match Self::find(&inner, name) {
            Ok((d, _)) => d,
            Err(VolumeError::NotFound(_)) if force => return Ok(()),
            Err(e) => return Err(e),
        };
        if let Some(ids) = inner.refs.get(name).filter(|s| !s.is_empty()) {
            return Err(VolumeError::InUse {
                name: name.to_string(),
                ids: ids.iter().cloned().collect(),
            });
        }
        d.remove(name)?;
        inner.refs.remove(name);
        Ok(())
    }

    /// Removes unreferenced volumes: only anonymous ones unless `all`.
    /// Returns the removed names and the bytes their data used. A volume
    /// that fails to go is logged and skipped, as Docker does.
    pub fn prune(&self, all: bool) -> Result<(Vec<String>, u64)> {
        let inner = self.lock();
        let mut removed = Vec::new();
        let mut reclaimed = 0u64;
        for d in inner.drivers.values() {
            for v in d.list()? {
                if inner.refs.get(&v.name).is_some_and(|s| !s.is_empty()) {
                    continue;
                }
                if !all && !Self::is_anonymous(&v) {
                    continue;
                }
                let size = d.size(&v.name).unwrap_or(0);
                match d.remove(&v.name) {
                    Ok(()) => {
                        reclaimed += size;
                        removed.push(v.name);
                    }
                    Err(e) => {
                        tracing::warn!(volume = %v.name, error = %e, "prune: cannot remove volume")
                    }
                }
            }
        }
        Ok((removed, reclaimed))
    }

    /// Records that `container_id` uses volume `name` (at container create,
    /// and for every container record at daemon start-up).
    pub fn add_ref(&self, name: &str, container_id: &str) -> Result<()> {
        let mut inner = self.lock();
        Self::find(&inner, name)?;
        inner
            .refs
            .entry(name.to_string())
            .or_default()
            .insert(container_id.to_string());
        Ok(())
    }

    /// Drops `container_id`'s reference (container removed); unknown pairs
    /// are ignored.
    pub fn remove_ref(&self, name: &str, container_id: &str) {
        let mut inner = self.lock();
        if let Some(s) = inner.refs.get_mut(name) {
            s.remove(container_id);
            if s.is_empty() {
                inner.refs.remove(name);
            }
        }
    }

    /// Containers referencing `name`, sorted.
    pub fn refs(&self, name: &str) -> Vec<String> {
        self.lock()
            .refs
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn driver_of(&self, name: &str) -> Result<Arc<dyn VolumeDriver>> {
        Self::find(&self.lock(), name).map(|(d, _)| d)
    }

    /// Makes the volume's data available for a starting container and
    /// returns the host path to bind into it.
    pub fn mount(&self, name: &str, container_id: &str) -> Result<PathBuf> {
        self.driver_of(name)?.mount(name, container_id)
    }

    /// Releases a stopped container's mount; the last one unmounts typed
    /// volumes.
    pub fn unmount(&self, name: &str, container_id: &str) -> Result<()> {
        self.driver_of(name)?.unmount(name, container_id)
    }

    /// Host path of the volume's data (for copy-up before the first start).
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        self.driver_of(name)?.path(name)
    }

    /// Writes the volume's data as a tar (`volume export`).
    pub fn export(&self, name: &str, writer: &mut dyn Write) -> Result<()> {
        self.driver_of(name)?.export(name, writer)
    }

    /// Replaces the volume's data with a tar (`volume import`); refused
    /// while a running container has it mounted.
    pub fn import(&self, name: &str, reader: &mut dyn Read) -> Result<()> {
        self.driver_of(name)?.import(name, reader)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
