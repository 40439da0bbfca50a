//! `nano_import` into real database files: every persistent table holds exactly the
//! rows of its table function (ids mapped with the run's packet_id_base), links
//! point to the right rows, options remove exactly their rows, and early stops
//! (cut-off file, Ctrl-C) keep what was written in a sound database.

use nanocap_tests::*;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

fn count(conn: &Connection, sql: &str) -> i64 {
    match scalar(conn, sql) {
        Value::Integer(n) => n,
        v => panic!("{sql}: expected an integer, got {v:?}"),
    }
}

fn err(conn: &Connection, sql: &str) -> String {
    match query(conn, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(e) => e.to_string(),
    }
}

/// Rows of a query, sorted: the comparison is of multisets of rows.
fn sorted(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    let mut rows = query(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.sort_by_cached_key(|r| format!("{r:?}"));
    rows
}

/// A fresh database file with the extension loaded.
fn fresh_db(dir: &TempDir, name: &str) -> (Connection, PathBuf) {
    let path = dir.path().join(name);
    (connect_file(&path), path)
}

/// One import at a time per process (nano_import refuses a second): the tests of
/// this file run in parallel threads of one process.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn import(conn: &Connection, capture: &Path, options: Option<&str>) -> rusqlite::Result<i64> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let sql = match options {
        None => format!("SELECT nano_import({})", lit(capture)),
        Some(o) => format!(
            "SELECT nano_import({}, '{}')",
            lit(capture),
            o.replace('\'', "''")
        ),
    };
    conn.query_row(&sql, [], |r| r.get(0))
}

const BLOCK_TYPES: &[(&str, &str)] = &[
    (
        "state",
        "account, previous, representative, balance, link, link_as_account",
    ),
    ("send", "previous, destination, balance"),
    ("receive", "previous, source"),
    ("open", "source, representative, account"),
    ("change", "previous, representative"),
];

const META: &str = "frame, time, time_usec, srcip, srcport, dstip, dstport, flow_key";

