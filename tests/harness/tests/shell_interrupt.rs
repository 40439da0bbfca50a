//! Ctrl-C in Debian's sqlite3 shell (3.40, which has no `sqlite3_is_interrupted`)
//! stops a running `nano_import`: the shell's SIGINT handler calls
//! `sqlite3_interrupt` on its connection, the import notices within about a second,
//! commits what it has, and marks its run `interrupted`.

use nanocap_tests::*;
use rusqlite::types::Value;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

    let mut shell = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqlite3 starts");
    let script = format!(
        ".load {}\nSELECT nano_import({});\n",
        extension_path().display(),
        lit(&capture)
    );
    let mut stdin = shell.stdin.take().unwrap();
    stdin.write_all(script.as_bytes()).unwrap();
    // The shell reads to the end of its input: closing it makes it exit after the
    // statement, interrupted or not.
    drop(stdin);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        shell.try_wait().unwrap().is_none(),
        "the import ended before the signal: the capture is too small"
    );
    let sent = Instant::now();
    // SAFETY: kill(2) on the pid of a child we started and have not reaped.
    let rc = unsafe { libc_kill(shell.id() as i32, 2) };
    assert_eq!(rc, 0, "SIGINT sent");
    let out = shell.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
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

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
