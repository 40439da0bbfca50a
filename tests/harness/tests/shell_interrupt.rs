//! Ctrl-C in Debian's sqlite3 shell (3.40, which has no `sqlite3_is_interrupted`)
//! stops a running `nano_import` or a scan: the shell's SIGINT handler calls
//! `sqlite3_interrupt` on its connection, the import notices within about a second,
//! commits what it has, and marks its run `interrupted`; a scan stops at once, rows or
//! no rows.

use nanocap_tests::*;
use rusqlite::types::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts Debian's sqlite3 shell on `db` running `.load` and then `sql`, sends it
/// SIGINT (Ctrl-C) after `wait`, and returns what it wrote on stderr and how long it
/// took to end after the signal.
fn interrupted_shell(db: &std::path::Path, sql: &str, wait: Duration) -> (String, Duration) {
    let mut shell = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqlite3 starts");
    let script = format!(".load {}\n{sql}\n", extension_path().display());
    let mut stdin = shell.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    // The shell reads to the end of its input: closing it makes it exit after the
    // statement, interrupted or not.
    drop(stdin);
    std::thread::sleep(wait);
    assert!(
        shell.try_wait().unwrap().is_none(),
        "the statement ended before the signal: the capture is too small"
    );
    let sent = Instant::now();
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    let rc = unsafe { libc_kill(shell.id() as i32, 2) };
    assert_eq!(rc, 0, "SIGINT sent");
    let out = shell.wait_with_output().unwrap();
    let took = sent.elapsed();
    (String::from_utf8_lossy(&out.stderr).into_owned(), took)
}

#[test]
fn ctrl_c_in_the_sqlite3_shell_stops_an_import_and_keeps_its_rows() {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        return skip("no sqlite3 shell");
    }
    let dir = TempDir::new("shell-interrupt");
    let capture = dir.path().join("big.pcapng");
    let file = std::fs::File::create(&capture).unwrap();
    // Large enough that no import finishes in the second before the signal.
    nanocap::synth::bench(400_000, 5, std::io::BufWriter::new(file)).unwrap();
    let db = dir.path().join("shell.db");
    let sql = format!("SELECT nano_import({});", lit(&capture));
    let (stderr, took) = interrupted_shell(&db, &sql, Duration::from_millis(1500));
    assert!(stderr.contains("interrupted"), "shell said: {stderr}");
    assert!(took < Duration::from_millis(2500), "stopped after {took:?}");

    let conn = connect_file(&db);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
    assert_eq!(
        query_text(&conn, "SELECT end_reason, ended IS NOT NULL FROM runs"),
        "interrupted|1\n"
    );
    let stored = match scalar(&conn, "SELECT count(*) FROM packet") {
        Value::Integer(n) => n,
        v => panic!("{v:?}"),
    };
    assert!(stored > 0 && stored < 400_000, "{stored}");
    assert_eq!(
        scalar(&conn, "SELECT messages FROM runs"),
        Value::Integer(stored)
    );
}

/// A scan that yields no row reads on inside one call from SQLite, where SQLite's own
/// interrupt checks do not reach: the scan checks for itself, on a 3.40 host too.
#[test]
fn ctrl_c_in_the_sqlite3_shell_stops_a_scan_that_yields_no_rows() {
    if Command::new("sqlite3").arg("-version").output().is_err() {
        return skip("no sqlite3 shell");
    }
    let dir = TempDir::new("shell-interrupt-scan");
    // Two million one-byte segments and not one message: several seconds of reading.
    let capture = dir.path().join("no_messages.pcap");
    generate(&capture, |w| {
        nanocap::synth::hostile::one_byte_holes(100, 20_000, w)
    });
    // And a filter nothing matches, over Nano traffic.
    let bench = dir.path().join("bench.pcapng");
    generate(&bench, |w| nanocap::synth::bench(2_000_000, 5, w));
    let db = dir.path().join("shell.db");
    for sql in [
        format!("SELECT count(*) FROM nano_packets({});", lit(&capture)),
        format!(
            "SELECT count(*) FROM nano_blocks({}) WHERE hash = 'none';",
            lit(&bench)
        ),
    ] {
        // A third of a second in: the filtered scan of 2 M messages takes about a
        // second on an idle 2-core machine (columns got cheaper; it took three).
        let (stderr, took) = interrupted_shell(&db, &sql, Duration::from_millis(300));
        assert!(
            stderr.contains("interrupted"),
            "{sql}: shell said: {stderr}"
        );
        assert!(
            took < Duration::from_millis(1000),
            "{sql}: stopped after {took:?}"
        );
    }
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
