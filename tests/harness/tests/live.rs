//! Live capture for real, on the loopback interface: `nano_capture_start` through
//! SQL, Nano messages (the generator's encoder) sent over real UDP and TCP sockets
//! on 127.0.0.1, rows read from a second connection while the capture runs, then
//! `nano_capture_stop` and every message found with its real sender and ports.
//! Capturing needs root (or CAP_NET_RAW): without it these tests skip themselves.

use nanocap::protocol::types::BlockType;
use nanocap::synth::messages::VoteStamp;
use nanocap::synth::{Factory, Network};
use nanocap_tests::*;
use rusqlite::types::Value;
use rusqlite::Connection;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// One capture at a time per process: the tests of this file take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn count(conn: &Connection, sql: &str) -> i64 {
    match scalar(conn, sql) {
        Value::Integer(n) => n,
        v => panic!("{sql}: expected an integer, got {v:?}"),
    }
}

fn json(conn: &Connection, sql: &str) -> serde_json::Value {
    let text = value_text(&scalar(conn, sql));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{sql}: {e}: {text}"))
}

fn err(conn: &Connection, sql: &str) -> String {
    match query(conn, sql) {
        Ok(rows) => panic!("{sql}: expected an error, got {rows:?}"),
        Err(e) => e.to_string(),
    }
}

/// Starts a capture on `lo`, or `None` (skip recorded) when not allowed to.
fn start(conn: &Connection, filter: &str, options: Option<&str>) -> Option<serde_json::Value> {
    let sql = match options {
        None => format!("SELECT nano_capture_start('lo', '{filter}')"),
        Some(o) => format!("SELECT nano_capture_start('lo', '{filter}', '{o}')"),
    };
    match query(conn, &sql) {
        Ok(rows) => Some(serde_json::from_str(&value_text(&rows[0][0])).unwrap()),
        Err(e) if e.to_string().contains("permission denied") => {
            skip(&format!("not allowed to capture on lo: {e}"));
            None
        }
        Err(e) => panic!("{sql}: {e}"),
    }
}

