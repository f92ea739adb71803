//! Property test (issue 9): image references never panic the parser.
//! Seeded random strings from the reference grammar's characters plus
//! arbitrary Unicode; `WHARF_FUZZ_CASES` raises the count.

use wharf_image::reference::{parse_tag_target, Reference};

#[test]
fn reference_parser_never_panics() {
    const PIECES: &[&str] = &[
        "busybox",
        "library/",
        "/",
        ":",
        "@",
        "sha256:",
        "latest",
        "localhost",
        ":5000",
        "example.com",
        ".",
        "-",
        "_",
        "__",
        "a",
        "A",
        "0",
        "[::1]",
        "0123456789abcdef",
        "",
        " ",
        "é",
        "\0",
        "//",
        "::",
    ];
    let cases: usize = std::env::var("WHARF_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut x: u64 = 0x853c_49e6_748f_ea9b;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..cases {
        let mut s = String::new();
        for _ in 0..next() % 10 {
            if next() % 6 == 0 {
                s.push(char::from_u32((next() % 0x11_0000) as u32).unwrap_or('x'));
            } else {
                s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
        }
        if next() % 8 == 0 {
            s = s.repeat(40);
        }
        let _ = Reference::parse(&s);
        let _ = parse_tag_target(&s);
    }
}
