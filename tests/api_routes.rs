//! Issue 8: every route of the Engine API v1.44 spec is served. Each
//! method and path the spec lists is sent to a real daemon, with path
//! parameters naming objects that do not exist and no body, and the answer
//! must not be the router's `page not found`: a 404 for the missing object,
//! a 400 for the missing body, a 503 outside a swarm are all served routes.
//! What is still unserved is listed in `LEFT`, with the issue that owns it;
//! the test fails both for a new gap and for a gap that was closed and left
//! in the list.
mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::Daemon;

const SPEC: &str = "../shared/specs/docker-engine-api-v1.44.yaml";

/// Routes not served yet, each with the issue that owns it.
const LEFT: &[(&str, &str, &str)] = &[
    // Plugins are outside the container API (issue 8 excludes them).
    ("GET", "/plugins", "plugins"),
    ("GET", "/plugins/privileges", "plugins"),
    ("POST", "/plugins/pull", "plugins"),
    ("GET", "/plugins/{name}/json", "plugins"),
    ("DELETE", "/plugins/{name}", "plugins"),
    ("POST", "/plugins/{name}/enable", "plugins"),
    ("POST", "/plugins/{name}/disable", "plugins"),
    ("POST", "/plugins/{name}/upgrade", "plugins"),
    ("POST", "/plugins/create", "plugins"),
    ("POST", "/plugins/{name}/push", "plugins"),
    ("POST", "/plugins/{name}/set", "plugins"),
    // BuildKit's session endpoint: the classic builder needs none.
    ("POST", "/session", "issue 11 (BuildKit)"),
];

/// `(METHOD, /path)` for every operation of the spec, read from its YAML
/// text: paths are the two-space-indented keys under `paths:`, methods the
/// four-space-indented keys under each.
fn spec_routes() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SPEC);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut out = Vec::new();
    let mut in_paths = false;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line == "paths:" {
            in_paths = true;
            continue;
        }
        if !in_paths {
            continue;
        }
        if !line.starts_with(' ') && !line.is_empty() {
            break; // the next top-level key
        }
        if let Some(p) = line.strip_prefix("  /") {
            current = p.strip_suffix(':').map(|p| format!("/{p}"));
            continue;
        }
        if let (Some(p), Some(m)) = (&current, line.strip_prefix("    ")) {
            let m = m.trim_end_matches(':');
            if ["get", "post", "put", "delete", "head"].contains(&m) {
                out.push((m.to_uppercase(), p.clone()));
            }
        }
    }
    out
}

/// A path with its parameters filled with names that exist nowhere, and
/// queries that keep streaming endpoints short.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').map(|j| i + j + 1).unwrap_or(rest.len());
        out.push_str("nosuchobject0route");
        rest = &rest[end..];
    }
    out.push_str(rest);
    // Never let a registry route reach out: name a registry on loopback's
    // discard port, which refuses at once.
    if path.starts_with("/distribution/") || path == "/images/{name}/push" {
        out = out.replace("nosuchobject0route", "127.0.0.1:9/nosuchobject0route");
    }
    match out.as_str() {
        "/events" => "/events?since=0&until=1".into(),
        _ => out,
    }
}

#[test]
fn every_spec_route_is_served() {
    let d = Daemon::start();
    let routes = spec_routes();
    assert!(
        routes.len() > 100,
        "the spec has ~120 operations: {routes:?}"
    );
    let mut unserved = BTreeSet::new();
    for (method, path) in &routes {
        let url = format!("/v1.44{}", concrete(path));
        let req =
            format!("{method} {url} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        let r = d
            .raw(req.as_bytes(), Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        // A registry that refuses the connection is a server-side failure
        // (Docker answers 500 too); every other bad call is the client's.
        let registry = url.contains("127.0.0.1:9");
        assert!(
            r.status < 500 || r.status == 503 || registry,
            "{method} {url}: {} {}",
            r.status,
            r.body
        );
        if r.status == 404 && r.body.contains("page not found") {
            unserved.insert((method.clone(), path.clone()));
        }
    }
    let left: BTreeSet<(String, String)> = LEFT
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let new_gaps: Vec<_> = unserved.difference(&left).collect();
    let closed: Vec<_> = left.difference(&unserved).collect();
    assert!(
        new_gaps.is_empty(),
        "routes of the spec not served: {new_gaps:?}"
    );
    assert!(
        closed.is_empty(),
        "served now, take them out of LEFT: {closed:?}"
    );
    // The daemon still answers.
    assert_eq!(d.api("GET", "/_ping", None).0, 200);
}
