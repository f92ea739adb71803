//! The daemon serves as soon as its socket is bound, while start-up
//! reconcile still runs: `/_ping` and `/version` answer at once, every
//! other request waits here until reconcile has finished, so no request
//! ever sees a container state that reconcile would change.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// One daemon a process: open until [`close`] is called at start-up.
static OPEN: AtomicBool = AtomicBool::new(true);
static OPENED: Notify = Notify::const_new();

/// Start-up: requests other than ping and version wait from now on.
pub fn close() {
    OPEN.store(false, Ordering::SeqCst);
}

/// Reconcile is done: waiting requests go on.
pub fn open() {
    OPEN.store(true, Ordering::SeqCst);
    OPENED.notify_waiters();
}

/// Waits until reconcile is done (at once when it is).
pub async fn wait() {
    loop {
        let notified = OPENED.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if OPEN.load(Ordering::SeqCst) {
            return;
        }
        notified.await;
    }
}

/// Whether a request may be answered before reconcile is done: the
/// liveness probes that say nothing about containers.
pub fn answers_early(first_segment: Option<&str>) -> bool {
    matches!(first_segment, Some("_ping") | Some("version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_until_opened() {
        close();
        let waiter = tokio::spawn(wait());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        open();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("released")
            .unwrap();
        wait().await;
        assert!(answers_early(Some("_ping")) && answers_early(Some("version")));
        assert!(!answers_early(Some("containers")) && !answers_early(Some("info")));
    }
}
