//! An import into a database whose disk fills up: nano_import fails with SQLite's
//! own error, everything committed before stays, the run says why it ended, and the
//! database passes `PRAGMA integrity_check`. The full disk is a small tmpfs, which
//! needs root (CI runs as root); elsewhere the test records a skip.

use nanocap_tests::*;
use rusqlite::types::Value;
use std::process::Command;

/// A tmpfs of `size` mounted on a fresh directory; unmounted on drop.
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount(name: &str, size: &str) -> Result<SmallDisk, String> {
        let dir = TempDir::new(name);
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk { dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_ends_the_import_with_its_error_and_keeps_what_was_committed() {
    let disk = match SmallDisk::mount("disk-full", "3m") {
        Ok(d) => d,
        Err(why) => return skip(&why),
    };
    // The capture lives elsewhere; only the database is on the small disk. 40k
    // generated messages make a database many times larger than 3 MB.
    let inputs = TempDir::new("disk-full-input");
    let capture = inputs.path().join("big.pcapng");
    let file = std::fs::File::create(&capture).unwrap();
    nanocap::synth::bench(40_000, 11, std::io::BufWriter::new(file)).unwrap();

    let db = disk.dir.path().join("capture.db");
    let conn = connect_file(&db);
    let sql = format!("SELECT nano_import({})", lit(&capture));
    let err = conn
        .query_row(&sql, [], |r| r.get::<_, i64>(0))
        .expect_err("the disk is far too small for this import");
    let msg = err.to_string();
    assert!(msg.starts_with("nano_import: "), "{msg}");
    assert!(
        msg.contains("full"),
        "SQLite's 'database or disk is full': {msg}"
    );
    drop(conn);

    // The database opens, is sound, and holds the run with the reason it ended.
    let conn = connect_file(&db);
    assert_eq!(
        scalar(&conn, "PRAGMA integrity_check"),
        Value::Text("ok".into())
    );
    let reason = scalar(&conn, "SELECT end_reason FROM runs");
    match &reason {
        Value::Text(r) => assert!(r.starts_with("error") && r.contains("full"), "{r}"),
        other => panic!("the run's end_reason must say why it ended, got {other:?}"),
    }
    // What was committed is whole: every stored message is a complete packet row
    // with the run's id, and the run counts exactly what is there.
    let stored = scalar(&conn, "SELECT count(*) FROM packet");
    let counted = scalar(&conn, "SELECT messages FROM runs");
    assert_eq!(stored, counted);
    assert_eq!(
        scalar(
            &conn,
            "SELECT count(*) FROM packet WHERE run_id <> (SELECT id_multiplier FROM runs)"
        ),
        Value::Integer(0)
    );
}
