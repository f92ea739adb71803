//! Builds tars in memory for tests, hostile names included (which
//! `tar::Builder` refuses to write). Compiled for tests and for crates
//! that enable the `testing` feature in their dev-dependencies.

use tar::EntryType;

/// A tar entry built from raw header fields, so hostile names (which
/// `tar::Builder` refuses to write) can be produced.
pub struct Raw<'a> {
    pub name: &'a str,
    pub kind: EntryType,
    pub data: &'a [u8],
    pub link: &'a str,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

pub fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name,
        kind: EntryType::Regular,
        data,
        link: "",
        mode: 0o644,
        uid: 0,
        gid: 0,
    }
}

pub fn dir(name: &str) -> Raw<'_> {
    Raw {
        kind: EntryType::Directory,
        mode: 0o755,
        ..file(name, b"")
    }
}

pub fn link<'a>(name: &'a str, kind: EntryType, target: &'a str) -> Raw<'a> {
    Raw {
        kind,
        link: target,
        mode: 0o777,
        ..file(name, b"")
    }
}

pub fn tar_of(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        {
            let g = h.as_gnu_mut().unwrap();
            g.name[..e.name.len()].copy_from_slice(e.name.as_bytes());
            g.linkname[..e.link.len()].copy_from_slice(e.link.as_bytes());
        }
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(e.mode);
        h.set_uid(e.uid);
        h.set_gid(e.gid);
        h.set_mtime(1_600_000_000);
        h.set_cksum();
        b.append(&h, e.data).unwrap();
    }
    b.into_inner().unwrap()
}