/// (table, stored rows, table function rows) with the same columns in the same order.
/// In the text: {f} the capture, {b} the run's packet_id_base, {r} the run id, {in}
/// the run's packet ids.
fn pairs() -> Vec<(String, String, String)> {
    let mut p: Vec<(String, String, String)> = Vec::new();
    let mut add = |t: &str, s: String, f: String| p.push((t.to_string(), s, f));
    add(
        "packet",
        "SELECT id - {b}, frame, time, time_usec, transport, ipv, srcip, srcport, dstip, dstport, \
         flow_key, network, version_max, version_using, version_min, msg_type, msg_name, \
         extensions, block_type, item_count, size, error FROM packet WHERE run_id = {r}"
            .into(),
        "SELECT id, frame, time, time_usec, transport, ipv, srcip, srcport, dstip, dstport, \
         flow_key, network, version_max, version_using, version_min, msg_type, msg_name, \
         extensions, block_type, item_count, size, error FROM nano_packets({f})"
            .into(),
    );
    for (t, own) in BLOCK_TYPES {
        let common = format!("{META}, context");
        let tail = "hash, signature, signature_valid, work, work_valid, originator";
        add(
            &format!("block_{t}"),
            format!(
                "SELECT packet_id - {{b}}, {common}, request_id - {{b}}, item_index, {own}, {tail} \
                 FROM block_{t} WHERE packet_id IN {{in}}"
            ),
            format!(
                "SELECT packet_id, {common}, request_id, item_index, {own}, {tail} \
                 FROM nano_blocks({{f}}) WHERE type_name = '{t}'"
            ),
        );
    }
    for (table, request, context) in [
        ("bulk_pull_response", "bulk_pull_request_id", "bulk_pull"),
        ("bulk_push_entry", "packet_id", "bulk_push"),
    ] {
        // Through the content link: a wrong link loses or changes the row.
        let stored: Vec<String> = BLOCK_TYPES
            .iter()
            .map(|(t, _)| {
                format!(
                    "SELECT r.{request} - {{b}}, r.item_index, c.hash, c.context FROM {table} r \
                     JOIN block_{t} c ON r.content_table = 'block_{t}' AND c.id = r.content_id \
                     WHERE r.{request} IN {{in}}"
                )
            })
            .collect();
        add(
            table,
            stored.join(" UNION ALL "),
            format!(
                "SELECT request_id, item_index, hash, context FROM nano_blocks({{f}}) \
                 WHERE context = '{context}'"
            ),
        );
    }
    let vote = "vote_count, vbh, account, signature, signature_valid, vote_hash, timestamp_raw, \
                final, timestamp_ms, timestamp, duration_ms, sequence, hashes, block_hash, \
                rebroadcasted, version_using";
    add(
        "vote",
        format!("SELECT id - {{b}}, packet_id - {{b}}, {vote} FROM vote WHERE packet_id IN {{in}}"),
        format!("SELECT packet_id, packet_id, {vote} FROM nano_votes({{f}})"),
    );
    let vh = "account, hash_index, hash, final, timestamp_ms, rebroadcasted, timestamp";
    add(
        "vote_hash",
        format!("SELECT packet_id - {{b}}, {vh} FROM vote_hash WHERE packet_id IN {{in}}"),
        format!("SELECT packet_id, {vh} FROM nano_vote_hashes({{f}})"),
    );
    let kh = "slot, address, ip, port, empty, time";
    add(
        "keepalive_host",
        format!("SELECT packet_id - {{b}}, {kh} FROM keepalive_host WHERE packet_id IN {{in}}"),
        format!("SELECT packet_id, {kh} FROM nano_keepalive_peers({{f}})"),
    );
    add(
        "confirm_req_pair",
        "SELECT packet_id - {b}, pair_index, hash, root FROM confirm_req_pair \
         WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, pair_index, hash, root FROM nano_confirm_req_pairs({f})".into(),
    );
    add(
        "nodeid_query",
        "SELECT id - {b}, packet_id - {b}, cookie FROM nodeid_query WHERE packet_id IN {in}".into(),
        "SELECT packet_id, packet_id, cookie FROM nano_handshakes({f}) WHERE query".into(),
    );
    add(
        "nodeid_response",
        "SELECT id - {b}, packet_id - {b}, nodeid, nodeid_as_account, signature, v2, salt, \
         genesis, peer_cookie, signature_valid FROM nodeid_response WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, packet_id, node_id, node_id_account, signature, v2, salt, genesis, \
         peer_cookie, signature_valid FROM nano_handshakes({f}) WHERE response"
            .into(),
    );
    add(
        "telemetry",
        "SELECT id - {b}, packet_id - {b}, empty, signature, signature_valid, nodeid, \
         nodeid_as_account, blockcount, cementedcount, uncheckedcount, accountcount, bandwidthcap, \
         peercount, protocolversion, uptime, genesisblock, majorversion, minorversion, \
         patchversion, prereleaseversion, maker, timestamp, timestamp_utc, activedifficulty, \
         unknown_data FROM telemetry WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, packet_id, empty, signature, signature_valid, node_id, \
         node_id_account, block_count, cemented_count, unchecked_count, account_count, \
         bandwidth_cap, peer_count, protocol_version, uptime, genesis_block, major_version, \
         minor_version, patch_version, pre_release_version, maker, timestamp_ms, timestamp, \
         active_difficulty, unknown_data FROM nano_telemetry({f})"
            .into(),
    );
    add(
        "frontier_request",
        "SELECT id - {b}, packet_id - {b}, start, age, count, only_confirmed FROM frontier_request \
         WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, packet_id, start, age, count, only_confirmed \
         FROM nano_frontier_requests({f})"
            .into(),
    );
    add(
        "bulk_pull_request",
        "SELECT id - {b}, packet_id - {b}, start, start_as_account, end, extended_count, ascending \
         FROM bulk_pull_request WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, packet_id, start, start_as_account, end, count, ascending \
         FROM nano_bulk_pull_requests({f})"
            .into(),
    );
    add(
        "bulk_pull_account_request",
        "SELECT id - {b}, packet_id - {b}, account, minimum_amount, flags \
         FROM bulk_pull_account_request WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, packet_id, account, minimum_amount, flags \
         FROM nano_bulk_pull_account_requests({f})"
            .into(),
    );
    add(
        "frontier_response",
        format!(
            "SELECT frontier_request_id - {{b}}, {META}, entry_index, account, frontier_hash \
             FROM frontier_response WHERE frontier_request_id IN {{in}}"
        ),
        format!(
            "SELECT request_id, {META}, entry_index, account, frontier_hash \
             FROM nano_frontier_responses({{f}})"
        ),
    );
    add(
        "bulk_pull_account_response",
        format!(
            "SELECT bulk_pull_account_request_id - {{b}}, {META}, frontier_hash, balance \
             FROM bulk_pull_account_response WHERE bulk_pull_account_request_id IN {{in}}"
        ),
        format!(
            "SELECT request_id, {META}, frontier_hash, balance \
             FROM nano_bulk_pull_account_responses({{f}}) WHERE kind = 'frontier'"
        ),
    );
    add(
        "bulk_pull_account_response_entry",
        format!(
            "SELECT bulk_pull_account_request_id - {{b}}, {META}, entry_index, hash, amount, source \
             FROM bulk_pull_account_response_entry WHERE bulk_pull_account_request_id IN {{in}}"
        ),
        format!(
            "SELECT request_id, {META}, entry_index, hash, amount, source \
             FROM nano_bulk_pull_account_responses({{f}}) WHERE kind = 'pending'"
        ),
    );
    let ap = "kind, request_id, pull_type, pull_type_name, start, start_type, count, target, \
              target_type, blocks, entries, account, open_block, head_block, account_block_count, \
              conf_frontier, conf_height";
    add(
        "asc_pull",
        format!(
            "SELECT id - {{b}}, packet_id - {{b}}, {ap} FROM asc_pull WHERE packet_id IN {{in}}"
        ),
        format!("SELECT packet_id, packet_id, {ap} FROM nano_asc_pull({{f}})"),
    );
    add(
        "asc_pull_frontier",
        "SELECT packet_id - {b}, request_id, entry_index, account, hash FROM asc_pull_frontier \
         WHERE packet_id IN {in}"
            .into(),
        "SELECT packet_id, request_id, entry_index, account, hash \
         FROM nano_asc_pull_frontiers({f})"
            .into(),
    );
    add(
        "connection",
        "SELECT frame, time, time_usec, ipv, srcip, srcport, dstip, dstport, flowkey, flow_key, \
         event, closed, detail, message_id - {b}, src_node_id, dst_node_id FROM connection \
         WHERE run_id = {r}"
            .into(),
        "SELECT frame, time, time_usec, ipv, srcip, srcport, dstip, dstport, flow_key, flow_key, \
         event, closed, detail, message_id, src_node_id, dst_node_id \
         FROM nano_connections({f}, 'details')"
            .into(),
    );
    add(
        "anomaly",
        "SELECT frame, time, time_usec, kind, detail, packet_id - {b}, srcip, srcport, dstip, \
         dstport, flow_key FROM anomaly WHERE run_id = {r}"
            .into(),
        "SELECT frame, time, time_usec, kind, detail, packet_id, srcip, srcport, dstip, dstport, \
         flow_key FROM nano_anomalies({f})"
            .into(),
    );
    let st = "frames, non_ip_frames, unknown_link_frames, bad_link_frames, bad_ip_frames, \
              other_ip_packets, ip_fragments, reassembled_datagrams, udp_datagrams, tcp_segments, \
              bad_transport, non_nano_datagrams, messages, anomalies";
    add(
        "capture_stats",
        format!("SELECT {st} FROM capture_stats WHERE run_id = {{r}}"),
        format!("SELECT {st} FROM nano_stats({{f}})"),
    );
    p
}

