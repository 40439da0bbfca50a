//! `nano_import` options beyond the detail switches: `filter` (a BPF expression
//! applied to the file's frames), `max_capture_megabytes`, and the rule of one import
//! at a time per process.
//!
//! A filtered import must store exactly what an unfiltered one stores for the frames
//! that pass: the expected rows come from the table functions over the whole file,
//! restricted to the frames the filter keeps. Which frames those are is worked out
//! here from the frames' bytes (nanocap's file reader hands them over; no filter code
//! is involved), following libpcap's rules (a VLAN tag hides the IP header from
//! `udp`). Message ids of a filtered import count the stored messages only, so rows
//! are compared by frame and content, never by id.

use nanocap::capture::source::{FileSource, FrameSource, ReadOutcome};
use nanocap_tests::*;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn count(conn: &Connection, sql: &str) -> i64 {
    match scalar(conn, sql) {
        Value::Integer(n) => n,
        v => panic!("{sql}: expected an integer, got {v:?}"),
    }
}

/// Rows of a query, sorted: the comparison is of multisets of rows.
fn sorted(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut rows = query(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.sort_by_cached_key(|r| format!("{r:?}"));
    rows
}

/// One import at a time per process (nano_import refuses a second): the tests of
/// this file run in parallel threads of one process.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn import_sql(capture: &Path, options: Option<&str>) -> String {
    match options {
        None => format!("SELECT nano_import({})", lit(capture)),
        Some(o) => format!(
            "SELECT nano_import({}, '{}')",
            lit(capture),
            o.replace('\'', "''")
        ),
    }
}

fn import(conn: &Connection, capture: &Path, options: Option<&str>) -> rusqlite::Result<i64> {
    let _one = one_at_a_time();
    conn.query_row(&import_sql(capture, options), [], |r| r.get(0))
}

fn filter_options(expression: &str) -> String {
    serde_json::json!({ "filter": expression }).to_string()
}

/// A filtered import into a fresh database: (connection, what nano_import returned).
fn import_filtered(dir: &TempDir, capture: &Path, expression: &str) -> (Connection, i64) {
    let conn = connect_file(&dir.path().join("f.db"));
    let n = import(&conn, capture, Some(&filter_options(expression)))
        .unwrap_or_else(|e| panic!("{expression}: {e}"));
    (conn, n)
}

/// One frame of a capture as the link layer sees it, for working out by hand what
/// a filter keeps.
struct RawFrame {
    number: u64,
    link_type: u32,
    /// Ethernet with an 802.1Q/802.1ad tag (libpcap's `udp` does not look past it).
    vlan: bool,
    /// The IP protocol of an untagged frame (17 UDP, 6 TCP), when it is plain IPv4
    /// or IPv6 without extension headers.
    proto: Option<u8>,
}

fn raw_frames(capture: &Path) -> Vec<RawFrame> {
    let mut source = FileSource::open(capture).unwrap();
    let mut out = Vec::new();
    loop {
        match source.next(&mut |f| {
            let d = f.data;
            let ethertype = |at: usize| d.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
            let (vlan, ip) = match f.link_type & 0xffff {
                1 => match ethertype(12) {
                    Some(0x8100 | 0x88a8 | 0x9100) => (true, None),
                    Some(0x0800 | 0x86dd) => (false, d.get(14..)),
                    _ => (false, None),
                },
                113 => (false, d.get(16..)),
                276 => (false, d.get(20..)),
                0 | 108 => (false, d.get(4..)),
                _ => (false, Some(d)),
            };
            let proto = ip.and_then(|ip| match ip.first().map(|b| b >> 4) {
                Some(4) => ip.get(9).copied(),
                Some(6) => ip.get(6).copied(),
                _ => None,
            });
            out.push(RawFrame {
                number: f.number,
                link_type: f.link_type,
                vlan,
                proto,
            });
        }) {
            ReadOutcome::End => return out,
            ReadOutcome::Frame | ReadOutcome::Idle | ReadOutcome::Anomaly { .. } => {}
        }
    }
}

