//! The endpoints that answer JSON objects: status, schema, counts, and the capture
//! actions, which call the library's own capture functions (the same pipeline and
//! writer as `nano_capture_start()` in any SQLite host).

use crate::error::ApiError;
use crate::readonly::QueryConn;
use crate::App;
use nanocap::store::{self, capture, status};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The database file and its WAL, as they take space on the disk.
pub fn database_bytes(db: &Path) -> u64 {
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    size(db) + size(Path::new(&wal))
}

fn last_run_hit_max_size(q: &QueryConn) -> bool {
    q.conn
        .query_row(
            "SELECT max_size_reached FROM runs ORDER BY id_multiplier DESC LIMIT 1",
            [],
            |r| r.get::<_, i64>(0),
        )
        .is_ok_and(|v| v != 0)
}

pub fn status(app: &App, q: &QueryConn) -> Value {
    let s = status::snapshot();
    let elapsed = s
        .elapsed_ms
        .or_else(|| s.started.map(|t| t.elapsed().as_millis() as u64));
    let capture = s.capture.as_ref();
    let capturing = capture.is_some_and(|c| c.capturing);
    // The import fields belong to the last import, unless a capture ran since.
    let import = s.file.as_ref().map(|file| {
        json!({
            "file": file,
            "bytes_read": s.bytes_read,
            "bytes_total": s.bytes_total,
            "messages": s.messages,
            "anomalies": s.anomalies,
            "elapsed_ms": elapsed,
        })
    });
    // nanocap-serve's own --pcap: how it ended, also when it failed before the
    // library started it (a missing file), which the library's status cannot say.
    let end = app
        .import_end
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut import = import;
    if let Some((file, key, value)) = end {
        let i = import.get_or_insert_with(|| json!({ "file": file }));
        if i["file"] == file.as_str() {
            i[key] = Value::String(value);
        }
    }
    let capture_json = capture.map(|c| {
        let mut m = c.to_json();
        m.insert("messages".into(), s.messages.into());
        m.insert("anomalies".into(), s.anomalies.into());
        Value::Object(m)
    });
    let max_reached = capture.is_some_and(|c| c.max_size_reached) || last_run_hit_max_size(q);
    json!({
        "version": nanocap::sql::scalar::version_text(),
        "capturing": capturing,
        "importing": s.importing,
        "max_db_size_reached": max_reached,
        "packet_queue_size": capture.map_or(0, |c| c.queue_depth),
        "packet_parse_error_count": s.anomalies,
        "database": app.db.display().to_string(),
        "database_bytes": database_bytes(&app.db),
        "messages_per_second": (app.rate.per_second() * 10.0).round() / 10.0,
        "import": import,
        "capture": capture_json,
        "token_required": !app.config.web.token.is_empty(),
    })
}

fn db_error(e: rusqlite::Error) -> ApiError {
    ApiError::internal(format!("database: {e}"))
}

pub fn schema(q: &QueryConn) -> Result<Value, ApiError> {
    q.clock.reset(Duration::ZERO);
    let tables: Vec<String> = q
        .conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY rowid",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(db_error)?;
    let mut out = Vec::new();
    for t in tables {
        let columns: Vec<Value> = q
            .conn
            .prepare(
                "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
            )
            .and_then(|mut s| {
                s.query_map([&t], |r| {
                    Ok(json!({
                        "cid": r.get::<_, i64>(0)?,
                        "name": r.get::<_, String>(1)?,
                        "type": r.get::<_, String>(2)?,
                        "notnull": r.get::<_, i64>(3)? != 0,
                        "dflt_value": r.get::<_, Option<String>>(4)?,
                        "pk": r.get::<_, i64>(5)?,
                    }))
                })?
                .collect()
            })
            .map_err(db_error)?;
        let indexes: Vec<Value> = q
            .conn
            .prepare(
                "SELECT il.name, il.\"unique\", \
                 (SELECT json_group_array(name) FROM pragma_index_info(il.name)) \
                 FROM pragma_index_list(?1) AS il ORDER BY il.name",
            )
            .and_then(|mut s| {
                s.query_map([&t], |r| {
                    let cols: String = r.get(2)?;
                    Ok(json!({
                        "name": r.get::<_, String>(0)?,
                        "unique": r.get::<_, i64>(1)? != 0,
                        "columns": serde_json::from_str::<Value>(&cols).unwrap_or(Value::Null),
                    }))
                })?
                .collect()
            })
            .map_err(db_error)?;
        out.push(json!({"table": t, "columns": columns, "indexes": indexes}));
    }
    Ok(Value::Array(out))
}