fn fill(sql: &str, capture: &Path, base: i64, run: i64) -> String {
    sql.replace("{in}", "(SELECT id FROM packet WHERE run_id = {r})")
        .replace("{f}", &lit(capture))
        .replace("{b}", &base.to_string())
        .replace("{r}", &run.to_string())
}

/// Proves that run `run` of the database holds exactly the capture's rows, with
/// sound links; returns the stored row count of each table.
fn assert_run_matches(conn: &Connection, capture: &Path, run: i64) -> Vec<(String, usize)> {
    let base = count(
        conn,
        &format!("SELECT packet_id_base FROM runs WHERE id_multiplier = {run}"),
    );
    let mut counts = Vec::new();
    for (table, stored, function) in pairs() {
        let s = sorted(conn, &fill(&stored, capture, base, run));
        let f = sorted(conn, &fill(&function, capture, base, run));
        assert_eq!(
            s.len(),
            f.len(),
            "{}: {table}: {} stored rows, {} from the table function",
            capture.display(),
            s.len(),
            f.len()
        );
        for (a, b) in s.iter().zip(&f) {
            assert_eq!(a, b, "{}: {table}", capture.display());
        }
        counts.push((table, s.len()));
    }
    assert_links(conn, capture, base, run);
    let f = lit(capture);
    let truncated = count(
        conn,
        &format!("SELECT count(*) FROM nano_anomalies({f}) WHERE kind = 'truncated_record'"),
    ) > 0;
    let size = std::fs::metadata(capture).unwrap().len() as i64;
    assert_eq!(
        query(
            conn,
            &format!(
                "SELECT kind, source, end_reason, messages, frames, bytes_read, max_size_reached, \
                 ended IS NOT NULL FROM runs WHERE id_multiplier = {run}"
            )
        )
        .unwrap(),
        vec![vec![
            Value::Text("import".into()),
            Value::Text(capture.display().to_string()),
            Value::Text(if truncated { "truncated" } else { "complete" }.into()),
            Value::Integer(count(
                conn,
                &format!("SELECT count(*) FROM nano_packets({f})")
            )),
            Value::Integer(count(conn, &format!("SELECT frames FROM nano_stats({f})"))),
            Value::Integer(size),
            Value::Integer(0),
            Value::Integer(1),
        ]],
        "{}",
        capture.display()
    );
    counts
}