/// The frame numbers, as an SQL list.
fn sql_list(frames: &BTreeSet<u64>) -> String {
    let items: Vec<String> = frames.iter().map(u64::to_string).collect();
    format!("({})", items.join(", "))
}

const PACKET_COLUMNS: &str = "frame, time, time_usec, transport, ipv, srcip, srcport, dstip, \
     dstport, flow_key, network, version_max, version_using, version_min, msg_type, msg_name, \
     extensions, block_type, item_count, size, error";

/// The stored packets equal the file's messages whose frame is in `frames`; the
/// votes stored with them equal the file's votes of those messages.
fn assert_stores_exactly(conn: &Connection, capture: &Path, frames: &BTreeSet<u64>) {
    let f = lit(capture);
    let list = sql_list(frames);
    let stored = sorted(conn, &format!("SELECT {PACKET_COLUMNS} FROM packet"));
    let expected = sorted(
        conn,
        &format!("SELECT {PACKET_COLUMNS} FROM nano_packets({f}) WHERE frame IN {list}"),
    );
    assert!(
        !expected.is_empty(),
        "{}: nothing expected",
        capture.display()
    );
    assert_eq!(stored.len(), expected.len(), "{}", capture.display());
    assert_eq!(stored, expected, "{}", capture.display());
    let vote = "vote_count, vbh, account, signature, signature_valid, vote_hash, timestamp_raw, \
                final, timestamp_ms, hashes, rebroadcasted";
    let stored = sorted(
        conn,
        &format!("SELECT p.frame, {vote} FROM vote JOIN packet p ON p.id = vote.packet_id"),
    );
    let expected = sorted(
        conn,
        &format!(
            "SELECT p.frame, {vote} FROM nano_votes({f}) v JOIN nano_packets({f}) p \
             ON p.id = v.packet_id WHERE p.frame IN {list}"
        ),
    );
    assert_eq!(stored, expected, "votes of {}", capture.display());
}

/// frames, filtered_frames of the one run; runs.frames and the returned count agree.
fn run_counts(conn: &Connection, returned: i64) -> (i64, Option<i64>) {
    let row = &query(
        conn,
        "SELECT r.frames, s.frames, s.filtered_frames, r.messages, r.end_reason, \
         (SELECT count(*) FROM packet) FROM runs r JOIN capture_stats s ON s.run_id = r.id_multiplier",
    )
    .unwrap()[0];
    let int = |i: usize| match &row[i] {
        Value::Integer(n) => Some(*n),
        Value::Null => None,
        v => panic!("{v:?}"),
    };
    assert_eq!(int(0), int(1), "runs.frames = capture_stats.frames");
    assert_eq!(int(3), Some(returned), "runs.messages");
    assert_eq!(int(5), Some(returned), "stored packets");
    assert_eq!(row[4], Value::Text("complete".into()));
    (int(0).unwrap(), int(2))
}

#[test]
fn a_udp_filter_stores_exactly_the_udp_messages() {
    let capture = fixture("sample.pcapng");
    let frames = raw_frames(&capture);
    let udp: BTreeSet<u64> = frames
        .iter()
        .filter(|f| !f.vlan && f.proto == Some(17))
        .map(|f| f.number)
        .collect();
    let dir = TempDir::new("filter-udp");
    let (conn, n) = import_filtered(&dir, &capture, "udp");
    assert_stores_exactly(&conn, &capture, &udp);
    // sample.pcapng has no VLAN-tagged UDP: every UDP message is kept.
    let f = lit(&capture);
    assert_eq!(
        n,
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_packets({f}) WHERE transport = 'udp'")
        )
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM packet WHERE transport <> 'udp'"
        ),
        0
    );
    // Frame numbers are the file's; every record is counted, those left out apart.
    let (total, filtered) = run_counts(&conn, n);
    assert_eq!(total, frames.len() as i64);
    assert_eq!(filtered, Some((frames.len() - udp.len()) as i64));
    assert_eq!(
        total,
        count(&conn, &format!("SELECT frames FROM nano_stats({f})"))
    );
    assert_eq!(
        query_text(
            &conn,
            "SELECT filter, json_extract(options, '$.filter') FROM runs"
        ),
        "udp|udp\n"
    );
    // No TCP reached reassembly: no connection rows.
    assert_eq!(count(&conn, "SELECT count(*) FROM connection"), 0);
}