/// Counts of this worker's connection, kept while `PRAGMA data_version` (which
/// changes when any other connection commits) stays the same: a count of a
/// million rows costs milliseconds, checking the version microseconds.
#[derive(Default)]
pub struct CountCache {
    version: Option<i64>,
    values: Vec<(&'static str, Value)>,
}

impl CountCache {
    pub fn get(
        &mut self,
        q: &QueryConn,
        key: &'static str,
        count: fn(&QueryConn) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let version: i64 = q
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(db_error)?;
        if self.version != Some(version) {
            self.version = Some(version);
            self.values.clear();
        }
        if let Some((_, v)) = self.values.iter().find(|(k, _)| *k == key) {
            return Ok(v.clone());
        }
        let v = count(q)?;
        self.values.push((key, v.clone()));
        Ok(v)
    }
}

pub fn count_packets(q: &QueryConn) -> Result<Value, ApiError> {
    q.clock.reset(Duration::ZERO);
    let n: i64 = q
        .conn
        .query_row("SELECT count(*) FROM packet", [], |r| r.get(0))
        .map_err(db_error)?;
    Ok(json!({ "count": n }))
}

/// The original's 32 entries, one per type code, with the name added.
pub fn count_per_type(q: &QueryConn) -> Result<Value, ApiError> {
    q.clock.reset(Duration::ZERO);
    let mut counts = [0i64; 32];
    let mut stmt = q
        .conn
        .prepare("SELECT msg_type, count(*) FROM packet WHERE msg_type BETWEEN 0 AND 31 GROUP BY 1")
        .map_err(db_error)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .map_err(db_error)?;
    for row in rows {
        let (t, n) = row.map_err(db_error)?;
        counts[t as usize] = n;
    }
    Ok(Value::Array(
        counts
            .iter()
            .enumerate()
            .map(|(t, &n)| {
                json!({"type": t, "name": nanocap::protocol::msg_name(t as u8), "count": n})
            })
            .collect(),
    ))
}

/// A library error about the one writer slot is a conflict; others are failures.
fn action_error(e: String) -> ApiError {
    if e.contains("another import or capture") || e.contains("no capture is running") {
        ApiError::conflict(e)
    } else {
        ApiError::internal(e)
    }
}

fn json_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!({ "summary": text }))
}

pub fn capture_start(app: &App) -> Result<Value, ApiError> {
    if status::snapshot().importing {
        return Err(ApiError::conflict(
            "an import is running; start the capture after it",
        ));
    }
    let started = capture::start(capture::StartRequest {
        db_path: app.db.clone(),
        device: None,
        filter: None,
        options: app.config.capture.clone(),
    })
    .map_err(action_error)?;
    let mut v = started.to_json();
    v["capturing"] = Value::Bool(true);
    Ok(v)
}

pub fn capture_stop() -> Result<Value, ApiError> {
    let summary = capture::stop().map_err(action_error)?;
    let mut v = json_text(&summary);
    if let Value::Object(m) = &mut v {
        m.insert("capturing".into(), Value::Bool(false));
    }
    Ok(v)
}

pub fn capture_toggle(app: &App) -> Result<Value, ApiError> {
    if status::snapshot().importing {
        return Err(ApiError::conflict("Import in progress"));
    }
    if capture::is_running() {
        capture_stop()
    } else {
        capture_start(app)
    }
}

/// Removes every captured row; a running capture is stopped first and started
/// again after.
pub fn capture_destroy(app: &App) -> Result<Value, ApiError> {
    if status::snapshot().importing {
        return Err(ApiError::conflict(
            "an import is running; remove the data after it",
        ));
    }
    let was_capturing = capture::is_running();
    if was_capturing {
        capture::stop().map_err(action_error)?;
    }
    let db = store::writer::open_database(&app.db).map_err(ApiError::internal)?;
    let deleted = store::schema::clear(&db).map_err(ApiError::internal)?;
    if was_capturing {
        capture_start(app)?;
    }
    Ok(json!({
        "deleted_rows": deleted,
        "restarted_capture": was_capturing,
        "database_bytes": database_bytes(&app.db),
    }))
}
