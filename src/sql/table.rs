//! One generic table-valued function over the capture pipeline. Each table
//! (`nano_packets`, `nano_blocks`, ...) is a `present::TableDef`: which columns it has
//! and how an event turns into rows of values. Scanning, argument handling, error
//! reporting and the hand-over of values to SQLite live here.

use super::interrupt::{interrupt_error, Probe, WORK_BETWEEN_CHECKS};
use super::lookup::{Cache, Decoded, FileKey, Hit, Interrupted};
use super::plan::{self, Plan};
use super::result::{set_result, Scratch};
use crate::capture::pipeline::PipelineOptions;
use crate::capture::pipeline::Progress;
use crate::capture::selection::MessageFilter;
use crate::capture::source::FileSource;
use crate::capture::{Event, Pipeline};
use crate::panic_text;
use crate::present::values::text;
use crate::present::{signatures, ScanState, TableDef, Value};
use crate::protocol::crypto::{forget_ahead, verify_ahead};
use rusqlite::ffi;
use rusqlite::types::{ToSql, ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::vtab::{Context, Filters, IndexInfo, VTab, VTabConfig, VTabConnection, VTabCursor};
use rusqlite::{Error, Result};
use std::borrow::Cow;
use std::ffi::{c_int, CStr, CString};
use std::marker::PhantomData;
use std::os::unix::fs::FileTypeExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[repr(C)]
pub struct PipelineTab<T: TableDef> {
    base: ffi::sqlite3_vtab,
    cache: Arc<Cache>,
    /// The connection the table belongs to (it outlives the table), for scans to
    /// check for interrupts.
    db: *mut ffi::sqlite3,
    _t: PhantomData<T>,
}

fn schema<T: TableDef>() -> CString {
    let mut sql = String::from("CREATE TABLE x(");
    for c in T::columns() {
        sql.push_str(&format!("\"{}\" {}, ", c.name, c.decl));
    }
    sql.push_str("path HIDDEN, options HIDDEN)");
    CString::new(sql).expect("column names have no NUL")
}

// SAFETY: rusqlite casts the `sqlite3_vtab` pointer SQLite hands back to this type;
// that is sound because `PipelineTab` is `#[repr(C)]` with `base: ffi::sqlite3_vtab`
// as its first field; `connect` creates `base` zeroed (`default()`) and only SQLite
// writes its fields afterwards.
unsafe impl<'vtab, T: TableDef> VTab<'vtab> for PipelineTab<T> {
    type Aux = Arc<Cache>;
    type Cursor = PipelineCursor<'vtab, T>;

    fn connect(
        db: &mut VTabConnection,
        aux: Option<&Arc<Cache>>,
        _module_name: &[u8],
        _database_name: &[u8],
        _table_name: &[u8],
        _args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        // Reading files named in SQL is not something a view or trigger should do
        // behind the user's back.
        db.config(VTabConfig::DirectOnly)?;
        // SAFETY: the handle of the connection creating the table, which SQLite keeps
        // open as long as the table exists; only used on the threads SQLite calls us on.
        let handle = unsafe { db.handle() };
        guarded(T::NAME, || {
            Ok((
                Cow::Owned(schema::<T>()),
                PipelineTab {
                    base: ffi::sqlite3_vtab::default(),
                    cache: aux.cloned().unwrap_or_default(),
                    db: handle,
                    _t: PhantomData,
                },
            ))
        })
    }

    fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
        guarded(T::NAME, || Ok(plan::choose::<T>(info)))
    }

    fn open(&'vtab mut self) -> Result<PipelineCursor<'vtab, T>> {
        guarded(T::NAME, || {
            Ok(PipelineCursor {
                base: ffi::sqlite3_vtab_cursor::default(),
                rows: None,
                state: ScanState::default(),
                args: Args::default(),
                cache: self.cache.clone(),
                db: self.db,
                keyed_filters: 0,
                decoded: None,
                scratch: Scratch::default(),
                _p: PhantomData,
            })
        })
    }
}

struct Scan {
    pipeline: Pipeline,
    /// Rows the pipeline's current event yields (the event stays lent inside the
    /// pipeline: `pipeline.current()`).
    rows_in_event: usize,
    row: usize,
    /// Emitting final rows: index into them.
    final_row: Option<usize>,
    eof: bool,
    /// Messages outside it yield no rows (the pipeline still emits those it needs).
    keep: MessageFilter,
    /// See `plan::Plan::max_id`.
    max_id: Option<u64>,
    /// See `plan::Plan::max_frame`.
    max_frame: Option<u64>,
    /// Checks for an interrupt while the scan reads on without a row to return.
    probe: Option<Probe>,
    /// When the statement reads signature checks: the checks done ahead so far.
    ahead: Option<Ahead>,
}

/// Signature checks done ahead of the rows, on every core: the scan reads up to
/// `AHEAD_EVENTS` events ahead, has the signatures of those that can yield rows
/// checked at once (`crypto::verify_ahead`), and the `signature_valid` columns then
/// find their verdicts made. Rows and values are exactly those of a scan without it.
struct Ahead {
    threads: usize,
    /// Events the scan has moved to, and through which one the checks are done.
    seen: u64,
    covered: u64,
}

/// Events read ahead for one round of checks: a few hundred signatures, tens of
/// milliseconds on one core, so the threads' start is nothing beside it and the
/// events held ahead stay few.
const AHEAD_EVENTS: usize = 512;

impl Drop for Ahead {
    /// The verdicts were for this scan: another scan on the thread that still wants
    /// some (a join of two such tables) checks them again as it reads them.
    fn drop(&mut self) {
        forget_ahead();
    }
}

impl Ahead {
    fn new() -> Ahead {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ahead {
            threads,
            seen: 0,
            covered: 0,
        }
    }

    /// The scan moved to its next event: check ahead when it is past the last round.
    fn on_event(&mut self, pipeline: &mut Pipeline, keep: &MessageFilter) {
        self.seen += 1;
        if self.seen <= self.covered {
            return;
        }
        pipeline.read_ahead(AHEAD_EVENTS, WORK_BETWEEN_CHECKS);
        let mut checks = Vec::new();
        let mut events = 0u64;
        for ev in pipeline.current().into_iter().chain(pipeline.queued()) {
            if kept(keep, ev) {
                signatures::checks(ev, &mut checks);
            }
            events += 1;
        }
        self.covered = self.seen + events.saturating_sub(1);
        if !checks.is_empty() {
            verify_ahead(checks, self.threads);
        }
    }
}

/// Rows served from a decoded file (`lookup`).
struct Lookup {
    decoded: Arc<Decoded>,
    hits: Vec<Hit>,
    pos: usize,
}

enum Rows {
    Scan(Box<Scan>),
    Lookup(Lookup),
}

/// The arguments of the current scan, given back as the hidden `path` and `options`
/// columns: SQLite checks a second `path = ...` constraint against them.
#[derive(Default)]
struct Args {
    path: Option<String>,
    options: Option<String>,
}

#[repr(C)]
pub struct PipelineCursor<'vtab, T: TableDef> {
    base: ffi::sqlite3_vtab_cursor,
    rows: Option<Rows>,
    state: ScanState,
    args: Args,
    cache: Arc<Cache>,
    db: *mut ffi::sqlite3,
    /// Filters with a key equality so far. The first one scans (a lone
    /// `WHERE hash = ...` need not hold the file in memory); later ones, the inner
    /// side of a join, look the key up in the decoded file.
    keyed_filters: u64,
    /// The decoded file of the last lookup, kept across filters.
    decoded: Option<(FileKey, Arc<Decoded>)>,
    /// Where borrowed text gets its terminator on the way to SQLite.
    scratch: Scratch,
    _p: PhantomData<&'vtab PipelineTab<T>>,
}

