//! What this process is importing or capturing, for `nano_capture_status()` on any
//! connection, and the rule of one import or capture at a time per process (two
//! writers would race for the same packet ids and share the disk for nothing).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

static BUSY: AtomicBool = AtomicBool::new(false);
static STATUS: Mutex<Status> = Mutex::new(Status::new());

/// Progress of the current (or last) import or live capture.
#[derive(Debug, Clone)]
pub struct Status {
    pub importing: bool,
    /// The current (or last) live capture; `None` before the first.
    pub capture: Option<CaptureStatus>,
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
            capture: None,
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

/// The live capture's part of the status (`nano_capture_status()`).
#[derive(Debug, Clone, Default)]
pub struct CaptureStatus {
    pub capturing: bool,
    pub device: String,
    pub filter: String,
    /// Wall-clock start, as the schema's time text (UTC).
    pub since: String,
    pub run_id: i64,
    pub link_type: u32,
    /// libpcap's counters.
    pub pcap_received: u64,
    pub pcap_dropped: u64,
    pub pcap_if_dropped: u64,
    /// Frames nanocap dropped because its queue was full.
    pub queue_dropped: u64,
    pub queue_depth: u64,
    pub frames: u64,
    pub db_size: u64,
    pub max_size_reached: bool,
    /// How the capture ended (`runs.end_reason`), once it has.
    pub end_reason: Option<String>,
}

impl CaptureStatus {
    /// The capture's fields as `nano_capture_status()` and nanocap-serve's status
    /// name them.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let v = serde_json::json!({
            "device": self.device,
            "filter": self.filter,
            "since": self.since,
            "run_id": self.run_id,
            "link_type": self.link_type,
            "packets_received": self.pcap_received,
            "packets_dropped": self.pcap_dropped,
            "packets_if_dropped": self.pcap_if_dropped,
            "queue_dropped": self.queue_dropped,
            "queue_depth": self.queue_depth,
            "frames": self.frames,
            "db_size": self.db_size,
            "max_size_reached": self.max_size_reached,
            "end_reason": self.end_reason,
        });
        match v {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        }
    }
}

/// Held while an import or capture runs; dropping it (also on a panic) frees the
/// slot.
pub struct Busy(());

impl Drop for Busy {
    fn drop(&mut self) {
        update(|s| {
            s.importing = false;
            if let Some(c) = &mut s.capture {
                c.capturing = false;
            }
            s.elapsed_ms = s.started.map(|t| t.elapsed().as_millis() as u64);
        });
        BUSY.store(false, Ordering::Release);
    }
}

fn take_slot() -> Result<(), String> {
    if BUSY
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        let s = snapshot();
        let current = match (&s.capture, s.importing) {
            (Some(c), false) if c.capturing => format!("capturing on {}", c.device),
            _ => format!("importing {}", s.file.unwrap_or_default()),
        };
        return Err(format!(
            "another import or capture is running in this process ({current}); one at a time"
        ));
    }
    Ok(())
}

/// Takes the process's one writer slot, or says who holds it.
pub fn begin_import(file: &str, bytes_total: u64) -> Result<Busy, String> {
    take_slot()?;
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

/// Takes the slot for a live capture (the status is filled in once it runs).
pub fn begin_capture() -> Result<Busy, String> {
    take_slot()?;
    Ok(Busy(()))
}

/// Marks the capture as running, with a fresh status.
pub fn capture_started(c: CaptureStatus) {
    update(|s| {
        *s = Status {
            capture: Some(c),
            started: Some(Instant::now()),
            ..Status::new()
        }
    });
}

/// Updates the capture's part of the status (nothing before the first capture).
pub fn update_capture(f: impl FnOnce(&mut CaptureStatus)) {
    update(|s| {
        if let Some(c) = &mut s.capture {
            f(c)
        }
    });
}

pub fn update(f: impl FnOnce(&mut Status)) {
    // A panic elsewhere while holding the lock leaves plain counters: still usable.
    let mut s = STATUS.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut s);
}

pub fn snapshot() -> Status {
    STATUS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// `nano_capture_status()`: the import fields describe the current (or last) import,
/// the capture fields the current (or last) capture; `messages`, `anomalies` and
/// `elapsed_ms` belong to whichever of the two ran last.
pub fn status_json() -> String {
    let s = snapshot();
    let elapsed = s
        .elapsed_ms
        .or_else(|| s.started.map(|t| t.elapsed().as_millis() as u64));
    let mut m = match &s.capture {
        Some(c) => c.to_json(),
        None => {
            let mut m = CaptureStatus::default().to_json();
            // No capture yet: nothing to name.
            for k in ["device", "filter", "since", "run_id", "link_type"] {
                m.insert(k.into(), serde_json::Value::Null);
            }
            m
        }
    };
    m.insert(
        "capturing".into(),
        s.capture.as_ref().is_some_and(|c| c.capturing).into(),
    );
    let import = serde_json::json!({
        "importing": s.importing,
        "file": s.file,
        "bytes_read": s.bytes_read,
        "bytes_total": s.bytes_total,
        "messages": s.messages,
        "anomalies": s.anomalies,
        "elapsed_ms": elapsed,
    });
    if let serde_json::Value::Object(i) = import {
        m.extend(i);
    }
    serde_json::Value::Object(m).to_string()
}
