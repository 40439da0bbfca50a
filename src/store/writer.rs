//! The batched writer: pipeline events in, rows of the persistent tables out, through
//! the mapping of `store::tables` and the present definitions. Shared by
//! `nano_import` and (later) live capture. Inserts go through prepared statements in
//! one transaction committed about every second; every commit leaves a consistent
//! database, so an early stop (interrupt, size limit, error) keeps what came before.
//! Each table's INSERT is prepared once per run and kept for the whole run (what a
//! statement cache would give, without rusqlite's `cache` feature).

use super::batch::{Batch, Cell, Formatter};
use super::tables::{Src, StatsDef};
use crate::capture::pipeline::PipelineOptions;
use crate::capture::tcp::Reporting;
use crate::capture::PipelineStats;
use crate::config::CaptureOptions;
use rusqlite::{ffi, params, Connection};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Commit at least this often, so other readers see new rows and the size limit is
/// checked in time (the original committed irregularly, bug B12).
pub const COMMIT_INTERVAL: Duration = Duration::from_secs(1);
/// ... or after this many rows, whichever comes first.
pub const COMMIT_ROWS: u64 = 200_000;

/// Why a run ended (`runs.end_reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    Complete,
    /// The file was cut inside a record (a `truncated_record` anomaly).
    Truncated,
    MaxSize,
    Interrupted,
    /// A live capture stopped by `nano_capture_stop()` (or the host's exit).
    Stopped,
    Error(String),
}

impl EndReason {
    pub fn text(&self) -> String {
        match self {
            EndReason::Complete => "complete".into(),
            EndReason::Truncated => "truncated".into(),
            EndReason::MaxSize => "max_size".into(),
            EndReason::Interrupted => "interrupted".into(),
            EndReason::Stopped => "stopped".into(),
            EndReason::Error(e) => format!("error: {e}"),
        }
    }
}

/// What a run is: the `runs` row's descriptive columns.
pub struct RunInfo<'a> {
    pub kind: &'a str,
    pub source: &'a str,
    pub options: &'a CaptureOptions,
}

