//! The `local` driver: `<root>/<name>/_data` holds a volume's data and
//! `<root>/<name>/volume.json` its metadata (written with `write_atomic`).
//! A volume is built in `<root>/.creating-<name>` and renamed into place,
//! and removed by renaming it to `<root>/.removing-<name>` first, so a crash
//! never leaves half a volume; leftovers are cleaned when the driver opens.
//! Typed volumes (`type=tmpfs`, `type=none o=bind`) are mounted on `_data`
//! by the first container that uses them and unmounted after the last.

pub mod options;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use nix::fcntl::{renameat2, RenameFlags};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use wharf_api::volume::Volume;

use crate::archive;
use crate::driver::VolumeDriver;
use crate::error::{Result, VolumeError};
use crate::fsutil;
use crate::name::VolumeName;
use options::LocalKind;

pub const DRIVER_NAME: &str = "local";
const DATA_DIR: &str = "_data";
const META_FILE: &str = "volume.json";
const CREATING: &str = ".creating-";
const REMOVING: &str = ".removing-";
const IMPORTING: &str = ".import-";

static SCRATCH: AtomicU64 = AtomicU64::new(0);

fn scratch_id() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        SCRATCH.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Default)]
struct State {
    volumes: BTreeMap<String, Volume>,
    /// Users of each mounted volume (container ids, or export scratch ids).
    active: HashMap<String, BTreeSet<String>>,
    /// Volumes whose data is being replaced by an import.
    importing: HashSet<String>,
}

/// Docker's local volume driver.
pub struct LocalDriver {
    root: PathBuf,
    state: Mutex<State>,
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn rfc3339_of(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(now_rfc3339)
}

/// Whether `p` is a directory and not a symlink.
fn real_dir(p: &Path) -> io::Result<bool> {
    Ok(fs::symlink_metadata(p)?.is_dir())
}

impl LocalDriver {
    /// Opens (creating it 0701 if needed) the volume root, e.g.
    /// `<data-root>/volumes`, loads every volume in it and removes what a
    /// crash left half-made.
    pub fn open(root: &Path) -> Result<Self> {
        let io_root = |e: io::Error| VolumeError::io("open", "root")(e);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o701)
            .create(root)
            .map_err(io_root)?;
        let root = root.canonicalize().map_err(io_root)?;
        let mut state = State::default();
        for entry in fs::read_dir(&root).map_err(io_root)? {
            let entry = entry.map_err(io_root)?;
            let fname = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if fname.starts_with(CREATING) || fname.starts_with(REMOVING) {
                if real_dir(&path).unwrap_or(false) {
                    if let Err(e) = fs::remove_dir_all(&path) {
                        tracing::warn!(path = %path.display(), error = %e, "cannot remove leftover volume directory");
                    }
                }
                continue;
            }
            if VolumeName::new(&fname).is_err() || !real_dir(&path).unwrap_or(false) {
                continue;
            }
            clean_imports(&path);
            let vol = load_meta(&root, &fname);
            state.volumes.insert(fname, vol);
        }
        Ok(LocalDriver {
            root,
            state: Mutex::new(state),
        })
    }

    /// The (canonical) volume root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expected_data(&self, name: &str) -> PathBuf {
        self.root.join(name).join(DATA_DIR)
    }

    /// `_data` of `name`, after checking that neither `<name>` nor `_data`
    /// is a symlink and that the real path is the expected one.
    fn checked_data(&self, name: &str) -> Result<PathBuf> {
        let escape = |p: &Path| VolumeError::Escape {
            name: name.to_string(),
            path: p.to_path_buf(),
        };
        let vdir = self.root.join(name);
        if !real_dir(&vdir).map_err(VolumeError::io("open", name))? {
            return Err(escape(&vdir));
        }
        let data = vdir.join(DATA_DIR);
        match fs::symlink_metadata(&data) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(escape(&data)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Someone deleted `_data` by hand; give the volume an empty one.
                fs::DirBuilder::new()
                    .mode(0o755)
                    .create(&data)
                    .map_err(VolumeError::io("open", name))?;
            }
            Err(e) => return Err(VolumeError::io("open", name)(e)),
        }
        let real = data.canonicalize().map_err(VolumeError::io("open", name))?;
        if real != self.expected_data(name) {
            return Err(escape(&data));
        }
        Ok(real)
    }

    fn volume(&self, st: &State, name: &str) -> Result<(Volume, LocalKind)> {
        let v = st
            .volumes
            .get(name)
            .cloned()
            .ok_or_else(|| VolumeError::NotFound(name.to_string()))?;
        let kind = options::parse(&v.options)?;
        Ok((v, kind))
    }

    fn build(&self, tmp: &Path, vol: &Volume, kind: &LocalKind) -> Result<()> {
        let name = vol.name.as_str();
        let data = tmp.join(DATA_DIR);
        let mut b = fs::DirBuilder::new();
        b.mode(0o755);
        b.create(tmp).map_err(VolumeError::io("create", name))?;
        b.create(&data).map_err(VolumeError::io("create", name))?;
        if let LocalKind::Plain { uid, gid } = kind {
            if uid.is_some() || gid.is_some() {
                std::os::unix::fs::lchown(&data, *uid, *gid)
                    .map_err(VolumeError::io("create", name))?;
            }
        }
        let json = serde_json::to_vec_pretty(vol)
            .map_err(|e| VolumeError::io("create", name)(io::Error::other(e)))?;
        wharf_sys::fs::write_atomic(&tmp.join(META_FILE), &json)
            .map_err(VolumeError::io("create", name))?;
        fs::rename(tmp, self.root.join(name)).map_err(VolumeError::io("create", name))?;
        wharf_sys::fs::sync_dir(&self.root).map_err(VolumeError::io("create", name))
    }
}

