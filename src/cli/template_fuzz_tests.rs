// Property test (issue 9): a `--format` template, whatever the user types,
// parses or renders to an error, never a panic. Templates are seeded
// strings of Go-template pieces and docker's helper functions, rendered
// against a container-shaped value with maps, lists, nulls and numbers.

use super::Format;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use wharf_fuzzgen::{cases, Gen};

/// Panics inside gtmpl: its lexer runs on a thread of its own, where a
/// panic ends only that thread and surfaces as a parse error, so the
/// test counts them through the panic hook.
static GTMPL_PANICS: AtomicUsize = AtomicUsize::new(0);

const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " ",
    ".",
    ".Name",
    ".State",
    ".State.Status",
    ".Labels",
    ".Mounts",
    ".Ports",
    ".Nil",
    ".Size",
    "$",
    "$x",
    ":=",
    "=",
    "|",
    "(",
    ")",
    "range",
    "end",
    "if",
    "else",
    "with",
    "define",
    "template",
    "block",
    "not",
    "and",
    "or",
    "eq",
    "ne",
    "lt",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "json",
    "upper",
    "lower",
    "title",
    "join",
    "split",
    "truncate",
    "pad",
    "label",
    "\"",
    "\"%s\"",
    "\"%d\"",
    "\"a\"",
    "`",
    "0",
    "1",
    "-1",
    "99999999999",
    "1.5",
    "nil",
    "true",
    "\\t",
    "\\n",
    "table",
    "/*",
    "*/",
    ",",
    "'x'",
];

#[test]
fn templates_never_panic() {
    let data = json!({
        "Name": "web", "ID": "abc123",
        "State": {"Status": "running", "ExitCode": 0, "Running": true},
        "Labels": {"b": "2", "a": "1"},
        "Mounts": [{"Source": "/x", "Destination": "/y"}],
        "Ports": [], "Nil": null, "Size": 1234567,
    });
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.location().is_some_and(|l| l.file().contains("gtmpl")) {
            GTMPL_PANICS.fetch_add(1, Ordering::SeqCst);
        }
        default_hook(info)
    }));
    let mut g = Gen::new(0x1234_5678_9abc_def1);
    for _ in 0..cases(20_000) / 4 {
        let src = g.string(PIECES, 16, 8);
        if let Some(log) = std::env::var_os("WHARF_FUZZ_LOG") {
            std::fs::write(log, &src).unwrap();
        }
        if let Ok(f) = Format::parse(&src) {
            let _ = f.render(&data);
        }
    }
    assert_eq!(GTMPL_PANICS.load(Ordering::SeqCst), 0, "gtmpl panicked");
}