/// A row another row links to: its table and id.
type Link = (&'static str, i64);

/// A prepared INSERT through SQLite's C API, so that text is bound in place
/// (`SQLITE_STATIC`: the batch outlives the step) instead of copied, as rusqlite's
/// `raw_bind_parameter` does.
struct RawInsert {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
}

impl RawInsert {
    fn prepare(db: &Connection, sql: &str) -> rusqlite::Result<RawInsert> {
        // SAFETY: the handle is `db`'s, which outlives the statement (the writer
        // borrows the connection for its lifetime); the SQL is passed with its length.
        unsafe {
            let h = db.handle();
            let mut stmt = std::ptr::null_mut();
            let rc = ffi::sqlite3_prepare_v3(
                h,
                sql.as_ptr().cast(),
                sql.len() as std::os::raw::c_int,
                ffi::SQLITE_PREPARE_PERSISTENT as std::os::raw::c_uint,
                &mut stmt,
                std::ptr::null_mut(),
            );
            if rc != ffi::SQLITE_OK || stmt.is_null() {
                return Err(error(h, rc));
            }
            Ok(RawInsert { stmt, db: h })
        }
    }

    /// Binds one row's cells and steps the insert. The links (content table and id)
    /// come from `links`.
    fn insert(
        &mut self,
        batch: &Batch,
        cells: &[Cell],
        name: &'static str,
        links: (Option<Link>, Option<Link>),
    ) -> rusqlite::Result<()> {
        let (content, row_content) = links;
        // SAFETY: every pointer bound is into `batch` (or a 'static name), which is
        // borrowed for this call; the statement is stepped and reset within it, and
        // every parameter is bound again before the next step.
        unsafe {
            for (k, cell) in cells.iter().enumerate() {
                let k = (k + 1) as std::os::raw::c_int;
                let rc = match *cell {
                    Cell::Null => ffi::sqlite3_bind_null(self.stmt, k),
                    Cell::Int(v) => ffi::sqlite3_bind_int64(self.stmt, k, v),
                    Cell::Real(v) => ffi::sqlite3_bind_double(self.stmt, k, v),
                    Cell::Text(a, n) => bind_text(self.stmt, k, batch.text(a, n)),
                    Cell::Blob(a, n) => {
                        let b = &batch.blob[a as usize..(a + n) as usize];
                        ffi::sqlite3_bind_blob64(
                            self.stmt,
                            k,
                            b.as_ptr().cast(),
                            b.len() as u64,
                            ffi::SQLITE_STATIC(),
                        )
                    }
                    Cell::ContentTable => match content {
                        Some((t, _)) => bind_text(self.stmt, k, t),
                        None => ffi::sqlite3_bind_null(self.stmt, k),
                    },
                    Cell::ContentId => match content {
                        Some((_, id)) => ffi::sqlite3_bind_int64(self.stmt, k, id),
                        None => ffi::sqlite3_bind_null(self.stmt, k),
                    },
                    Cell::RowContentTable => match row_content {
                        Some((t, _)) => bind_text(self.stmt, k, t),
                        None => ffi::sqlite3_bind_null(self.stmt, k),
                    },
                    Cell::RowContentId => match row_content {
                        Some((_, id)) => ffi::sqlite3_bind_int64(self.stmt, k, id),
                        None => ffi::sqlite3_bind_null(self.stmt, k),
                    },
                };
                if rc != ffi::SQLITE_OK {
                    let e = error(self.db, rc);
                    ffi::sqlite3_reset(self.stmt);
                    return Err(annotate(e, name));
                }
            }
            let rc = ffi::sqlite3_step(self.stmt);
            let reset = ffi::sqlite3_reset(self.stmt);
            if rc != ffi::SQLITE_DONE {
                let code = if rc == ffi::SQLITE_ROW { reset } else { rc };
                return Err(error(self.db, code));
            }
        }
        Ok(())
    }

    /// Forgets the pointers into a batch that is about to be dropped or reused.
    fn clear_bindings(&mut self) {
        // SAFETY: a valid statement of ours, not being stepped.
        unsafe {
            ffi::sqlite3_clear_bindings(self.stmt);
        }
    }
}

impl Drop for RawInsert {
    fn drop(&mut self) {
        // SAFETY: prepared by us, finalized once, before the connection closes (the
        // writer borrows it).
        unsafe {
            ffi::sqlite3_finalize(self.stmt);
        }
    }
}

/// # Safety
/// `stmt` is a valid statement and `s` stays valid until the statement is stepped
/// and reset (or bound again).
unsafe fn bind_text(
    stmt: *mut ffi::sqlite3_stmt,
    k: std::os::raw::c_int,
    s: &str,
) -> std::os::raw::c_int {
    // A zero-length str still has a non-null pointer, so it binds '' and not NULL.
    // SAFETY: the caller keeps `stmt` valid and `s` alive until the statement is
    // stepped and reset, which is what SQLITE_STATIC asks of us.
    ffi::sqlite3_bind_text64(
        stmt,
        k,
        s.as_ptr().cast(),
        s.len() as u64,
        ffi::SQLITE_STATIC(),
        ffi::SQLITE_UTF8 as std::os::raw::c_uchar,
    )
}

/// The connection's error as rusqlite reports it.
///
/// # Safety
/// `db` is a valid connection handle.
unsafe fn error(db: *mut ffi::sqlite3, rc: std::os::raw::c_int) -> rusqlite::Error {
    // SAFETY: `db` is valid (the caller's contract); sqlite3_errmsg returns NULL or a
    // NUL-terminated string that lives until the next call on `db`, and it is copied
    // out before any.
    let msg = ffi::sqlite3_errmsg(db);
    let msg = if msg.is_null() {
        None
    } else {
        Some(std::ffi::CStr::from_ptr(msg).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), msg)
}

fn annotate(e: rusqlite::Error, table: &str) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(f, m) => {
            rusqlite::Error::SqliteFailure(f, Some(format!("{table}: {}", m.unwrap_or_default())))
        }
        other => other,
    }
}

/// Counters of what was stored.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stored {
    pub messages: u64,
    pub anomalies: u64,
    pub rows: u64,
}

