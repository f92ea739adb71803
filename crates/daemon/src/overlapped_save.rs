//! A record change whose save overlaps the work before it: the exit of a
//! container is written to disk (temp, fsync, rename) while its clean-up
//! runs, instead of after it (~12 ms of every stop, on compose `down`'s
//! path). The table, which `stop`, `start` and `rm` look at, changes only
//! once both are done, so nothing sees the container exited before its
//! clean-up ended.
//!
//! A crash in between leaves on disk a record that is exited while its run
//! directory, rootfs mount or namespace may still be there: the start-up
//! reconcile ends such a run (`reconcile::left_behind`, the clean-up's last
//! step being the run directory's removal), as it does for a stop whose
//! clean-up a crash cut short.

use crate::container::record::Container;
use crate::daemon::Daemon;

impl Daemon {
    /// Runs `work` on this thread while the record as `f` makes it is saved
    /// on another, then applies `f` to the table. Other saves of this record
    /// wait meanwhile, so the disk never ends older than the table: when
    /// the table changed otherwise in between (or the save failed), the
    /// record is saved again after the change, or kept in memory on a full
    /// disk as [`Daemon::update_or_defer`] does. Returns what `work`
    /// returns; a container no longer in the table only gets `work` done.
    pub fn update_overlapped<T>(
        &self,
        id: &str,
        f: impl Fn(&mut Container),
        work: impl FnOnce() -> T,
    ) -> T {
        let ahead = {
            let t = self.table();
            t.by_id.get(id).map(|e| {
                let mut copy = e.rec.clone();
                f(&mut copy);
                (copy, e.saved.clone())
            })
        };
        let Some((copy, saved)) = ahead else {
            return work();
        };
        let mut last = saved.lock().unwrap_or_else(|p| p.into_inner());
        let paths = self.paths(id);
        let (out, written) = std::thread::scope(|s| {
            let save = s.spawn(|| copy.save(&paths).is_ok());
            let out = work();
            (out, save.join().unwrap_or(false))
        });
        let applied = {
            let mut t = self.table();
            t.by_id.get_mut(id).map(|e| {
                f(&mut e.rec);
                e.changed.send_modify(|g| *g += 1);
                let generation = *e.changed.borrow();
                (generation, e.rec.clone())
            })
        };
        let Some((generation, live)) = applied else {
            return out;
        };
        let same = || serde_json::to_value(&live).ok() == serde_json::to_value(&copy).ok();
        if written && same() {
            *last = (*last).max(generation);
        } else {
            drop(last);
            let _ = self.update_or_defer(id, |_| {});
        }
        out
    }
}
