//! Losses that once left no trace, at the scale fuzzing found them: connections whose
//! only data is a cut-off message (most of them evicted to bound memory), and holes in
//! connections that never carry a whole message. Every eviction, every hole and every
//! unfinished message is a row.

use nanocap_tests::*;
use rusqlite::types::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `(key, count)` rows of a grouped count, as a map.
fn counts(conn: &rusqlite::Connection, sql: &str) -> BTreeMap<String, i64> {
    query(conn, sql)
        .unwrap()
        .into_iter()
        .map(|r| match (&r[0], &r[1]) {
            (Value::Text(k), Value::Integer(n)) => (k.clone(), *n),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|&(k, n)| (k.to_string(), n)).collect()
}

/// Anomalies that `nano_stats` counts must be the ones `nano_anomalies` lists (the
/// captures here hold no malformed message, which only the latter lists).
fn assert_stats_agree(conn: &rusqlite::Connection, path: &Path) {
    let listed = scalar(
        conn,
        &format!("SELECT count(*) FROM nano_anomalies({})", lit(path)),
    );
    let counted = scalar(
        conn,
        &format!("SELECT anomalies FROM nano_stats({})", lit(path)),
    );
    assert_eq!(listed, counted);
}

#[test]
fn two_hundred_thousand_cut_off_connections_are_all_reported() {
    let dir = TempDir::new("cut_off");
    let path = dir.path().join("cut_off.pcap");
    generate(&path, |w| {
        nanocap::synth::hostile::cut_off_headers(200_000, w)
    });
    let conn = connect();
    let anomalies = counts(
        &conn,
        &format!(
            "SELECT kind, count(*) FROM nano_anomalies({}) GROUP BY kind",
            lit(&path)
        ),
    );
    // The table tracks 65,536 connections and, when full, evicts the oldest sixteenth
    // of them (4,096) at once: the 134,464 connections past the first 65,536 take 33
    // such batches. The rest are open at the end. Each leaves its 6 bytes as an
    // unfinished message.
    let (tracked, batch) = (65_536, 65_536 / 16);
    let evicted = (200_000 - tracked as i64 + batch - 1) / batch * batch;
    let expected = [("tcp_evicted", evicted), ("tcp_truncated", 200_000)];
    assert_eq!(anomalies, map(&expected));
    let events = counts(
        &conn,
        &format!(
            "SELECT event, count(*) FROM nano_connections({}) GROUP BY event",
            lit(&path)
        ),
    );
    let expected = [
        ("evicted", evicted),
        ("open", 200_000),
        ("open at end of capture", 200_000 - evicted),
    ];
    assert_eq!(events, map(&expected));
    assert_stats_agree(&conn, &path);
}

#[test]
fn a_thousand_holes_in_connections_without_a_whole_message_are_all_reported() {
    let dir = TempDir::new("holes");
    let path = dir.path().join("holes.pcap");
    generate(&path, |w| {
        nanocap::synth::hostile::holes_without_messages(1_000, w)
    });
    let conn = connect();
    let gaps = scalar(
        &conn,
        &format!(
            "SELECT count(*) FROM nano_anomalies({}) WHERE kind = 'tcp_gap' \
             AND detail = '10 bytes never captured; skipped'",
            lit(&path)
        ),
    );
    assert_eq!(gaps, Value::Integer(1_000));
    let gap_events = scalar(
        &conn,
        &format!(
            "SELECT count(DISTINCT srcip) FROM nano_connections({}) WHERE event = 'gap'",
            lit(&path)
        ),
    );
    assert_eq!(gap_events, Value::Integer(1_000));
    assert_eq!(
        scalar(
            &conn,
            &format!("SELECT count(*) FROM nano_packets({})", lit(&path))
        ),
        Value::Integer(0)
    );
    assert_stats_agree(&conn, &path);
}