#[test]
fn a_filter_applies_to_every_link_type_of_a_pcapng() {
    for name in ["udp_all_types.pcapng", "mixed_live.pcapng"] {
        let capture = fixture(name);
        let frames = raw_frames(&capture);
        let links: BTreeSet<u32> = frames.iter().map(|f| f.link_type).collect();
        assert!(links.len() >= 8, "{name}: {links:?}");
        let udp: BTreeSet<u64> = frames
            .iter()
            .filter(|f| !f.vlan && f.proto == Some(17))
            .map(|f| f.number)
            .collect();
        let dir = TempDir::new("filter-links");
        let (conn, n) = import_filtered(&dir, &capture, "udp");
        assert_stores_exactly(&conn, &capture, &udp);
        // Every link type has its kept messages (loopback IPv6 included).
        let kept_links: BTreeSet<u32> = frames
            .iter()
            .filter(|f| udp.contains(&f.number))
            .map(|f| f.link_type)
            .collect();
        assert_eq!(kept_links, links, "{name}");
        let (total, filtered) = run_counts(&conn, n);
        assert_eq!(total, frames.len() as i64, "{name}");
        assert_eq!(filtered, Some((frames.len() - udp.len()) as i64), "{name}");
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM anomaly WHERE kind = 'filter_not_applicable'"
            ),
            0
        );
    }
}

#[test]
fn an_expression_that_does_not_apply_to_a_link_type_leaves_its_frames_out_with_one_anomaly() {
    // `vlan` compiles for Ethernet only: the other interfaces' frames are left out,
    // each link type reported once, at its first frame.
    let capture = fixture("udp_all_types.pcapng");
    let frames = raw_frames(&capture);
    let dir = TempDir::new("filter-na");
    let (conn, n) = import_filtered(&dir, &capture, "vlan");
    let tagged: BTreeSet<u64> = frames.iter().filter(|f| f.vlan).map(|f| f.number).collect();
    assert_stores_exactly(&conn, &capture, &tagged);
    let mut first_of_each: Vec<(i64, u32)> = Vec::new();
    for f in &frames {
        if f.link_type != 1 && !first_of_each.iter().any(|(_, lt)| *lt == f.link_type) {
            first_of_each.push((f.number as i64, f.link_type));
        }
    }
    let anomalies = query(
        &conn,
        "SELECT frame, detail FROM anomaly WHERE kind = 'filter_not_applicable' ORDER BY frame",
    )
    .unwrap();
    // 101 and 12 are both judged as libpcap's DLT_RAW: one report for the two.
    let expected: Vec<i64> = first_of_each
        .iter()
        .filter(|(_, lt)| *lt != 12 || !first_of_each.iter().any(|(_, o)| *o == 101))
        .map(|(n, _)| *n)
        .collect();
    let got: Vec<i64> = anomalies
        .iter()
        .map(|r| match r[0] {
            Value::Integer(n) => n,
            _ => panic!(),
        })
        .collect();
    assert_eq!(got, expected);
    for row in &anomalies {
        let detail = value_text(&row[1]);
        assert!(
            detail.starts_with("the filter 'vlan' cannot be applied to link type "),
            "{detail}"
        );
        assert!(detail.contains("no VLAN support"), "{detail}");
    }
    let (total, filtered) = run_counts(&conn, n);
    assert_eq!(filtered, Some(total - tagged.len() as i64));
}

