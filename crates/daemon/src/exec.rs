//! Exec instances: created by `POST /containers/{id}/exec`, run by the
//! container's monitor on `POST /exec/{id}/start`.

use std::collections::HashMap;
use std::sync::Mutex;

use wharf_api::exec::ExecConfig;

#[derive(Debug, Clone)]
pub struct ExecRecord {
    pub id: String,
    pub container_id: String,
    pub config: ExecConfig,
    pub running: bool,
    pub exit_code: Option<i64>,
    pub pid: i64,
    /// The monitor's id for this process once started.
    pub monitor_id: Option<String>,
}

#[derive(Default)]
pub struct ExecTable(Mutex<HashMap<String, ExecRecord>>);

impl ExecTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecRecord>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn insert(&self, rec: ExecRecord) {
        self.lock().insert(rec.id.clone(), rec);
    }
    pub fn get(&self, id: &str) -> Option<ExecRecord> {
        self.lock().get(id).cloned()
    }
    pub fn update(&self, id: &str, f: impl FnOnce(&mut ExecRecord)) {
        if let Some(r) = self.lock().get_mut(id) {
            f(r);
        }
    }
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
    pub fn forget_container(&self, container_id: &str) {
        self.lock().retain(|_, r| r.container_id != container_id);
    }
}