/// packet.content_* and vote.content_* point to the rows that hold the content.
fn assert_links(conn: &Connection, capture: &Path, base: i64, run: i64) {
    let f = lit(capture);
    // What the content of each message must be, from the table functions alone.
    let expected = sorted(
        conn,
        &format!(
            "WITH p AS MATERIALIZED (SELECT id FROM nano_packets({f})),
                  bl AS MATERIALIZED (SELECT packet_id, type_name FROM nano_blocks({f})
                                      WHERE context IN ('publish', 'confirm_req')),
                  v AS MATERIALIZED (SELECT packet_id FROM nano_votes({f})),
                  t AS MATERIALIZED (SELECT packet_id FROM nano_telemetry({f})),
                  fr AS MATERIALIZED (SELECT packet_id FROM nano_frontier_requests({f})),
                  bp AS MATERIALIZED (SELECT packet_id FROM nano_bulk_pull_requests({f})),
                  ba AS MATERIALIZED (SELECT packet_id FROM nano_bulk_pull_account_requests({f})),
                  ap AS MATERIALIZED (SELECT packet_id FROM nano_asc_pull({f}))
             SELECT id, coalesce(
                 (SELECT 'block_' || type_name FROM bl WHERE packet_id = id),
                 (SELECT 'vote' FROM v WHERE packet_id = id),
                 (SELECT 'telemetry' FROM t WHERE packet_id = id),
                 (SELECT 'frontier_request' FROM fr WHERE packet_id = id),
                 (SELECT 'bulk_pull_request' FROM bp WHERE packet_id = id),
                 (SELECT 'bulk_pull_account_request' FROM ba WHERE packet_id = id),
                 (SELECT 'asc_pull' FROM ap WHERE packet_id = id)) FROM p"
        ),
    );
    let stored = sorted(
        conn,
        &format!("SELECT id - {base}, content_table FROM packet WHERE run_id = {run}"),
    );
    assert_eq!(
        stored,
        expected,
        "{}: packet.content_table",
        capture.display()
    );
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) FROM packet WHERE run_id = {run} \
                 AND (content_table IS NULL) != (content_id IS NULL)"
            )
        ),
        0
    );
    let tables: Vec<String> = query(
        conn,
        &format!(
            "SELECT DISTINCT content_table FROM packet WHERE run_id = {run} \
             AND content_table IS NOT NULL"
        ),
    )
    .unwrap()
    .into_iter()
    .map(|r| value_text(&r[0]))
    .collect();
    for t in tables {
        assert_eq!(
            count(
                conn,
                &format!(
                    "SELECT count(*) FROM packet p WHERE run_id = {run} AND content_table = '{t}' \
                     AND NOT EXISTS (SELECT 1 FROM {t} c WHERE c.id = p.content_id \
                     AND c.packet_id = p.id)"
                )
            ),
            0,
            "{}: packet.content_id into {t}",
            capture.display()
        );
    }
    // A legacy vote-by-block points to its block row, every other vote to nothing.
    assert_eq!(
        count(
            conn,
            &format!(
                "SELECT count(*) FROM vote WHERE packet_id IN \
                 (SELECT id FROM packet WHERE run_id = {run}) \
                 AND (content_table IS NULL) != (block_hash IS NULL)"
            )
        ),
        0
    );
    for (t, _) in BLOCK_TYPES {
        assert_eq!(
            count(
                conn,
                &format!(
                    "SELECT count(*) FROM vote v WHERE content_table = 'block_{t}' AND NOT EXISTS \
                     (SELECT 1 FROM block_{t} c WHERE c.id = v.content_id \
                     AND c.hash = v.block_hash AND c.packet_id = v.packet_id \
                     AND c.context = 'confirm_ack')"
                )
            ),
            0,
            "vote.content_id into block_{t}"
        );
    }
}

