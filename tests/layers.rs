//! Layers as real images carry them (issue 11): symlinks are stored as
//! they are and what is written through them stays inside the root,
//! xattrs (file capabilities) survive unpack and pack, GNU sparse entries
//! keep their holes, and entries that climb out are refused clearly.
mod common;

use common::{busybox_tar, run_cmd, Daemon};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(60);

/// The busybox rootfs plus `extra` (python statements on tarfile `t`
/// with helpers `f(name, data, **attrs)` and `l(name, target, kind)`),
/// written to `out`.
fn busybox_plus(out: &Path, extra: &str) {
    let script = format!(
        "import io, sys, tarfile\n\
         src = tarfile.open(sys.argv[1])\n\
         t = tarfile.open(sys.argv[2], 'w', format=tarfile.PAX_FORMAT)\n\
         for m in src.getmembers():\n    t.addfile(m, src.extractfile(m) if m.isfile() else None)\n\
         def f(name, data=b'x', pax=None, **kw):\n    i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o755\n    if pax: i.pax_headers = pax\n    for k, v in kw.items(): setattr(i, k, v)\n    t.addfile(i, io.BytesIO(data))\n\
         def l(name, target, kind=tarfile.SYMTYPE):\n    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n\
         {extra}\nt.close()\n"
    );
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).arg(busybox_tar()).arg(out);
    run_cmd(cmd, None, T).success();
}

fn file(d: &Daemon, name: &str) -> PathBuf {
    d.tmp().join(name)
}

/// Docker's result for `lib/up -> ../../../../../../etc` and for a file
/// under a symlinked parent: both stored, both inside the root.
#[test]
fn symlinks_are_judged_by_what_is_written_through_them() {
    let d = Daemon::start_bare();
    let tar = file(&d, "links.tar");
    busybox_plus(
        &tar,
        "l('lib/up', '../../../../../../etc')\nl('a', '/etc')\nf('a/wharf-through', b'through')",
    );
    d.wharf(&["import", tar.to_str().unwrap(), "links:1"])
        .success();
    let o = d.wharf(&["run", "--rm", "links:1", "sh", "-c",
        "readlink /lib/up; cat /etc/wharf-through; echo; test -f /lib/up/passwd && echo resolves-to-etc"]);
    assert_eq!(
        o.success().out(),
        "../../../../../../etc\nthrough\nresolves-to-etc"
    );
}

#[test]
fn entries_that_climb_out_are_refused() {
    let d = Daemon::start_bare();
    for (i, extra) in [
        "f('../escape')",
        "l('hl', '../../etc/passwd', tarfile.LNKTYPE)",
    ]
    .iter()
    .enumerate()
    {
        let tar = file(&d, &format!("bad{i}.tar"));
        busybox_plus(&tar, extra);
        let o = d.wharf(&["import", tar.to_str().unwrap(), &format!("bad:{i}")]);
        assert_ne!(o.code, 0, "{o}");
        assert!(o.stderr.contains("refusing to unpack tar entry"), "{o}");
        assert!(o.stderr.contains("leads outside the destination"), "{o}");
        let o = d.wharf(&["image", "inspect", &format!("bad:{i}")]);
        assert_ne!(o.code, 0, "nothing stored: {o}");
    }
}

/// iputils' ping carries `cap_net_raw=ep` in a PAX record: kept on
/// unpack (visible in the layer), written again by `export`.
#[test]
fn file_capabilities_survive_import_and_export() {
    let d = Daemon::start_bare();
    let tar = file(&d, "caps.tar");
    // vfs_cap_data v2: magic 0x02000001, effective; permitted cap_net_raw (bit 13).
    busybox_plus(
        &tar,
        "cap = bytes([1,0,0,2, 0,0x20,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0])\n\
         f('bin/ping', b'not really ping', pax={'SCHILY.xattr.security.capability': cap.decode('latin-1')})",
    );
    d.wharf(&["import", tar.to_str().unwrap(), "caps:1"])
        .success();
    d.wharf(&["create", "--name", "capbox", "caps:1", "true"])
        .success();
    let out = file(&d, "export.tar");
    d.wharf(&["export", "-o", out.to_str().unwrap(), "capbox"])
        .success();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", "import sys, tarfile\nt = tarfile.open(sys.argv[1])\nm = t.getmember('bin/ping')\nv = m.pax_headers.get('SCHILY.xattr.security.capability')\nprint(v.encode('latin-1', 'surrogateescape').hex() if v else 'none')"])
        .arg(&out);
    let o = run_cmd(cmd, None, T);
    assert_eq!(
        o.success().out(),
        "0100000200200000000000000000000000000000"
    );
}

/// A 10 KB tar holding a 512 MiB GNU sparse file unpacks to a file with
/// holes, in `import` and in `volume import`.
#[test]
fn sparse_entries_keep_their_holes() {
    let d = Daemon::start_bare();
    let dir = file(&d, "sparse");
    std::fs::create_dir_all(&dir).unwrap();
    let tar = file(&d, "sparse.tar");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("truncate -s 512M big && printf head | dd of=big conv=notrunc status=none && tar --format=gnu -S -cf \"$1\" big")
        .arg("sh")
        .arg(&tar)
        .current_dir(&dir);
    run_cmd(sh, None, T).success();
    assert!(std::fs::metadata(&tar).unwrap().len() < 64 * 1024);
    d.wharf(&["import", tar.to_str().unwrap(), "sparse:1"])
        .success();
    let vol = format!("sparse{}", std::process::id());
    d.wharf(&["volume", "create", &vol]).success();
    d.wharf(&["volume", "import", &vol, tar.to_str().unwrap()])
        .success();
    // Every unpacked copy of `big` under the data root: apparent 512 MiB,
    // allocated next to nothing.
    let mut found = 0;
    let mut stack = vec![d.data_root()];
    while let Some(p) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&p) else {
            continue;
        };
        for e in rd.flatten() {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else if e.file_name() == "big" {
                use std::os::unix::fs::MetadataExt;
                assert_eq!(m.len(), 512 << 20);
                assert!(
                    m.blocks() * 512 < 4 << 20,
                    "{}: {} bytes allocated",
                    e.path().display(),
                    m.blocks() * 512
                );
                found += 1;
            }
        }
    }
    assert_eq!(found, 2, "one in the image layer, one in the volume");
    d.wharf(&["volume", "rm", &vol]).success();
}