#[test]
fn port_filters_keep_whole_tcp_connections() {
    let capture = fixture("sample.pcapng");
    let frames = raw_frames(&capture);
    let probe = connect();
    let f = lit(&capture);
    // The client port of every TCP connection.
    let ports: Vec<i64> = query(
        &probe,
        &format!(
            "SELECT DISTINCT srcport FROM nano_packets({f}) WHERE transport = 'tcp' AND srcport <> 44000"
        ),
    )
    .unwrap()
    .into_iter()
    .map(|r| match r[0] {
        Value::Integer(p) => p,
        _ => panic!(),
    })
    .collect();
    assert!(ports.len() >= 4, "{ports:?}");
    let untagged: BTreeSet<u64> = frames
        .iter()
        .filter(|f| !f.vlan)
        .map(|f| f.number)
        .collect();
    let mut kept_some = 0;
    for port in ports {
        // The messages of this connection that travel in frames libpcap can read.
        let mut expected: BTreeSet<u64> = BTreeSet::new();
        for r in query(
            &probe,
            &format!(
                "SELECT frame FROM nano_packets({f}) WHERE transport = 'tcp' \
                 AND {port} IN (srcport, dstport)"
            ),
        )
        .unwrap()
        {
            let Value::Integer(frame) = r[0] else {
                panic!()
            };
            expected.insert(frame as u64);
        }
        let all_readable = expected.iter().all(|n| untagged.contains(n));
        let dir = TempDir::new("filter-port");
        let (conn, n) = import_filtered(&dir, &capture, &format!("tcp port {port}"));
        if !all_readable {
            // A VLAN-tagged connection: `tcp port` sees none of it.
            assert!(expected.iter().all(|n| !untagged.contains(n)), "{port}");
            assert_eq!(n, 0, "{port}");
            continue;
        }
        kept_some += 1;
        assert_stores_exactly_packets(&conn, &capture, &expected);
        // The connection's events are the ones the whole file gives it, except that
        // the capture ends (for the connections still open) with the last frame that
        // passed, as a capture made with this filter would.
        let cols = "frame, time_usec, srcip, srcport, dstip, dstport, flow_key, event, closed, \
                    detail, src_node_id, dst_node_id";
        let not_end = "event <> 'open at end of capture'";
        assert_eq!(
            sorted(
                &conn,
                &format!("SELECT {cols} FROM connection WHERE {not_end}")
            ),
            sorted(
                &conn,
                &format!(
                    "SELECT {cols} FROM nano_connections({f}, 'details') \
                     WHERE {port} IN (srcport, dstport) AND {not_end}"
                )
            ),
            "tcp port {port}"
        );
        let last = *expected.last().unwrap() as i64;
        for frame in query(
            &conn,
            "SELECT frame FROM connection WHERE event = 'open at end of capture'",
        )
        .unwrap()
        {
            let Value::Integer(frame) = frame[0] else {
                panic!()
            };
            assert!(frame >= last, "tcp port {port}: {frame} < {last}");
            assert!(
                frames.iter().any(|f| f.number as i64 == frame && !f.vlan),
                "tcp port {port}: the end is a frame that passed"
            );
        }
    }
    assert!(kept_some >= 3);
}

fn assert_stores_exactly_packets(conn: &Connection, capture: &Path, frames: &BTreeSet<u64>) {
    let f = lit(capture);
    assert_eq!(
        sorted(conn, &format!("SELECT {PACKET_COLUMNS} FROM packet")),
        sorted(
            conn,
            &format!(
                "SELECT {PACKET_COLUMNS} FROM nano_packets({f}) WHERE frame IN {}",
                sql_list(frames)
            )
        ),
        "{}",
        capture.display()
    );
}

#[test]
fn a_port_filter_on_a_live_network_capture() {
    // mixed_live.pcapng: the live network's port 7075, UDP and TCP, many link types.
    let capture = fixture("mixed_live.pcapng");
    let frames = raw_frames(&capture);
    let readable: BTreeSet<u64> = frames
        .iter()
        .filter(|f| !f.vlan && matches!(f.proto, Some(6 | 17)))
        .map(|f| f.number)
        .collect();
    let dir = TempDir::new("filter-7075");
    let (conn, n) = import_filtered(&dir, &capture, "port 7075");
    let f = lit(&capture);
    let expected: BTreeSet<u64> = query(
        &conn,
        &format!("SELECT frame FROM nano_packets({f}) WHERE 7075 IN (srcport, dstport)"),
    )
    .unwrap()
    .into_iter()
    .filter_map(|r| match r[0] {
        Value::Integer(n) if readable.contains(&(n as u64)) => Some(n as u64),
        _ => None,
    })
    .collect();
    assert!(count(&conn, "SELECT count(*) FROM packet WHERE transport = 'tcp'") > 0);
    assert_stores_exactly_packets(&conn, &capture, &expected);
    let (total, filtered) = run_counts(&conn, n);
    assert_eq!(filtered, Some(total - readable.len() as i64));
}

