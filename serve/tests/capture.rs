//! Live capture driven over HTTP, for real, on the loopback interface: Nano
//! messages (the generator's encoder) sent over UDP on 127.0.0.1 while the API
//! starts, toggles, destroys and stops the capture, and 50 clients query the
//! database while it fills. Capturing needs root (or CAP_NET_RAW): without it
//! these tests skip themselves, and the suite counts them as skipped.

mod common;

use common::*;
use nanocap::protocol::types::BlockType;
use nanocap::synth::messages::VoteStamp;
use nanocap::synth::{Factory, Network};
use nanocap::test_support::skip;
use serde_json::{json, Value};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A receiving port on 127.0.0.1 and the config that captures it on `lo`.
fn udp_target() -> (UdpSocket, UdpSocket, String) {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rx.local_addr().unwrap().port();
    let capture = format!(r#""device_ip": "lo", "filter": "udp dst port {port}""#);
    (rx, tx, capture)
}

fn messages(n: usize) -> Vec<Vec<u8>> {
    let mut f = Factory::new(Network::Dev, 8);
    (0..n)
        .map(|i| match i % 3 {
            0 => f.keepalive(0).bytes,
            1 => f.confirm_ack(2, VoteStamp::Packed, false).bytes,
            _ => f.publish(BlockType::State, false).bytes,
        })
        .collect()
}

fn send(tx: &UdpSocket, rx: &UdpSocket, msgs: &[Vec<u8>]) {
    let to = rx.local_addr().unwrap();
    for m in msgs {
        tx.send_to(m, to).unwrap();
    }
}

fn count(s: &Serve) -> i64 {
    s.get("/api/v1/count/packet").json()["count"]
        .as_i64()
        .unwrap()
}

fn wait_count(s: &Serve, n: i64) -> i64 {
    let t = Instant::now();
    let mut c = count(s);
    while c < n && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        c = count(s);
    }
    c
}

#[test]
fn start_toggle_destroy_and_stop_over_http() {
    if !can_capture() {
        return skip("live capture needs root or CAP_NET_RAW");
    }
    let (rx, tx, capture) = udp_target();
    let s = Serve::start("actions", &config_text(&capture, ""), &[]);
    assert_eq!(s.get("/api/v1/status").json()["capturing"], false);

    // A cross-site GET is refused and starts nothing.
    let r = s.request(
        "GET",
        "/api/v1/capture/start",
        &[("Sec-Fetch-Site", "cross-site")],
        b"",
    );
    r.error(403);
    assert_eq!(s.get("/api/v1/status").json()["capturing"], false);

    // The original's GET still works for its clients.
    let started = s.get("/api/v1/capture/start").json();
    assert_eq!(started["device"], "lo", "{started}");
    assert_eq!(started["capturing"], true);
    let st = s.get("/api/v1/status").json();
    assert_eq!(st["capturing"], true);
    assert_eq!(st["capture"]["device"], "lo");
    let e = s.post_json("/api/v1/capture/start", "").error(409);
    assert!(e.contains("another import or capture"), "{e}");

    send(&tx, &rx, &messages(30));
    assert_eq!(wait_count(&s, 30), 30);
    let st = s.wait_status(Duration::from_secs(5), |v| {
        v["capture"]["packets_received"].as_u64() >= Some(30)
    });
    assert!(
        st["capture"]["packets_received"].as_u64().unwrap() >= 30,
        "{st}"
    );

    // Toggle: stops (with the stop summary), then starts again.
    let off = s.post_json("/api/v1/capture/toggle", "").json();
    assert_eq!(off["capturing"], false, "{off}");
    assert_eq!(s.get("/api/v1/status").json()["capturing"], false);
    let on = s.post_json("/api/v1/capture/toggle", "").json();
    assert_eq!(on["capturing"], true, "{on}");

    // Destroy: every row gone, the capture running again, and filling again.
    let d = s.post_json("/api/v1/capture/destroy", "").json();
    assert!(d["deleted_rows"].as_u64().unwrap() >= 30, "{d}");
    assert_eq!(d["restarted_capture"], true);
    let runs = query(&s, "SELECT count(*), max(kind) FROM runs").json();
    assert_eq!(
        runs["rows"],
        json!([[1, "capture"]]),
        "only the restarted run"
    );
    send(&tx, &rx, &messages(9));
    assert_eq!(wait_count(&s, 9), 9);

    let stop = s.post_json("/api/v1/capture/stop", "").json();
    assert_eq!(stop["capturing"], false, "{stop}");
    s.post_json("/api/v1/capture/stop", "").error(409);
    let end = query(&s, "SELECT end_reason, messages FROM runs").json();
    assert_eq!(end["rows"], json!([["stopped", 9]]), "{end}");
}

