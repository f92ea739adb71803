//! The data root and the exec root are private to root, as Docker's are:
//! a host user must not read a container's record (its `-e` secrets), its
//! bundle or its log, nor reach a container's layers (where a setuid binary
//! a container left would give it root). Directories get their mode when
//! they are made; [`secure`] closes what an older wharf left open, at
//! start-up.

use std::path::Path;

use wharf_sys::fs::{
    ensure_dir_mode, set_mode, MODE_PRIVATE_DIR, MODE_PRIVATE_FILE, MODE_TRAVERSE,
};

/// Creates (or fixes) the roots and the stores' directories under them,
/// then every existing container's directories and private files.
pub fn secure(data_root: &Path, exec_root: &Path) -> std::io::Result<()> {
    ensure_dir_mode(data_root, MODE_TRAVERSE)?;
    ensure_dir_mode(&data_root.join("containers"), MODE_TRAVERSE)?;
    ensure_dir_mode(&data_root.join("image"), MODE_PRIVATE_DIR)?;
    ensure_dir_mode(&data_root.join("image").join("layers"), MODE_PRIVATE_DIR)?;
    ensure_dir_mode(&data_root.join("volumes"), MODE_PRIVATE_DIR)?;
    ensure_dir_mode(exec_root, MODE_PRIVATE_DIR)?;
    ensure_dir_mode(&exec_root.join("containers"), MODE_PRIVATE_DIR)?;
    for_each_child(&data_root.join("containers"), |dir| {
        set_mode(dir, MODE_PRIVATE_DIR)?;
        fix_files(dir, |name| {
            name == "config.json" || name.ends_with("-json.log") || name.contains("-json.log.")
        })
    })?;
    for_each_child(&exec_root.join("containers"), |dir| {
        set_mode(dir, MODE_PRIVATE_DIR)?;
        let bundle = dir.join("bundle");
        if bundle.is_dir() {
            set_mode(&bundle, MODE_PRIVATE_DIR)?;
            fix_files(&bundle, |name| name.ends_with(".json"))?;
        }
        Ok(())
    })
}

fn for_each_child(
    dir: &Path,
    mut f: impl FnMut(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)?.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            f(&e.path())?;
        }
    }
    Ok(())
}

fn fix_files(dir: &Path, wanted: impl Fn(&str) -> bool) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name();
        if e.file_type().is_ok_and(|t| t.is_file()) && wanted(&name.to_string_lossy()) {
            set_mode(&e.path(), MODE_PRIVATE_FILE)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn opens_nothing_and_closes_what_was_open() {
        let tmp = std::env::temp_dir().join(format!("wharf-private-{}", std::process::id()));
        let (data, exec) = (tmp.join("data"), tmp.join("exec"));
        let c = data.join("containers").join("abc");
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("config.json"), "{}").unwrap();
        std::fs::write(c.join("abc-json.log"), "").unwrap();
        std::fs::write(c.join("hosts"), "").unwrap();
        let b = exec.join("containers").join("abc").join("bundle");
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("config.json"), "{}").unwrap();
        for p in [&data, &c, &exec, &b] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        secure(&data, &exec).unwrap();
        assert_eq!(mode(&data), 0o710);
        assert_eq!(mode(&data.join("containers")), 0o710);
        assert_eq!(mode(&data.join("image/layers")), 0o700);
        assert_eq!(mode(&data.join("volumes")), 0o700);
        assert_eq!(mode(&c), 0o700);
        assert_eq!(mode(&c.join("config.json")), 0o600);
        assert_eq!(mode(&c.join("abc-json.log")), 0o600);
        // Bind-mounted into the container, read by its users.
        assert_eq!(mode(&c.join("hosts")), 0o644);
        assert_eq!(mode(&exec), 0o700);
        assert_eq!(mode(&b), 0o700);
        assert_eq!(mode(&b.join("config.json")), 0o600);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
