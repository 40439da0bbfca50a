//! The REST API over HTTP, against the real nanocap-serve on 127.0.0.1, after it
//! imported the bundled sample capture. Answers are checked against the database
//! itself, read with SQLite directly.

mod common;

use common::*;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::time::Duration;

fn imported(name: &str, web: &str) -> Serve {
    let sample = sample();
    let s = Serve::start(
        name,
        &config_text("", web),
        &["--pcap", sample.to_str().unwrap()],
    );
    assert!(
        s.wait_log("imported ", Duration::from_secs(60)),
        "{}",
        s.log()
    );
    s
}

fn db_count(s: &Serve, sql: &str) -> i64 {
    let c = Connection::open(&s.db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn status_schema_and_counts_describe_the_database() {
    let s = imported("status", "");
    let r = s.get("/api/v1/status");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    let st = r.json();
    for key in [
        "capturing",
        "importing",
        "max_db_size_reached",
        "version",
        "packet_queue_size",
        "packet_parse_error_count",
    ] {
        assert!(st.get(key).is_some(), "the original's key {key}: {st}");
    }
    assert_eq!(st["capturing"], false);
    assert_eq!(st["importing"], false);
    let packets = db_count(&s, "SELECT count(*) FROM packet");
    assert!(packets > 300, "{packets}");
    assert_eq!(st["import"]["messages"], json!(packets));
    assert_eq!(st["import"]["bytes_read"], st["import"]["bytes_total"]);
    assert!(st["database_bytes"].as_u64().unwrap() > 0);

    assert_eq!(
        s.get("/api/v1/count/packet").json(),
        json!({ "count": packets })
    );

    let per_type = s.get("/api/v1/count/per-type").json();
    let per_type = per_type.as_array().unwrap();
    assert_eq!(per_type.len(), 32);
    for (i, e) in per_type.iter().enumerate() {
        assert_eq!(e["type"], json!(i));
        let n = db_count(
            &s,
            &format!("SELECT count(*) FROM packet WHERE msg_type = {i}"),
        );
        assert_eq!(e["count"], json!(n), "type {i}");
    }
    assert_eq!(per_type[5]["name"], "confirm_ack");

    let schema = s.get("/api/v1/schema").json();
    let tables: Vec<&str> = schema
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = {
        let c = Connection::open(&s.db).unwrap();
        let mut st = c
            .prepare("SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(tables, expected);
    assert!(
        tables.contains(&"packet") && tables.contains(&"runs") && tables.contains(&"vote_hash")
    );
    let packet = schema
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "packet")
        .unwrap();
    let id = &packet["columns"][0];
    assert_eq!(id["name"], "id");
    assert_eq!(id["pk"], 1, "typed, not the original's strings: {id}");
    assert_eq!(id["notnull"], false);
    assert!(
        !packet["indexes"].as_array().unwrap().is_empty(),
        "{packet}"
    );
}

#[test]
fn query_results_keep_their_types() {
    let s = imported("types", "");
    let r = query(
        &s,
        "SELECT 1 AS i, 2.5 AS r, 'x' AS t, NULL AS n, x'00ff' AS b",
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["columns"], json!(["i", "r", "t", "n", "b"]));
    assert_eq!(v["rows"], json!([[1, 2.5, "x", null, "00ff"]]));
    assert_eq!(v["truncated"], false);
    assert_eq!(v["timed_out"], false);

    // Columns even without rows, and declared types from the table.
    let v = query(&s, "SELECT id, msg_name FROM packet WHERE id < 0").json();
    assert_eq!(v["columns"], json!(["id", "msg_name"]));
    assert_eq!(v["types"], json!(["INTEGER", "TEXT"]));
    assert_eq!(v["rows"], json!([]));

    // The rows are the database's rows.
    let v = query(
        &s,
        "SELECT id, msg_name, size FROM packet ORDER BY id LIMIT 3",
    )
    .json();
    let c = Connection::open(&s.db).unwrap();
    let mut st = c
        .prepare("SELECT id, msg_name, size FROM packet ORDER BY id LIMIT 3")
        .unwrap();
    let direct: Vec<Value> = st
        .query_map([], |r| {
            Ok(json!([
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<i64>>(2)?
            ]))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(v["rows"], Value::Array(direct));

    // POST with a JSON body, and with a form body.
    let v = s
        .post_json(
            "/api/v1/capture/query",
            r#"{"query": "SELECT count(*) FROM packet"}"#,
        )
        .json();
    assert_eq!(
        v["rows"][0][0],
        json!(db_count(&s, "SELECT count(*) FROM packet"))
    );
    let v = s
        .request(
            "POST",
            "/api/v1/capture/query",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"query=SELECT+42",
        )
        .json();
    assert_eq!(v["rows"], json!([[42]]));
}

#[test]
fn results_stop_at_the_row_limit_and_say_so() {
    let s = imported("limit", r#""max_query_result": 7"#);
    let v = query(&s, "SELECT id FROM packet ORDER BY id").json();
    assert_eq!(v["rows"].as_array().unwrap().len(), 7);
    assert_eq!(v["truncated"], true);
    assert_eq!(v["row_limit"], 7);
    let v = query(&s, "SELECT id FROM packet ORDER BY id LIMIT 7").json();
    assert_eq!(v["truncated"], false, "exactly the limit is not cut");
}

#[test]
fn runaway_queries_stop_at_the_time_limit() {
    let s = imported("runaway", r#""query_time_limit_ms": 300"#);
    // No row ever comes: an error that says why.
    let e = query(
        &s,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c",
    )
    .error(400);
    assert!(e.contains("interrupted") && e.contains("300 ms"), "{e}");
    // Rows came before the limit: they are returned, flagged.
    let v = query(
        &s,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
         SELECT x FROM c WHERE x % 200000 = 1",
    )
    .json();
    assert_eq!(v["timed_out"], true, "{v}");
    assert!(!v["rows"].as_array().unwrap().is_empty());
    // The server is still there.
    assert_eq!(query(&s, "SELECT 1").json()["rows"], json!([[1]]));
}

#[test]
fn the_query_endpoint_cannot_write_attach_or_read_files() {
    let s = imported("readonly", "");
    let before = db_count(&s, "SELECT count(*) FROM packet");
    let outside = s.dir.path().join("outside.db");
    let outside_sql = outside.display().to_string().replace('\'', "''");
    let refused = [
        "DELETE FROM packet".to_string(),
        "UPDATE packet SET size = 0".into(),
        "INSERT INTO runs (kind, source, nanocap_version, packet_id_base) VALUES ('x','x','x',0)"
            .into(),
        "DROP TABLE packet".into(),
        "CREATE TABLE evil(a)".into(),
        "CREATE TEMP TABLE evil(a)".into(),
        "CREATE INDEX evil ON packet(size)".into(),
        format!("ATTACH '{outside_sql}' AS o"),
        format!("VACUUM INTO '{outside_sql}'"),
        "PRAGMA user_version = 99".into(),
        "PRAGMA journal_mode = DELETE".into(),
        "PRAGMA writable_schema = ON".into(),
        "BEGIN".into(),
        "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libc.so.6')".into(),
        "REINDEX".into(),
        "ANALYZE".into(),
    ];
    for sql in &refused {
        let r = query(&s, sql);
        assert_eq!(r.status, 403, "{sql}: {}", r.text());
        assert!(
            r.json()["error"]
                .as_str()
                .unwrap()
                .starts_with("not allowed"),
            "{sql}"
        );
    }
    // nanocap's file-reading table functions and actions are not there at all.
    for sql in [
        "SELECT * FROM nano_packets('/etc/passwd')",
        "SELECT nano_import('/etc/passwd')",
        "SELECT nano_capture_start()",
    ] {
        let r = query(&s, sql);
        assert!(matches!(r.status, 400 | 403), "{sql}: {}", r.text());
    }
    // Several statements: refused whole, none of them runs.
    let r = query(&s, "SELECT 1; DELETE FROM packet");
    assert!(matches!(r.status, 400 | 403), "{}", r.text());
    let r = query(&s, "SELECT 1; SELECT 2");
    assert!(r.error(400).contains("one statement"), "{}", r.text());
    assert!(
        !outside.exists(),
        "nothing was written outside the database"
    );
    assert_eq!(db_count(&s, "SELECT count(*) FROM packet"), before);
    assert_eq!(db_count(&s, "PRAGMA user_version"), 1);
    // Reading pragmas and the pure scalar functions still work.
    assert_eq!(query(&s, "PRAGMA table_info(packet)").status, 200);
    let v = query(&s, "SELECT nano_msg_name(5)").json();
    assert_eq!(v["rows"], json!([["confirm_ack"]]));
}

#[test]
fn read_only_holds_when_bound_to_every_address() {
    let sample = sample();
    let s = Serve::start(
        "bindall",
        &config_text("", "").replace("\"bind\": \"127.0.0.1\"", "\"bind\": \"0.0.0.0\""),
        &["--pcap", sample.to_str().unwrap()],
    );
    assert!(s.wait_log("imported ", Duration::from_secs(60)));
    assert!(
        s.log().contains("anyone who reaches the port"),
        "{}",
        s.log()
    );
    let before = db_count(&s, "SELECT count(*) FROM packet");
    assert_eq!(query(&s, "DELETE FROM packet").status, 403);
    assert_eq!(db_count(&s, "SELECT count(*) FROM packet"), before);
    // Bound beyond loopback, any Host name is served.
    let r = s.request(
        "GET",
        "/api/v1/count/packet",
        &[("Host", "capture.example")],
        b"",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn bad_requests_get_json_errors() {
    let s = imported("bad", "");
    let e = s.get("/api/v1/capture/query").error(400);
    assert!(e.contains("missing query"), "{e}");
    let e = query(&s, "SELEC nonsense FROM").error(400);
    assert!(e.contains("syntax error"), "{e}");
    let e = query(&s, "SELECT * FROM no_such_table").error(400);
    assert!(e.contains("no such table"), "{e}");
    let e = query(&s, "   ").error(400);
    assert!(e.contains("empty"), "{e}");
    s.get("/api/v1/nope").error(404);
    s.get("/api/v2/status").error(404);
    s.request("PUT", "/api/v1/status", &[], b"").error(405);
    s.request("DELETE", "/api/v1/capture/destroy", &[], b"")
        .error(405);
    let e = s.post_json("/api/v1/capture/query", "{not json").error(400);
    assert!(e.contains("malformed"), "{e}");
    s.post_json("/api/v1/capture/query", "[1,2]").error(400);
    let e = s
        .get("/api/v1/capture/query?query=SELECT+1&format=xml")
        .error(400);
    assert!(e.contains("unknown format"), "{e}");

    // A 1 MB query string, in the URL and in a body.
    let big = format!("SELECT '{}'", "a".repeat(1 << 20));
    let e = s
        .get(&format!("/api/v1/capture/query?query={}", enc(&big)))
        .error(413);
    assert!(e.contains("the query string is larger than 256 KiB"), "{e}");
    let body = serde_json::to_string(&json!({ "query": big })).unwrap();
    s.post_json("/api/v1/capture/query", &body).error(413);

    // Garbage on the socket, then a request that still works.
    let garbage = raw_bytes(
        s.addr,
        b"\x00\x01\x02 garbage\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(
        garbage.starts_with(b"HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&garbage)
    );
    let _ = raw_bytes(
        s.addr,
        b"GET /api/v1/status HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        Duration::from_secs(2),
    );
    assert_eq!(s.get("/api/v1/status").status, 200);
}

#[test]
fn static_paths_cannot_leave_the_console() {
    let s = imported("static", "");
    for path in [
        "/../Cargo.toml",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fCargo.toml",
        "//etc/passwd",
        "/vendor/../../Cargo.toml",
        "/web/../Cargo.toml",
        "/serve/Cargo.toml",
    ] {
        let r = s.get(path);
        let text = r.text();
        assert!(!text.contains("root:x:0:0"), "{path}");
        assert!(!text.contains("[package]"), "{path}: {text}");
        // A route or a miss: the console's page, or a 404, nothing else.
        assert!(
            (r.status == 200 && text.contains("<html")) || r.status == 404,
            "{path}: {} {text}",
            r.status
        );
    }
    // A missing file with an extension is a 404, a route gets the console.
    assert_eq!(s.get("/no-such-file.js").status, 404);
    let r = s.get("/query");
    assert_eq!(r.header("X-Frame-Options"), Some("DENY"));
    assert!(r
        .header("Content-Security-Policy")
        .unwrap()
        .contains("default-src 'self'"));
}

#[test]
fn browsers_on_other_sites_are_refused() {
    let s = imported("crosssite", "");
    let host = s.addr.to_string();
    let origin = format!("http://{host}");
    for (headers, ok) in [
        (vec![], true),
        (vec![("Sec-Fetch-Site", "same-origin")], true),
        (vec![("Sec-Fetch-Site", "none")], true),
        (vec![("Origin", origin.as_str())], true),
        (vec![("Sec-Fetch-Site", "cross-site")], false),
        (vec![("Sec-Fetch-Site", "same-site")], false),
        (vec![("Origin", "http://evil.example")], false),
        (vec![("Origin", "null")], false),
    ] {
        for path in [
            "/api/v1/capture/stop",
            "/api/v1/capture/query?query=SELECT+1",
        ] {
            for method in ["GET", "POST"] {
                let r = s.request(method, path, &headers, b"");
                if ok {
                    assert_ne!(r.status, 403, "{method} {path} {headers:?}: {}", r.text());
                } else {
                    let e = r.error(403);
                    assert!(e.contains("another"), "{e}");
                }
            }
        }
    }
    // Without a capture, stop is a conflict, not a success.
    let e = s
        .request("POST", "/api/v1/capture/stop", &[], b"")
        .error(409);
    assert!(e.contains("no capture"), "{e}");
    // A page that rebinds its own name to 127.0.0.1 keeps its name in Host.
    let e = s
        .request(
            "GET",
            "/api/v1/status",
            &[("Host", "evil.example:8077")],
            b"",
        )
        .error(403);
    assert!(e.contains("loopback"), "{e}");
    for h in ["localhost:1", "127.0.0.1", "[::1]:8077"] {
        assert_eq!(
            s.request("GET", "/api/v1/status", &[("Host", h)], b"")
                .status,
            200,
            "{h}"
        );
    }
}

#[test]
fn a_token_guards_everything() {
    let s = imported("token", r#""token": "s3cret-token""#);
    s.get("/api/v1/status").error(401);
    query(&s, "SELECT 1").error(401);
    let r = s.get("/");
    assert_eq!(r.status, 401);
    assert!(r.text().contains("needs its token"), "{}", r.text());
    let bearer = [("Authorization", "Bearer s3cret-token")];
    assert_eq!(
        s.request("GET", "/api/v1/status", &bearer, b"").json()["token_required"],
        true
    );
    s.request(
        "GET",
        "/api/v1/status",
        &[("Authorization", "Bearer wrong")],
        b"",
    )
    .error(401);
    s.request(
        "GET",
        "/api/v1/status",
        &[("Cookie", "nanocap_token=wrong")],
        b"",
    )
    .error(401);

    s.post_json("/api/v1/login", r#"{"token": "nope"}"#)
        .error(401);
    let r = s.post_json("/api/v1/login", r#"{"token": "s3cret-token"}"#);
    assert_eq!(r.status, 200);
    let cookie = r.header("Set-Cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let with_cookie = [("Cookie", pair)];
    assert_eq!(
        s.request("GET", "/api/v1/count/packet", &with_cookie, b"")
            .status,
        200
    );
    let r = s.request(
        "GET",
        "/api/v1/capture/query?query=SELECT+1",
        &[("Cookie", &format!("other=1; {pair}"))],
        b"",
    );
    assert_eq!(r.json()["rows"], json!([[1]]));
}

#[test]
fn exports_stream_every_row_as_csv_and_ndjson() {
    let s = imported("export", r#""max_query_result": 5"#);
    let n = db_count(&s, "SELECT count(*) FROM packet");
    let sql = "SELECT id, msg_name, srcip, error, x'0a0b' AS b FROM packet ORDER BY id";
    let r = s.get(&format!(
        "/api/v1/capture/query?format=csv&query={}",
        enc(sql)
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/csv; charset=utf-8"));
    assert_eq!(r.header("Transfer-Encoding"), Some("chunked"));
    let text = r.text();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "id,msg_name,srcip,error,b");
    assert_eq!(lines.len() as i64, n + 1, "no row limit on exports");
    let first_id = db_count(&s, "SELECT min(id) FROM packet");
    assert!(
        lines[1].starts_with(&format!("{first_id},")),
        "{}",
        lines[1]
    );
    assert!(lines[1].ends_with(",0a0b"), "{}", lines[1]);

    let r = s.get(&format!(
        "/api/v1/capture/query?format=ndjson&query={}",
        enc(sql)
    ));
    assert_eq!(
        r.header("Content-Type"),
        Some("application/x-ndjson; charset=utf-8")
    );
    let rows: Vec<Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len() as i64, n);
    assert_eq!(rows[0]["id"], json!(first_id));
    assert_eq!(rows[0]["b"], "0a0b");
    assert!(rows.iter().all(|r| r.as_object().unwrap().len() == 5));

    // Bad SQL is a proper error before any row.
    query_export_error(&s, "SELECT * FROM nowhere", 400);
    query_export_error(&s, "DELETE FROM packet", 403);
}

fn query_export_error(s: &Serve, sql: &str, status: u16) {
    for f in ["csv", "ndjson"] {
        s.get(&format!(
            "/api/v1/capture/query?format={f}&query={}",
            enc(sql)
        ))
        .error(status);
    }
}

#[test]
fn an_export_cut_by_the_time_limit_says_so_in_its_last_line() {
    let s = imported("exportcut", r#""query_time_limit_ms": 300"#);
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
               SELECT x FROM c WHERE x % 100000 = 1";
    let r = s.get(&format!(
        "/api/v1/capture/query?format=ndjson&query={}",
        enc(sql)
    ));
    assert_eq!(r.status, 200);
    let text = r.text();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(
        last["nanocap_error"]
            .as_str()
            .unwrap()
            .contains("interrupted"),
        "{last}"
    );
    assert_eq!(last["rows"], json!(text.lines().count() - 1));
    let r = s.get(&format!(
        "/api/v1/capture/query?format=csv&query={}",
        enc(sql)
    ));
    let text = r.text();
    let last = text.trim_end().lines().last().unwrap();
    assert!(last.starts_with("# nanocap: export cut after "), "{last}");
}

/// A client that holds every file descriptor the server may open stops it
/// accepting while it lasts, not forever: with a limit of 64 descriptors, 200 idle
/// connections, then closed, and requests are served again.
#[test]
fn a_connection_flood_costs_service_only_while_it_lasts() {
    let dir = TempDir::new("flood");
    let config = dir.path().join("nanocap.config");
    std::fs::write(&config, config_text("", "")).unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64 && exec {} --config {} --db {} --port 0",
            env!("CARGO_BIN_EXE_nanocap-serve"),
            config.display(),
            dir.path().join("flood.db").display()
        ))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut log = String::new();
    let addr: std::net::SocketAddr = loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("started");
        log.push_str(&line);
        if let Some(rest) = line.split("console at http://").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    let get = || {
        let req = format!(
            "GET /api/v1/count/packet HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        );
        raw_bytes(addr, req.as_bytes(), Duration::from_secs(3))
    };
    assert!(get().starts_with(b"HTTP/1.1 200"));
    let flood: Vec<_> = (0..200)
        .filter_map(|_| std::net::TcpStream::connect(addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    drop(flood);
    let t = std::time::Instant::now();
    let mut served = false;
    while t.elapsed() < Duration::from_secs(15) {
        if std::net::TcpStream::connect(addr).is_ok() && get().starts_with(b"HTTP/1.1 200") {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    while let Ok(line) = rx.try_recv() {
        log.push_str(&line);
        log.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(served, "served again after the flood: {log}");
    assert!(
        log.contains("listening again"),
        "the flood did exhaust the descriptors: {log}"
    );
}

/// Browsers open several connections at once and keep them open. Each must be
/// answered at once, not when another one closes (tiny_http's pool could queue a
/// connection behind a busy keep-alive one; serve/vendor/README.md).
#[test]
fn parallel_keep_alive_connections_are_all_answered() {
    use std::io::{Read, Write};
    let s = Serve::start("keepalive", &config_text("", ""), &[]);
    for round in 0..5 {
        let mut conns: Vec<std::net::TcpStream> = (0..8)
            .map(|_| std::net::TcpStream::connect(s.addr).unwrap())
            .collect();
        for c in &mut conns {
            let req = format!(
                "GET /api/v1/count/packet HTTP/1.1\r\nHost: {}\r\n\r\n",
                s.addr
            );
            c.write_all(req.as_bytes()).unwrap();
        }
        for (i, c) in conns.iter_mut().enumerate() {
            // Far longer than an answer takes; far shorter than the server's own
            // liveness probe (every 5 s), which used to unblock a stuck connection.
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 512];
            let n = c.read(&mut buf).unwrap_or(0);
            assert!(
                buf[..n].starts_with(b"HTTP/1.1 200"),
                "round {round}, connection {i} (all kept open) was not answered"
            );
        }
    }
}

#[test]
fn the_status_says_how_the_import_ended_or_why_it_failed() {
    let s = imported("importend", "");
    let st = s.get("/api/v1/status").json();
    assert_eq!(st["import"]["end_reason"], "complete", "{st}");
    let missing = s.dir.path().join("missing.pcapng");
    let f = Serve::start(
        "importfail",
        &config_text("", ""),
        &["--pcap", missing.to_str().unwrap()],
    );
    assert!(f.wait_log("failed", Duration::from_secs(30)), "{}", f.log());
    let st = f.get("/api/v1/status").json();
    assert_eq!(st["import"]["file"], missing.to_str().unwrap(), "{st}");
    assert!(
        st["import"]["error"]
            .as_str()
            .unwrap()
            .contains("missing.pcapng"),
        "{st}"
    );
    assert_eq!(st["importing"], false);
}

/// A client that connects and then sends nothing does not hold the connection
/// (and its thread) for ever: the server closes it after its 30 s timeout
/// (serve/vendor/README.md).
#[test]
fn a_silent_connection_is_closed_after_the_timeout() {
    use std::io::Read;
    let s = Serve::start("silent", &config_text("", ""), &[]);
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let t = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let n = c.read(&mut buf).unwrap_or(0);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_secs(25) && waited < Duration::from_secs(55),
        "closed after {waited:?}: {:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert_eq!(s.get("/api/v1/status").status, 200);
}
