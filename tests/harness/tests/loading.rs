//! The extension loads into every kind of host users have and registers what the
//! README documents.

use nanocap_tests::*;
use rusqlite::types::Value;
use std::process::Command;

#[test]
fn nano_version_answers() {
    let conn = connect();
    let v = value_text(&scalar(&conn, "SELECT nano_version()"));
    assert!(v.starts_with("nanocap "), "{v}");
    assert!(v.contains("protocol up to version 21"), "{v}");
}

#[test]
fn registers_exactly_the_documented_functions_and_modules() {
    let conn = connect();
    let funcs = query_text(
        &conn,
        "SELECT DISTINCT name FROM pragma_function_list WHERE name LIKE 'nano%' ORDER BY name",
    );
    assert_eq!(
        funcs,
        "nano_account\nnano_capture_start\nnano_capture_status\nnano_capture_stop\nnano_import\nnano_join_cache\nnano_key\nnano_msg_name\nnano_version\n"
    );
    let modules = query_text(
        &conn,
        "SELECT name FROM pragma_module_list WHERE name LIKE 'nano%' ORDER BY name",
    );
    let mut expected = vec![
        "nano_packets",
        "nano_blocks",
        "nano_votes",
        "nano_vote_hashes",
        "nano_keepalive_peers",
        "nano_handshakes",
        "nano_telemetry",
        "nano_confirm_req_pairs",
        "nano_asc_pull",
        "nano_asc_pull_frontiers",
        "nano_frontier_requests",
        "nano_bulk_pull_requests",
        "nano_bulk_pull_account_requests",
        "nano_frontier_responses",
        "nano_bulk_pull_account_responses",
        "nano_connections",
        "nano_anomalies",
        "nano_stats",
        "nano_interfaces",
    ];
    expected.sort();
    assert_eq!(
        modules,
        expected
            .iter()
            .map(|m| format!("{m}\n"))
            .collect::<String>()
    );
    // Every documented table function is mentioned in the README's SQL reference.
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for m in expected {
        assert!(readme.contains(m), "README does not document {m}");
    }
    for f in funcs.lines() {
        assert!(
            readme.contains(&format!("`{f}(")),
            "README does not document {f}"
        );
    }
}

#[test]
fn loads_permanently() {
    // After the loading connection closes, the library stays mapped (capture
    // threads will outlive the statement that loaded it).
    let conn = connect();
    drop(conn);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(
        maps.contains("libnanocap"),
        "extension was unloaded when its connection closed"
    );
    let conn2 = connect();
    assert!(value_text(&scalar(&conn2, "SELECT nano_version()")).starts_with("nanocap"));
}

#[test]
fn debian_sqlite3_shell_loads_it() {
    let Ok(out) = Command::new("sqlite3")
        .arg(":memory:")
        .arg(format!(".load {}", extension_path().display()))
        .arg("SELECT nano_version(); SELECT nano_msg_name(5);")
        .output()
    else {
        skip("no sqlite3 shell installed (CI installs it)");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("nanocap "), "{stdout}");
    assert!(stdout.contains("confirm_ack"), "{stdout}");
}

#[test]
fn python_sqlite3_module_loads_it() {
    let script = format!(
        "import sqlite3\nc = sqlite3.connect(':memory:')\nc.enable_load_extension(True)\n\
         c.load_extension({:?})\nprint(c.execute('select nano_version()').fetchone()[0])\n",
        extension_path().display().to_string()
    );
    let Some(stdout) = python(&script) else {
        return;
    };
    assert!(stdout.starts_with("nanocap "), "{stdout}");
}

