//! `/version` carries the fields Docker's does, and `docker version` shows them.
mod common;

use common::{has_docker, Daemon};

#[test]
fn version_fields_as_docker() {
    let d = Daemon::start_bare();
    let (st, v) = d.api("GET", "/version", None);
    assert_eq!(st, 200);
    assert_eq!(v["Experimental"], false, "{v}");
    assert_eq!(v["ApiVersion"], "1.44");
    assert!(!v["KernelVersion"].as_str().unwrap().is_empty());
    let engine = &v["Components"][0];
    assert_eq!(engine["Name"], "Engine");
    for k in [
        "ApiVersion",
        "MinAPIVersion",
        "Arch",
        "Os",
        "KernelVersion",
        "Experimental",
        "GoVersion",
        "GitCommit",
        "BuildTime",
    ] {
        assert!(
            engine["Details"].get(k).is_some(),
            "Details.{k} missing: {v}"
        );
    }
    assert_eq!(engine["Details"]["Arch"], v["Arch"]);
    let has_runc = std::process::Command::new("runc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let names: Vec<&str> = v["Components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names.contains(&"runc"), has_runc, "{names:?}");
    if has_docker() {
        let o = d.docker(&["version"]);
        let out = &o.success().stdout;
        let server = out.split("Server:").nth(1).unwrap_or_default();
        let flat = server.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("Experimental: false"), "{out}");
        assert!(
            flat.contains("API version: 1.44 (minimum version 1.24)"),
            "{out}"
        );
        if has_runc {
            assert!(out.contains(" runc:"), "{out}");
        }
    }
}
