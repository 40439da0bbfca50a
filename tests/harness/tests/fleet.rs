//! Fleet scale, as the README shows it: one capture database per node and time slice,
//! queried together by DuckDB, which attaches each file with its sqlite_scanner
//! extension. Two fixtures imported with nano_import into two files; DuckDB's answers
//! over `a.packet UNION ALL b.packet` (and the same for votes, vote hashes and
//! connections) must be the sums of SQLite's answers per file.
//!
//! tests/run.sh installs duckdb and duckdb-extension-sqlite-scanner into target/venv and
//! passes its Python as NANOCAP_DUCKDB_PYTHON; without it the test counts as skipped.

use nanocap_tests::*;
use rusqlite::Connection;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Attaches the files given as arguments (as a, b, …) read-only and prints one JSON
/// object: each named query's rows as `|`-joined text (NULL as `NULL`).
const DUCKDB_SCRIPT: &str = r#"
import duckdb, glob, json, sys
ext = glob.glob(sys.prefix + "/lib/python3*/site-packages/duckdb_extension_sqlite_scanner/extensions/*/sqlite_scanner.duckdb_extension")[0]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{ext}'")
for name, path in zip("ab", sys.argv[1:]):
    con.execute(f"ATTACH '{path}' AS {name} (TYPE sqlite, READ_ONLY)")
queries = json.loads(sys.stdin.read())
def cell(v):
    return "NULL" if v is None else str(v)
out = {}
for name, sql in queries.items():
    out[name] = ["|".join(cell(v) for v in row) for row in con.execute(sql).fetchall()]
print(json.dumps(out))
"#;

fn import(conn: &Connection, capture: &Path) -> i64 {
    conn.query_row(&format!("SELECT nano_import({})", lit(capture)), [], |r| {
        r.get(0)
    })
    .unwrap_or_else(|e| panic!("nano_import({}): {e}", capture.display()))
}