pub struct Writer<'c> {
    db: &'c Connection,
    pub run_id: i64,
    pub packet_id_base: i64,
    fmt: Arc<Formatter>,
    /// One insert per entry of `fmt.tables`.
    stmts: Vec<RawInsert>,
    /// Contents found so far for the current event: (linking table, table, id).
    contents: Vec<(&'static str, &'static str, i64)>,
    /// Reused by `write`.
    pub stored: Stored,
    /// `stored` as of the last commit: what a failed batch falls back to.
    committed: Stored,
    /// A `truncated_record` anomaly was stored.
    pub truncated: bool,
    rows_since_commit: u64,
    last_commit: Instant,
    max_bytes: Option<u64>,
    in_tx: bool,
    /// Frames a filter left out (`capture_stats.filtered_frames`); `None`: no filter.
    pub filtered_frames: Option<u64>,
    /// Indexes dropped at the start, to be built at the end (see `defer_indexes`).
    deferred: Vec<String>,
}

/// An import into tables that are still empty builds their indexes at its end: one
/// sort instead of a B-tree insert per row at a random place of an index that soon
/// outgrows the page cache (the hashes and accounts are random), which took three
/// quarters of an import's time and wrote every index page again at every commit.
/// Live capture keeps its indexes (queries need them while it runs). Returns the
/// statements that rebuild what was dropped; `schema::apply` rebuilds them too, should
/// the import never reach its end.
fn defer_indexes(db: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut dropped = Vec::new();
    for (name, table, sql) in super::schema::indexes() {
        let empty: bool = db.query_row(
            &format!("SELECT NOT EXISTS (SELECT 1 FROM \"{table}\")"),
            [],
            |r| r.get(0),
        )?;
        if empty {
            db.execute_batch(&format!("DROP INDEX IF EXISTS \"{name}\""))?;
            dropped.push(sql);
        }
    }
    Ok(dropped)
}

/// What the pipeline must produce for the writer with these options.
pub fn pipeline_options(o: &CaptureOptions) -> PipelineOptions {
    let mut p = PipelineOptions::default();
    p.tcp.report = Reporting {
        per_message_events: o.connection_details,
        // Node ids are shown on every connection event, details or not.
        node_ids: true,
        ..Reporting::default()
    };
    p
}

/// Opens the writer's own connection to the database file and readies it: WAL, so
/// readers are not blocked while it writes; synchronous=NORMAL, which is durable
/// at each checkpoint and safe against corruption in WAL mode; a busy timeout, so a
/// reader's brief lock does not fail the import.
pub fn open_database(path: &std::path::Path) -> Result<Connection, String> {
    use rusqlite::OpenFlags;
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    db.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    let mode: String = db
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| format!("cannot switch {} to WAL: {e}", path.display()))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!(
            "cannot switch {} to WAL (journal mode stays {mode})",
            path.display()
        ));
    }
    db.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 16384; PRAGMA cache_size = -131072")
        .map_err(|e| e.to_string())?;
    Ok(db)
}

/// The options in force, as the `runs.options` JSON.
pub fn options_json(o: &CaptureOptions) -> String {
    serde_json::json!({
        "filter": o.import_filter(),
        "max_capture_megabytes": o.max_capture_megabytes,
        "block_details": o.block_details,
        "bootstrap_details": o.bootstrap_details,
        "connection_details": o.connection_details,
        "verify_signatures": o.verify_signatures,
    })
    .to_string()
}

fn insert_sql(name: &str, columns: &[(&str, Src)]) -> String {
    let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO \"{name}\" ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    )
}