/// Loaded into one connection, the extension is in every connection the process opens
/// afterwards (sqlite3_auto_extension), not in those already open; loading it again
/// into such a connection is harmless.
#[test]
fn connections_opened_after_loading_have_it_too() {
    let script = format!(
        "import sqlite3\n\
         ext = {:?}\n\
         before = sqlite3.connect(':memory:')\n\
         c1 = sqlite3.connect(':memory:')\n\
         c1.enable_load_extension(True)\n\
         c1.load_extension(ext)\n\
         c2 = sqlite3.connect(':memory:')\n\
         print('c2', c2.execute('select nano_version()').fetchone()[0])\n\
         print('c2', c2.execute(\"select count(*) from nano_packets(?)\", ({:?},)).fetchone()[0])\n\
         c2.enable_load_extension(True)\n\
         c2.load_extension(ext)\n\
         print('c2 again', c2.execute('select nano_msg_name(5)').fetchone()[0])\n\
         try:\n    before.execute('select nano_version()')\n    print('before has it')\n\
         except sqlite3.OperationalError as e:\n    print('before:', e)\n",
        extension_path().display().to_string(),
        fixture("sample.pcapng").display().to_string()
    );
    let Some(stdout) = python(&script) else {
        return;
    };
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("c2 nanocap "), "{stdout}");
    let count: u64 = lines[1]
        .strip_prefix("c2 ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    let direct = scalar(
        &connect(),
        &format!(
            "SELECT count(*) FROM nano_packets({})",
            lit(&fixture("sample.pcapng"))
        ),
    );
    assert_eq!(Value::Integer(count as i64), direct, "{stdout}");
    assert!(count > 0, "{stdout}");
    assert_eq!(lines[2], "c2 again confirm_ack");
    assert_eq!(lines[3], "before: no such function: nano_version");
}

#[test]
fn scalar_functions() {
    let conn = connect();
    // Check values from docs/protocol.md section 3.
    let dev = "B0311EA55708D6A53C75CDBF88300259C6D018522FE3D4D0A242E431F9E8B6D0";
    let dev_addr = "nano_3e3j5tkog48pnny9dmfzj1r16pg8t1e76dz5tmac6iq689wyjfpiij4txtdo";
    assert_eq!(
        value_text(&scalar(&conn, &format!("SELECT nano_account('{dev}')"))),
        dev_addr
    );
    assert_eq!(
        value_text(&scalar(&conn, &format!("SELECT nano_account(x'{dev}')"))),
        dev_addr
    );
    assert_eq!(
        value_text(&scalar(&conn, &format!("SELECT nano_key('{dev_addr}')"))),
        dev
    );
    let xrb = dev_addr.replacen("nano_", "xrb_", 1);
    assert_eq!(
        value_text(&scalar(&conn, &format!("SELECT nano_key('{xrb}')"))),
        dev
    );
    let live = "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA";
    assert_eq!(
        value_text(&scalar(&conn, &format!("SELECT nano_account('{live}')"))),
        "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3"
    );
    // A bad checksum is an error, not a wrong key.
    let bad = format!("{}{}", &dev_addr[..dev_addr.len() - 1], "a");
    let err = conn
        .query_row(&format!("SELECT nano_key('{bad}')"), [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap_err();
    assert!(err.to_string().contains("nano_key"), "{err}");
    let err = conn
        .query_row("SELECT nano_account('zz')", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert!(err.to_string().contains("64 hex digits"), "{err}");
    assert_eq!(
        query_text(&conn, "SELECT nano_msg_name(2), nano_msg_name(14), nano_msg_name(15), nano_msg_name(99), nano_msg_name(NULL)"),
        "keepalive|asc_pull_req|asc_pull_ack|NULL|NULL\n"
    );
}

#[test]
fn readme_documents_every_column() {
    let conn = connect();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let modules = query_text(
        &conn,
        "SELECT name FROM pragma_module_list WHERE name LIKE 'nano%'",
    );
    let mut missing = Vec::new();
    for m in modules.lines() {
        let cols = query_text(
            &conn,
            &format!("SELECT name FROM pragma_table_xinfo('{m}') WHERE hidden = 0"),
        );
        assert!(!cols.is_empty(), "{m} has no columns");
        for c in cols.lines() {
            if !readme.contains(&format!("`{c}`")) {
                missing.push(format!("{m}.{c}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README's SQL reference does not mention: {missing:?}"
    );
}