/// Reads `volume.json`; a volume directory without (readable) metadata, as
/// Docker's own directories have, is adopted as a plain volume.
fn load_meta(root: &Path, name: &str) -> Volume {
    let dir = root.join(name);
    let mountpoint = dir.join(DATA_DIR).to_string_lossy().into_owned();
    let parsed = fs::read(dir.join(META_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<Volume>(&b).ok());
    let mut v = parsed.unwrap_or_else(|| {
        let mtime = fs::metadata(&dir).map(|m| m.mtime()).unwrap_or(0);
        Volume {
            created_at: rfc3339_of(mtime),
            ..Volume::default()
        }
    });
    v.name = name.to_string();
    v.driver = DRIVER_NAME.to_string();
    v.mountpoint = mountpoint;
    v.scope = "local".to_string();
    v.usage_data = None;
    v
}

fn clean_imports(vdir: &Path) {
    let Ok(rd) = fs::read_dir(vdir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // Our import scratch, and the unpacker's own temporary directory.
        if (name.starts_with(IMPORTING) || name.starts_with(wharf_archive::unpack::TEMP_PREFIX))
            && real_dir(&e.path()).unwrap_or(false)
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn do_mount(kind: &LocalKind, target: &Path) -> io::Result<()> {
    let LocalKind::Device {
        fstype,
        device,
        flags,
        data,
    } = kind
    else {
        return Ok(());
    };
    let errno = |e: nix::errno::Errno| io::Error::from_raw_os_error(e as i32);
    let data_opt = (!data.is_empty()).then_some(data.as_str());
    if flags.contains(MsFlags::MS_BIND) {
        // A bind ignores most flags on the first call: remount to apply them.
        let base = *flags & (MsFlags::MS_BIND | MsFlags::MS_REC);
        mount(
            Some(device.as_str()),
            target,
            None::<&str>,
            base,
            None::<&str>,
        )
        .map_err(errno)?;
        let rest = *flags & !(MsFlags::MS_BIND | MsFlags::MS_REC);
        if !rest.is_empty() {
            let r = mount(
                None::<&str>,
                target,
                None::<&str>,
                MsFlags::MS_REMOUNT | MsFlags::MS_BIND | rest,
                None::<&str>,
            );
            if let Err(e) = r {
                let _ = umount2(target, MntFlags::MNT_DETACH);
                return Err(errno(e));
            }
        }
        return Ok(());
    }
    mount(
        Some(device.as_str()),
        target,
        Some(fstype.as_str()),
        *flags,
        data_opt,
    )
    .map_err(errno)
}

fn do_unmount(target: &Path) -> io::Result<()> {
    if fsutil::is_mountpoint(target)? {
        umount2(target, MntFlags::MNT_DETACH)
            .map_err(|e| io::Error::from_raw_os_error(e as i32))?;
    }
    Ok(())
}

impl VolumeDriver for LocalDriver {
    fn name(&self) -> &str {
        DRIVER_NAME
    }

    fn create(
        &self,
        name: &VolumeName,
        options: &BTreeMap<String, String>,
        labels: &BTreeMap<String, String>,
    ) -> Result<Volume> {
        let mut st = self.lock();
        if let Some(v) = st.volumes.get(name.as_str()) {
            return Ok(v.clone());
        }
        let kind = options::parse(options)?;
        let vol = Volume {
            name: name.to_string(),
            driver: DRIVER_NAME.to_string(),
            mountpoint: self
                .expected_data(name.as_str())
                .to_string_lossy()
                .into_owned(),
            created_at: now_rfc3339(),
            labels: labels.clone(),
            scope: "local".to_string(),
            options: options.clone(),
            usage_data: None,
        };
        let tmp = self.root.join(format!("{CREATING}{name}"));
        if real_dir(&tmp).unwrap_or(false) {
            let _ = fs::remove_dir_all(&tmp);
        }
        if let Err(e) = self.build(&tmp, &vol, &kind) {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
        st.volumes.insert(name.to_string(), vol.clone());
        Ok(vol)
    }

    fn get(&self, name: &str) -> Result<Volume> {
        self.lock()
            .volumes
            .get(name)
            .cloned()
            .ok_or_else(|| VolumeError::NotFound(name.to_string()))
    }

    fn list(&self) -> Result<Vec<Volume>> {
        Ok(self.lock().volumes.values().cloned().collect())
    }

    fn remove(&self, name: &str) -> Result<()> {
        let mut st = self.lock();
        if !st.volumes.contains_key(name) {
            return Err(VolumeError::NotFound(name.to_string()));
        }
        if let Some(ids) = st.active.get(name).filter(|s| !s.is_empty()) {
            return Err(VolumeError::Busy {
                op: "remove",
                name: name.to_string(),
                ids: ids.iter().cloned().collect(),
            });
        }
        if st.importing.contains(name) {
            return Err(VolumeError::Busy {
                op: "remove",
                name: name.to_string(),
                ids: vec!["import".into()],
            });
        }
        let vdir = self.root.join(name);
        if !real_dir(&vdir).map_err(VolumeError::io("remove", name))? {
            return Err(VolumeError::Escape {
                name: name.to_string(),
                path: vdir,
            });
        }
        // A typed volume left mounted by a crash: unmount, or a bind's host
        // directory would be deleted with it.
        let data = vdir.join(DATA_DIR);
        do_unmount(&data).map_err(VolumeError::io("remove", name))?;
        if fsutil::is_mountpoint(&data).map_err(VolumeError::io("remove", name))? {
            return Err(VolumeError::io("remove", name)(io::Error::other(
                "_data is still a mount point",
            )));
        }
        let gone = self.root.join(format!("{REMOVING}{name}-{}", scratch_id()));
        fs::rename(&vdir, &gone).map_err(VolumeError::io("remove", name))?;
        st.volumes.remove(name);
        drop(st);
        // The name is free now. The content goes once the rename is
        // durable (a crash before leaves the volume whole or `.removing-`,
        // which the next open deletes), on a thread of its own: compose
        // `down -v` waits for no fsync. On a nearly full file system it goes
        // before the answer: removal is how users free space.
        let root = self.root.clone();
        let finish = move || {
            let _ = wharf_sys::fs::sync_dir(&root);
            // `remove_dir_all` never follows symlinks, so a planted `_data`
            // link only loses the link.
            fs::remove_dir_all(&gone)
        };
        if wharf_sys::fs::nearly_full(&self.root) {
            return finish().map_err(VolumeError::io("remove", name));
        }
        let slot = std::sync::Arc::new(Mutex::new(Some(finish)));
        let s2 = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("volume-rm".into())
            .spawn(move || {
                let job = s2.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(Err(e)) = job.map(|f| f()) {
                    tracing::warn!(error = %e, "removing a volume's content");
                }
            });
        if spawned.is_err() {
            let job = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(f) = job {
                return f().map_err(VolumeError::io("remove", name));
            }
        }
        Ok(())
    }

    fn path(&self, name: &str) -> Result<PathBuf> {
        let st = self.lock();
        self.volume(&st, name)?;
        self.checked_data(name)
    }

    fn mount(&self, name: &str, container_id: &str) -> Result<PathBuf> {
        let mut st = self.lock();
        let (_, kind) = self.volume(&st, name)?;
        if st.importing.contains(name) {
            return Err(VolumeError::Busy {
                op: "mount",
                name: name.to_string(),
                ids: vec!["import".into()],
            });
        }
        let data = self.checked_data(name)?;
        let users = st.active.entry(name.to_string()).or_default();
        if users.is_empty()
            && kind.is_device()
            && !fsutil::is_mountpoint(&data).map_err(VolumeError::io("mount", name))?
        {
            if let Err(e) = do_mount(&kind, &data) {
                st.active.remove(name);
                return Err(VolumeError::io("mount", name)(e));
            }
            tracing::debug!(volume = name, container_id, "mounted volume");
        }
        if let Some(users) = st.active.get_mut(name) {
            users.insert(container_id.to_string());
        }
        Ok(data)
    }

    fn unmount(&self, name: &str, container_id: &str) -> Result<()> {
        let mut st = self.lock();
        let Some(users) = st.active.get_mut(name) else {
            return Ok(());
        };
        users.remove(container_id);
        if !users.is_empty() {
            return Ok(());
        }
        st.active.remove(name);
        let Ok((_, kind)) = self.volume(&st, name) else {
            return Ok(());
        };
        if kind.is_device() {
            let data = self.checked_data(name)?;
            do_unmount(&data).map_err(VolumeError::io("unmount", name))?;
            tracing::debug!(volume = name, container_id, "unmounted volume");
        }
        Ok(())
    }

    fn active_mounts(&self, name: &str) -> Vec<String> {
        self.lock()
            .active
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn size(&self, name: &str) -> Result<u64> {
        let kind = {
            let st = self.lock();
            self.volume(&st, name)?.1
        };
        if kind.is_device() {
            return Ok(0);
        }
        let data = self.path(name)?;
        fsutil::dir_size(&data).map_err(VolumeError::io("size", name))
    }

    fn export(&self, name: &str, writer: &mut dyn Write) -> Result<()> {
        let user = format!("wharf-export-{}", scratch_id());
        let data = self.mount(name, &user)?;
        let r = archive::pack_dir(&data, writer).map_err(|source| VolumeError::Archive {
            op: "export",
            name: name.to_string(),
            source,
        });
        let u = self.unmount(name, &user);
        r.and(u)
    }

    fn import(&self, name: &str, reader: &mut dyn Read) -> Result<()> {
        let data = {
            let mut st = self.lock();
            let (v, kind) = self.volume(&st, name)?;
            if kind.is_device() {
                return Err(VolumeError::Unsupported {
                    op: "import",
                    name: name.to_string(),
                    reason: format!(
                        "its data lives on a type={} mount; import needs a plain local volume",
                        v.options.get("type").map(String::as_str).unwrap_or("")
                    ),
                });
            }
            let busy: Vec<String> = st
                .active
                .get(name)
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            if !busy.is_empty() || st.importing.contains(name) {
                return Err(VolumeError::Busy {
                    op: "import",
                    name: name.to_string(),
                    ids: if busy.is_empty() {
                        vec!["import".into()]
                    } else {
                        busy
                    },
                });
            }
            let data = self.checked_data(name)?;
            st.importing.insert(name.to_string());
            data
        };
        // Unpack without the lock (it may take long); `importing` keeps
        // mounts and removal away meanwhile.
        let r = self.import_unlocked(name, &data, reader);
        self.lock().importing.remove(name);
        r
    }
}

impl LocalDriver {
    fn import_unlocked(&self, name: &str, data: &Path, reader: &mut dyn Read) -> Result<()> {
        let vdir = self.root.join(name);
        let tmp = vdir.join(format!("{IMPORTING}{}", scratch_id()));
        let io = |op| VolumeError::io(op, name);
        let result = (|| {
            let stats =
                archive::unpack_into(reader, &tmp).map_err(|source| VolumeError::Archive {
                    op: "import",
                    name: name.to_string(),
                    source,
                })?;
            if !stats.root_entry {
                // A tar without a root entry keeps the volume root's metadata.
                let m = fs::metadata(data).map_err(io("import"))?;
                fsutil::apply_meta(&tmp, m.uid(), m.gid(), m.mode(), None, false)
                    .map_err(io("import"))?;
            }
            // Atomic swap: `_data` is always either the old or the new tree.
            renameat2(None, &tmp, None, data, RenameFlags::RENAME_EXCHANGE)
                .map_err(|e| io("import")(io::Error::from_raw_os_error(e as i32)))?;
            wharf_sys::fs::sync_dir(&vdir).map_err(io("import"))
        })();
        // After a swap `tmp` holds the old data; a failed unpack left none.
        match fs::remove_dir_all(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                tracing::warn!(volume = name, error = %e, "cannot remove import scratch directory")
            }
            _ => {}
        }
        result
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
