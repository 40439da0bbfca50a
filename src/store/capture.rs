//! Live capture into the database, on two background threads joined by a bounded
//! queue:
//!
//! ```text
//! libpcap (LiveSource) -> reader thread -> frame queue (bounded; full: drop, count)
//!     -> writer thread: Pipeline<QueueSource> -> Writer (own connection, WAL)
//! ```
//!
//! The reader thread only copies frames out of libpcap's ring, so the kernel buffer
//! is emptied however slow decoding or the disk are; what the queue cannot take is
//! counted (`queue_dropped`), never lost silently. The writer thread commits at
//! least once a second, idle or not (the queue answers `Idle` every 100 ms), writes
//! a `capture_stats` row every [`STATS_INTERVAL`], and keeps `nano_capture_status()`
//! current. One capture (or import) at a time per process.

use super::batch::Batch;
use super::parallel;
use super::status::{self, CaptureStatus};
use super::writer::{open_database, pipeline_options, EndReason, RunInfo, Writer};
use crate::capture::source::live::{resolve_device, LiveConfig, LiveSource};
use crate::capture::source::queue::{frame_queue, QueueCounters, QueueLimits, QueueSource};
use crate::capture::source::{FrameSource, ReadOutcome};
use crate::capture::{Pipeline, PipelineStats};
use crate::config::CaptureOptions;
use crate::panic_text;
use crate::store::tables::StatsDef;
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the counters are stored in `capture_stats` while a capture runs.
pub const STATS_INTERVAL: Duration = Duration::from_secs(5);
/// How often `nano_capture_status()` is refreshed.
const STATUS_INTERVAL: Duration = Duration::from_millis(100);
/// How often the reader thread asks libpcap for its counters.
const PCAP_STATS_INTERVAL: Duration = Duration::from_millis(250);

/// What `nano_capture_start` asked for.
pub struct StartRequest {
    pub db_path: PathBuf,
    /// Interface name or address; `None`: `options.device_ip`, else the default one.
    pub device: Option<String>,
    /// `None`: `options.live_filter()`.
    pub filter: Option<String>,
    pub options: CaptureOptions,
}

/// What started.
#[derive(Debug, Clone)]
pub struct Started {
    pub run_id: i64,
    pub device: String,
    /// The device was chosen by default (none was named).
    pub default_device: bool,
    pub filter: String,
    pub link_type: u32,
    pub link_name: Option<String>,
}

impl Started {
    /// What `nano_capture_start()` answers (and nanocap-serve's capture/start).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "run_id": self.run_id,
            "device": self.device,
            "default_device": self.default_device,
            "filter": self.filter,
            "link_type": self.link_type,
            "link_name": self.link_name,
        })
    }
}

/// Counters the reader thread keeps for the writer thread and the status.
#[derive(Default)]
struct Shared {
    pcap_received: AtomicU64,
    pcap_dropped: AtomicU64,
    pcap_if_dropped: AtomicU64,
    frames: AtomicU64,
    bytes: AtomicU64,
    /// Why the reader thread ended other than by a stop request.
    reader_error: Mutex<Option<String>>,
}