/// Waits until `sql` counts at least `n`, at most `limit`; the count reached.
fn wait_for(conn: &Connection, sql: &str, n: i64, limit: Duration) -> (i64, Duration) {
    let t = Instant::now();
    loop {
        let got = count(conn, sql);
        if got >= n || t.elapsed() >= limit {
            return (got, t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn port(a: SocketAddr) -> i64 {
    a.port() as i64
}

/// Sends whole messages on a TCP stream, each in its own write.
fn send(stream: &mut TcpStream, messages: &[&[u8]]) {
    for m in messages {
        stream.write_all(m).unwrap();
        // Separate segments, so the capture sees the real interleaving.
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Reads exactly `n` bytes (the peer's messages), so both sides really talk.
fn receive(stream: &mut TcpStream, n: usize) {
    let mut buf = vec![0u8; n];
    stream.read_exact(&mut buf).unwrap();
}

#[test]
fn captures_udp_realtime_tcp_and_bootstrap_on_loopback() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("live");
    let db = dir.path().join("live.db");
    let conn = connect_file(&db);

    let udp_a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let realtime = TcpListener::bind("127.0.0.1:0").unwrap();
    let bootstrap = TcpListener::bind("127.0.0.1:0").unwrap();
    let (ua, ub) = (udp_a.local_addr().unwrap(), udp_b.local_addr().unwrap());
    let (rt, bs) = (
        realtime.local_addr().unwrap(),
        bootstrap.local_addr().unwrap(),
    );
    let filter = format!(
        "udp port {} or tcp port {} or tcp port {}",
        ub.port(),
        rt.port(),
        bs.port()
    );
    let Some(started) = start(&conn, &filter, None) else {
        return;
    };
    assert_eq!(started["device"], "lo", "{started}");
    assert_eq!(started["filter"], filter.as_str());
    assert_eq!(started["default_device"], false);
    let status = json(&conn, "SELECT nano_capture_status()");
    assert_eq!(status["capturing"], true, "{status}");
    assert_eq!(status["device"], "lo");

    // A second start while this one runs is refused.
    let e = err(&conn, "SELECT nano_capture_start('lo')");
    assert!(e.contains("another import or capture is running"), "{e}");

    let mut f = Factory::new(Network::Dev, 8);

    // UDP, both directions.
    let udp: Vec<(Vec<u8>, bool)> = vec![
        (f.keepalive(0).bytes, true),
        (f.confirm_ack(3, VoteStamp::Packed, false).bytes, true),
        (f.publish(BlockType::State, false).bytes, false),
        (f.telemetry_req().bytes, true),
    ];
    for (bytes, a_to_b) in &udp {
        if *a_to_b {
            udp_a.send_to(bytes, ub).unwrap();
        } else {
            udp_b.send_to(bytes, ua).unwrap();
        }
    }

    // Another connection sees the rows while the capture runs, within about a second.
    let reader = Connection::open(&db).unwrap();
    reader.busy_timeout(Duration::from_secs(5)).unwrap();
    let (seen, after) = wait_for(
        &reader,
        "SELECT count(*) FROM packet WHERE transport = 'udp'",
        udp.len() as i64,
        Duration::from_secs(3),
    );
    assert_eq!(seen, udp.len() as i64, "rows visible after {after:?}");
    assert!(after <= Duration::from_millis(2500), "{after:?}");

    // A realtime connection: handshake, then messages both ways.
    let client_cookie = f.new_cookie();
    let server_cookie = f.new_cookie();
    let q = f.handshake(Some(client_cookie), None, 0, true).bytes;
    let qr = f
        .handshake(Some(server_cookie), Some(client_cookie), 1, true)
        .bytes;
    let r = f.handshake(None, Some(server_cookie), 0, true).bytes;
    let ka = f.keepalive(0).bytes;
    let ack = f.confirm_ack(2, VoteStamp::Final, false).bytes;
    let publ = f.publish(BlockType::State, true).bytes;
    let server = {
        let (qr, ack, q_len, r_len, ka_len, publ_len) = (
            qr.clone(),
            ack.clone(),
            q.len(),
            r.len(),
            ka.len(),
            publ.len(),
        );
        std::thread::spawn(move || {
            let (mut s, _) = realtime.accept().unwrap();
            receive(&mut s, q_len);
            send(&mut s, &[&qr]);
            receive(&mut s, r_len + ka_len);
            send(&mut s, &[&ack]);
            receive(&mut s, publ_len);
        })
    };
    let mut c = TcpStream::connect(rt).unwrap();
    let client_port = port(c.local_addr().unwrap());
    send(&mut c, &[&q]);
    receive(&mut c, qr.len());
    send(&mut c, &[&r, &ka]);
    receive(&mut c, ack.len());
    send(&mut c, &[&publ]);
    server.join().unwrap();
    drop(c);

    // A bootstrap connection: frontier_req, and the headerless answer.
    let frontiers: Vec<([u8; 32], [u8; 32])> =
        (0..3u8).map(|i| ([i + 1; 32], [0xA0 + i; 32])).collect();
    let req = f.frontier_req(false).bytes;
    let mut answer = Vec::new();
    for (account, hash) in &frontiers {
        answer.extend_from_slice(account);
        answer.extend_from_slice(hash);
    }
    answer.extend_from_slice(&[0u8; 64]);
    let bs_server = {
        let (req_len, answer) = (req.len(), answer.clone());
        std::thread::spawn(move || {
            let (mut s, _) = bootstrap.accept().unwrap();
            receive(&mut s, req_len);
            s.write_all(&answer).unwrap();
            // Wait for the client's close.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
        })
    };
    let mut b = TcpStream::connect(bs).unwrap();
    let bs_client_port = port(b.local_addr().unwrap());
    send(&mut b, &[&req]);
    receive(&mut b, answer.len());
    drop(b);
    bs_server.join().unwrap();

    // The realtime messages are visible before the stop too.
    let (seen, _) = wait_for(
        &reader,
        "SELECT count(*) FROM packet WHERE transport = 'tcp'",
        7,
        Duration::from_secs(3),
    );
    assert_eq!(seen, 7, "6 realtime messages and the frontier_req");
    std::thread::sleep(Duration::from_millis(200));

    let summary = json(&conn, "SELECT nano_capture_stop()");
    assert_eq!(summary["end_reason"], "stopped", "{summary}");
    assert_eq!(summary["messages"], 11, "{summary}");
    assert_eq!(summary["queue_dropped"], 0, "{summary}");
    assert_eq!(summary["packets_dropped"], 0, "{summary}");
    assert!(summary["error"].is_null(), "{summary}");
    let status = json(&conn, "SELECT nano_capture_status()");
    assert_eq!(status["capturing"], false, "{status}");
    assert_eq!(status["end_reason"], "stopped", "{status}");
    let e = err(&conn, "SELECT nano_capture_stop()");
    assert!(e.contains("no capture is running"), "{e}");

    // Every message, with its real sender and ports.
    let rows = query(
        &reader,
        "SELECT transport, srcip, srcport, dstip, dstport, msg_name, error FROM packet ORDER BY id",
    )
    .unwrap();
    let names: Vec<String> = rows.iter().map(|r| value_text(&r[5])).collect();
    assert_eq!(
        names,
        [
            "keepalive",
            "confirm_ack",
            "publish",
            "telemetry_req",
            "node_id_handshake",
            "node_id_handshake",
            "node_id_handshake",
            "keepalive",
            "confirm_ack",
            "publish",
            "frontier_req"
        ]
    );
    for r in &rows {
        assert_eq!(r[6], Value::Null, "decoded cleanly: {r:?}");
        assert_eq!(value_text(&r[1]), "127.0.0.1");
        assert_eq!(value_text(&r[3]), "127.0.0.1");
    }
    let ports: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| match (&r[2], &r[4]) {
            (Value::Integer(s), Value::Integer(d)) => (*s, *d),
            other => panic!("{other:?}"),
        })
        .collect();
    let (a, bp, rtp, bsp) = (port(ua), port(ub), port(rt), port(bs));
    assert_eq!(
        ports,
        [
            (a, bp),
            (a, bp),
            (bp, a),
            (a, bp),
            (client_port, rtp),
            (rtp, client_port),
            (client_port, rtp),
            (client_port, rtp),
            (rtp, client_port),
            (client_port, rtp),
            (bs_client_port, bsp),
        ]
    );
    // The handshake rows, and the headerless frontiers linked to their request.
    assert_eq!(count(&reader, "SELECT count(*) FROM nodeid_query"), 2);
    let req_id = count(
        &reader,
        "SELECT id FROM packet WHERE msg_name = 'frontier_req'",
    );
    let entries = query(
        &reader,
        "SELECT frontier_request_id, entry_index, srcport, dstport, frontier_hash
         FROM frontier_response ORDER BY entry_index",
    )
    .unwrap();
    assert_eq!(entries.len(), frontiers.len(), "{entries:?}");
    for (i, (e, (_, hash))) in entries.iter().zip(&frontiers).enumerate() {
        assert_eq!(e[0], Value::Integer(req_id), "linked to its request: {e:?}");
        assert_eq!(e[1], Value::Integer(i as i64 + 1));
        assert_eq!(
            (&e[2], &e[3]),
            (&Value::Integer(bsp), &Value::Integer(bs_client_port))
        );
        let hex: String = hash.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(value_text(&e[4]), hex);
    }
    // The run and its statistics.
    let run = query(
        &reader,
        "SELECT kind, source, filter, end_reason, ended IS NOT NULL, messages FROM runs",
    )
    .unwrap();
    assert_eq!(
        run,
        vec![vec![
            Value::Text("capture".into()),
            Value::Text("lo".into()),
            Value::Text(filter.clone()),
            Value::Text("stopped".into()),
            Value::Integer(1),
            Value::Integer(11),
        ]]
    );
    let stats = query(
        &reader,
        "SELECT messages, pcap_received >= frames, pcap_dropped, queue_dropped FROM capture_stats
         ORDER BY id DESC LIMIT 1",
    )
    .unwrap();
    assert_eq!(
        stats,
        vec![vec![
            Value::Integer(11),
            Value::Integer(1),
            Value::Integer(0),
            Value::Integer(0)
        ]]
    );
    // Both TCP connections were opened and closed.
    let closed = count(
        &reader,
        "SELECT count(DISTINCT flowkey) FROM connection WHERE closed",
    );
    assert_eq!(closed, 2);
}

#[test]
fn capture_errors_are_sql_errors() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mem = connect();
    let e = err(&mem, "SELECT nano_capture_start('lo')");
    assert!(
        e.starts_with("nano_capture_start: the main database is in memory"),
        "{e}"
    );
    let dir = TempDir::new("live-errors");
    let db = dir.path().join("e.db");
    let conn = connect_file(&db);
    let e = err(&conn, "SELECT nano_capture_start('nanocap-no-such-if0')");
    assert!(
        e.starts_with("nano_capture_start: unknown device 'nanocap-no-such-if0' (devices: "),
        "{e}"
    );
    assert!(e.contains("lo (127.0.0.1"), "the devices are listed: {e}");
    let e = err(&conn, "SELECT nano_capture_start('203.0.113.9')");
    assert!(
        e.contains("no interface has the address 203.0.113.9"),
        "{e}"
    );
    let e = err(
        &conn,
        "SELECT nano_capture_start('lo', 'port 7075', '{\"nope\": 1}')",
    );
    assert!(e.starts_with("nano_capture_start: options: "), "{e}");
    let e = err(&conn, "SELECT nano_capture_stop()");
    assert!(e.contains("no capture is running"), "{e}");
    match query(
        &conn,
        "SELECT nano_capture_start('lo', 'tcp port nonsense')",
    ) {
        Err(e) if e.to_string().contains("permission denied") => {
            skip(&format!("not allowed to capture on lo: {e}"));
            return;
        }
        Err(e) => assert!(
            e.to_string()
                .starts_with("nano_capture_start: bad filter 'tcp port nonsense'"),
            "{e}"
        ),
        Ok(r) => panic!("a bad filter started a capture: {r:?}"),
    }
    // Nothing is left running after a failed start.
    let status = json(&conn, "SELECT nano_capture_status()");
    assert_eq!(status["capturing"], false, "{status}");
    // A read-only database.
    drop(conn);
    let ro = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let e = err(&ro, "SELECT nano_capture_start('lo')");
    assert!(e.contains("read-only"), "{e}");
    // nano_interfaces lists loopback with its address and flags.
    let lo = query(
        &ro,
        "SELECT addresses LIKE '%127.0.0.1%', up, loopback, default_device FROM nano_interfaces() \
         WHERE name = 'lo'",
    )
    .unwrap();
    assert_eq!(
        lo,
        vec![vec![
            Value::Integer(1),
            Value::Integer(1),
            Value::Integer(1),
            Value::Integer(0)
        ]]
    );
}

#[test]
fn reaching_max_capture_megabytes_stops_the_capture_with_its_flag() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("live-max");
    let db = dir.path().join("max.db");
    let conn = connect_file(&db);
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    let filter = format!("udp port {}", to.port());
    let Some(_) = start(&conn, &filter, Some(r#"{"max_capture_megabytes": 1}"#)) else {
        return;
    };
    let mut f = Factory::new(Network::Dev, 9);
    let publish = f.publish(BlockType::State, false).bytes;
    let t = Instant::now();
    let mut sent = 0;
    // About 1 KB of rows per publish: a few thousand pass the 1 MB limit.
    while t.elapsed() < Duration::from_secs(20) {
        for _ in 0..200 {
            tx.send_to(&publish, to).unwrap();
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
        if json(&conn, "SELECT nano_capture_status()")["capturing"] == false {
            break;
        }
    }
    let status = json(&conn, "SELECT nano_capture_status()");
    assert_eq!(
        status["capturing"], false,
        "stopped by itself after {sent}: {status}"
    );
    assert_eq!(status["max_size_reached"], true, "{status}");
    assert_eq!(status["end_reason"], "max_size", "{status}");
    let summary = json(&conn, "SELECT nano_capture_stop()");
    assert_eq!(summary["end_reason"], "max_size", "{summary}");
    assert_eq!(summary["max_size_reached"], true, "{summary}");
    let run = query(
        &conn,
        "SELECT end_reason, max_size_reached, messages > 0 FROM runs",
    )
    .unwrap();
    assert_eq!(
        run,
        vec![vec![
            Value::Text("max_size".into()),
            Value::Integer(1),
            Value::Integer(1)
        ]]
    );
    assert!(
        count(
            &conn,
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
        ) >= 1 << 20
    );
    assert!(count(&conn, "SELECT count(*) FROM packet") < sent);
}

/// A Python host that starts a capture on `lo`, sends `n` keepalives to `port`, says
/// so, then either exits normally or sleeps until it is killed.
fn python_capture(
    db: &std::path::Path,
    port: u16,
    n: usize,
    then_exit: bool,
) -> Option<std::process::Child> {
    let script = format!(
        r#"
import sqlite3, socket, sys, time
c = sqlite3.connect({db:?})
c.enable_load_extension(True)
c.load_extension({ext:?})
try:
    c.execute("SELECT nano_capture_start('lo', 'udp port {port}')").fetchone()
except sqlite3.OperationalError as e:
    print("ERROR", e, flush=True)
    sys.exit(0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msg = b'RA' + bytes([0x15, 0x15, 0x14, 0x02]) + bytes(2) + bytes(144)
for i in range({n}):
    s.sendto(msg, ('127.0.0.1', {port}))
print("SENT", flush=True)
time.sleep(0.2)
if not {then_exit}:
    time.sleep(60)
"#,
        db = db.display().to_string(),
        ext = extension_path().display().to_string(),
        then_exit = if then_exit { "True" } else { "False" },
    );
    let python = std::path::Path::new("/usr/bin/python3");
    if !python.exists() {
        skip("no /usr/bin/python3");
        return None;
    }
    Some(
        std::process::Command::new(python)
            .arg("-c")
            .arg(script)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// The first line the child printed.
fn first_line(child: &mut std::process::Child) -> String {
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    line
}

#[test]
fn a_normal_exit_flushes_and_sigkill_keeps_what_was_committed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("live-exit");
    let port = UdpSocket::bind("127.0.0.1:0").unwrap();
    let p = port.local_addr().unwrap().port();

    // Normal exit with the capture running: the exit handler stops it.
    let db = dir.path().join("exit.db");
    let Some(mut child) = python_capture(&db, p, 25, true) else {
        return;
    };
    let line = first_line(&mut child);
    if line.contains("permission denied") {
        skip(&format!("not allowed to capture on lo: {line}"));
        let _ = child.wait();
        return;
    }
    assert_eq!(line.trim(), "SENT", "{line}");
    assert!(child.wait().unwrap().success());
    let conn = Connection::open(&db).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM packet"), 25);
    let run = query(&conn, "SELECT end_reason, messages FROM runs").unwrap();
    assert_eq!(
        run,
        vec![vec![Value::Text("stopped".into()), Value::Integer(25)]]
    );

    // SIGKILL: no flush, but an intact database with what was committed.
    let db = dir.path().join("kill.db");
    let mut child = python_capture(&db, p, 40, false).unwrap();
    assert_eq!(first_line(&mut child).trim(), "SENT");
    // Committed at least once a second: 2.5 s is more than enough.
    std::thread::sleep(Duration::from_millis(2500));
    child.kill().unwrap();
    child.wait().unwrap();
    let conn = Connection::open(&db).unwrap();
    assert_eq!(value_text(&scalar(&conn, "PRAGMA integrity_check")), "ok");
    assert_eq!(count(&conn, "SELECT count(*) FROM packet"), 40);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM runs WHERE ended IS NULL"),
        1
    );
}

/// Whether loopback is in promiscuous mode now (IFF_PROMISC in its flags).
fn lo_promiscuous() -> bool {
    let flags = std::fs::read_to_string("/sys/class/net/lo/flags").unwrap();
    let flags = u32::from_str_radix(flags.trim().trim_start_matches("0x"), 16).unwrap();
    flags & 0x100 != 0
}

#[test]
fn promiscuous_mode_only_when_asked() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("live-promiscuous");
    assert!(!lo_promiscuous(), "lo is promiscuous before the test");
    for (n, options, promiscuous) in [
        (0, None, false),
        (1, Some(r#"{"promiscuous": true}"#), true),
    ] {
        let conn = connect_file(&dir.path().join(format!("p{n}.db")));
        if start(&conn, "", options).is_none() {
            return;
        }
        assert_eq!(lo_promiscuous(), promiscuous, "{options:?}");
        let summary = json(&conn, "SELECT nano_capture_stop()");
        assert_eq!(summary["end_reason"], "stopped", "{summary}");
    }
    // Stopping leaves the interface as it was.
    assert!(!lo_promiscuous());
}

/// Without the right to capture, starting says what to do. Run as an unprivileged
/// user for real: as root, the test starts Debian's sqlite3 shell as `nobody`; as
/// anyone else, its own connection is already unprivileged.
#[test]
fn capturing_without_permission_says_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = TempDir::new("live-permission");
    let expected = "nano_capture_start: permission denied capturing on lo";
    let advice = "run as root, or grant the capture capability";
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { geteuid() } != 0 {
        let conn = connect_file(&dir.path().join("p.db"));
        let e = err(&conn, "SELECT nano_capture_start('lo')");
        assert!(e.starts_with(expected) && e.contains(advice), "{e}");
        return;
    }
    if std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_err()
    {
        return skip("no sqlite3 shell");
    }
    // Everything `nobody` needs, where it can read and write: the directory, the
    // database it creates and a copy of the extension.
    let open = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    open(dir.path(), 0o777);
    let ext = dir.path().join("libnanocap.so");
    std::fs::copy(extension_path().with_extension("so"), &ext).unwrap();
    open(&ext, 0o755);
    let db = dir.path().join("p.db");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(format!(".load {}", ext.display()))
        .arg("SELECT nano_capture_start('lo')")
        .env("HOME", dir.path())
        .uid(65534)
        .gid(65534)
        .output()
        .expect("sqlite3 runs as nobody");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(expected) && stderr.contains(advice),
        "stdout: {} stderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The failed start left no run open in the database, if it got that far.
    let conn = connect_file(&db);
    let has_runs = "SELECT count(*) FROM sqlite_schema WHERE name = 'runs'";
    if count(&conn, has_runs) == 1 {
        assert_eq!(
            count(&conn, "SELECT count(*) FROM runs WHERE ended IS NULL"),
            0
        );
    }
}

extern "C" {
    fn geteuid() -> u32;
}
