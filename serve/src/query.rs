//! `/api/v1/capture/query`: one read-only statement, its rows as typed JSON (cut at
//! `web.max_query_result` rows), or streamed whole as CSV or NDJSON.

use crate::error::ApiError;
use crate::readonly::{self, QueryConn};
use crate::values;
use rusqlite::types::ValueRef;
use rusqlite::{ErrorCode, Statement};
use serde_json::{json, Value};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Ndjson,
}

impl Format {
    pub fn parse(s: Option<&str>) -> Result<Format, ApiError> {
        match s.unwrap_or("json") {
            "json" | "" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            other => Err(ApiError::bad_request(format!(
                "unknown format '{other}' (json, csv or ndjson)"
            ))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson; charset=utf-8",
        }
    }
}

fn is_interrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::OperationInterrupted)
}

/// Compiles the statement and checks it is one read: the authorizer's refusal or
/// SQLite's own error, as the API reports them.
fn prepare<'c>(q: &'c QueryConn, sql: &str) -> Result<Statement<'c>, ApiError> {
    if sql.trim().is_empty() {
        return Err(ApiError::bad_request("the query is empty"));
    }
    q.refusal.take();
    let stmt = q.conn.prepare(sql).map_err(|e| match q.refusal.take() {
        Some(why) => ApiError::forbidden(format!("not allowed: {why}")),
        None => match e {
            rusqlite::Error::MultipleStatement => {
                ApiError::bad_request("one statement at a time (the query holds several)")
            }
            e => ApiError::bad_request(sql_error_text(&e)),
        },
    })?;
    if !stmt.readonly() {
        return Err(ApiError::forbidden(
            "not allowed: only statements that read are run here",
        ));
    }
    Ok(stmt)
}

fn sql_error_text(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        e => e.to_string(),
    }
}

fn interrupted_error(limit: Duration) -> ApiError {
    ApiError::bad_request(format!(
        "interrupted: the query ran longer than {} ms (web.query_time_limit_ms)",
        limit.as_millis()
    ))
}

/// The next row, with the time SQLite spends on it counted against the limit.
fn step<'s>(
    q: &QueryConn,
    rows: &'s mut rusqlite::Rows<'_>,
) -> rusqlite::Result<Option<&'s rusqlite::Row<'s>>> {
    q.clock.begin_step();
    let next = rows.next();
    q.clock.end_step();
    next
}

/// The JSON reply, written row by row into one buffer as the statement steps.
pub fn run_json(
    q: &QueryConn,
    sql: &str,
    max_rows: u64,
    limit: Duration,
) -> Result<Vec<u8>, ApiError> {
    let started = Instant::now();
    q.clock.reset(limit);
    let mut stmt = prepare(q, sql)?;
    let columns: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let types: Vec<Value> = stmt
        .columns()
        .iter()
        .map(|c| {
            c.decl_type()
                .map_or(Value::Null, |t| Value::String(t.into()))
        })
        .collect();
    let n = columns.len();
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"columns\":");
    out.extend_from_slice(json!(columns).to_string().as_bytes());
    out.extend_from_slice(b",\"types\":");
    out.extend_from_slice(json!(types).to_string().as_bytes());
    out.extend_from_slice(b",\"rows\":[");
    let mut rows = stmt.raw_query();
    let mut count = 0u64;
    let (mut truncated, mut timed_out) = (false, false);
    loop {
        match step(q, &mut rows) {
            Ok(Some(row)) => {
                if count >= max_rows {
                    truncated = true;
                    break;
                }
                if count > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                for i in 0..n {
                    if i > 0 {
                        out.push(b',');
                    }
                    values::write_json(&mut out, row.get_ref(i).unwrap_or(ValueRef::Null));
                }
                out.push(b']');
                count += 1;
            }
            Ok(None) => break,
            Err(e) if is_interrupt(&e) && q.clock.expired() => {
                if count == 0 {
                    return Err(interrupted_error(limit));
                }
                timed_out = true;
                break;
            }
            Err(e) => return Err(ApiError::bad_request(sql_error_text(&e))),
        }
    }
    out.extend_from_slice(b"],");
    let tail = json!({
        "row_count": count,
        "truncated": truncated,
        "timed_out": timed_out,
        "row_limit": max_rows,
        "elapsed_ms": started.elapsed().as_millis() as u64,
    })
    .to_string();
    // The tail object's members, after the rows, in the same object.
    out.extend_from_slice(&tail.as_bytes()[1..]);
    Ok(out)
}

