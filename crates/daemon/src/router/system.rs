//! `/_ping`, `/version`, `/info`, `/events`.

use std::collections::BTreeMap;
use std::time::Duration;

use hyper::{Method, StatusCode};
use wharf_api::system::{Component, Platform, SystemVersion};

use super::{is, Handled};
use crate::daemon::Daemon;
use crate::error::Error;
use crate::events;
use crate::http::{self, Query, Reply};

pub async fn route(d: &Daemon, method: &Method, segs: &[&str], q: &Query) -> Handled {
    Some(match segs {
        ["_ping"] if is(method, "GET") || is(method, "HEAD") => Ok(ping(method)),
        // Off the worker: the first call asks `runc --version`.
        ["version"] if is(method, "GET") => tokio::task::spawn_blocking(version)
            .await
            .map(|v| http::ok_json(&v))
            .map_err(|e| Error::internal(e.to_string())),
        ["info"] if is(method, "GET") => Ok(http::ok_json(&d.info())),
        ["events"] if is(method, "GET") => events_stream(d, q),
        _ => return None,
    })
}

fn ping(method: &Method) -> Reply {
    let body = if is(method, "HEAD") { "" } else { "OK" };
    let mut r = http::full(StatusCode::OK, "text/plain; charset=utf-8", body);
    let h = r.headers_mut();
    h.insert(
        "Api-Version",
        wharf_api::API_VERSION.parse().expect("static header"),
    );
    h.insert("Ostype", "linux".parse().expect("static header"));
    h.insert(
        "Docker-Experimental",
        "false".parse().expect("static header"),
    );
    h.insert(
        "Cache-Control",
        "no-cache, no-store, must-revalidate"
            .parse()
            .expect("static header"),
    );
    h.insert("Pragma", "no-cache".parse().expect("static header"));
    r
}

pub fn kernel_version() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn version() -> SystemVersion {
    let v = env!("CARGO_PKG_VERSION").to_string();
    let arch = std::env::consts::ARCH
        .replace("x86_64", "amd64")
        .replace("aarch64", "arm64");
    let git_commit = option_env!("WHARF_GIT_COMMIT").unwrap_or("").to_string();
    let build_time = option_env!("WHARF_BUILD_TIME").unwrap_or("").to_string();
    let kernel = kernel_version();
    let details = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut components = vec![Component {
        name: "Engine".into(),
        version: v.clone(),
        details: details(&[
            ("ApiVersion", wharf_api::API_VERSION),
            ("MinAPIVersion", wharf_api::MIN_API_VERSION),
            ("Arch", &arch),
            ("BuildTime", &build_time),
            ("Experimental", "false"),
            ("GitCommit", &git_commit),
            ("GoVersion", "rust"),
            ("KernelVersion", &kernel),
            ("Os", "linux"),
        ]),
    }];
    // The runtimes wharf drives: its embedded libcontainer, and runc when
    // installed (asked once: `runc --version`).
    components.push(Component {
        name: "libcontainer".into(),
        version: "embedded".into(),
        details: BTreeMap::new(),
    });
    if let Some((version, commit)) = runc_version() {
        components.push(Component {
            name: "runc".into(),
            version: version.clone(),
            details: details(&[("GitCommit", commit.as_str())]),
        });
    }
    SystemVersion {
        platform: Platform {
            name: "wharf".into(),
        },
        components,
        version: v,
        api_version: wharf_api::API_VERSION.into(),
        min_api_version: wharf_api::MIN_API_VERSION.into(),
        git_commit,
        go_version: "rust".into(),
        os: "linux".into(),
        arch,
        kernel_version: kernel,
        build_time,
        experimental: false,
    }
}

/// `runc --version`'s version and commit, read once; None without runc.
fn runc_version() -> Option<(String, String)> {
    static V: std::sync::OnceLock<Option<(String, String)>> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let out = std::process::Command::new("runc")
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("runc version "))?
            .trim()
            .to_string();
        let commit = text
            .lines()
            .find_map(|l| l.strip_prefix("commit: "))
            .unwrap_or("")
            .trim()
            .to_string();
        Some((version, commit))
    })
    .clone()
}

fn events_stream(d: &Daemon, q: &Query) -> Result<Reply, Error> {
    let filters = q.filters()?;
    filters.only(&[
        "type",
        "event",
        "container",
        "image",
        "label",
        "volume",
        "network",
    ])?;
    let since = match q.get("since") {
        Some(s) if !s.is_empty() => Some(
            events::parse_time(s)
                .ok_or_else(|| Error::invalid(format!("invalid since value {s:?}")))?,
        ),
        _ => None,
    };
    let until = match q.get("until") {
        Some(s) if !s.is_empty() => Some(
            events::parse_time(s)
                .ok_or_else(|| Error::invalid(format!("invalid until value {s:?}")))?,
        ),
        _ => None,
    };
    let mut rx = d.events.subscribe();
    let past = since.map(|s| d.events.since(s, until)).unwrap_or_default();
    let (tx, reply) = http::stream("application/json");
    tokio::spawn(async move {
        for ev in past.iter().filter(|e| events::matches(e, &filters)) {
            if send_event(&tx, ev).await.is_err() {
                return;
            }
        }
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        if until.is_some_and(|u| u <= now) {
            return;
        }
        let deadline = until.map(|u| Duration::from_nanos((u - now).max(0) as u64));
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = &mut sleep => return,
                _ = tx.closed() => return,
                ev = rx.recv() => match ev {
                    Ok(ev) => {
                        if events::matches(&ev, &filters) && send_event(&tx, &ev).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                },
            }
        }
    });
    Ok(reply)
}

async fn send_event(
    tx: &tokio::sync::mpsc::Sender<bytes::Bytes>,
    ev: &wharf_api::system::EventMessage,
) -> Result<(), ()> {
    let mut line = serde_json::to_vec(ev).map_err(|_| ())?;
    line.push(b'\n');
    tx.send(line.into()).await.map_err(|_| ())
}
