//! The SQL surface around the decoded values: how arguments reach a scan (hidden
//! columns, joins, rescans), what a bad path gets, and documented behaviour the
//! golden snapshots do not pin (options, per-flags fields, legacy votes).

use nanocap_tests::*;
use rusqlite::types::Value;
use std::sync::mpsc;
use std::time::Duration;

fn err(conn: &rusqlite::Connection, sql: &str) -> String {
    match query(conn, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(e) => e.to_string(),
    }
}

fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    match scalar(conn, sql) {
        Value::Integer(n) => n,
        v => panic!("{sql}: expected an integer, got {v:?}"),
    }
}

#[test]
fn a_path_constraint_beside_the_argument_keeps_the_rows() {
    // Regression: the hidden `path` column read NULL, so SQLite's check of the
    // second `path = ...` constraint dropped every row.
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let all = count(&conn, &format!("SELECT count(*) FROM nano_packets({f})"));
    assert!(all > 0);
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_packets({f}) WHERE path = {f}")
        ),
        all
    );
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_packets WHERE path = {f}")
        ),
        all
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT DISTINCT path = {f}, options FROM nano_connections({f}, 'details')")
        ),
        "1|details\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT DISTINCT path = {f}, options FROM nano_votes({f})")
        ),
        "1|NULL\n"
    );
}

#[test]
fn every_scan_of_a_reused_cursor_starts_over_on_its_own_file() {
    // A correlated subquery filters the same cursor once per outer row.
    let conn = connect();
    let sample = fixture("sample.pcapng");
    let tcp = fixture("tcp_realistic.pcapng");
    let n_sample = count(
        &conn,
        &format!("SELECT count(*) FROM nano_packets({})", lit(&sample)),
    );
    let n_tcp = count(
        &conn,
        &format!("SELECT count(*) FROM nano_packets({})", lit(&tcp)),
    );
    assert_ne!(n_sample, n_tcp);
    conn.execute("CREATE TABLE files(name TEXT, path TEXT)", [])
        .unwrap();
    for (name, p) in [("sample", &sample), ("tcp", &tcp), ("sample2", &sample)] {
        conn.execute(
            "INSERT INTO files VALUES (?1, ?2)",
            [name.to_string(), p.display().to_string()],
        )
        .unwrap();
    }
    let expected = format!("sample|{n_sample}\nsample2|{n_sample}\ntcp|{n_tcp}\n");
    assert_eq!(
        query_text(
            &conn,
            "SELECT name, (SELECT count(*) FROM nano_packets(f.path)) FROM files f ORDER BY name"
        ),
        expected
    );
    // The same with the table function on the left of the join: SQLite must find
    // the order where the path is known.
    assert_eq!(
        query_text(
            &conn,
            "SELECT f.name, count(*) FROM nano_packets(f.path) p, files f GROUP BY f.name ORDER BY f.name"
        ),
        expected
    );
    // IN (SELECT ...) over another table function of the same file.
    let s = lit(&sample);
    let publish_ids = count(
        &conn,
        &format!(
            "SELECT count(*) FROM nano_packets({s}) WHERE msg_name = 'publish' AND error IS NULL"
        ),
    );
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM nano_blocks({s}) WHERE context = 'publish' AND packet_id IN \
                 (SELECT id FROM nano_packets({s}) WHERE msg_name = 'publish')"
            )
        ),
        publish_ids
    );
    // ORDER BY and LIMIT are SQLite's: the last three ids, newest first.
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT id FROM nano_packets({s}) ORDER BY id DESC LIMIT 3")
        ),
        format!("{}\n{}\n{}\n", n_sample, n_sample - 1, n_sample - 2)
    );
}

/// Runs `sql` on a fresh connection in a thread; the error it gives, or a panic if it
/// takes more than 20 seconds (a scan that blocks must fail the test, not hang it).
fn error_within_time(sql: String) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let conn = connect();
        let _ = tx.send(query(&conn, &sql).map_err(|e| e.to_string()));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Err(e)) => e,
        Ok(Ok(rows)) => panic!("expected an error, got {rows:?}"),
        Err(_) => panic!("the query did not return within 20 s"),
    }
}

#[test]
fn a_path_that_is_not_a_regular_file_is_refused_at_once() {
    let dir = TempDir::new("sql_surface");
    let fifo = dir.path().join("pipe");
    // Regression: opening a FIFO nobody writes to blocked the query forever.
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(ok.success());
    let e = error_within_time(format!("SELECT count(*) FROM nano_packets({})", lit(&fifo)));
    assert!(e.starts_with("nano_packets: "), "{e}");
    assert!(e.contains("pipe is a FIFO"), "{e}");

    let e = error_within_time(format!("SELECT * FROM nano_votes({})", lit(dir.path())));
    assert!(e.starts_with("nano_votes: "), "{e}");
    assert!(e.contains("is a directory, not a capture file"), "{e}");

    // An endless device: refused before reading a byte.
    let e = error_within_time("SELECT count(*) FROM nano_stats('/dev/zero')".into());
    assert!(e.starts_with("nano_stats: /dev/zero is a device"), "{e}");
}

