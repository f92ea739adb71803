//! Healthchecks: the container's (or image's) `HEALTHCHECK` run as an exec
//! at its interval while the container runs, its results in
//! `State.Health` (status, failing streak, the last 5 probes), a
//! `health_status: …` event on each change, and `(healthy)` in `ps`.
//!
//! Probes run from the daemon, as dockerd runs them, through the container's
//! monitor; a daemon restart re-arms them for the containers it adopts. A
//! sleeping probe timer is a tokio timer: no thread per container.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use wharf_api::container::{Health, HealthConfig, HealthcheckResult};
use wharf_api::exec::ExecConfig;

use super::state::Status;
use crate::daemon::Daemon;
use crate::exec::ExecRecord;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: i64 = 3;
/// Docker keeps this many probe results.
const KEEP_RESULTS: usize = 5;
/// And this much of each probe's output.
const MAX_OUTPUT: usize = 4096;

/// Docker's merge of a container's healthcheck over its image's: the image
/// fills whatever the container leaves unset.
pub fn merge(user: Option<HealthConfig>, image: Option<HealthConfig>) -> Option<HealthConfig> {
    let Some(image) = image else { return user };
    let Some(mut u) = user else {
        return Some(image);
    };
    if u.test.as_ref().is_none_or(|t| t.is_empty()) {
        u.test = image.test;
    }
    let fill = |v: &mut i64, from: i64| {
        if *v == 0 {
            *v = from;
        }
    };
    fill(&mut u.interval, image.interval);
    fill(&mut u.timeout, image.timeout);
    fill(&mut u.start_period, image.start_period);
    fill(&mut u.start_interval, image.start_interval);
    fill(&mut u.retries, image.retries);
    Some(u)
}

/// The probe's argv, or `None` when there is no healthcheck (`NONE`).
pub fn probe_argv(hc: &HealthConfig) -> Option<Vec<String>> {
    let test = hc.test.as_ref()?;
    match test.first().map(String::as_str) {
        Some("CMD") if test.len() > 1 => Some(test[1..].to_vec()),
        Some("CMD-SHELL") if test.len() > 1 => {
            Some(vec!["/bin/sh".into(), "-c".into(), test[1..].join(" ")])
        }
        _ => None,
    }
}

fn dur(ns: i64, default: Duration) -> Duration {
    if ns > 0 {
        Duration::from_nanos(ns as u64)
    } else {
        default
    }
}

/// Starts the probe loop of a container that just started (or was adopted).
/// It ends by itself when the container stops or restarts.
pub fn spawn(d: Arc<Daemon>, id: String) {
    let Ok(rec) = d.get(&id) else { return };
    let Some(hc) = rec.config.healthcheck.clone() else {
        return;
    };
    let Some(argv) = probe_argv(&hc) else { return };
    let run = rec.state.started_at.clone();
    if rec.state.health.is_none() {
        let _ = d.update(&id, |r| {
            r.state.health = Some(Health {
                status: "starting".into(),
                ..Default::default()
            })
        });
    }
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let start_period = dur(hc.start_period, Duration::ZERO);
        loop {
            let in_start = started.elapsed() < start_period;
            let wait = if in_start {
                dur(hc.start_interval, DEFAULT_START_INTERVAL)
            } else {
                dur(hc.interval, DEFAULT_INTERVAL)
            };
            tokio::time::sleep(wait).await;
            let current = |d: &Daemon| {
                d.get(&id)
                    .is_ok_and(|r| r.state.status == Status::Running && r.state.started_at == run)
            };
            if !current(&d) {
                return;
            }
            let result = probe(&d, &id, &argv, dur(hc.timeout, DEFAULT_TIMEOUT)).await;
            if !current(&d) {
                return;
            }
            let in_start = started.elapsed() < start_period;
            record(&d, &id, result, in_start, hc.retries);
        }
    });
}

