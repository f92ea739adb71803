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

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0width$o}", v, width = field.len() - 1);
    field[..s.len()].copy_from_slice(s.as_bytes());
    field[s.len()..].fill(0);
}

/// A GNU sparse entry (`S`) of apparent size `real` whose data is `chunks`
/// (offset, bytes); everything else is a hole. At most 4 chunks.
pub fn sparse_tar(name: &str, real: u64, chunks: &[(u64, &[u8])]) -> Vec<u8> {
    assert!(chunks.len() <= 4);
    let mut h = tar::Header::new_gnu();
    let data: Vec<u8> = chunks.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    {
        let g = h.as_gnu_mut().unwrap();
        g.name[..name.len()].copy_from_slice(name.as_bytes());
        for (i, (off, d)) in chunks.iter().enumerate() {
            octal(&mut g.sparse[i].offset, *off);
            octal(&mut g.sparse[i].numbytes, d.len() as u64);
        }
        octal(&mut g.realsize, real);
    }
    h.set_entry_type(EntryType::GNUSparse);
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_600_000_000);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &data[..]).unwrap();
    b.into_inner().unwrap()
}

/// A tar of one regular file preceded by a PAX header with `records`
/// (`SCHILY.xattr.security.capability` and the like).
pub fn pax_file_tar(name: &str, data: &[u8], records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut body = Vec::new();
    for (k, v) in records {
        // "<len> <key>=<value>\n", where len counts itself.
        let rest = k.len() + v.len() + 3;
        let mut len = rest + 1;
        while len.to_string().len() + rest != len {
            len += 1;
        }
        body.extend_from_slice(format!("{len} {k}=").as_bytes());
        body.extend_from_slice(v);
        body.push(b'\n');
    }
    let mut ph = tar::Header::new_ustar();
    ph.set_path("PaxHeaders/x").unwrap();
    ph.set_entry_type(EntryType::XHeader);
    ph.set_size(body.len() as u64);
    ph.set_cksum();
    b.append(&ph, &body[..]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_path(name).unwrap();
    h.set_size(data.len() as u64);
    h.set_mode(0o755);
    h.set_cksum();
    b.append(&h, data).unwrap();
    b.into_inner().unwrap()
}
