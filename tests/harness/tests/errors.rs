//! Bad input gets a clear SQL error or an anomaly row, never a crash.

use nanocap_tests::*;

fn err(conn: &rusqlite::Connection, sql: &str) -> String {
    match query(conn, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_file_names_its_path() {
    let conn = connect();
    let e = err(
        &conn,
        "SELECT * FROM nano_packets('/no/such/dir/capture.pcapng')",
    );
    assert!(e.contains("/no/such/dir/capture.pcapng"), "{e}");
    assert!(e.contains("not found"), "{e}");
}

#[test]
fn a_file_that_is_not_a_capture_says_so() {
    let conn = connect();
    let dir = TempDir::new("errors");
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, "this is not a capture file, just some text\n").unwrap();
    let e = err(
        &conn,
        &format!("SELECT count(*) FROM nano_packets({})", lit(&p)),
    );
    assert!(e.contains("not a pcap or pcapng"), "{e}");
    assert!(e.contains("notes.txt"), "{e}");
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let e = err(
        &conn,
        &format!("SELECT count(*) FROM nano_blocks({})", lit(&empty)),
    );
    assert!(e.contains("not a pcap or pcapng"), "{e}");
}

#[test]
fn path_argument_is_required_and_must_be_text() {
    let conn = connect();
    let e = err(&conn, "SELECT * FROM nano_packets");
    assert!(e.contains("path is required"), "{e}");
    let e = err(&conn, "SELECT * FROM nano_votes(NULL)");
    assert!(e.contains("NULL"), "{e}");
    // The connection is still usable after errors.
    assert!(value_text(&scalar(&conn, "SELECT nano_version()")).starts_with("nanocap"));
}

#[test]
fn path_can_come_from_another_table() {
    let conn = connect();
    let dir = TempDir::new("errors");
    let p = dir.path().join("one.pcap");
    write_udp_pcap(&p, &[hex_dump("52 43 15 15 14 0c 00 00")]);
    conn.execute("CREATE TABLE files(path TEXT)", []).unwrap();
    conn.execute("INSERT INTO files VALUES (?1)", [p.display().to_string()])
        .unwrap();
    assert_eq!(
        query_text(
            &conn,
            "SELECT f.path IS NOT NULL, p.msg_name FROM files f, nano_packets(f.path) p"
        ),
        "1|telemetry_req\n"
    );
}

#[test]
fn truncated_last_record_keeps_every_complete_record_and_records_the_cut() {
    let conn = connect();
    let dir = TempDir::new("errors");
    let p = dir.path().join("cut.pcap");
    let msgs: Vec<Vec<u8>> = (0..5)
        .map(|_| hex_dump("52 43 15 15 14 0c 00 00"))
        .collect();
    write_udp_pcap(&p, &msgs);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(bytes.len() - 10);
    std::fs::write(&p, &bytes).unwrap();
    let f = lit(&p);
    assert_eq!(
        query_text(&conn, &format!("SELECT count(*) FROM nano_packets({f})")),
        "4\n"
    );
    assert_eq!(
        query_text(&conn, &format!("SELECT kind FROM nano_anomalies({f})")),
        "truncated_record\n"
    );
}

#[test]
fn garbage_after_a_valid_header_is_an_error_column_not_a_lost_row() {
    let conn = connect();
    let dir = TempDir::new("errors");
    let p = dir.path().join("bad.pcap");
    let mut publish_bad_type = hex_dump("52 41 15 15 14 03 00 09");
    publish_bad_type.extend([0u8; 216]);
    let mut keepalive_short = hex_dump("52 43 15 15 14 02 00 00");
    keepalive_short.extend([0u8; 100]);
    let not_nano = b"GET / HTTP/1.1\r\n\r\n".to_vec();
    write_udp_pcap(&p, &[publish_bad_type, keepalive_short, not_nano]);
    let f = lit(&p);
    let rows = query_text(
        &conn,
        &format!("SELECT id, msg_name, error IS NOT NULL FROM nano_packets({f})"),
    );
    assert_eq!(rows, "1|publish|1\n2|keepalive|1\n");
    let kinds = query_text(
        &conn,
        &format!("SELECT packet_id, kind FROM nano_anomalies({f})"),
    );
    assert_eq!(
        kinds,
        "1|malformed_message:bad_block_type\n2|malformed_message:truncated\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT frames, non_nano_datagrams, messages FROM nano_stats({f})")
        ),
        "3|1|2\n"
    );
}

#[test]
fn random_bytes_as_capture_files_never_crash_the_host() {
    let conn = connect();
    let dir = TempDir::new("errors");
    // Valid pcap global header followed by random records, and random files with a
    // pcapng magic: every outcome is rows, an anomaly or an error, never a crash.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..200 {
        let p = dir.path().join(format!("r{i}.pcap"));
        let mut bytes: Vec<u8> = if i % 2 == 0 {
            hex_dump("d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00")
        } else {
            hex_dump("0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff 1c 00 00 00")
        };
        let n = (rnd() % 3000) as usize;
        bytes.extend((0..n).map(|_| rnd() as u8));
        std::fs::write(&p, &bytes).unwrap();
        for table in [
            "nano_packets",
            "nano_blocks",
            "nano_anomalies",
            "nano_stats",
        ] {
            let _ = query(&conn, &format!("SELECT * FROM {table}({})", lit(&p)));
        }
    }
    assert!(value_text(&scalar(&conn, "SELECT nano_version()")).starts_with("nanocap"));
}