/// Runs one probe as an exec and collects its result.
async fn probe(d: &Arc<Daemon>, id: &str, argv: &[String], timeout: Duration) -> HealthcheckResult {
    let start = crate::util::now_rfc3339();
    let fail = |output: String| HealthcheckResult {
        start: start.clone(),
        end: crate::util::now_rfc3339(),
        exit_code: -1,
        output,
    };
    let Ok(rec) = d.get(id) else {
        return fail("container is gone".into());
    };
    let exec = ExecRecord {
        id: format!("health-{}", crate::util::random_id()),
        container_id: id.to_string(),
        config: ExecConfig {
            cmd: Some(argv.to_vec()),
            attach_stdout: true,
            attach_stderr: true,
            ..Default::default()
        },
        running: true,
        exit_code: None,
        pid: 0,
        monitor_id: None,
    };
    d.execs.insert(exec.clone());
    let user = rec.config.user.clone();
    let result = async {
        let spec = super::monitor::prepare_exec(d, &rec, &exec, &user, false, None)
            .map_err(|e| e.message)?;
        let mut stream = super::monitor::exec_start(d, &rec, &exec, spec)
            .await
            .map_err(|e| e.message)?;
        let mut raw = Vec::new();
        let read = tokio::time::timeout(timeout, stream.read_to_end(&mut raw)).await;
        if read.is_err() {
            return Err(format!(
                "Health check exceeded timeout ({})",
                humantime(timeout)
            ));
        }
        super::monitor::finish_exec(d, &exec.id).await;
        let code = d
            .execs
            .get(&exec.id)
            .and_then(|e| e.exit_code)
            .unwrap_or(-1);
        Ok((code, demux(&raw)))
    }
    .await;
    d.execs.remove(&exec.id);
    match result {
        Ok((code, output)) => HealthcheckResult {
            start,
            end: crate::util::now_rfc3339(),
            exit_code: code,
            output,
        },
        Err(e) => fail(e),
    }
}

fn humantime(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The payload of Docker's multiplexed frames, stdout and stderr together,
/// cut to what Docker keeps.
fn demux(raw: &[u8]) -> String {
    let mut out = Vec::new();
    let mut rest = raw;
    while rest.len() >= 8 {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    out.truncate(MAX_OUTPUT);
    String::from_utf8_lossy(&out).into_owned()
}

/// Applies one result to the container's health and emits an event when
/// the status changes.
fn record(d: &Daemon, id: &str, r: HealthcheckResult, in_start: bool, retries: i64) {
    let retries = if retries > 0 {
        retries
    } else {
        DEFAULT_RETRIES
    };
    let ok = r.exit_code == 0;
    let changed = d.update(id, |rec| {
        let h = rec.state.health.get_or_insert_with(Default::default);
        let before = h.status.clone();
        if ok {
            h.failing_streak = 0;
            h.status = "healthy".into();
        } else if !in_start || h.status != "starting" {
            // Failures inside the start period do not count (Docker).
            h.failing_streak += 1;
            if h.failing_streak >= retries {
                h.status = "unhealthy".into();
            }
        }
        h.log.push(r);
        let excess = h.log.len().saturating_sub(KEEP_RESULTS);
        h.log.drain(..excess);
        let status = h.status.clone();
        (before != status).then(|| (status, rec.clone()))
    });
    if let Ok(Some((status, rec))) = changed {
        d.events.emit(
            "container",
            &format!("health_status: {status}"),
            id,
            super::event_attrs(&rec),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hc(test: &[&str]) -> HealthConfig {
        HealthConfig {
            test: Some(test.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn merge_and_argv() {
        let image = HealthConfig {
            interval: 5,
            retries: 2,
            ..hc(&["CMD-SHELL", "true"])
        };
        let user = HealthConfig {
            interval: 9,
            ..Default::default()
        };
        let m = merge(Some(user), Some(image.clone())).unwrap();
        assert_eq!((m.interval, m.retries), (9, 2));
        assert_eq!(m.test, image.test);
        assert_eq!(merge(None, Some(image.clone())), Some(image));
        assert_eq!(probe_argv(&hc(&["CMD", "ls", "/"])).unwrap(), ["ls", "/"]);
        assert_eq!(
            probe_argv(&hc(&["CMD-SHELL", "exit 1"])).unwrap(),
            ["/bin/sh", "-c", "exit 1"]
        );
        assert!(probe_argv(&hc(&["NONE"])).is_none());
        let frames = [
            &[1u8, 0, 0, 0, 0, 0, 0, 3][..],
            b"ok\n",
            &[2, 0, 0, 0, 0, 0, 0, 2],
            b"e\n",
        ]
        .concat();
        assert_eq!(demux(&frames), "ok\ne\n");
    }
}