fn duckdb(python: &std::ffi::OsStr, dbs: &[&Path], queries: &[(&str, String)]) -> Json {
    use std::io::Write;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(DUCKDB_SCRIPT)
        .args(dbs)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the DuckDB Python");
    let q: serde_json::Map<String, Json> = queries
        .iter()
        .map(|(k, v)| (k.to_string(), Json::String(v.clone())))
        .collect();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Json::Object(q).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "DuckDB failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn lines(j: &Json, name: &str) -> Vec<String> {
    j[name]
        .as_array()
        .unwrap_or_else(|| panic!("no result {name}: {j}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// `key|count` lines of a grouped count, as a map.
fn counts(lines: &[String]) -> BTreeMap<String, i64> {
    lines
        .iter()
        .map(|l| {
            let (k, n) = l.rsplit_once('|').unwrap();
            (k.to_string(), n.parse().unwrap())
        })
        .collect()
}

fn sum(maps: &[BTreeMap<String, i64>]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for m in maps {
        for (k, n) in m {
            *out.entry(k.clone()).or_default() += n;
        }
    }
    out
}

fn sqlite_lines(conn: &Connection, sql: &str) -> Vec<String> {
    query_text(conn, sql).lines().map(str::to_string).collect()
}

#[test]
fn duckdb_queries_two_capture_databases() {
    let Some(python) = std::env::var_os("NANOCAP_DUCKDB_PYTHON") else {
        skip("NANOCAP_DUCKDB_PYTHON not set (tests/run.sh installs DuckDB into target/venv)");
        return;
    };
    let dir = TempDir::new("fleet");
    let a = dir.path().join("node-a.db");
    let b = dir.path().join("node-b.db");
    let (ca, cb) = (connect_file(&a), connect_file(&b));
    // One import at a time per process; the two files hold different captures.
    assert_eq!(import(&ca, &fixture("sample.pcapng")), 336);
    assert_eq!(import(&cb, &fixture("tcp_realistic.pcapng")), 138);

    // The README's query across the fleet, and its parts per database.
    let per_type = "select count(*), msg_type from packet group by msg_type";
    let per_rep = "select account, count(*) from vote group by account";
    let per_hash = "select hash, count(*) from vote_hash group by hash";
    // `flowkey` (the original's name) is a real column; `flow_key` is a generated
    // column, which DuckDB's sqlite scanner does not list (nor does PRAGMA table_info).
    let per_flow = "select flowkey, count(*) from connection group by flowkey";
    let conn_cols = "id, run_id, frame, time, time_usec, ipv, srcip, srcport, dstip, dstport, \
                     flowkey, event, closed, detail, message_id, src_node_id, dst_node_id";
    let vh_cols = "id, packet_id, account, hash_index, hash, final, timestamp_ms, rebroadcasted, \
                   timestamp";
    let union = |t: &str| format!("(select * from a.{t} union all select * from b.{t}) {t}");
    let duck = duckdb(
        &python,
        &[&a, &b],
        &[
            (
                "per_type",
                // msg_type first, for the map; the counting is the README query's.
                format!(
                    "select msg_type, count(*) from {} group by msg_type",
                    union("packet")
                ),
            ),
            (
                "per_rep",
                format!(
                    "select account, count(*) from {} group by account",
                    union("vote")
                ),
            ),
            (
                "per_hash",
                format!(
                    "select hash, count(*) from {} group by hash",
                    union("vote_hash")
                ),
            ),
            (
                "per_flow",
                format!(
                    "select flowkey, count(*) from {} group by flowkey",
                    union("connection")
                ),
            ),
            (
                "connection_a",
                format!("select {conn_cols} from a.connection order by id"),
            ),
            (
                "vote_hash_b",
                format!("select {vh_cols} from b.vote_hash order by id"),
            ),
            (
                "connection_columns",
                "select column_name from (describe a.connection)".into(),
            ),
            (
                "frontier_b",
                "select req.id, count(*) from b.frontier_request req, b.frontier_response res \
                 where res.frontier_request_id = req.id group by req.id"
                    .into(),
            ),
        ],
    );

    let sqlite_per_type = |c: &Connection| {
        counts(
            &sqlite_lines(c, per_type)
                .iter()
                .map(|l| {
                    let (n, t) = l.split_once('|').unwrap();
                    format!("{t}|{n}")
                })
                .collect::<Vec<_>>(),
        )
    };
    let want = sum(&[sqlite_per_type(&ca), sqlite_per_type(&cb)]);
    assert_eq!(counts(&lines(&duck, "per_type")), want);
    assert_eq!(want.values().sum::<i64>(), 336 + 138);
    assert_eq!(want["5"], 103 + 48, "confirm_acks of both captures");

    for (name, sql) in [
        ("per_rep", per_rep),
        ("per_hash", per_hash),
        ("per_flow", per_flow),
    ] {
        let want = sum(&[
            counts(&sqlite_lines(&ca, sql)),
            counts(&sqlite_lines(&cb, sql)),
        ]);
        assert!(want.len() > 5, "{name}: {want:?}");
        assert_eq!(counts(&lines(&duck, name)), want, "{name}");
    }

    // Whole rows read the same: every column of connection, vote_hash's text hashes and
    // integer times, NULLs as NULLs.
    assert_eq!(
        lines(&duck, "connection_a"),
        sqlite_lines(
            &ca,
            &format!("select {conn_cols} from connection order by id")
        )
    );
    // ... and SQLite's generated flow_key equals the stored flowkey DuckDB reads.
    assert_eq!(
        sqlite_lines(
            &ca,
            "select count(*) from connection where flow_key is not flowkey"
        ),
        ["0"]
    );
    let vh = lines(&duck, "vote_hash_b");
    assert_eq!(
        vh,
        sqlite_lines(&cb, &format!("select {vh_cols} from vote_hash order by id"))
    );
    assert!(vh.len() > 100);
    let cols = lines(&duck, "connection_columns");
    assert_eq!(cols.join(", "), conn_cols);
    assert_eq!(
        lines(&duck, "frontier_b"),
        sqlite_lines(
            &cb,
            "select req.id, count(*) from frontier_request req, frontier_response res \
             where res.frontier_request_id = req.id group by req.id"
        )
    );
}