/// Exports that may run at once; more get 503 rather than a thread each.
const MAX_EXPORTS: usize = 4;
static EXPORTS: AtomicUsize = AtomicUsize::new(0);

struct ExportSlot;

impl ExportSlot {
    fn take() -> Option<ExportSlot> {
        EXPORTS
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_EXPORTS).then_some(n + 1)
            })
            .ok()
            .map(|_| ExportSlot)
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        EXPORTS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The body of a streamed export: chunks a producer thread sends as it steps.
pub struct ChunkReader {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.chunk = c;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Bytes gathered before a chunk is handed to the response.
const CHUNK_BYTES: usize = 64 * 1024;

/// Starts an export: the statement is checked on `q` (so a bad query is a proper
/// error reply), then stepped on a connection of the producer thread's own.
pub fn start_export(
    q: &QueryConn,
    db: PathBuf,
    sql: String,
    format: Format,
    limit: Duration,
) -> Result<ChunkReader, ApiError> {
    prepare(q, &sql)?;
    let slot = ExportSlot::take().ok_or_else(|| {
        ApiError::new(
            503,
            format!("{MAX_EXPORTS} exports are running; try again when one ends"),
        )
    })?;
    let (tx, rx) = sync_channel::<Vec<u8>>(4);
    std::thread::Builder::new()
        .name("nanocap-export".into())
        .spawn(move || {
            let _slot = slot;
            // A panic here only ends this export (the client sees a cut body).
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                export(&db, &sql, format, limit, &mut |chunk| {
                    tx.send(chunk).is_ok()
                })
            }));
        })
        .map_err(|e| ApiError::internal(format!("cannot start the export: {e}")))?;
    Ok(ChunkReader {
        rx,
        chunk: Vec::new(),
        at: 0,
    })
}

/// Steps the statement and sends the rows in chunks; stops when `send` says the
/// client went away.
fn export(
    db: &std::path::Path,
    sql: &str,
    format: Format,
    limit: Duration,
    send: &mut dyn FnMut(Vec<u8>) -> bool,
) {
    let q = match readonly::open(db) {
        Ok(q) => q,
        Err(e) => {
            send(cut_line(format, 0, &e).into_bytes());
            return;
        }
    };
    q.clock.reset(limit);
    let mut stmt = match prepare(&q, sql) {
        Ok(s) => s,
        Err(e) => {
            send(cut_line(format, 0, &e.message).into_bytes());
            return;
        }
    };
    let columns: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let keys: Vec<String> = columns
        .iter()
        .map(|c| serde_json::to_string(c).unwrap_or_default())
        .collect();
    let mut buf = String::with_capacity(CHUNK_BYTES + 4096);
    if format == Format::Csv {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            values::write_csv_text(&mut buf, c);
        }
        buf.push_str("\r\n");
    }
    let mut rows = stmt.raw_query();
    let mut count = 0u64;
    loop {
        match step(&q, &mut rows) {
            Ok(Some(row)) => {
                for (i, key) in keys.iter().enumerate() {
                    let v = row.get_ref(i).unwrap_or(ValueRef::Null);
                    match format {
                        Format::Csv => {
                            if i > 0 {
                                buf.push(',');
                            }
                            values::write_csv_field(&mut buf, v);
                        }
                        _ => {
                            buf.push(if i == 0 { '{' } else { ',' });
                            buf.push_str(key);
                            buf.push(':');
                            buf.push_str(&values::to_json(v).to_string());
                        }
                    }
                }
                match format {
                    Format::Csv => buf.push_str("\r\n"),
                    _ => buf.push_str(if columns.is_empty() { "{}\n" } else { "}\n" }),
                }
                count += 1;
                if buf.len() >= CHUNK_BYTES && !send(std::mem::take(&mut buf).into_bytes()) {
                    return;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let why = if is_interrupt(&e) && q.clock.expired() {
                    interrupted_error(limit).message
                } else {
                    sql_error_text(&e)
                };
                buf.push_str(&cut_line(format, count, &why));
                break;
            }
        }
    }
    if !buf.is_empty() {
        send(buf.into_bytes());
    }
}

/// The last line of an export that did not end by itself.
fn cut_line(format: Format, rows: u64, why: &str) -> String {
    match format {
        Format::Csv => {
            let mut s = String::new();
            values::write_csv_text(
                &mut s,
                &format!("# nanocap: export cut after {rows} rows: {why}"),
            );
            s.push_str("\r\n");
            s
        }
        _ => format!("{}\n", json!({"nanocap_error": why, "rows": rows})),
    }
}
