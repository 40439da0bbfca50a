//! Signature checks done ahead on every core: a scan reads `signature_valid` only when
//! the statement uses it, and then the verdicts are those the generator made.

use nanocap_tests::*;
use rusqlite::types::Value;

#[test]
fn checks_are_made_ahead_only_when_a_statement_reads_them() {
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    for (sql, ahead) in [
        (format!("SELECT count(*) FROM nano_votes({f})"), false),
        (
            format!("SELECT account, hashes FROM nano_votes({f})"),
            false,
        ),
        (format!("SELECT signature_valid FROM nano_votes({f})"), true),
        (format!("SELECT * FROM nano_votes({f})"), true),
        (
            format!("SELECT count(*) FROM nano_votes({f}) WHERE signature_valid"),
            true,
        ),
        (format!("SELECT * FROM nano_blocks({f})"), true),
        (format!("SELECT hash FROM nano_blocks({f})"), false),
        (format!("SELECT * FROM nano_telemetry({f})"), true),
        (format!("SELECT * FROM nano_packets({f})"), false),
    ] {
        let shown = query_plan(&conn, &sql);
        assert_eq!(shown.contains("INDEX 5:"), ahead, "{sql}: {shown}");
    }
}

#[test]
fn verdicts_made_ahead_match_an_import_that_checks_each_row_on_its_own() {
    // An import checks signatures on its own worker threads, one row at a time, never
    // ahead: an independent verdict for every vote, block and telemetry of the file.
    let dir = TempDir::new("signatures-ahead");
    let db = dir.path().join("sample.db");
    let conn = connect_file(&db);
    let f = lit(&fixture("sample.pcapng"));
    conn.query_row(&format!("SELECT nano_import({f})"), [], |_| Ok(()))
        .unwrap();
    for (stored, function) in [
        (
            "SELECT packet_id, signature_valid FROM vote ORDER BY 1".to_string(),
            format!("SELECT packet_id, signature_valid FROM nano_votes({f}) ORDER BY 1"),
        ),
        (
            "SELECT hash, signature_valid FROM (SELECT hash, signature_valid FROM block_state \
             UNION ALL SELECT hash, signature_valid FROM block_open) ORDER BY 1, 2"
                .to_string(),
            format!(
                "SELECT hash, signature_valid FROM nano_blocks({f}) \
                 WHERE type_name IN ('state', 'open') ORDER BY 1, 2"
            ),
        ),
        (
            "SELECT packet_id, signature_valid FROM telemetry WHERE NOT empty ORDER BY 1"
                .to_string(),
            format!(
                "SELECT packet_id, signature_valid FROM nano_telemetry({f}) WHERE NOT empty \
                 ORDER BY 1"
            ),
        ),
    ] {
        let a = query(&conn, &function).unwrap();
        let b = query(&conn, &stored).unwrap();
        assert_eq!(a, b, "{function}");
        assert!(!a.is_empty(), "{function}: no rows");
    }
    let votes = query(
        &conn,
        &format!("SELECT signature_valid FROM nano_votes({f})"),
    )
    .unwrap();
    assert!(
        votes.iter().any(|r| r[0] == Value::Integer(0)),
        "a forged vote"
    );
    assert!(
        votes.iter().any(|r| r[0] == Value::Integer(1)),
        "a good vote"
    );
}