impl Shared {
    fn reader_error(&self) -> Option<String> {
        self.reader_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_reader_error(&self, e: String) {
        *self.reader_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
    }
}

struct Running {
    stop: Arc<AtomicBool>,
    reader: JoinHandle<()>,
    writer: JoinHandle<String>,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);
static AT_EXIT: Once = Once::new();

/// Starts a capture; returns once the device is open and the run is recorded.
pub fn start(req: StartRequest) -> Result<Started, String> {
    let busy = status::begin_capture()?;
    // A capture that ended by itself (size limit, error) and was never stopped:
    // its threads are done (they freed the slot); collect them.
    let old = RUNNING.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(old) = old {
        let _ = old.reader.join();
        let _ = old.writer.join();
    }
    let o = &req.options;
    let named = req
        .device
        .clone()
        .filter(|d| !d.trim().is_empty())
        .or_else(|| Some(o.device_ip.clone()).filter(|d| !d.trim().is_empty()));
    let (device, default_device) = resolve_device(named.as_deref())?;
    let filter = req
        .filter
        .clone()
        .unwrap_or_else(|| o.live_filter().to_string())
        .trim()
        .to_string();
    let source = LiveSource::open_device(
        &device,
        &LiveConfig {
            device: Some(device.clone()),
            filter: filter.clone(),
            buffer_megabytes: o.buffer_megabytes,
            promiscuous: o.promiscuous,
        },
    )?;
    let (link_type, link_name) = {
        let (t, n) = source.link_type();
        (t, n.map(str::to_string))
    };
    let db = open_database(&req.db_path)?;
    // The run records the filter actually applied (an empty one as none).
    let mut options = req.options.clone();
    options.filter = Some(filter.clone());
    options.device_ip = device.clone();

    let stop = source.stop_handle();
    let shared = Arc::new(Shared::default());
    let (sender, queue) = frame_queue(QueueLimits::default());
    let (started_tx, started_rx) = sync_channel::<Result<i64, String>>(1);
    let writer = {
        let (stop, shared, device, filter) =
            (stop.clone(), shared.clone(), device.clone(), filter.clone());
        std::thread::Builder::new()
            .name("nanocap-writer".into())
            .spawn(move || {
                let _busy = busy;
                let job = WriterJob {
                    db: &db,
                    options: &options,
                    device: &device,
                    filter: &filter,
                    link_type,
                    stop: &stop,
                    shared: &shared,
                };
                job.run(queue, &started_tx)
            })
            .map_err(|e| format!("cannot start the capture thread: {e}"))?
    };
    let run_id = match started_rx.recv() {
        Ok(Ok(id)) => id,
        Ok(Err(e)) => {
            let _ = writer.join();
            return Err(e);
        }
        Err(_) => {
            let summary = writer.join().unwrap_or_default();
            return Err(format!(
                "the capture thread ended before starting: {summary}"
            ));
        }
    };
    let reader = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("nanocap-capture".into())
            .spawn(move || {
                let caught =
                    catch_unwind(AssertUnwindSafe(|| read_frames(source, sender, &shared)));
                if let Err(p) = caught {
                    shared.set_reader_error(format!(
                        "nanocap internal error: the capture thread panicked: {}",
                        panic_text(&*p)
                    ));
                }
            })
    };
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            // The sender went with the failed spawn: the writer ends its run.
            stop.store(true, Ordering::Release);
            let _ = writer.join();
            return Err(format!("cannot start the capture thread: {e}"));
        }
    };
    *RUNNING.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running {
        stop,
        reader,
        writer,
    });
    AT_EXIT.call_once(register_at_exit);
    Ok(Started {
        run_id,
        device,
        default_device,
        filter,
        link_type,
        link_name,
    })
}

/// Stops the capture: the reader stops within one read timeout, the queue is
/// drained, TCP state finished, the last rows committed and the run ended. Returns
/// the JSON summary. A capture that already ended by itself (size limit, error)
/// gives its summary too.
pub fn stop() -> Result<String, String> {
    let running = RUNNING
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or_else(|| "no capture is running in this process".to_string())?;
    running.stop.store(true, Ordering::Release);
    let _ = running.reader.join();
    running.writer.join().map_err(|p| {
        format!(
            "nanocap internal error: the capture thread panicked: {}",
            panic_text(&*p)
        )
    })
}

/// Whether a capture is running (or ended by itself and was not stopped yet).
pub fn is_running() -> bool {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner()).is_some()
}

extern "C" fn stop_at_exit() {
    // A normal exit of the host (exit(), return from main): flush the capture.
    let _ = catch_unwind(|| {
        if is_running() {
            let _ = stop();
        }
    });
}

