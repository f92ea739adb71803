//! Keeps the daemon's resident memory near its idle figure: a burst of
//! requests grows malloc's heaps, and glibc hands freed memory back only
//! from the top of one heap. A quiet second after activity (and once after
//! start-up), the heaps are trimmed (`malloc_trim`) and the resident pages
//! of code are dropped (they stay in the page cache; the few an idle
//! daemon runs fault back in), so RSS returns to idle within seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Connections accepted and ended since start; the trimmer watches it
/// change. Ends count: a trim between the last accept of a burst and the
/// end of its last replies would free nothing and none would follow.
static ACTIVITY: AtomicU64 = AtomicU64::new(0);

/// How often the trimmer looks; a trim follows the first quiet tick.
const TICK: Duration = Duration::from_secs(1);

/// Counts one unit of work (a connection accepted, or ended).
pub fn note_activity() {
    ACTIVITY.fetch_add(1, Ordering::Relaxed);
}

/// Runs for the daemon's life: after activity, once a whole tick passes
/// with none, releases memory (about a millisecond, once per burst; never
/// while idle, never in the middle of a burst).
pub fn spawn_trimmer() {
    tokio::spawn(async {
        let mut seen = ACTIVITY.load(Ordering::Relaxed);
        // Start-up (image store, reconcile) counts as activity.
        let mut trimmed = u64::MAX;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = ACTIVITY.load(Ordering::Relaxed);
            if now == seen && now != trimmed {
                if let Err(e) = wharf_sys::mem::release_heap_and_code() {
                    tracing::debug!(error = %e, "releasing memory");
                }
                trimmed = now;
            }
            seen = now;
        }
    });
}
