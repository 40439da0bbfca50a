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

pub use nanocap::test_support::{captures_dir, skip};

/// Runs a script with Debian's Python (whose sqlite3 module can load extensions) and
/// returns what it printed; `None` after recording a skip when that Python is absent.
/// A failing script fails the test.
pub fn python(script: &str) -> Option<String> {
    let Ok(out) = std::process::Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .output()
    else {
        skip("no /usr/bin/python3");
        return None;
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

/// A real capture, when it is there (not in a fresh clone).
pub fn shared_capture(name: &str) -> Option<PathBuf> {
    let p = captures_dir().join(name);
    p.exists().then_some(p)
}

/// Every committed capture of `tests/fixtures` as a SQL literal, sorted, and the real
/// capture when it is there (a skip is noted when it is not).
pub fn every_capture() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo_root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .map(|p| lit(&p))
        .collect();
    out.sort();
    assert!(out.len() >= 8, "fixtures missing: {out:?}");
    match shared_capture("rsnano_dev_live_small.pcap") {
        Some(p) => out.push(lit(&p)),
        None => skip("rsnano_dev_live_small.pcap is not in the captures directory"),
    }
    out
}

/// The plan SQLite shows for `sql` (`EXPLAIN QUERY PLAN`), one detail per line.
pub fn query_plan(conn: &Connection, sql: &str) -> String {
    let rows = query(conn, &format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    rows.iter()
        .map(|r| value_text(&r[3]))
        .collect::<Vec<_>>()
        .join("\n")
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

/// A database file with the extension loaded (created when missing).
pub fn connect_file(path: &std::path::Path) -> Connection {
    let conn = Connection::open(path).expect("open sqlite database file");
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

/// Writes a classic pcap (Ethernet) with one IPv4 UDP datagram per payload, from
/// 10.0.0.1:7075 to 10.0.0.2:7075, one second apart starting at 2024-01-01.
/// For tests that need exact bytes on the wire, such as docs/protocol.md's examples.
pub fn write_udp_pcap(path: &std::path::Path, payloads: &[Vec<u8>]) {
    let forward: Vec<(bool, Vec<u8>)> = payloads.iter().map(|p| (true, p.clone())).collect();
    write_udp_pcap_both_ways(path, &forward);
}

/// Like `write_udp_pcap`, but each payload says its direction: `true` from
/// 10.0.0.1 to 10.0.0.2, `false` back.
pub fn write_udp_pcap_both_ways(path: &std::path::Path, payloads: &[(bool, Vec<u8>)]) {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::DataLink;
    let file = std::fs::File::create(path).expect("create pcap");
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(file, header).expect("pcap header");
    for (i, (forward, payload)) in payloads.iter().enumerate() {
        let (a, b) = if *forward {
            ([10, 0, 0, 1], [10, 0, 0, 2])
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1])
        };
        let builder = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(a, b, 64)
            .udp(7075, 7075);
        let mut frame = Vec::with_capacity(builder.size(payload.len()));
        builder.write(&mut frame, payload).expect("build frame");
        let ts = std::time::Duration::from_secs(1_704_067_200 + i as u64);
        w.write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame))
            .expect("write packet");
    }
}

/// Bytes from a hex dump such as docs/protocol.md prints: offsets (`0000:`) and
/// whitespace are ignored.
pub fn hex_dump(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in text.lines() {
        let data = match line.split_once(':') {
            Some((_, rest)) => rest,
            None => line,
        };
        for tok in data.split_whitespace() {
            out.push(u8::from_str_radix(tok, 16).unwrap_or_else(|_| panic!("bad hex {tok}")));
        }
    }
    out
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A fresh directory for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("nanocap-{name}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The capture file a generator writes (`nanocap::synth::bench`, `synth::hostile`…):
/// `generate(path, |w| nanocap::synth::hostile::cut_off_headers(1000, w))`.
pub fn generate<T>(
    path: &std::path::Path,
    write: impl FnOnce(std::io::BufWriter<std::fs::File>) -> std::io::Result<T>,
) {
    let file = std::fs::File::create(path).expect("create capture file");
    write(std::io::BufWriter::new(file)).expect("write capture file");
}