fn register_at_exit() {
    extern "C" {
        fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
    }
    // SAFETY: registers a plain function with the C library; the extension is
    // loaded permanently, so the function is still there at exit.
    unsafe {
        atexit(stop_at_exit);
    }
}

/// The reader thread: libpcap -> queue, and libpcap's counters.
fn read_frames(
    mut source: LiveSource,
    sender: crate::capture::source::queue::FrameSender,
    shared: &Shared,
) {
    let mut last_stats = Instant::now();
    let mut n: u32 = 0;
    let publish = |source: &mut LiveSource| {
        if let Some(s) = source.stats() {
            shared.pcap_received.store(s.received, Ordering::Relaxed);
            shared.pcap_dropped.store(s.dropped, Ordering::Relaxed);
            shared
                .pcap_if_dropped
                .store(s.if_dropped, Ordering::Relaxed);
        }
        shared.frames.store(source.frames(), Ordering::Relaxed);
    };
    loop {
        let mut bytes = 0u64;
        let outcome = source.next(&mut |f| {
            bytes = f.data.len() as u64;
            sender.offer(f);
        });
        shared.bytes.fetch_add(bytes, Ordering::Relaxed);
        match outcome {
            ReadOutcome::Frame => {
                n = n.wrapping_add(1);
                if n % 256 != 0 {
                    continue;
                }
            }
            ReadOutcome::Idle => {}
            ReadOutcome::Anomaly { anomaly, fatal } => {
                let detail = anomaly.detail.clone();
                sender.anomaly(anomaly, fatal);
                if fatal {
                    shared.set_reader_error(detail);
                    break;
                }
            }
            ReadOutcome::End => break,
        }
        if last_stats.elapsed() >= PCAP_STATS_INTERVAL {
            last_stats = Instant::now();
            publish(&mut source);
        }
    }
    publish(&mut source);
    // Dropping the sender ends the queue: the writer drains it and finishes.
}

struct WriterJob<'a> {
    db: &'a Connection,
    options: &'a CaptureOptions,
    device: &'a str,
    filter: &'a str,
    link_type: u32,
    stop: &'a AtomicBool,
    shared: &'a Shared,
}