impl<T: TableDef> Drop for PipelineCursor<'_, T> {
    /// SQLite's xClose drops the cursor: a panic while tearing down the pipeline must
    /// not unwind into C.
    fn drop(&mut self) {
        let rows = self.rows.take();
        let decoded = self.decoded.take();
        let _ = catch_unwind(AssertUnwindSafe(move || drop((rows, decoded))));
    }
}

fn module_error(msg: String) -> Error {
    Error::ModuleError(msg)
}

/// Runs `f`, turning a panic into an SQL error: a bug in nanocap must never take
/// down the host process.
pub(crate) fn guarded<R>(what: &str, f: impl FnOnce() -> Result<R>) -> Result<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = panic_text(&*payload);
            Err(module_error(format!(
                "nanocap internal error in {what}: {msg} (please report this with the capture)"
            )))
        }
    }
}

/// Argument `i` as text (NULL as `None`); any other type is an error naming it.
fn text_arg<T: TableDef>(args: &Filters<'_>, i: usize, what: &str) -> Result<Option<String>> {
    let wrong =
        |got: &str| module_error(format!("{}: the {what} must be text, got {got}", T::NAME));
    match args.get::<SqlValue>(i) {
        Ok(SqlValue::Null) => Ok(None),
        Ok(SqlValue::Text(t)) => Ok(Some(t)),
        Ok(SqlValue::Integer(n)) => Err(wrong(&format!("the integer {n}"))),
        Ok(SqlValue::Real(r)) => Err(wrong(&format!("the real {r}"))),
        Ok(SqlValue::Blob(_)) => Err(wrong("a blob")),
        Err(e) => Err(wrong(&e.to_string())),
    }
}