#[test]
fn capture_at_launch_and_a_clean_stop_on_sigterm() {
    if !can_capture() {
        return skip("live capture needs root or CAP_NET_RAW");
    }
    let (rx, tx, capture) = udp_target();
    let capture = capture.replace(r#""enabled": false,"#, "");
    let config = config_text(&capture, "").replace(r#""enabled": false"#, r#""enabled": true"#);
    let mut s = Serve::start("launch", &config, &[]);
    assert!(
        s.wait_log("capturing on lo", Duration::from_secs(10)),
        "{}",
        s.log()
    );
    send(&tx, &rx, &messages(12));
    assert_eq!(wait_count(&s, 12), 12);
    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    while s.child.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = s.child.try_wait().unwrap().expect("exited on SIGTERM");
    assert!(status.success(), "{status:?}: {}", s.log());
    assert!(s.log().contains("capture stopped"), "{}", s.log());
    let c = rusqlite::Connection::open(&s.db).unwrap();
    let (reason, n): (String, i64) = c
        .query_row("SELECT end_reason, messages FROM runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((reason.as_str(), n), ("stopped", 12));
}

/// 50 clients for a few seconds, each asking for the status, the counts, a query
/// of recent rows and a small export, while the capture stores a steady stream.
#[test]
fn fifty_clients_query_while_capturing() {
    if !can_capture() {
        return skip("live capture needs root or CAP_NET_RAW");
    }
    let (rx, tx, capture) = udp_target();
    let s = Arc::new(Serve::start("load", &config_text(&capture, ""), &[]));
    assert_eq!(s.post_json("/api/v1/capture/start", "").status, 200);

    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let sender = {
        let (done, sent) = (done.clone(), sent.clone());
        std::thread::spawn(move || {
            let batch = messages(60);
            while !done.load(Ordering::Relaxed) {
                send(&tx, &rx, &batch);
                sent.fetch_add(batch.len() as u64, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let requests = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..50)
        .map(|i| {
            let (s, done, requests) = (s.clone(), done.clone(), requests.clone());
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let mut k = 0;
                while !done.load(Ordering::Relaxed) {
                    let path = match (i + k) % 4 {
                        0 => "/api/v1/status".to_string(),
                        1 => "/api/v1/count/per-type".to_string(),
                        2 => format!(
                            "/api/v1/capture/query?query={}",
                            enc("SELECT id, msg_name, size FROM packet ORDER BY id DESC LIMIT 50")
                        ),
                        _ => format!(
                            "/api/v1/capture/query?format=csv&query={}",
                            enc("SELECT * FROM packet ORDER BY id DESC LIMIT 200")
                        ),
                    };
                    let r = s.get(&path);
                    // 503: all export slots busy, which a client may be told.
                    if !(r.status == 200 || (r.status == 503 && path.contains("csv")))
                        || r.text().contains("locked")
                        || r.text().contains("nanocap_error")
                    {
                        failures.push(format!("{path}: {} {}", r.status, r.text()));
                    }
                    requests.fetch_add(1, Ordering::Relaxed);
                    k += 1;
                }
                failures
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(6));
    done.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(3)]
    );
    assert!(
        requests.load(Ordering::Relaxed) > 500,
        "{}",
        requests.load(Ordering::Relaxed)
    );

    let stop: Value = s.post_json("/api/v1/capture/stop", "").json();
    let sent = sent.load(Ordering::Relaxed) as i64;
    let st = s.get("/api/v1/status").json();
    let dropped = st["capture"]["packets_dropped"].as_i64().unwrap()
        + st["capture"]["queue_dropped"].as_i64().unwrap();
    let stored = count(&s);
    assert_eq!(
        stored + dropped,
        sent,
        "every datagram stored or counted as dropped: {stop} {st}"
    );
    assert_eq!(
        dropped, 0,
        "a few thousand datagrams a second are not dropped: {st}"
    );
}
