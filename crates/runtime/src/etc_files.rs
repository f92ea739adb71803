//! Generated `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` for a
//! container, written into a per-container directory and bind-mounted.

use std::path::{Path, PathBuf};

use wharf_api::error::ErrorKind;

/// Errors writing the generated files.
#[derive(Debug, thiserror::Error)]
#[error("writing container file {path:?}: {source}")]
pub struct EtcFilesError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

impl EtcFilesError {
    /// Always an internal error.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// The hosts file Docker writes for a container on no user network.
pub fn hosts_content(hostname: &str) -> String {
    let mut s = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n",
    );
    if !hostname.is_empty() {
        s.push_str(&format!("127.0.1.1\t{hostname}\n"));
    }
    s
}

/// The host's resolv.conf without loopback nameservers (unreachable from a
/// new network namespace), as Docker filters it.
pub fn filter_resolv_conf(host: &str) -> String {
    host.lines()
        .filter(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next()) {
                (Some("nameserver"), Some(addr)) => !(addr.starts_with("127.") || addr == "::1"),
                _ => true,
            }
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Writes `hostname`, `hosts` and `resolv.conf` into `dir` (created if
/// missing); `resolv_source` is normally `/etc/resolv.conf`.
pub fn write_etc_files(
    dir: &Path,
    hostname: &str,
    resolv_source: &Path,
) -> Result<(), EtcFilesError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EtcFilesError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let resolv = std::fs::read_to_string(resolv_source).unwrap_or_default();
    let files = [
        ("hostname", format!("{hostname}\n")),
        ("hosts", hosts_content(hostname)),
        ("resolv.conf", filter_resolv_conf(&resolv)),
    ];
    for (name, content) in files {
        let p = dir.join(name);
        wharf_sys::fs::write_atomic(&p, content.as_bytes()).map_err(err(&p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_nameservers_are_dropped() {
        let out = filter_resolv_conf("nameserver 127.0.0.53\noptions edns0\nsearch x\n");
        assert_eq!(out, "options edns0\nsearch x\n");
        let out = filter_resolv_conf("nameserver 10.0.0.2\n");
        assert_eq!(out, "nameserver 10.0.0.2\n");
    }

    #[test]
    fn writes_three_files() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::write(&src, "nameserver 127.0.0.1\n").unwrap();
        write_etc_files(&d.path().join("etc"), "box", &src).unwrap();
        let rd = |n: &str| std::fs::read_to_string(d.path().join("etc").join(n)).unwrap();
        assert_eq!(rd("hostname"), "box\n");
        assert!(rd("hosts").contains("127.0.1.1\tbox"));
        assert_eq!(rd("resolv.conf"), "");
    }
}