/// Every committed fixture (and the real capture when it is there).
fn captures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(repo_root().join("tests/fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .collect();
    out.sort();
    assert!(out.len() >= 10, "fixtures: {out:?}");
    out
}

#[test]
fn every_fixture_is_stored_as_its_table_functions_show_it() {
    let dir = TempDir::new("store-fixtures");
    let mut totals: std::collections::BTreeMap<String, usize> = Default::default();
    for (i, capture) in captures().iter().enumerate() {
        let (conn, _) = fresh_db(&dir, &format!("f{i}.db"));
        let n = import(&conn, capture, None).unwrap_or_else(|e| panic!("{capture:?}: {e}"));
        assert_eq!(
            n,
            count(
                &conn,
                &format!("SELECT count(*) FROM nano_packets({})", lit(capture))
            )
        );
        for (t, c) in assert_run_matches(&conn, capture, 1) {
            *totals.entry(t).or_default() += c;
        }
        assert_eq!(
            scalar(&conn, "PRAGMA integrity_check"),
            Value::Text("ok".into())
        );
        assert_eq!(
            scalar(&conn, "PRAGMA journal_mode"),
            Value::Text("wal".into())
        );
    }
    // The comparison means something only where there are rows: every table gets
    // some from the fixtures.
    for (t, c) in &totals {
        assert!(*c > 0, "no fixture stores rows in {t}: {totals:?}");
    }
}

#[test]
fn the_real_capture_is_stored_as_its_table_functions_show_it() {
    let Some(capture) = shared_capture("rsnano_dev_live_small.pcap") else {
        skip("the real capture rsnano_dev_live_small.pcap is not there");
        return;
    };
    let dir = TempDir::new("store-real");
    let (conn, _) = fresh_db(&dir, "real.db");
    let n = import(&conn, &capture, None).unwrap();
    assert!(n > 1000, "{n}");
    assert_run_matches(&conn, &capture, 1);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
}

/// Every row of every table, in id order.
fn snapshot(conn: &Connection) -> Vec<(String, Vec<Vec<Value>>)> {
    let tables: Vec<String> = query(
        conn,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .unwrap()
    .into_iter()
    .map(|r| value_text(&r[0]))
    .collect();
    tables
        .into_iter()
        .map(|t| {
            let rows = query(conn, &format!("SELECT * FROM \"{t}\" ORDER BY rowid")).unwrap();
            (t, rows)
        })
        .collect()
}

#[test]
fn a_second_import_adds_a_run_and_leaves_the_first_untouched() {
    let dir = TempDir::new("store-two");
    let (conn, _) = fresh_db(&dir, "two.db");
    let first = fixture("sample.pcapng");
    let second = fixture("tcp_realistic.pcapng");
    let n1 = import(&conn, &first, None).unwrap();
    let before = snapshot(&conn);
    let n2 = import(&conn, &second, None).unwrap();
    assert!(n1 > 0 && n2 > 0);
    let after = snapshot(&conn);
    for ((t, b), (t2, a)) in before.iter().zip(&after) {
        assert_eq!(t, t2);
        assert!(a.len() >= b.len(), "{t}");
        if t == "runs" {
            // The first run's row is final; only the new row is added.
            assert_eq!(&a[..1], &b[..], "runs");
        } else {
            assert_eq!(&a[..b.len()], &b[..], "{t}: the first run's rows changed");
        }
    }
    assert_eq!(
        query_text(
            &conn,
            "SELECT id_multiplier, packet_id_base, end_reason, messages FROM runs ORDER BY 1"
        ),
        format!("1|0|complete|{n1}\n2|{n1}|complete|{n2}\n")
    );
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT id) FROM packet"),
        n1 + n2
    );
    assert_eq!(
        count(&conn, "SELECT min(id) FROM packet WHERE run_id = 2"),
        n1 + 1
    );
    assert_run_matches(&conn, &first, 1);
    assert_run_matches(&conn, &second, 2);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
}

