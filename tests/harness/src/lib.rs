//! Helpers for the integration tests: find the built extension, open a SQLite
//! connection with it loaded, run queries into plain values.

use rusqlite::types::Value;
use rusqlite::{Connection, LoadExtensionGuard};
use std::path::PathBuf;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The built extension, without its file suffix as users pass it to `.load`.
/// `NANOCAP_EXT` overrides; default `target/release/libnanocap`.
pub fn extension_path() -> PathBuf {
    if let Ok(p) = std::env::var("NANOCAP_EXT") {
        return PathBuf::from(p);
    }
    let p = repo_root().join("target/release/libnanocap");
    assert!(
        p.with_extension("so").exists(),
        "{} not built: run `cargo build --release` in the repository root first",
        p.with_extension("so").display()
    );
    p
}

pub fn fixture(name: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(name)
}

/// The real captures shipped beside the project (not in a fresh clone).
pub fn shared_capture(name: &str) -> Option<PathBuf> {
    let p = repo_root().join("../shared/captures").join(name);
    p.exists().then_some(p)
}

/// An in-memory database with the extension loaded.
pub fn connect() -> Connection {
    let conn = Connection::open_in_memory().expect("open sqlite");
    // SAFETY: loading our own extension, built from this repository.
    unsafe {
        let _guard = LoadExtensionGuard::new(&conn).expect("enable extension loading");
        conn.load_extension(extension_path(), None::<&str>)
            .expect("load libnanocap");
    }
    conn
}

/// Runs a query and returns every row as a vector of values.
pub fn query(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Vec<Value>>> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let rows = stmt.query_map([], |row| (0..n).map(|i| row.get::<_, Value>(i)).collect())?;
    rows.collect()
}

/// A query's rows as text lines (`|`-separated, NULL as `NULL`), for snapshots.
pub fn query_text(conn: &Connection, sql: &str) -> String {
    let rows = query(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(value_text).collect();
        out.push_str(&cells.join("|"));
        out.push('\n');
    }
    out
}

pub fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Text(t) => t.clone(),
        Value::Blob(b) => format!(
            "x'{}'",
            b.iter().map(|x| format!("{x:02x}")).collect::<String>()
        ),
    }
}

/// A single value of a one-row, one-column query.
pub fn scalar(conn: &Connection, sql: &str) -> Value {
    conn.query_row(sql, [], |r| r.get::<_, Value>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// SQL string literal for a path.
pub fn lit(p: &std::path::Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "''"))
}
