//! The batched writer: pipeline events in, rows of the persistent tables out, through
//! the mapping of `store::tables` and the present definitions. Shared by
//! `nano_import` and (later) live capture. Inserts go through prepared statements in
//! one transaction committed about every second; every commit leaves a consistent
//! database, so an early stop (interrupt, size limit, error) keeps what came before.
//! Each table's INSERT is prepared once per run and kept for the whole run (what a
//! statement cache would give, without rusqlite's `cache` feature).

use super::tables::{column_index, packets_group, Filter, Needs, Src, StatsDef, GROUPS};
use crate::capture::pipeline::PipelineOptions;
use crate::capture::tcp::Reporting;
use crate::capture::{Event, PipelineStats};
use crate::config::CaptureOptions;
use crate::present::{Options, ScanState, Value};
use rusqlite::{params, Connection, Statement};
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

/// How a stored column gets its value, resolved against the present columns.
#[derive(Clone, Copy, Debug)]
enum Bind {
    Col(usize),
    Global(usize),
    Run,
    Null,
    ContentTable(&'static str),
    ContentId(&'static str),
    RowContentTable,
    RowContentId,
}

#[derive(Clone, Copy, Debug)]
enum Check {
    Int(usize, i64),
    Text(usize, &'static str),
    NotPrefix(usize, &'static str),
}

struct Table<'c> {
    name: &'static str,
    stmt: Statement<'c>,
    binds: Vec<Bind>,
    checks: Vec<Check>,
    content_of: &'static [(&'static str, &'static [&'static str])],
}

struct Group<'c> {
    def: &'static super::tables::Group,
    tables: Vec<Table<'c>>,
    /// Only the anomaly group reads stream items when bootstrap details are off.
    anomalies: bool,
    /// The anomaly group's `kind` column, to notice a file cut off in a record.
    kind_col: Option<usize>,
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
    groups: Vec<Group<'c>>,
    bootstrap_details: bool,
    scan: ScanState,
    msg_name_col: usize,
    /// Contents found so far for the current event: (linking table, table, id).
    contents: Vec<(&'static str, &'static str, i64)>,
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
}

