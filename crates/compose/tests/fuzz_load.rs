//! Property test (issue 9 and 12's bad input): a compose file, whatever it
//! holds, loads to a project or to an error, never a panic; so does the
//! interpolation of a value, an env file and a `command:` string. Files
//! are seeded strings of compose keys, YAML structure, anchors, merge keys
//! and `${}` forms, written to a scratch project directory. Paths in them
//! are relative, so nothing outside that directory is read.

use std::collections::BTreeMap;
use wharf_compose::{interp, load, LoadOptions};
use wharf_fuzzgen::{cases, Gen};

const PIECES: &[&str] = &[
    "services:\n",
    "  web:\n",
    "  db:\n",
    "    image: busybox\n",
    "    build: .\n",
    "    build:\n",
    "      context: .\n",
    "      args:\n",
    "    ports:\n",
    "    volumes:\n",
    "    networks:\n",
    "    depends_on:\n",
    "    environment:\n",
    "    env_file: e\n",
    "    extends:\n",
    "      service: db\n",
    "      file: other.yaml\n",
    "    profiles: [p]\n",
    "    command: ",
    "    healthcheck:\n",
    "      test: ",
    "networks:\n",
    "volumes:\n",
    "include:\n",
    "  - other.yaml\n",
    "name: ",
    "version: \"3\"\n",
    "x-a: &a\n",
    "<<: *a\n",
    "*a",
    "&b ",
    "*b",
    "      - ",
    "- ",
    "\"8000:80\"",
    "8000:80/udp",
    "127.0.0.1::80",
    "./data:/data",
    "v:/v:ro",
    "type: bind",
    "condition: service_healthy",
    "${A}",
    "${A:-d}",
    "${A-d}",
    "${A:?e}",
    "${A:+x}",
    "$$",
    "$",
    "${",
    "}",
    "{",
    "[",
    "]",
    ",",
    ":",
    ": ",
    "\n",
    "  ",
    "    ",
    "\t",
    "'",
    "\"",
    "#",
    "~",
    "null",
    "true",
    "1",
    "-1",
    "1.5",
    "0o7",
    "99999999999999999999",
    "é",
    "..",
    "/",
];

#[test]
fn compose_loader_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("compose.yaml");
    std::fs::write(
        dir.path().join("other.yaml"),
        "services:\n  o:\n    image: x\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("e"), "A=1\nB\n").unwrap();
    let mut g = Gen::new(0xbb67_ae85_84ca_a73b);
    for _ in 0..cases(20_000) / 10 {
        std::fs::write(&file, g.string(PIECES, 30, 12)).unwrap();
        let _ = load(&LoadOptions {
            files: vec![file.clone()],
            project_name: Some("fuzz".into()),
            ..Default::default()
        });
    }
}

#[test]
fn interpolation_and_env_files_never_panic() {
    let vars: BTreeMap<String, String> = [("A".to_string(), "1".to_string())].into();
    let mut g = Gen::new(0x3c6e_f372_fe94_f82b);
    for _ in 0..cases(20_000) {
        let s = g.string(PIECES, 16, 6);
        let _ = interp::interpolate(&s, &vars);
        let _ = interp::parse_env_file(&s, &vars);
        let _ = wharf_compose::load::shell_split(&s);
    }
}