impl WriterJob<'_> {
    /// The writer thread: returns the summary JSON.
    fn run(
        &self,
        queue: QueueSource,
        started: &std::sync::mpsc::SyncSender<Result<i64, String>>,
    ) -> String {
        let counters = queue.counters();
        let mut writer = match Writer::begin(
            self.db,
            &RunInfo {
                kind: "capture",
                source: self.device,
                options: self.options,
            },
        ) {
            Ok(w) => w,
            Err(e) => {
                let _ = started.send(Err(e.clone()));
                return serde_json::json!({ "error": e }).to_string();
            }
        };
        let run_id = writer.run_id;
        let since = now_text();
        status::capture_started(CaptureStatus {
            capturing: true,
            device: self.device.to_string(),
            filter: self.filter.to_string(),
            since: since.clone(),
            run_id,
            link_type: self.link_type,
            ..CaptureStatus::default()
        });
        let _ = started.send(Ok(run_id));

        let pipeline = Pipeline::from_source(queue, pipeline_options(self.options));
        let mut max_size = false;
        let mut stats = PipelineStats::default();
        let looped = catch_unwind(AssertUnwindSafe(|| {
            self.process(pipeline, &mut writer, &counters, &mut max_size, &mut stats)
        }));
        let reason = looped.unwrap_or_else(|p| {
            EndReason::Error(format!(
                "nanocap internal error: the writer thread panicked: {} (please report this)",
                panic_text(&*p)
            ))
        });
        // Whatever ended the loop, the reader must stop too.
        self.stop.store(true, Ordering::Release);
        let bytes = self.shared.bytes.load(Ordering::Relaxed);
        let finished = catch_unwind(AssertUnwindSafe(|| {
            writer.finish(&stats, &reason, bytes, max_size)
        }))
        .unwrap_or_else(|p| Err(format!("panic: {}", panic_text(&*p))));
        let mut error = match &reason {
            EndReason::Error(e) => Some(e.clone()),
            _ => None,
        };
        let (messages, anomalies) = match &finished {
            Ok(s) => (s.messages, s.anomalies),
            Err(e) => {
                error.get_or_insert_with(|| e.clone());
                (0, 0)
            }
        };
        // The last capture_stats row (written by finish) gets libpcap's counters.
        let _ = self.db.execute(
            "UPDATE capture_stats SET pcap_received = ?2, pcap_dropped = ?3,
                 pcap_if_dropped = ?4, queue_dropped = ?5
             WHERE id = (SELECT max(id) FROM capture_stats WHERE run_id = ?1)",
            rusqlite::params![
                run_id,
                self.shared.pcap_received.load(Ordering::Relaxed) as i64,
                self.shared.pcap_dropped.load(Ordering::Relaxed) as i64,
                self.shared.pcap_if_dropped.load(Ordering::Relaxed) as i64,
                counters.dropped.load(Ordering::Relaxed) as i64,
            ],
        );
        if finished.is_err() {
            // The run row could not be ended normally: say so in it, if possible.
            let _ = self.db.execute(
                "UPDATE runs SET ended = ?2, end_reason = ?3 WHERE id_multiplier = ?1 AND ended IS NULL",
                rusqlite::params![run_id, now_text(), format!("error: {}", error.clone().unwrap_or_default())],
            );
        }
        let db_size = db_size(self.db);
        let end_reason = reason.text();
        self.refresh_status(&stats, &counters, messages, anomalies, db_size, max_size);
        status::update_capture(|c| {
            c.capturing = false;
            c.end_reason = Some(match &finished {
                Ok(_) => end_reason.clone(),
                Err(e) => format!("error: {e}"),
            });
        });
        serde_json::json!({
            "run_id": run_id,
            "device": self.device,
            "filter": self.filter,
            "since": since,
            "ended": now_text(),
            "end_reason": end_reason,
            "frames": stats.frames,
            "messages": messages,
            "anomalies": anomalies,
            "packets_received": self.shared.pcap_received.load(Ordering::Relaxed),
            "packets_dropped": self.shared.pcap_dropped.load(Ordering::Relaxed),
            "packets_if_dropped": self.shared.pcap_if_dropped.load(Ordering::Relaxed),
            "queue_dropped": counters.dropped.load(Ordering::Relaxed),
            "max_size_reached": max_size,
            "db_size": db_size,
            "error": error,
        })
        .to_string()
    }

    /// Events to rows until the queue ends; the reason the run ends. Decoding runs
    /// on a thread of its own and signature checks on the formatting threads
    /// (`store::parallel`, as for an import), so neither waits on the inserts; this
    /// thread inserts, commits, and keeps the statistics and the status.
    fn process(
        &self,
        pipeline: Pipeline<QueueSource>,
        writer: &mut Writer<'_>,
        counters: &QueueCounters,
        max_size: &mut bool,
        stats: &mut PipelineStats,
    ) -> EndReason {
        let mut last_status = Instant::now();
        let mut last_size = Instant::now();
        let mut last_stats = Instant::now();
        let mut size = 0;
        let fmt = writer.formatter();
        let workers = super::import::format_threads(self.options);
        let snapshot = |p: &mut Pipeline<QueueSource>, b: &mut Batch| {
            b.stats = Some(p.stats().clone());
        };
        let ended = parallel::run(
            pipeline,
            &fmt,
            &self.shared.bytes,
            workers,
            snapshot,
            |batch| {
                if let Err(e) = writer.insert(batch) {
                    return Some(EndReason::Error(e.to_string()));
                }
                if let Some(s) = &batch.stats {
                    stats.clone_from(s);
                }
                match writer.maybe_commit() {
                    Ok(true) if !*max_size => {
                        // Stop reading; what is queued is still written.
                        *max_size = true;
                        self.stop.store(true, Ordering::Release);
                    }
                    Ok(_) => {}
                    Err(e) => return Some(EndReason::Error(e.to_string())),
                }
                if last_stats.elapsed() >= STATS_INTERVAL {
                    last_stats = Instant::now();
                    if let Err(e) = self.store_stats(writer.run_id, stats, counters) {
                        return Some(EndReason::Error(format!("cannot store capture_stats: {e}")));
                    }
                }
                if last_status.elapsed() >= STATUS_INTERVAL {
                    last_status = Instant::now();
                    if last_size.elapsed() >= Duration::from_secs(1) {
                        last_size = Instant::now();
                        size = writer.size();
                    }
                    let s = writer.stored;
                    self.refresh_status(stats, counters, s.messages, s.anomalies, size, *max_size);
                }
                None
            },
        );
        match ended {
            Some(reason) => reason,
            None => match self.shared.reader_error() {
                Some(e) => EndReason::Error(e),
                None if *max_size => EndReason::MaxSize,
                None => EndReason::Stopped,
            },
        }
    }

    fn refresh_status(
        &self,
        stats: &PipelineStats,
        counters: &QueueCounters,
        messages: u64,
        anomalies: u64,
        db_size: u64,
        max_size: bool,
    ) {
        let sh = self.shared;
        status::update(|s| {
            s.messages = messages;
            s.anomalies = anomalies;
        });
        status::update_capture(|c| {
            c.pcap_received = sh.pcap_received.load(Ordering::Relaxed);
            c.pcap_dropped = sh.pcap_dropped.load(Ordering::Relaxed);
            c.pcap_if_dropped = sh.pcap_if_dropped.load(Ordering::Relaxed);
            c.queue_dropped = counters.dropped.load(Ordering::Relaxed);
            c.queue_depth = counters.depth.load(Ordering::Relaxed);
            c.frames = sh.frames.load(Ordering::Relaxed).max(stats.frames);
            c.db_size = db_size;
            c.max_size_reached = max_size;
        });
    }

    /// One `capture_stats` row: the pipeline's counters and libpcap's and the
    /// queue's (in the writer's transaction, committed with the next commit).
    fn store_stats(
        &self,
        run_id: i64,
        stats: &PipelineStats,
        counters: &QueueCounters,
    ) -> rusqlite::Result<()> {
        let cols = StatsDef::columns();
        let names: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.name)).collect();
        let marks: Vec<String> = (0..cols.len() + 4).map(|i| format!("?{}", i + 3)).collect();
        let mut stmt = self.db.prepare(&format!(
            "INSERT INTO capture_stats (run_id, time, {}, pcap_received, pcap_dropped, \
             pcap_if_dropped, queue_dropped) VALUES (?1, ?2, {})",
            names.join(", "),
            marks.join(", ")
        ))?;
        stmt.raw_bind_parameter(1, run_id)?;
        stmt.raw_bind_parameter(2, now_text())?;
        for i in 0..cols.len() {
            stmt.raw_bind_parameter(i + 3, StatsDef::value(stats, i))?;
        }
        let sh = self.shared;
        let k = cols.len() + 3;
        stmt.raw_bind_parameter(k, sh.pcap_received.load(Ordering::Relaxed) as i64)?;
        stmt.raw_bind_parameter(k + 1, sh.pcap_dropped.load(Ordering::Relaxed) as i64)?;
        stmt.raw_bind_parameter(k + 2, sh.pcap_if_dropped.load(Ordering::Relaxed) as i64)?;
        stmt.raw_bind_parameter(k + 3, counters.dropped.load(Ordering::Relaxed) as i64)?;
        stmt.raw_execute()?;
        Ok(())
    }
}

fn db_size(db: &Connection) -> u64 {
    db.query_row(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map_or(0, |n| n as u64)
}

/// Wall-clock time as the schema's time text (UTC).
fn now_text() -> String {
    let usec = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    crate::capture::format_time_usec(usec)
}
