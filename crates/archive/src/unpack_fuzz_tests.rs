// Property test (issue 9): the tar unpacker never panics on a damaged
// archive. Valid archives (files, dirs, links, sparse, pax records) are
// mutated by a seeded generator (bytes flipped, runs overwritten,
// truncation) and unpacked into a scratch directory; each case must end
// in `Ok` or an error, and nothing may land outside the scratch root.

use crate::testing::{dir, file, link, pax_file_tar, sparse_tar, tar_of};
use crate::{unpack_tar_with, UnpackOptions};
use tar::EntryType;
use wharf_fuzzgen::Gen;

fn seeds() -> Vec<Vec<u8>> {
    vec![
        tar_of(&[dir("a/"), file("a/f", b"hello"), file("b", b"x")]),
        tar_of(&[
            link("l", EntryType::Symlink, "../../etc"),
            link("h", EntryType::Link, "b"),
            file("b", b"data"),
        ]),
        tar_of(&[
            file(".wh.gone", b""),
            dir("d/"),
            file("d/.wh..wh..opq", b""),
        ]),
        sparse_tar("s", 1 << 20, &[(0, b"head"), (4096, b"tail")]),
        pax_file_tar(
            "p",
            b"pax",
            &[("path", b"renamed"), ("SCHILY.xattr.user.k", b"v")],
        ),
    ]
}

#[test]
fn unpacker_never_panics_on_damaged_archives() {
    // A case unpacks an archive to disk: a twentieth of the string count.
    let cases = wharf_fuzzgen::cases(12_000) / 20;
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Gen::new(0x2545_f491_4f6c_dd1d);
    let seeds = seeds();
    for i in 0..cases {
        let mut t = seeds[i % seeds.len()].clone();
        for _ in 0..=g.below(8) {
            let len = t.len() as u64;
            if len == 0 {
                break;
            }
            match g.below(4) {
                0 => {
                    let at = g.below(len) as usize;
                    t[at] ^= 1 << g.below(8);
                }
                1 => {
                    let at = g.below(len) as usize;
                    t[at] = g.next_u64() as u8;
                }
                2 => {
                    // A digit run in a header field (sizes, modes, checksums).
                    let at = g.below(len) as usize;
                    for b in t.iter_mut().skip(at).take(12) {
                        *b = b'0' + g.below(8) as u8;
                    }
                }
                _ => t.truncate(g.below(len + 1) as usize),
            }
        }
        let dest = tmp.path().join(format!("case{i}"));
        let opts = UnpackOptions {
            overlay_whiteouts: g.below(2) == 0,
            max_alloc: Some(64 << 20),
            ..Default::default()
        };
        let _ = unpack_tar_with(&t[..], &dest, opts);
        let _ = std::fs::remove_dir_all(&dest);
    }
    // Nothing escaped the scratch directory's parent.
    assert!(!tmp.path().parent().unwrap().join("etc").join("f").exists());
}