/// Refuses what is not a regular file. Opening a FIFO blocks until some writer
/// appears (forever, inside the query, out of reach of sqlite3_interrupt), and a
/// device or socket is no capture file either. Shared with `nano_import`.
pub(crate) fn check_capture_path(path: &Path) -> std::result::Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    // Follows symbolic links, as opening does. Any error is left to opening, whose
    // messages already name the path (not found, permission denied, ...).
    if let Ok(meta) = std::fs::metadata(path) {
        let ft = meta.file_type();
        let what = if ft.is_dir() {
            Some("a directory")
        } else if ft.is_fifo() {
            Some("a FIFO (named pipe)")
        } else if ft.is_socket() {
            Some("a socket")
        } else if ft.is_block_device() || ft.is_char_device() {
            Some("a device")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(format!(
                "{} is {what}, not a capture file (only regular pcap or pcapng files are read)",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Opens the capture file for a scan.
fn open_capture(path: &Path) -> std::result::Result<FileSource, String> {
    check_capture_path(path)?;
    FileSource::open(path).map_err(|e| e.to_string())
}

impl<T: TableDef> PipelineCursor<'_, T> {
    fn advance(&mut self) -> Result<()> {
        match self.rows.as_mut() {
            None => {}
            Some(Rows::Lookup(l)) => {
                l.pos += 1;
                if let Some(hit) = l.hits.get(l.pos) {
                    self.state.row_number = hit.row_number;
                }
            }
            Some(Rows::Scan(scan)) => {
                advance_scan::<T>(scan, &mut self.state)?;
                self.state.row_number += 1;
            }
        }
        Ok(())
    }

    /// Checks for an interrupt of the statement this cursor serves.
    fn probe(&self) -> Option<Probe> {
        // SAFETY: `db` is the connection running this statement (see
        // `PipelineTab::db`); a probe lives no longer than the cursor's scan.
        unsafe { Probe::new(self.db) }
    }

    /// Decodes the whole file for lookups, checking for interrupts as a scan does.
    fn decode(
        &self,
        key: &FileKey,
        options: &PipelineOptions,
    ) -> std::result::Result<Option<Arc<Decoded>>, Interrupted> {
        let probe = self.probe();
        let interrupted = || probe.as_ref().is_some_and(Probe::interrupted);
        self.cache.decoded(key, options.clone(), &interrupted)
    }

    /// Serves this filter from the decoded file when it has a key and is not the
    /// cursor's first with one; `Ok(None)` to scan. Decoding the file checks for
    /// interrupts, as a scan does.
    fn lookup(
        &mut self,
        path: &str,
        plan: &Plan,
        options: &PipelineOptions,
    ) -> Result<Option<Lookup>> {
        let Some((col, value)) = plan.key.as_ref() else {
            return Ok(None);
        };
        self.keyed_filters += 1;
        let Some(key) = FileKey::new(path, options) else {
            return Ok(None);
        };
        let reuse = self.decoded.as_ref().filter(|(k, _)| *k == key);
        let decoded = match reuse {
            Some((_, d)) => d.clone(),
            None => {
                let held = self.cache.held(&key);
                let d = match held {
                    Some(d) => d,
                    None if self.keyed_filters < 2 => return Ok(None),
                    None => match self.decode(&key, options) {
                        Ok(Some(d)) => d,
                        Ok(None) => {
                            self.cache.fallbacks.fetch_add(1, Ordering::Relaxed);
                            return Ok(None);
                        }
                        Err(Interrupted) => return Err(interrupt_error()),
                    },
                };
                self.decoded = Some((key, d.clone()));
                d
            }
        };
        let budget = self.cache.limit().saturating_sub(self.cache.held_bytes());
        let Some(hits) = decoded.lookup::<T>(*col, self.state.options, value, budget) else {
            self.cache.fallbacks.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        };
        Ok(Some(Lookup {
            decoded,
            hits,
            pos: 0,
        }))
    }

    /// The value of own column `i` in the current row.
    fn value(&self, i: usize) -> Value<'_> {
        match &self.rows {
            None => Value::Null,
            Some(Rows::Lookup(l)) => match l.hits.get(l.pos) {
                Some(hit) => l.decoded.event(hit).map_or(Value::Null, |ev| {
                    T::column(ev, hit.row as usize, i, &self.state)
                }),
                None => Value::Null,
            },
            Some(Rows::Scan(scan)) => match (scan.pipeline.current(), scan.final_row) {
                (Some(ev), _) => T::column(ev, scan.row, i, &self.state),
                (None, Some(fr)) => T::final_column(scan.pipeline.stats(), fr, i),
                _ => Value::Null,
            },
        }
    }
}

/// May `ev` yield rows under the scan's message filter? Events other than messages
/// always may.
fn kept(keep: &MessageFilter, ev: &Event) -> bool {
    match ev {
        Event::Message(m) => keep.is_all() || keep.matches(m.id, &m.meta, &m.header),
        _ => true,
    }
}

/// Moves the scan to its next row. Between rows SQLite itself notices an interrupt;
/// while the file yields none (a filter nothing matches, traffic that is not Nano),
/// the scan checks every `WORK_BETWEEN_CHECKS` frames or rowless events, and fails as
/// interrupted statements do.
fn advance_scan<T: TableDef>(scan: &mut Scan, state: &mut ScanState) -> Result<()> {
    if let Some(fr) = scan.final_row.as_mut() {
        *fr += 1;
        if *fr >= T::final_rows(scan.pipeline.stats()) {
            scan.eof = true;
        }
        return Ok(());
    }
    scan.row += 1;
    let mut rowless = 0u64;
    while scan.row >= scan.rows_in_event {
        let ids_done = |max| scan.pipeline.yielded_messages_through(max);
        let frames_done = |max| scan.pipeline.read_past_frame(max);
        if scan.max_id.is_some_and(ids_done) || scan.max_frame.is_some_and(frames_done) {
            scan.eof = true;
            break;
        }
        rowless += 1;
        let progress = scan.pipeline.poll_within(WORK_BETWEEN_CHECKS);
        // Frames without an event (Idle), or events without a row, now and then.
        let check = progress == Progress::Idle || rowless % WORK_BETWEEN_CHECKS == 0;
        if check && scan.probe.as_ref().is_some_and(Probe::interrupted) {
            return Err(interrupt_error());
        }
        match progress {
            Progress::Idle => {}
            Progress::Event => {
                if let Some(a) = scan.ahead.as_mut() {
                    a.on_event(&mut scan.pipeline, &scan.keep);
                }
                scan.rows_in_event = match scan.pipeline.current() {
                    Some(ev) if kept(&scan.keep, ev) => T::rows(ev, state),
                    _ => 0,
                };
                scan.row = 0;
            }
            Progress::End => {
                if T::final_rows(scan.pipeline.stats()) > 0 {
                    scan.final_row = Some(0);
                } else {
                    scan.eof = true;
                }
                break;
            }
        }
    }
    Ok(())
}

// SAFETY: as for `PipelineTab`: `PipelineCursor` is `#[repr(C)]` with
// `base: ffi::sqlite3_vtab_cursor` first, so the cursor pointer SQLite hands back can be
// cast to it; `open` creates `base` zeroed and only SQLite writes it afterwards.
unsafe impl<T: TableDef> VTabCursor for PipelineCursor<'_, T> {
    fn filter(&mut self, idx_num: c_int, idx_str: Option<&str>, args: &Filters<'_>) -> Result<()> {
        guarded(T::NAME, || {
            self.rows = None;
            self.state = ScanState::default();
            self.args = Args::default();
            if idx_num & plan::WITH_PATH == 0 || args.is_empty() {
                return Err(module_error(format!(
                    "{}: the capture file path is required, e.g. SELECT * FROM {}('capture.pcapng')",
                    T::NAME,
                    T::NAME
                )));
            }
            let path = text_arg::<T>(args, 0, "path")?
                .ok_or_else(|| module_error(format!("{}: the path is NULL", T::NAME)))?;
            let with_options = idx_num & plan::WITH_OPTIONS != 0;
            let options = if with_options {
                text_arg::<T>(args, 1, "options")?
            } else {
                None
            };
            self.state.options = T::parse_options(options.as_deref())
                .map_err(|e| module_error(format!("{}: {e}", T::NAME)))?;
            let mut plan = plan::read::<T>(idx_str, args, 1 + usize::from(with_options));
            T::payload_types(&mut plan.filter);
            if idx_num & plan::HEADERS_ONLY != 0 {
                plan.filter.headers_only();
            }
            check_capture_path(Path::new(&path))
                .map_err(|e| module_error(format!("{}: {e}", T::NAME)))?;
            let mut pipeline_options = T::pipeline_options(&self.state.options);
            if let Some(l) = self.lookup(&path, &plan, &pipeline_options)? {
                if let Some(hit) = l.hits.first() {
                    self.state.row_number = hit.row_number;
                }
                self.rows = Some(Rows::Lookup(l));
            } else {
                let source = open_capture(Path::new(&path))
                    .map_err(|e| module_error(format!("{}: {e}", T::NAME)))?;
                pipeline_options.tcp.report.decode = plan.filter;
                let pipeline = Pipeline::from_source(source, pipeline_options);
                self.cache.scans.fetch_add(1, Ordering::Relaxed);
                let mut scan = Box::new(Scan {
                    pipeline,
                    rows_in_event: 0,
                    row: 0,
                    final_row: None,
                    eof: false,
                    keep: plan.filter,
                    max_id: plan.max_id,
                    max_frame: plan.max_frame,
                    probe: self.probe(),
                    ahead: (idx_num & plan::CHECKS_SIGNATURES != 0).then(Ahead::new),
                });
                // Position on the first row: this moves past row 0 of "no event".
                advance_scan::<T>(&mut scan, &mut self.state)?;
                self.state.row_number += 1;
                self.rows = Some(Rows::Scan(scan));
            }
            self.args = Args {
                path: Some(path),
                options,
            };
            Ok(())
        })
    }

    fn next(&mut self) -> Result<()> {
        guarded(T::NAME, || self.advance())
    }

    fn eof(&self) -> bool {
        // No way to report an error here: a panic ends the scan.
        catch_unwind(AssertUnwindSafe(|| match &self.rows {
            None => true,
            Some(Rows::Scan(s)) => s.eof,
            Some(Rows::Lookup(l)) => l.pos >= l.hits.len(),
        }))
        .unwrap_or(true)
    }

    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()> {
        // The value goes to SQLite inside the guarded call: returned out of it, the
        // whole value (text buffer and all) would be moved once more per cell.
        guarded(T::NAME, || {
            let i = i as usize;
            let own = T::columns().len();
            let value = if i == own {
                self.args.path.as_deref().map_or(Value::Null, text)
            } else if i > own {
                self.args.options.as_deref().map_or(Value::Null, text)
            } else {
                self.value(i)
            };
            set_result(ctx, value, &self.scratch);
            Ok(())
        })
    }

    fn rowid(&self) -> Result<i64> {
        guarded(T::NAME, || Ok(self.state.row_number))
    }
}

/// A presented value as SQLite's: borrowed, so text goes to SQLite (which copies it)
/// without another copy on our side. Binds statement parameters as well (the store).
impl ToSql for Value<'_> {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}
