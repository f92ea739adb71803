//! Swarm, services, tasks, nodes, secrets and configs: wharf is never part
//! of a swarm, so these answer as a Docker engine outside one does (`503
//! This node is not part of a swarm`). SDK test suites and tools call
//! `GET /swarm` or `POST /swarm/leave` and only tolerate that answer; a
//! `page not found` breaks them.

use hyper::Method;
use wharf_api::error::ErrorKind;

use super::{is, Handled};
use crate::error::Error;

/// The first path segments this group owns.
pub const PREFIXES: &[&str] = &["swarm", "services", "tasks", "nodes", "secrets", "configs"];

const NOT_IN_SWARM: &str = "This node is not part of a swarm";

pub fn route(method: &Method, segs: &[&str]) -> Handled {
    let known = match segs {
        ["swarm"] => is(method, "GET"),
        ["swarm", "init" | "join"] => {
            return Some(Err(Error::new(
                ErrorKind::Unavailable,
                "wharf does not support swarm mode: this node cannot join or start a swarm",
            )))
        }
        ["swarm", "leave" | "update" | "unlock"] => is(method, "POST"),
        ["swarm", "unlockkey"] => is(method, "GET"),
        ["services" | "tasks" | "nodes" | "secrets" | "configs"] => is(method, "GET"),
        ["services" | "secrets" | "configs", "create"] => is(method, "POST"),
        ["services" | "nodes" | "secrets" | "configs", _] => {
            is(method, "GET") || is(method, "DELETE")
        }
        ["tasks", _] => is(method, "GET"),
        ["services" | "nodes" | "secrets" | "configs", _, "update"] => is(method, "POST"),
        ["services" | "tasks", _, "logs"] => is(method, "GET"),
        _ => false,
    };
    known.then(|| Err(Error::new(ErrorKind::Unavailable, NOT_IN_SWARM)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(m: &str, path: &str) -> Option<u16> {
        let method: Method = m.parse().unwrap();
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        route(&method, &segs).map(|r| match r {
            Ok(_) => 200,
            Err(e) => e.kind.status(),
        })
    }

    #[test]
    fn answers_as_outside_a_swarm() {
        assert_eq!(status("GET", "/swarm"), Some(503));
        assert_eq!(status("POST", "/swarm/leave"), Some(503));
        assert_eq!(status("POST", "/swarm/init"), Some(503));
        assert_eq!(status("GET", "/services"), Some(503));
        assert_eq!(status("DELETE", "/secrets/abc"), Some(503));
        assert_eq!(status("GET", "/tasks/abc/logs"), Some(503));
        assert_eq!(status("POST", "/nodes/n1/update"), Some(503));
        assert_eq!(status("PUT", "/swarm"), None);
        assert_eq!(status("GET", "/services/a/b/c"), None);
    }
}
