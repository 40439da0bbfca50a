//! Importing a capture file into the database: the pipeline feeds the writer, with
//! commits about every second, an interrupt check about every 100 ms and progress
//! for `nano_capture_status()`.

use super::batch::Batch;
use super::parallel;
use super::status;
use super::writer::{open_database, pipeline_options, EndReason, RunInfo, Writer};
use crate::capture::filter::{BpfFilter, FilteredSource};
use crate::capture::source::FileSource;
use crate::capture::{Pipeline, PipelineStats};
use crate::config::CaptureOptions;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the caller is asked whether the user interrupted.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Threads that format rows (and verify signatures) beside the decoding thread
/// while the calling thread inserts: one per core with signatures on; none without
/// (the decoding thread formats: that is cheaper than the inserts and keeps up).
pub(super) fn format_threads(o: &CaptureOptions) -> usize {
    if o.verify_signatures {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 16)
    } else {
        0
    }
}

/// How an import ended.
#[derive(Debug)]
pub struct ImportResult {
    pub run_id: i64,
    pub messages: u64,
    pub end_reason: EndReason,
}

/// Counts the bytes read from the capture file, for progress and `runs.bytes_read`.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens the capture with a byte counter. Only regular files (see
/// `sql::table::check_capture_path`).
fn open_capture(path: &Path, count: Arc<AtomicU64>) -> Result<(FileSource, u64), String> {
    crate::sql::table::check_capture_path(path)?;
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("capture file not found: {}", path.display()),
        _ => format!("cannot read {}: {e}", path.display()),
    })?;
    let total = file.metadata().map_or(0, |m| m.len());
    let source = FileSource::from_reader(Box::new(Counting { inner: file, count })).map_err(
        |e| match e {
            crate::capture::source::FromReaderError::Io(e) => {
                format!("cannot read {}: {e}", path.display())
            }
            crate::capture::source::FromReaderError::NotACapture(why) => {
                format!(
                    "not a pcap or pcapng capture file: {} ({why})",
                    path.display()
                )
            }
        },
    )?;
    Ok((source, total))
}

/// The import's frame source: filtered when the options give a filter. A bad
/// expression is an error before anything is written (no run is recorded); so is one
/// that cannot apply to a pcap file's one link type. In a pcapng, a link type it
/// cannot apply to is an anomaly and its frames are left out (`capture::filter`).
fn apply_filter(
    source: FileSource,
    filter: Option<&str>,
) -> Result<FilteredSource<FileSource>, String> {
    let Some(expression) = filter else {
        return Ok(FilteredSource::unfiltered(source));
    };
    let mut filter = BpfFilter::new(expression).map_err(|e| e.to_string())?;
    if let Some(link_type) = source.link_type() {
        filter.require(link_type).map_err(|e| e.to_string())?;
    }
    Ok(FilteredSource::new(source, filter))
}

/// Imports `capture` into the database file `db_path`, through a connection of its
/// own. `interrupted` is asked about every [`POLL_INTERVAL`]; when it says yes the
/// import stops, keeps what it wrote and ends its run as `interrupted`. Errors
/// before the run starts leave the database untouched (apart from the schema).
pub fn import(
    db_path: &Path,
    capture: &Path,
    options: &CaptureOptions,
    interrupted: &mut dyn FnMut() -> bool,
) -> Result<ImportResult, String> {
    let count = Arc::new(AtomicU64::new(0));
    let (source, total) = open_capture(capture, count.clone())?;
    let source = apply_filter(source, options.import_filter())?;
    let source_text = capture.display().to_string();
    let _busy = status::begin_import(&source_text, total)?;
    let db = open_database(db_path)?;
    let mut writer = Writer::begin(
        &db,
        &RunInfo {
            kind: "import",
            source: &source_text,
            options,
        },
    )?;
    let pipeline = Pipeline::from_source(source, pipeline_options(options));
    let fmt = writer.formatter();
    let mut max_size = false;
    let mut last_poll = Instant::now();
    let mut last_stats = PipelineStats::default();
    let mut bytes_read = 0;
    let workers = format_threads(options);
    let mut filtered_frames = None;
    let snapshot = |p: &mut Pipeline<FilteredSource<FileSource>>, b: &mut Batch| {
        let mut stats = p.stats().clone();
        let source = p.source_mut();
        // Filtered: `frames` still counts every record of the file, and the frames
        // left out are counted apart.
        if let Some(frames) = source.frames_read() {
            stats.frames = frames;
        }
        b.stats = Some(stats);
        b.filtered_frames = source.filtered_frames();
    };
    let reason = parallel::run(pipeline, &fmt, &count, workers, snapshot, |batch| {
        if let Err(e) = writer.insert(batch) {
            return Some(EndReason::Error(e.to_string()));
        }
        if let Some(s) = &batch.stats {
            last_stats.clone_from(s);
        }
        filtered_frames = batch.filtered_frames;
        bytes_read = batch.bytes_read;
        match writer.maybe_commit() {
            Ok(true) => {
                max_size = true;
                return Some(EndReason::MaxSize);
            }
            Ok(false) => {}
            Err(e) => return Some(EndReason::Error(e.to_string())),
        }
        if last_poll.elapsed() >= POLL_INTERVAL {
            last_poll = Instant::now();
            let stored = writer.stored;
            status::update(|s| {
                s.bytes_read = bytes_read;
                s.messages = stored.messages;
                s.anomalies = stored.anomalies;
            });
            if interrupted() {
                return Some(EndReason::Interrupted);
            }
        }
        None
    });
    let reason = match reason {
        Some(r) => r,
        None if writer.truncated => EndReason::Truncated,
        None => EndReason::Complete,
    };
    let run_id = writer.run_id;
    writer.filtered_frames = filtered_frames;
    let stored = writer.finish(&last_stats, &reason, bytes_read, max_size)?;
    status::update(|s| {
        s.bytes_read = bytes_read;
        s.messages = stored.messages;
        s.anomalies = stored.anomalies;
    });
    if let EndReason::Error(e) = &reason {
        return Err(format!(
            "{e} (run {run_id} ended with this error; the rows committed before it are kept)"
        ));
    }
    Ok(ImportResult {
        run_id,
        messages: stored.messages,
        end_reason: reason,
    })
}