/// What the pipeline must produce for the writer with these options.
pub fn pipeline_options(o: &CaptureOptions) -> PipelineOptions {
    let mut p = PipelineOptions::default();
    p.tcp.report = Reporting {
        per_message_events: o.connection_details,
        // Node ids are shown on every connection event, details or not.
        node_ids: true,
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
            db.execute_batch("COMMIT")?;
            Ok((id, base))
        })()
        .map_err(|e| {
            let _ = db.execute_batch("ROLLBACK");
            format!("cannot record the run: {e}")
        })?;

        let mut groups = Vec::new();
        for g in GROUPS {
            let cols = (g.columns)();
            let idx = |name: &str| {
                column_index(cols, name)
                    .ok_or_else(|| format!("internal: {} has no column {name}", g.present))
            };
            let mut tables = Vec::new();
            for t in g.tables {
                let wanted = match t.needs {
                    Needs::Always => true,
                    Needs::Blocks => o.block_details,
                    Needs::Bootstrap => o.bootstrap_details,
                    Needs::BootstrapBlocks => o.bootstrap_details && o.block_details,
                };
                if !wanted {
                    continue;
                }
                let mut binds = Vec::new();
                for (name, src) in t.columns {
                    binds.push(match *src {
                        // Not computed at all: verifying costs more than decoding.
                        Src::Col(_) if *name == "signature_valid" && !o.verify_signatures => {
                            Bind::Null
                        }
                        Src::Col(p) => Bind::Col(idx(p)?),
                        Src::Global(p) => Bind::Global(idx(p)?),
                        Src::Run => Bind::Run,
                        Src::Auto => Bind::Null,
                        Src::ContentTable => Bind::ContentTable(t.name),
                        Src::ContentId => Bind::ContentId(t.name),
                        Src::RowContentTable => Bind::RowContentTable,
                        Src::RowContentId => Bind::RowContentId,
                    });
                }
                let mut checks = Vec::new();
                for f in t.filters {
                    match *f {
                        Filter::Int(p, v) => checks.push(Check::Int(idx(p)?, v)),
                        Filter::Text(p, v) => checks.push(Check::Text(idx(p)?, v)),
                        Filter::NotPrefixUnlessBootstrap(p, v) => {
                            if !o.bootstrap_details {
                                checks.push(Check::NotPrefix(idx(p)?, v));
                            }
                        }
                    }
                }
                let stmt = db.prepare(&insert_sql(t.name, t.columns)).map_err(|e| {
                    format!("internal: cannot prepare the insert into {}: {e}", t.name)
                })?;
                tables.push(Table {
                    name: t.name,
                    stmt,
                    binds,
                    checks,
                    content_of: t.content_of,
                });
            }
            if !tables.is_empty() {
                let anomalies = g.present == "nano_anomalies";
                groups.push(Group {
                    def: g,
                    tables,
                    anomalies,
                    kind_col: if anomalies {
                        column_index(cols, "kind")
                    } else {
                        None
                    },
                });
            }
        }
        let msg_name_col = column_index((packets_group().columns)(), "msg_name")
            .ok_or("internal: nano_packets has no msg_name")?;
        let max_bytes = match o.max_capture_megabytes {
            0 => None,
            mb => Some(mb.saturating_mul(1024 * 1024)),
        };
        Ok(Writer {
            db,
            run_id,
            packet_id_base: base,
            groups,
            bootstrap_details: o.bootstrap_details,
            scan: ScanState {
                row_number: 0,
                // The connection table takes per-message events whenever the
                // pipeline produces them (connection_details).
                options: Options { details: true },
            },
            msg_name_col,
            contents: Vec::new(),
            stored: Stored::default(),
            committed: Stored::default(),
            truncated: false,
            rows_since_commit: 0,
            last_commit: Instant::now(),
            max_bytes,
            in_tx: false,
            filtered_frames: None,
        })
    }

    /// Writes the rows of one event: content rows first, the packet row last.
    pub fn write(&mut self, ev: &Event) -> rusqlite::Result<()> {
        if !self.in_tx {
            self.db.execute_batch("BEGIN")?;
            self.in_tx = true;
        }
        // Headerless bootstrap answers are bootstrap details; a malformed one is
        // still an anomaly (nothing is dropped silently).
        let stream_item = matches!(ev, Event::StreamItem(_));
        let msg_name = (packets_group().column)(ev, 0, self.msg_name_col, &self.scan);
        let msg_name = msg_name.as_str();
        self.contents.clear();
        let base = self.packet_id_base;
        let run_id = self.run_id;
        for g in &mut self.groups {
            if stream_item && !self.bootstrap_details && !g.anomalies {
                continue;
            }
            let n = (g.def.rows)(ev, &self.scan);
            for row in 0..n {
                let mut row_content: Option<(&'static str, i64)> = None;
                for t in &mut g.tables {
                    let column = |c: usize| (g.def.column)(ev, row, c, &self.scan);
                    let keep = t.checks.iter().all(|c| match *c {
                        Check::Int(i, v) => column(i).as_i64() == Some(v),
                        Check::Text(i, v) => column(i).as_str() == Some(v),
                        Check::NotPrefix(i, v) => {
                            !column(i).as_str().is_some_and(|s| s.starts_with(v))
                        }
                    });
                    if !keep {
                        continue;
                    }
                    for (k, b) in t.binds.iter().enumerate() {
                        let value = match *b {
                            Bind::Col(i) => column(i),
                            Bind::Global(i) => match column(i) {
                                Value::Integer(v) => Value::Integer(base + v),
                                other => other,
                            },
                            Bind::Run => Value::Integer(run_id),
                            Bind::Null => Value::Null,
                            Bind::ContentTable(me) => self
                                .contents
                                .iter()
                                .find(|c| c.0 == me)
                                .map_or(Value::Null, |c| Value::Text(c.1.into())),
                            Bind::ContentId(me) => self
                                .contents
                                .iter()
                                .find(|c| c.0 == me)
                                .map_or(Value::Null, |c| Value::Integer(c.2)),
                            Bind::RowContentTable => {
                                row_content.map_or(Value::Null, |c| Value::Text(c.0.into()))
                            }
                            Bind::RowContentId => {
                                row_content.map_or(Value::Null, |c| Value::Integer(c.1))
                            }
                        };
                        t.stmt.raw_bind_parameter(k + 1, &value)?;
                    }
                    t.stmt.raw_execute()?;
                    let id = self.db.last_insert_rowid();
                    self.stored.rows += 1;
                    self.rows_since_commit += 1;
                    match t.name {
                        "packet" => self.stored.messages += 1,
                        "anomaly" => {
                            self.stored.anomalies += 1;
                            if let Some(i) = g.kind_col {
                                if column(i).as_str() == Some("truncated_record") {
                                    self.truncated = true;
                                }
                            }
                        }
                        _ => {}
                    }
                    if let Some(name) = msg_name {
                        for (target, names) in t.content_of {
                            if names.contains(&name)
                                && !self.contents.iter().any(|c| c.0 == *target)
                            {
                                self.contents.push((target, t.name, id));
                            }
                        }
                    }
                    row_content = Some((t.name, id));
                }
            }
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
        Ok(stored)
    }
}

/// Wall-clock time as the schema's time text (UTC).
fn now_text() -> String {
    let usec = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    crate::capture::format_time_usec(usec)
}
