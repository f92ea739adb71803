//! Property test (issue 9): image references never panic the parser.
//! Seeded random strings from the reference grammar's characters plus
//! arbitrary Unicode; `WHARF_FUZZ_CASES` raises the count.

use wharf_fuzzgen::{cases, Gen};
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
    let mut g = Gen::new(0x853c_49e6_748f_ea9b);
    for _ in 0..cases(20_000) {
        let mut s = g.string(PIECES, 10, 6);
        if g.below(8) == 0 {
            s = s.repeat(40);
        }
        let _ = Reference::parse(&s);
        let _ = parse_tag_target(&s);
    }
}