impl<'c> Writer<'c> {
    /// Applies the schema, records the run and prepares every insert. The run row is
    /// committed at once, so even a run that stops at its first row is on record.
    pub fn begin(db: &'c Connection, run: &RunInfo<'_>) -> Result<Writer<'c>, String> {
        super::schema::apply(db).map_err(|e| e.to_string())?;
        let o = run.options;
        let mut deferred = Vec::new();
        let (run_id, base) = (|| -> rusqlite::Result<(i64, i64)> {
            db.execute_batch("BEGIN IMMEDIATE")?;
            let base: i64 =
                db.query_row("SELECT coalesce(max(id), 0) FROM packet", [], |r| r.get(0))?;
            db.execute(
                "INSERT INTO runs (kind, source, filter, options, nanocap_version, packet_id_base)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    run.kind,
                    run.source,
                    o.import_filter(),
                    options_json(o),
                    crate::sql::scalar::version_text(),
                    base
                ],
            )?;
            let id = db.last_insert_rowid();
            if run.kind == "import" {
                deferred = defer_indexes(db)?;
            }
            db.execute_batch("COMMIT")?;
            Ok((id, base))
        })()
        .map_err(|e| {
            let _ = db.execute_batch("ROLLBACK");
            format!("cannot record the run: {e}")
        })?;

        let fmt = Formatter::new(o, run_id, base)?;
        let mut stmts = Vec::new();
        for t in &fmt.tables {
            stmts.push(
                RawInsert::prepare(db, &insert_sql(t.name, t.columns)).map_err(|e| {
                    format!("internal: cannot prepare the insert into {}: {e}", t.name)
                })?,
            );
        }
        let max_bytes = match o.max_capture_megabytes {
            0 => None,
            mb => Some(mb.saturating_mul(1024 * 1024)),
        };
        Ok(Writer {
            db,
            run_id,
            packet_id_base: base,
            fmt: Arc::new(fmt),
            stmts,
            contents: Vec::new(),
            stored: Stored::default(),
            committed: Stored::default(),
            truncated: false,
            rows_since_commit: 0,
            last_commit: Instant::now(),
            max_bytes,
            in_tx: false,
            filtered_frames: None,
            deferred,
        })
    }

    /// What turns events into rows for this run: `Send + Sync`, so other threads
    /// can format batches for [`Writer::insert`].
    pub fn formatter(&self) -> Arc<Formatter> {
        self.fmt.clone()
    }

    /// Inserts a batch that this run's [`Formatter`] made, in order, in the open
    /// transaction (begun when none is).
    pub fn insert(&mut self, batch: &Batch) -> rusqlite::Result<()> {
        if !self.in_tx {
            self.db.execute_batch("BEGIN")?;
            self.in_tx = true;
        }
        let done = self.insert_rows(batch);
        for s in &mut self.stmts {
            s.clear_bindings();
        }
        done
    }

    fn insert_rows(&mut self, batch: &Batch) -> rusqlite::Result<()> {
        let fmt = &*self.fmt;
        let mut event = u32::MAX;
        let mut row_content: Option<(&'static str, i64)> = None;
        for row in &batch.rows {
            if row.event != event {
                event = row.event;
                self.contents.clear();
            }
            if row.first_of_row {
                row_content = None;
            }
            let t = &fmt.tables[row.table as usize];
            let start = row.cells as usize;
            let cells = &batch.cells[start..start + t.columns.len()];
            let content = self
                .contents
                .iter()
                .find(|c| c.0 == t.name)
                .map(|c| (c.1, c.2));
            self.stmts[row.table as usize].insert(batch, cells, t.name, (content, row_content))?;
            let id = self.db.last_insert_rowid();
            self.stored.rows += 1;
            self.rows_since_commit += 1;
            if t.is_packet {
                self.stored.messages += 1;
            }
            if t.is_anomaly {
                self.stored.anomalies += 1;
                if row.truncated {
                    self.truncated = true;
                }
            }
            if let Some((a, n)) = batch.events[row.event as usize] {
                let name = batch.text(a, n);
                for (target, names) in t.content_of {
                    if names.contains(&name) && !self.contents.iter().any(|c| c.0 == *target) {
                        self.contents.push((target, t.name, id));
                    }
                }
            }
            row_content = Some((t.name, id));
        }
        Ok(())
    }

    /// Commits when a second has passed or enough rows are waiting. `Ok(true)` when
    /// the database reached its size limit (the run must stop).
    pub fn maybe_commit(&mut self) -> rusqlite::Result<bool> {
        if self.rows_since_commit >= COMMIT_ROWS || self.last_commit.elapsed() >= COMMIT_INTERVAL {
            return self.commit();
        }
        Ok(false)
    }

    /// Commits what is pending; `Ok(true)` when the database reached its size limit.
    pub fn commit(&mut self) -> rusqlite::Result<bool> {
        if self.in_tx {
            // A failed COMMIT (disk full) may leave the transaction open or rolled
            // back by SQLite: `finish` tells which from the connection itself.
            self.db.execute_batch("COMMIT")?;
            self.in_tx = false;
            self.committed = self.stored;
        }
        self.rows_since_commit = 0;
        self.last_commit = Instant::now();
        Ok(self.max_bytes.is_some_and(|max| self.size() >= max))
    }

    /// The database's size in bytes, as the pages it holds (WAL included).
    pub fn size(&self) -> u64 {
        self.db
            .query_row(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_or(0, |n| n as u64)
    }

    /// Ends the run: commits what is pending (or, after a failed insert, drops the
    /// unfinished batch), writes the capture statistics and the run's totals.
    pub fn finish(
        mut self,
        stats: &PipelineStats,
        reason: &EndReason,
        bytes_read: u64,
        max_size_reached: bool,
    ) -> Result<Stored, String> {
        if self.in_tx {
            self.in_tx = false;
            if matches!(reason, EndReason::Error(_)) {
                // After an error the batch is dropped. SQLite may have rolled it
                // back already (SQLITE_FULL does), so roll back only what is open;
                // the run then reports what was committed.
                if !self.db.is_autocommit() {
                    let _ = self.db.execute_batch("ROLLBACK");
                }
                self.stored = self.committed;
            } else {
                self.db
                    .execute_batch("COMMIT")
                    .map_err(|e| format!("cannot commit the last rows: {e}"))?;
                self.committed = self.stored;
            }
        }
        let run_id = self.run_id;
        let stored = self.stored;
        let filtered_frames = self.filtered_frames.map(|n| n as i64);
        let db = self.db;
        // After an error (a full disk, say) the run's end is recorded first, and the
        // indexes are tried after it; should that fail too, the next import builds
        // them (`schema::apply`).
        let failed = matches!(reason, EndReason::Error(_));
        let indexed = if failed {
            Ok(())
        } else {
            self.build_deferred_indexes()
        };
        (|| -> rusqlite::Result<()> {
            db.execute_batch("BEGIN IMMEDIATE")?;
            let cols = StatsDef::columns();
            let names: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.name)).collect();
            let marks: Vec<String> = (0..cols.len()).map(|i| format!("?{}", i + 4)).collect();
            let mut stmt = db.prepare(&format!(
                "INSERT INTO capture_stats (run_id, time, filtered_frames, {}) \
                 VALUES (?1, ?2, ?3, {})",
                names.join(", "),
                marks.join(", ")
            ))?;
            stmt.raw_bind_parameter(1, run_id)?;
            stmt.raw_bind_parameter(2, now_text())?;
            stmt.raw_bind_parameter(3, filtered_frames)?;
            for i in 0..cols.len() {
                stmt.raw_bind_parameter(i + 4, StatsDef::value(stats, i))?;
            }
            stmt.raw_execute()?;
            db.execute(
                "UPDATE runs SET ended = ?2, end_reason = ?3, frames = ?4, bytes_read = ?5,
                     messages = ?6, anomalies = ?7, max_size_reached = ?8
                 WHERE id_multiplier = ?1",
                params![
                    run_id,
                    now_text(),
                    reason.text(),
                    stats.frames as i64,
                    bytes_read as i64,
                    stored.messages as i64,
                    stored.anomalies as i64,
                    max_size_reached
                ],
            )?;
            db.execute_batch("COMMIT")
        })()
        .map_err(|e| {
            if !db.is_autocommit() {
                let _ = db.execute_batch("ROLLBACK");
            }
            format!("cannot record the end of run {run_id}: {e}")
        })?;
        if failed {
            let _ = self.build_deferred_indexes();
        }
        indexed.map_err(|e| format!("cannot build the indexes: {e}"))?;
        Ok(stored)
    }

    /// Builds the indexes dropped at the start (`PRAGMA threads` does not make it
    /// faster here: the sorts are small next to reading the tables).
    fn build_deferred_indexes(&mut self) -> rusqlite::Result<()> {
        for sql in std::mem::take(&mut self.deferred) {
            self.db.execute_batch(&sql)?;
        }
        Ok(())
    }
}

/// Wall-clock time as the schema's time text (UTC).
fn now_text() -> String {
    let usec = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    crate::capture::format_time_usec(usec)
}