#[test]
fn a_filter_matching_nothing_stores_no_packets_and_the_run_completes() {
    let capture = fixture("sample.pcapng");
    let total = raw_frames(&capture).len() as i64;
    // A port nobody uses; an expression that can never match (libpcap's optimiser
    // calls that an error; nanocap keeps the program that rejects everything).
    for expression in ["udp port 1", "ip and ip6"] {
        let dir = TempDir::new("filter-none");
        let (conn, n) = import_filtered(&dir, &capture, expression);
        assert_eq!(n, 0, "{expression}");
        let (frames, filtered) = run_counts(&conn, 0);
        assert_eq!((frames, filtered), (total, Some(total)), "{expression}");
        assert_eq!(count(&conn, "SELECT count(*) FROM anomaly"), 0);
        assert_eq!(
            query_text(&conn, "SELECT filter, ended IS NOT NULL FROM runs"),
            format!("{expression}|1\n")
        );
    }
}

#[test]
fn an_empty_filter_filters_nothing() {
    let capture = fixture("sample.pcapng");
    for options in [r#"{"filter": ""}"#, r#"{"filter": "  "}"#, "{}"] {
        let dir = TempDir::new("filter-empty");
        let conn = connect_file(&dir.path().join("e.db"));
        let n = import(&conn, &capture, Some(options)).unwrap();
        let f = lit(&capture);
        assert_eq!(
            n,
            count(&conn, &format!("SELECT count(*) FROM nano_packets({f})"))
        );
        assert_eq!(
            query_text(
                &conn,
                "SELECT r.filter IS NULL, s.filtered_frames IS NULL FROM runs r, capture_stats s"
            ),
            "1|1\n",
            "{options}"
        );
    }
}

#[test]
fn bad_filters_are_sql_errors_naming_the_expression_and_write_nothing() {
    let dir = TempDir::new("filter-bad");
    let conn = connect_file(&dir.path().join("bad.db"));
    for (capture, expression, says) in [
        ("sample.pcapng", "port x", "unknown port 'x'"),
        ("sample.pcapng", "udp and and", "syntax error"),
        ("sample.pcapng", "tcp port 70000", "port"),
        (
            "sample.pcapng",
            "ether host nosuchhost.invalid",
            "nosuchhost.invalid",
        ),
        // A pcap file says its one link type up front: an expression that cannot
        // apply to it is refused at once.
        (
            "link_ipv6.pcap",
            "vlan and udp",
            "no VLAN support for Raw IPv6 (the file's link type is 229",
        ),
        (
            "link_sll2_ns_be.pcap",
            "ether src 1:2:3:4:5:6",
            "ethernet addresses",
        ),
    ] {
        let e = import(&conn, &fixture(capture), Some(&filter_options(expression)))
            .expect_err(expression)
            .to_string();
        let start = format!("nano_import: bad filter '{expression}': ");
        assert!(e.starts_with(&start), "{expression}: {e}");
        assert!(e.contains(says), "{expression}: {e}");
    }
    // Nothing at all was written: no schema, no runs row.
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_schema"), 0);
}

/// A generated capture bigger than one commit (the writer commits at least every
/// 200 000 rows, whatever the speed), made once for the tests that need one.
fn big_capture() -> &'static Path {
    static BIG: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = BIG.get_or_init(|| {
        let dir = TempDir::new("import-big");
        let path = dir.path().join("big.pcapng");
        let file = std::fs::File::create(&path).unwrap();
        nanocap::synth::bench(80_000, 11, std::io::BufWriter::new(file)).unwrap();
        (dir, path)
    });
    path
}