fn table_counts(conn: &Connection) -> std::collections::BTreeMap<String, i64> {
    snapshot(conn)
        .into_iter()
        .filter(|(t, _)| t != "runs" && t != "capture_stats")
        .map(|(t, rows)| (t, rows.len() as i64))
        .collect()
}

#[test]
fn each_detail_switch_removes_exactly_its_rows() {
    let dir = TempDir::new("store-options");
    // sample.pcapng has every kind of row the switches govern (checked below).
    let capture = fixture("sample.pcapng");
    let f = lit(&capture);
    let (full, _) = fresh_db(&dir, "full.db");
    import(&full, &capture, None).unwrap();
    let all = table_counts(&full);
    let n = |t: &str| all[t];
    for t in [
        "block_state",
        "frontier_response",
        "bulk_pull_response",
        "bulk_pull_account_response",
        "connection",
    ] {
        assert!(n(t) > 0, "{t}: {all:?}");
    }
    let end_events = count(
        &full,
        "SELECT count(*) FROM connection WHERE event LIKE 'end of %'",
    );
    let per_message = count(
        &full,
        &format!(
            "SELECT (SELECT count(*) FROM nano_connections({f}, 'details')) - \
             (SELECT count(*) FROM nano_connections({f}))"
        ),
    );
    assert!(end_events > 0 && per_message > 0);
    let stream_blocks = |t: &str| {
        count(
            &full,
            &format!("SELECT count(*) FROM {t} WHERE context IN ('bulk_pull', 'bulk_push')"),
        )
    };
    let blocks = [
        "block_state",
        "block_send",
        "block_receive",
        "block_open",
        "block_change",
    ];
    let cases: Vec<(&str, Vec<(&str, i64)>)> = vec![
        (
            r#"{"block_details": false}"#,
            blocks
                .iter()
                .map(|t| (*t, 0))
                .chain([("bulk_pull_response", 0), ("bulk_push_entry", 0)])
                .collect(),
        ),
        (
            r#"{"bootstrap_details": false}"#,
            blocks
                .iter()
                .map(|t| (*t, n(t) - stream_blocks(t)))
                .chain([
                    ("bulk_pull_response", 0),
                    ("bulk_push_entry", 0),
                    ("frontier_response", 0),
                    ("bulk_pull_account_response", 0),
                    ("bulk_pull_account_response_entry", 0),
                    ("connection", n("connection") - end_events),
                ])
                .collect(),
        ),
        (
            r#"{"connection_details": false}"#,
            vec![("connection", n("connection") - per_message)],
        ),
        (r#"{"verify_signatures": false}"#, vec![]),
    ];
    for (i, (options, changed)) in cases.iter().enumerate() {
        let (conn, _) = fresh_db(&dir, &format!("o{i}.db"));
        import(&conn, &capture, Some(options)).unwrap();
        let got = table_counts(&conn);
        let mut want = all.clone();
        for (t, c) in changed {
            want.insert(t.to_string(), *c);
        }
        assert_eq!(got, want, "{options}");
        assert_eq!(
            scalar(&conn, "SELECT json_extract(options, '$') FROM runs"),
            scalar(
                &full,
                &format!(
                    "SELECT json_set(options, '$.{}', json('false')) FROM runs",
                    options.split('"').nth(1).unwrap()
                )
            ),
            "{options}"
        );
    }
    // Without block rows nothing points to one.
    let (conn, _) = fresh_db(&dir, "noblocks.db");
    import(&conn, &capture, Some(r#"{"block_details": false}"#)).unwrap();
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM packet WHERE content_table LIKE 'block_%'"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM vote WHERE content_id IS NOT NULL"
        ),
        0
    );
    // Without signature checks every signature_valid is NULL, and only that.
    let (conn, _) = fresh_db(&dir, "nosig.db");
    import(&conn, &capture, Some(r#"{"verify_signatures": false}"#)).unwrap();
    for t in ["vote", "nodeid_response", "telemetry"]
        .into_iter()
        .chain(blocks)
    {
        assert_eq!(
            count(
                &conn,
                &format!("SELECT count(*) FROM {t} WHERE signature_valid IS NOT NULL")
            ),
            0,
            "{t}"
        );
    }
    assert!(
        count(
            &full,
            "SELECT count(*) FROM vote WHERE signature_valid IS NOT NULL"
        ) > 0
    );
}

#[test]
fn bad_options_are_errors_and_write_nothing() {
    let dir = TempDir::new("store-badopts");
    let capture = fixture("sample.pcapng");
    let (conn, _) = fresh_db(&dir, "bad.db");
    for (options, says) in [
        (r#"{"bogus": 1}"#, "bogus"),
        (r#"{"block_details": "yes"}"#, "line 1 column"),
        (r#"{"block_details": tru"#, "line 1"),
        (
            r#"{"filter": "port x"}"#,
            "bad filter 'port x': unknown port",
        ),
    ] {
        let e = import(&conn, &capture, Some(options))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("nano_import: "), "{options}: {e}");
        assert!(e.contains(says), "{options}: {e}");
    }
    let e = err(&conn, "SELECT nano_import(1)");
    assert!(e.starts_with("nano_import: the path must be text"), "{e}");
    let e = err(&conn, "SELECT nano_import('/nonexistent/x.pcap')");
    assert!(
        e.starts_with("nano_import: capture file not found: /nonexistent/x.pcap"),
        "{e}"
    );
    let e = err(
        &conn,
        &format!(
            "SELECT nano_import({})",
            lit(&repo_root().join("README.md"))
        ),
    );
    assert!(e.contains("not a pcap or pcapng"), "{e}");
    // Nothing was created by any of these.
    assert_eq!(count(&conn, "SELECT count(*) FROM sqlite_schema"), 0);
}

#[test]
fn a_database_in_memory_is_refused() {
    let conn = connect();
    let e = err(
        &conn,
        &format!("SELECT nano_import({})", lit(&fixture("sample.pcapng"))),
    );
    assert!(
        e.starts_with("nano_import: the main database is in memory or temporary"),
        "{e}"
    );
}

#[test]
fn databases_of_a_newer_schema_or_of_the_original_nanocap_are_refused() {
    let dir = TempDir::new("store-schema");
    let capture = fixture("sample.pcapng");
    let (newer, _) = fresh_db(&dir, "newer.db");
    newer.execute_batch("PRAGMA user_version = 99").unwrap();
    let e = import(&newer, &capture, None).unwrap_err().to_string();
    assert!(e.starts_with("nano_import: "), "{e}");
    assert!(e.contains("newer nanocap (schema version 99"), "{e}");
    assert_eq!(count(&newer, "SELECT count(*) FROM sqlite_schema"), 0);

    let (original, _) = fresh_db(&dir, "original.db");
    original
        .execute_batch(
            "CREATE TABLE runs (id_multiplier INTEGER PRIMARY KEY AUTOINCREMENT, \
             time TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
             CREATE TABLE packet (id INTEGER PRIMARY KEY, flow_key INTEGER NOT NULL, \
             ipv INTEGER NOT NULL, msg_type INTEGER NOT NULL);
             INSERT INTO packet VALUES (1, 2, 4, 3);",
        )
        .unwrap();
    let e = import(&original, &capture, None).unwrap_err().to_string();
    assert!(e.contains("original nanocap database"), "{e}");
    assert!(e.contains("packet"), "{e}");
    assert_eq!(count(&original, "SELECT count(*) FROM packet"), 1);
    assert_eq!(count(&original, "PRAGMA user_version"), 0);
}

#[test]
fn a_cut_off_file_keeps_its_rows_and_ends_as_truncated() {
    let dir = TempDir::new("store-cut");
    let full = std::fs::read(fixture("tcp_realistic.pcapng")).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let (conn, _) = fresh_db(&dir, "cut.db");
    let n = import(&conn, &cut, None).unwrap();
    assert!(n > 0);
    assert_eq!(
        scalar(&conn, "SELECT end_reason FROM runs"),
        Value::Text("truncated".into())
    );
    assert_run_matches(&conn, &cut, 1);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
}

#[test]
fn progress_is_visible_from_any_connection() {
    let dir = TempDir::new("store-status");
    let capture = fixture("sample.pcapng");
    let (conn, _) = fresh_db(&dir, "s.db");
    let n = import(&conn, &capture, None).unwrap();
    let other = connect();
    let status: serde_json::Value =
        serde_json::from_str(&value_text(&scalar(&other, "SELECT nano_capture_status()"))).unwrap();
    // Tests run in parallel in this process: another import may be running; the
    // last finished one is described when none is.
    if status["importing"] == false && status["file"] == capture.display().to_string() {
        assert_eq!(status["messages"], n);
        let size = std::fs::metadata(&capture).unwrap().len();
        assert_eq!(status["bytes_read"], size);
        assert_eq!(status["bytes_total"], size);
    }
    assert_eq!(status["capturing"], false);
    assert!(status["elapsed_ms"].is_u64(), "{status}");
}

/// Ctrl-C: sqlite3_interrupt on the calling connection (Python's conn.interrupt()
/// from another thread) stops the import within a few hundred milliseconds; the
/// run is marked interrupted and what was written stays.
#[test]
fn an_interrupted_import_stops_soon_and_keeps_its_rows() {
    let dir = TempDir::new("store-interrupt");
    let capture = dir.path().join("big.pcapng");
    let file = std::fs::File::create(&capture).unwrap();
    // Long enough that the import is still reading when the interrupt comes at 1.5 s.
    nanocap::synth::bench(300_000, 7, std::io::BufWriter::new(file)).unwrap();
    let db = dir.path().join("i.db");
    let script = format!(
        "import sqlite3, threading, time, json\n\
         c = sqlite3.connect({db:?}, check_same_thread=False)\n\
         c.enable_load_extension(True)\n\
         c.load_extension({ext:?})\n\
         t0 = [None]\n\
         def stop():\n    time.sleep(1.5)\n    t0[0] = time.monotonic()\n    c.interrupt()\n\
         threading.Thread(target=stop).start()\n\
         try:\n    c.execute('select nano_import(?)', ({cap:?},)).fetchone()\n    print('finished')\n\
         except sqlite3.OperationalError as e:\n    print('error', e)\n\
         print('stopped_after_ms', int((time.monotonic() - t0[0]) * 1000))\n",
        db = db.display().to_string(),
        ext = extension_path().display().to_string(),
        cap = capture.display().to_string(),
    );
    let Some(stdout) = python(&script) else {
        return;
    };
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "error interrupted", "{stdout}");
    let ms: u64 = lines[1]
        .strip_prefix("stopped_after_ms ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    // About a second on an idle machine (the import notices within 100 ms, then
    // commits and builds the indexes it deferred); this allows for a machine busy
    // with other work. An import that ignored the interrupt prints "finished" above.
    assert!(ms < 2500, "stopped {ms} ms after the interrupt");
    let conn = connect_file(&db);
    assert_eq!(
        query_text(&conn, "SELECT end_reason, ended IS NOT NULL FROM runs"),
        "interrupted|1\n"
    );
    let stored = count(&conn, "SELECT count(*) FROM packet");
    assert!(stored > 0 && stored < 300_000, "{stored}");
    assert_eq!(count(&conn, "SELECT messages FROM runs"), stored);
    // The rows kept are the capture's first messages, whole: ids 1..n, each with
    // its vote rows.
    assert_eq!(count(&conn, "SELECT max(id) FROM packet"), stored);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM packet p WHERE msg_name = 'confirm_ack' AND error IS NULL \
             AND NOT EXISTS (SELECT 1 FROM vote v WHERE v.id = p.id)"
        ),
        0
    );
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
}

/// An import into new tables builds their indexes at its end (faster than row by
/// row): after it, and after an interrupted or cut-off one, every index of the schema
/// is there, and the queries use them.
#[test]
fn every_index_is_there_after_an_import() {
    let dir = TempDir::new("store-indexes");
    let schema =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql/schema.sql"))
            .unwrap();
    let wanted = schema.matches("CREATE INDEX IF NOT EXISTS").count() as i64;
    assert!(wanted > 10);
    let full = std::fs::read(fixture("tcp_realistic.pcapng")).unwrap();
    let cut = dir.path().join("cut.pcapng");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    for (name, capture) in [
        ("full.db", fixture("tcp_realistic.pcapng")),
        ("cut.db", cut),
    ] {
        let (conn, _) = fresh_db(&dir, name);
        import(&conn, &capture, None).unwrap();
        assert_eq!(
            count(
                &conn,
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ),
            wanted,
            "{name}"
        );
        let plan = query_text(
            &conn,
            "EXPLAIN QUERY PLAN SELECT * FROM vote_hash WHERE hash = 'AB'",
        );
        assert!(plan.contains("vote_hash_hash"), "{name}: {plan}");
        assert_eq!(
            scalar(&conn, "PRAGMA integrity_check"),
            Value::Text("ok".into())
        );
    }
}
