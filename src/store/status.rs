//! What this process is importing or capturing, for `nano_capture_status()` on any
//! connection, and the rule of one import or capture at a time per process (two
//! writers would race for the same packet ids and share the disk for nothing).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

static BUSY: AtomicBool = AtomicBool::new(false);
static STATUS: Mutex<Status> = Mutex::new(Status::new());

/// Progress of the current (or last) import.
#[derive(Debug, Clone)]
pub struct Status {
    pub importing: bool,
    pub file: Option<String>,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub messages: u64,
    pub anomalies: u64,
    pub started: Option<Instant>,
    /// Set when the import ended, so the elapsed time stops growing.
    pub elapsed_ms: Option<u64>,
}

impl Status {
    const fn new() -> Status {
        Status {
            importing: false,
            file: None,
            bytes_read: 0,
            bytes_total: 0,
            messages: 0,
            anomalies: 0,
            started: None,
            elapsed_ms: None,
        }
    }
}

/// Held while an import runs; dropping it (also on a panic) frees the slot.
pub struct Busy(());

impl Drop for Busy {
    fn drop(&mut self) {
        update(|s| {
            s.importing = false;
            s.elapsed_ms = s.started.map(|t| t.elapsed().as_millis() as u64);
        });
        BUSY.store(false, Ordering::Release);
    }
}

/// Takes the process's one writer slot, or says who holds it.
pub fn begin_import(file: &str, bytes_total: u64) -> Result<Busy, String> {
    if BUSY
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        let current = snapshot().file.unwrap_or_default();
        return Err(format!(
            "another import or capture is running in this process ({current}); one at a time"
        ));
    }
    update(|s| {
        *s = Status {
            importing: true,
            file: Some(file.to_string()),
            bytes_total,
            started: Some(Instant::now()),
            ..Status::new()
        }
    });
    Ok(Busy(()))
}

pub fn update(f: impl FnOnce(&mut Status)) {
    // A panic elsewhere while holding the lock leaves plain counters: still usable.
    let mut s = STATUS.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut s);
}

pub fn snapshot() -> Status {
    STATUS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `nano_capture_status()`. Live capture is not implemented yet: `capturing` false.
pub fn status_json() -> String {
    let s = snapshot();
    let elapsed = s
        .elapsed_ms
        .or_else(|| s.started.map(|t| t.elapsed().as_millis() as u64));
    serde_json::json!({
        "capturing": false,
        "importing": s.importing,
        "file": s.file,
        "bytes_read": s.bytes_read,
        "bytes_total": s.bytes_total,
        "messages": s.messages,
        "anomalies": s.anomalies,
        "elapsed_ms": elapsed,
    })
    .to_string()
}
