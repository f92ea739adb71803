//! Where an operation's time goes: a phase timer for create/start/stop/
//! remove. Each finished operation logs one debug line on the
//! `wharf::phases` target (`RUST_LOG=wharf::phases=debug`), which
//! `bench/phases.sh` reads to print the median of each phase.

use std::time::{Duration, Instant};

/// Marks the end of each phase of one operation.
#[derive(Debug)]
pub struct Phases {
    op: &'static str,
    id: String,
    started: Instant,
    last: Instant,
    spans: Vec<(&'static str, Duration)>,
}

impl Phases {
    pub fn new(op: &'static str, id: &str) -> Phases {
        let now = Instant::now();
        Phases {
            op,
            id: id.to_string(),
            started: now,
            last: now,
            spans: Vec::with_capacity(12),
        }
    }

    /// The phase `name` ended now (it began where the previous one ended).
    pub fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        self.spans.push((name, now - self.last));
        self.last = now;
    }

    /// A phase `d` long that ran beside the others, on another thread
    /// (the marks go on from where they were).
    pub fn add(&mut self, name: &'static str, d: Duration) {
        self.spans.push((name, d));
    }

    /// Logs the breakdown: `op=start total_us=… rootfs=… netns=…` (µs).
    pub fn finish(self) {
        if !tracing::enabled!(target: "wharf::phases", tracing::Level::DEBUG) {
            return;
        }
        let mut line = String::new();
        for (name, d) in &self.spans {
            line.push_str(&format!(" {name}={}", d.as_micros()));
        }
        tracing::debug!(
            target: "wharf::phases",
            op = self.op,
            container_id = %self.id,
            total_us = self.started.elapsed().as_micros() as u64,
            "phases:{line}"
        );
    }
}