#[test]
fn a_path_with_quotes_and_a_very_long_path() {
    let conn = connect();
    let dir = TempDir::new("sql_surface");
    let quoted = dir.path().join("it's \"quoted\".pcapng");
    std::fs::copy(fixture("sample.pcapng"), &quoted).unwrap();
    let n = count(
        &conn,
        &format!(
            "SELECT count(*) FROM nano_packets({})",
            lit(&fixture("sample.pcapng"))
        ),
    );
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_packets({})", lit(&quoted))
        ),
        n
    );
    let long = format!("/{}", "a".repeat(5000));
    let e = err(
        &conn,
        &format!("SELECT count(*) FROM nano_blocks('{long}')"),
    );
    assert!(e.starts_with("nano_blocks: "), "{e}");
    assert!(e.contains("name too long"), "{e}");
}

#[test]
fn arguments_of_the_wrong_type_say_what_they_got() {
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    for (sql, expected) in [
        (
            "SELECT * FROM nano_packets(42)".to_string(),
            "nano_packets: the path must be text, got the integer 42",
        ),
        (
            "SELECT * FROM nano_blocks(x'00')".to_string(),
            "nano_blocks: the path must be text, got a blob",
        ),
        (
            "SELECT * FROM nano_votes(1.5)".to_string(),
            "nano_votes: the path must be text, got the real 1.5",
        ),
        (
            "SELECT * FROM nano_anomalies('')".to_string(),
            "nano_anomalies: the path is empty",
        ),
        (
            format!("SELECT * FROM nano_connections({f}, 1)"),
            "nano_connections: the options must be text, got the integer 1",
        ),
        (
            format!("SELECT * FROM nano_connections({f}, 'detail')"),
            "nano_connections: unknown option 'detail' (the only option is 'details')",
        ),
        (
            format!("SELECT * FROM nano_packets({f}, 'details')"),
            "nano_packets: takes no options, got 'details'",
        ),
    ] {
        assert_eq!(err(&conn, &sql), expected, "{sql}");
    }
    // NULL options are no options.
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_connections({f}, NULL)")
        ),
        count(
            &conn,
            &format!("SELECT count(*) FROM nano_connections({f})")
        )
    );
}

#[test]
fn connections_details_adds_exactly_the_per_message_events() {
    let conn = connect();
    let f = lit(&fixture("tcp_realistic.pcapng"));
    let cols = "frame, time_usec, srcip, srcport, dstip, dstport, flow_key, event, closed, detail, message_id";
    let plain = query_text(&conn, &format!("SELECT {cols} FROM nano_connections({f})"));
    let kinds = query_text(
        &conn,
        &format!("SELECT DISTINCT event FROM nano_connections({f}) ORDER BY 1"),
    );
    for k in kinds.lines() {
        assert!(
            [
                "open",
                "close",
                "reset",
                "gap",
                "evicted",
                "open at end of capture"
            ]
            .contains(&k)
                || k.starts_with("end of "),
            "per-message event without 'details': {k}"
        );
    }
    // With details: the same connection rows, in the same order, plus one per message.
    let names = "'keepalive','publish','confirm_req','confirm_ack','bulk_pull','bulk_push',\
                 'frontier_req','node_id_handshake','bulk_pull_account','bulk_pull_blocks',\
                 'telemetry_req',\
                 'telemetry_ack','asc_pull_req','asc_pull_ack'";
    let detailed_rest = query_text(
        &conn,
        &format!(
            "SELECT {cols} FROM nano_connections({f}, 'details') WHERE event NOT IN ({names})"
        ),
    );
    assert_eq!(detailed_rest, plain);
    let per_message = count(
        &conn,
        &format!("SELECT count(*) FROM nano_connections({f}, 'details') WHERE event IN ({names})"),
    );
    let tcp_messages = count(
        &conn,
        &format!("SELECT count(*) FROM nano_packets({f}) WHERE transport = 'tcp'"),
    );
    assert!(tcp_messages > 0);
    assert_eq!(per_message, tcp_messages);
    // Each per-message event names its message and points at it.
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM nano_connections({f}, 'details') c JOIN nano_packets({f}) p \
                 ON p.id = c.message_id WHERE c.event = p.msg_name AND c.srcip = p.srcip \
                 AND c.srcport = p.srcport"
            )
        ),
        tcp_messages
    );
}