#[test]
fn max_capture_megabytes_stops_the_import_cleanly() {
    let capture = big_capture();
    let dir = TempDir::new("import-max");
    let db = dir.path().join("m.db");
    let conn = connect_file(&db);
    // Without signature checks the import is at its fastest: the limit still stops
    // it, at the first commit (200 000 rows at the latest; the file holds several
    // times that).
    let options = r#"{"max_capture_megabytes": 1, "verify_signatures": false}"#;
    let n = import(&conn, capture, Some(options)).unwrap();
    assert_eq!(
        query_text(
            &conn,
            "SELECT end_reason, max_size_reached, ended IS NOT NULL FROM runs"
        ),
        "max_size|1|1\n"
    );
    let stored = count(&conn, "SELECT count(*) FROM packet");
    assert_eq!(n, stored, "the returned count is the stored packets");
    assert_eq!(count(&conn, "SELECT messages FROM runs"), stored);
    let total = count(
        &conn,
        &format!("SELECT count(*) FROM nano_packets({})", lit(capture)),
    );
    assert!(stored > 0 && stored < total, "{stored} of {total}");
    // The rows kept are the capture's first messages, whole.
    assert_eq!(count(&conn, "SELECT max(id) FROM packet"), stored);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM packet p WHERE msg_name = 'confirm_ack' AND error IS NULL \
             AND NOT EXISTS (SELECT 1 FROM vote v WHERE v.id = p.id)"
        ),
        0
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM capture_stats"), 1);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
    // It stopped at the first commit past the limit, not at the end of the file.
    let size = count(
        &conn,
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    );
    assert!(size >= 1024 * 1024, "{size}");
}

#[test]
fn a_second_import_while_one_runs_is_a_clear_error() {
    let capture = big_capture();
    let _one = one_at_a_time();
    let dir = TempDir::new("import-two");
    let first_db = dir.path().join("first.db");
    let second_db = dir.path().join("second.db");
    let sql = import_sql(capture, Some(r#"{"verify_signatures": false}"#));
    let first = {
        let (db, sql) = (first_db.clone(), sql.clone());
        std::thread::spawn(move || {
            let conn = connect_file(&db);
            conn.query_row(&sql, [], |r| r.get::<_, i64>(0))
        })
    };
    // Wait until the first import is under way (it takes seconds).
    let watcher = connect();
    let started = std::time::Instant::now();
    loop {
        let status: serde_json::Value = serde_json::from_str(&value_text(&scalar(
            &watcher,
            "SELECT nano_capture_status()",
        )))
        .unwrap();
        if status["importing"] == true {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // From another connection, and from another thread: refused, with the reason.
    let second = {
        let sql = sql.clone();
        std::thread::spawn(move || {
            let conn = connect_file(&second_db);
            let r = conn.query_row(&sql, [], |r| r.get::<_, i64>(0));
            let schema = count(&conn, "SELECT count(*) FROM sqlite_schema");
            (r, schema)
        })
    };
    let (r, schema) = second.join().unwrap();
    let e = r.expect_err("a second import must be refused").to_string();
    assert!(
        e.starts_with("nano_import: another import or capture is running in this process"),
        "{e}"
    );
    assert!(e.contains("big.pcapng"), "{e}");
    assert_eq!(schema, 0, "the refused import wrote nothing");
    let first = first.join().unwrap().expect("the first import goes on");
    let conn = connect_file(&first_db);
    assert_eq!(count(&conn, "SELECT count(*) FROM packet"), first);
    assert_eq!(
        query_text(&conn, "SELECT end_reason FROM runs"),
        "complete\n"
    );
    // Once it is done, the next import runs.
    let third = connect_file(&dir.path().join("third.db"));
    assert!(
        third
            .query_row(&import_sql(&fixture("sample.pcapng"), None), [], |r| r
                .get::<_, i64>(0))
            .unwrap()
            > 0
    );
}
