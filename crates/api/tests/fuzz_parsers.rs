//! Property test (issue 9): the pure parsers never panic, whatever they
//! are given. Inputs are seeded random strings built from the characters
//! these grammars care about, plus arbitrary Unicode; `WHARF_FUZZ_CASES`
//! raises the count (default 20 000 per parser).

use wharf_api::{detach, duration, mount_spec, port, size};

/// A small xorshift generator: reproducible from its seed, no dependency.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn string(&mut self) -> String {
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
        let n = self.below(12);
        let mut s = String::new();
        for _ in 0..n {
            if self.below(5) == 0 {
                let c = char::from_u32(self.below(0x11_0000) as u32).unwrap_or('x');
                s.push(c);
            } else {
                s.push_str(PIECES[self.below(PIECES.len() as u64) as usize]);
            }
        }
        s
    }
}

fn cases() -> usize {
    std::env::var("WHARF_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

#[test]
fn parsers_never_panic() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for _ in 0..cases() {
        let s = g.string();
        let t = g.string();
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
    let mut g = Gen(42);
    for v in [i64::MIN, i64::MAX, -1, 0, 1] {
        let _ = duration::human_duration(v);
    }
    for _ in 0..cases() {
        let _ = duration::human_duration(g.next() as i64);
    }
}