#[test]
fn vote_hashes_of_a_legacy_vote_by_block_is_the_block_hash() {
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let legacy = count(
        &conn,
        &format!("SELECT count(*) FROM nano_votes({f}) WHERE vbh = 0"),
    );
    assert!(legacy > 0, "the sample has legacy votes");
    // One row each, index 1, hash = the block's hash as nano_blocks computes it.
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM nano_vote_hashes({f}) h JOIN nano_votes({f}) v \
                 ON v.packet_id = h.packet_id JOIN nano_blocks({f}) b \
                 ON b.packet_id = h.packet_id AND b.context = 'confirm_ack' \
                 WHERE v.vbh = 0 AND h.hash_index = 1 AND h.hash = b.hash \
                 AND h.hash = v.block_hash AND h.hash = v.hashes AND h.account = v.account"
            )
        ),
        legacy
    );
    // Every vote's hashes, in order, are its vote_hashes rows; timestamps agree.
    assert_eq!(
        query_text(
            &conn,
            &format!(
                "SELECT packet_id, hashes, final, timestamp_ms, timestamp FROM nano_votes({f})"
            )
        ),
        query_text(
            &conn,
            &format!(
                "SELECT packet_id, group_concat(hash, ','), final, timestamp_ms, timestamp \
                 FROM (SELECT * FROM nano_vote_hashes({f}) ORDER BY packet_id, hash_index) \
                 GROUP BY packet_id ORDER BY packet_id"
            )
        )
    );
}

#[test]
fn bulk_pull_account_responses_carry_the_fields_the_flags_ask_for() {
    // docs/protocol.md: flags 0 = hash and amount, 1 = source address only, 2 = all three.
    let conn = connect();
    let f = lit(&fixture("tcp_realistic.pcapng"));
    let rows = query_text(
        &conn,
        &format!(
            "SELECT r.flags, a.kind, a.frontier_hash IS NOT NULL, a.balance IS NOT NULL, \
             a.hash IS NOT NULL, a.amount IS NOT NULL, a.source IS NOT NULL, count(*) \
             FROM nano_bulk_pull_account_responses({f}) a \
             JOIN nano_bulk_pull_account_requests({f}) r ON r.packet_id = a.request_id \
             GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2"
        ),
    );
    let shapes: Vec<&str> = rows
        .lines()
        .map(|l| l.rsplit_once('|').unwrap().0)
        .collect();
    assert_eq!(
        shapes,
        [
            "0|frontier|1|1|0|0|0",
            "0|pending|0|0|1|1|0",
            "1|frontier|1|1|0|0|0",
            "1|pending|0|0|0|0|1",
            "2|frontier|1|1|0|0|0",
            "2|pending|0|0|1|1|1",
        ]
    );
    // The frontier comes first in each response, then the pending entries.
    assert_eq!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM nano_bulk_pull_account_responses({f}) \
                 WHERE (kind = 'frontier') != (entry_index = 1)"
            )
        ),
        0
    );
}

#[test]
fn asc_pull_frontiers_match_their_ack() {
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let rows = query(
        &conn,
        &format!(
            "SELECT a.entries, count(fr.entry_index), max(fr.entry_index) FROM nano_asc_pull({f}) a \
             JOIN nano_asc_pull_frontiers({f}) fr ON fr.packet_id = a.packet_id \
             AND fr.request_id = a.request_id WHERE a.kind = 'ack' AND a.pull_type_name = 'frontiers' \
             GROUP BY a.packet_id"
        ),
    )
    .unwrap();
    assert!(!rows.is_empty(), "the sample has frontiers acks");
    for r in rows {
        assert_eq!(r[0], r[1]);
        assert_eq!(r[0], r[2]);
    }
    // Each ack's request: the req with the same id, sent the other way.
    assert!(
        count(
            &conn,
            &format!(
                "SELECT count(*) FROM nano_asc_pull_frontiers({f}) fr JOIN nano_asc_pull({f}) q \
                 ON q.request_id = fr.request_id AND q.kind = 'req' AND q.srcip = fr.dstip"
            )
        ) > 0
    );
}

#[test]
fn stats_agree_with_the_other_tables() {
    let conn = connect();
    for name in ["sample.pcapng", "tcp_realistic.pcapng", "truncated.pcap"] {
        let f = lit(&fixture(name));
        let row = query_text(
            &conn,
            &format!(
                "SELECT messages, anomalies, udp_datagrams >= (SELECT count(*) FROM nano_packets({f}) \
                 WHERE transport = 'udp'), frames >= (SELECT max(frame) FROM nano_packets({f})) \
                 FROM nano_stats({f})"
            ),
        );
        let expected = format!(
            "{}|{}|1|1\n",
            count(&conn, &format!("SELECT count(*) FROM nano_packets({f})")),
            // Anomaly events only: malformed messages are rows of nano_anomalies but
            // counted as messages.
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM nano_anomalies({f}) WHERE kind NOT LIKE 'malformed_%'"
                )
            ),
        );
        assert_eq!(row, expected, "{name}");
    }
}

#[test]
fn readme_examples_run() {
    // Every query in README's examples block, over the sample capture.
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let block = readme
        .split("### Examples")
        .nth(1)
        .and_then(|s| s.split("```sql").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README has an examples block");
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let mut ran = 0;
    for line in block
        .lines()
        .filter(|l| !l.starts_with("--") && !l.is_empty())
    {
        let sql = line.replace("'node.pcapng'", &f).replace('…', "");
        query(&conn, &sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        ran += 1;
    }
    assert!(ran >= 5);
}
