//! Property test (issue 9): the pure parsers never panic, whatever they
//! are given. Inputs are seeded random strings built from the characters
//! these grammars care about, plus arbitrary Unicode; `WHARF_FUZZ_CASES`
//! raises the count (default 20 000 per parser).

use wharf_api::{detach, duration, mount_spec, port, size};
use wharf_fuzzgen::{cases, Gen};

const PIECES: &[&str] = &[
    ":",
    ",",
    "=",
    "/",
    "-",
    ".",
    "..",
    "type=",
    "bind",
    "volume",
    "tmpfs",
    "src=",
    "source=",
    "dst=",
    "target=",
    "ro",
    "rw",
    "readonly",
    "z",
    "Z",
    "rshared",
    "bind-propagation=",
    "volume-opt=",
    "tmpfs-size=",
    "tmpfs-mode=",
    "nocopy",
    "0",
    "1",
    "9",
    "65535",
    "99999999999999999999",
    "-1",
    "h",
    "m",
    "s",
    "ms",
    "us",
    "µs",
    "ns",
    "k",
    "kb",
    "g",
    "t",
    "b",
    "ctrl-",
    "a",
    "@",
    "[",
    "]",
    "::1",
    "127.0.0.1",
    "tcp",
    "udp",
    "sctp",
    "\"",
    "'",
    " ",
    "\t",
    "\0",
    "é",
    "😀",
    "\\",
    "C:\\",
    "e+",
    "1e308",
    "NaN",
    "inf",
];

/// Up to 11 grammar pieces, one in five replaced by any character.
fn string(g: &mut Gen) -> String {
    g.string(PIECES, 12, 5)
}

#[test]
fn parsers_never_panic() {
    let mut g = Gen::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..cases(20_000) {
        let s = string(&mut g);
        let t = string(&mut g);
        let _ = mount_spec::parse_mount_flag(&s);
        let _ = mount_spec::parse_volume_flag_mode(&s);
        let _ = mount_spec::parse_volume_flag(&s);
        let _ = mount_spec::parse_volumes_from(&s);
        let _ = mount_spec::parse_tmpfs_flag(&s);
        let _ = mount_spec::parse_tmpfs_entry(&s, &t);
        let _ = duration::parse_go_duration(&s);
        let _ = size::parse_size(&s);
        let _ = port::parse_port_range(&s);
        let _ = port::parse_port_key(&s);
        let _ = port::parse_port_spec(&s);
        let _ = port::standard_notation(&s);
        let _ = port::parse_publish_expose(std::slice::from_ref(&s), std::slice::from_ref(&t));
        let _ = detach::detach_keys(&s);
    }
}

#[test]
fn human_duration_never_panics() {
    let mut g = Gen::new(42);
    for v in [i64::MIN, i64::MAX, -1, 0, 1] {
        let _ = duration::human_duration(v);
    }
    for _ in 0..cases(20_000) {
        let _ = duration::human_duration(g.next_u64() as i64);
    }
}
