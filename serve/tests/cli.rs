//! The command line: flags, the config, the database checks, --pcap with and
//! without the web server, and the progress bar on a terminal.

mod common;

use common::*;
use std::process::{Command, Output};

fn serve_cmd(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nanocap-serve"));
    c.current_dir(dir);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Imports the sample with the web server off; returns the database's counts.
fn import_only(dir: &TempDir, capture: &str) -> (Output, rusqlite::Connection) {
    let config = dir.path().join("c.config");
    std::fs::write(
        &config,
        config_text(capture, "").replace("\"bind\"", "\"enabled\": false, \"bind\""),
    )
    .unwrap();
    let db = dir.path().join("i.db");
    let out = serve_cmd(dir.path())
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(&db)
        .arg("--pcap")
        .arg(sample())
        .output()
        .unwrap();
    (out, rusqlite::Connection::open(&db).unwrap())
}

fn count(c: &rusqlite::Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn help_version_and_interfaces() {
    let dir = TempDir::new("flags");
    let out = serve_cmd(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = text(&out);
    for flag in ["--if", "--pcap", "--db", "--config", "--version", "--help"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    let out = serve_cmd(dir.path()).arg("--version").output().unwrap();
    assert!(text(&out).contains("nanocap 0."), "{}", text(&out));
    let out = serve_cmd(dir.path()).arg("--if").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    let lo = list
        .lines()
        .find(|l| l.starts_with("lo "))
        .expect("lo listed");
    assert!(lo.contains("127.0.0.1") && lo.contains("loopback"), "{lo}");
    let out = serve_cmd(dir.path())
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn a_bad_config_is_an_error_with_its_line_and_column() {
    let dir = TempDir::new("badconfig");
    let config = dir.path().join("nanocap.config");
    std::fs::write(
        &config,
        "// comment\n{\n  \"web\": {\"port\": \"eighty\"}\n}\n",
    )
    .unwrap();
    // Read from the working directory when --config is not given.
    let out = serve_cmd(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("nanocap.config: line 3 column"), "{t}");
    std::fs::write(&config, "{\"web\": {\"prot\": 1}}").unwrap();
    let t = text(&serve_cmd(dir.path()).output().unwrap());
    assert!(t.contains("unknown field") && t.contains("prot"), "{t}");
    let t = text(
        &serve_cmd(dir.path())
            .args(["--config", "missing.config"])
            .output()
            .unwrap(),
    );
    assert!(t.contains("cannot read the config file"), "{t}");
}

#[test]
fn a_database_of_a_newer_nanocap_is_refused() {
    let dir = TempDir::new("newer");
    let db = dir.path().join("newer.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let out = serve_cmd(dir.path())
        .arg("--db")
        .arg(&db)
        .args(["--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let t = text(&out);
    assert!(t.contains("newer"), "{t}");
}

#[test]
fn pcap_with_the_web_off_imports_and_exits_applying_the_filter() {
    let dir = TempDir::new("pcap");
    let (out, all) = import_only(&dir, r#""filter": """#);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported "), "{}", text(&out));
    let udp = count(&all, "SELECT count(*) FROM packet WHERE transport = 'udp'");
    assert!(udp > 0 && udp < count(&all, "SELECT count(*) FROM packet"));
    drop(all);

    let dir = TempDir::new("pcapudp");
    let (out, filtered) = import_only(&dir, r#""filter": "udp""#);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&filtered, "SELECT count(*) FROM packet"), udp);
    assert_eq!(
        count(
            &filtered,
            "SELECT count(*) FROM runs WHERE filter = 'udp' AND end_reason = 'complete'"
        ),
        1
    );
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_only() {
    let dir = TempDir::new("progress");
    // On a pipe: the final line only.
    let (out, _) = import_only(&dir, "");
    let t = text(&out);
    assert!(!t.contains("eta"), "{t}");
    // On a terminal (script(1) gives the command a pseudo-terminal).
    if Command::new("script").arg("--version").output().is_err() {
        return nanocap::test_support::skip("script(1) is not installed");
    }
    let config = dir.path().join("c.config");
    let cmd = format!(
        "{} --config {} --db {} --pcap {}",
        env!("CARGO_BIN_EXE_nanocap-serve"),
        config.display(),
        dir.path().join("tty.db").display(),
        sample().display()
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("imported "), "{t}");
    assert!(
        t.contains("eta") && t.contains("KiB"),
        "the bar was drawn: {t}"
    );
}
