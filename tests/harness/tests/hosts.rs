//! The README's other hosts, driven as a user would: Datasette (with the flags of
//! examples/datasette.sh) serving the sample capture through its JSON API, and Node's
//! better-sqlite3 running examples/node/query.js. tests/run.sh installs both (`NANOCAP_DATASETTE`,
//! `NANOCAP_NODE_EXAMPLE`); without them these tests are counted as skipped.

use nanocap_tests::*;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills and reaps the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plain HTTP/1.0 GET on 127.0.0.1: (status, body).
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

#[test]
fn datasette_serves_table_function_queries() {
    let Some(datasette) = std::env::var_os("NANOCAP_DATASETTE") else {
        skip("NANOCAP_DATASETTE not set (tests/run.sh installs Datasette into target/venv)");
        return;
    };
    let port = free_port();
    let server = Command::new(&datasette)
        .args(["serve", "--memory", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string()])
        .arg("--load-extension")
        .arg(extension_path())
        .args(["--setting", "sql_time_limit_ms", "60000"])
        .current_dir(repo_root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start datasette");
    let mut server = Server(server);

    let sql = "SELECT msg_name, count(*) AS n FROM nano_packets('tests/fixtures/sample.pcapng') \
               GROUP BY msg_name ORDER BY msg_name";
    let url = format!("/_memory.json?_shape=array&sql={}", percent_encode(sql));
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            let mut err = String::new();
            server
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .ok();
            panic!("datasette exited ({status}): {err}");
        }
        match http_get(port, &url) {
            Ok((200, body)) => break body,
            Ok((status, body)) => panic!("HTTP {status}: {body}"),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("datasette did not answer on 127.0.0.1:{port} within 60 s: {e}"),
        }
    };
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    let got: String = rows
        .iter()
        .map(|r| {
            let name = r["msg_name"].as_str().map_or("NULL".into(), str::to_string);
            format!("{name}|{}\n", r["n"])
        })
        .collect();
    // The same query straight through SQLite, and one value the sample is known to hold.
    let want = query_text(
        &connect(),
        &sql.replace("'tests/", &format!("'{}/tests/", repo_root().display())),
    );
    assert_eq!(got, want);
    assert!(got.contains("confirm_ack|103\n"), "{got}");

    // An error of the extension comes back as Datasette's error, not as rows.
    let bad = format!(
        "/_memory.json?sql={}",
        percent_encode("SELECT * FROM nano_packets('no/such/file.pcap')")
    );
    let (status, body) = http_get(port, &bad).expect("second request");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("capture file not found"), "{body}");
}

#[test]
fn node_better_sqlite3_example_runs() {
    let Some(dir) = std::env::var_os("NANOCAP_NODE_EXAMPLE") else {
        skip("NANOCAP_NODE_EXAMPLE not set (tests/run.sh runs npm install in examples/node)");
        return;
    };
    let out = Command::new("timeout")
        .args(["120", "node", "query.js"])
        .arg(extension_path())
        .arg(fixture("sample.pcapng"))
        .current_dir(&dir)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = connect();
    let f = lit(&fixture("sample.pcapng"));
    let mut want = query_text(&conn, "SELECT nano_version()");
    want += &query_text(
        &conn,
        &format!(
            "SELECT msg_name, count(*) FROM nano_packets({f}) GROUP BY msg_name ORDER BY msg_name"
        ),
    );
    want += &query_text(
        &conn,
        &format!(
            "SELECT 'vote', account, final, vote_count FROM nano_votes({f}) \
             ORDER BY packet_id LIMIT 3"
        ),
    );
    assert_eq!(stdout, want);
}
