//! Scans that read no payload column: `SELECT count(*)`, or only header and place
//! columns of `nano_packets`, leave payloads undecoded (`INDEX 9:`, bit 8 of the plan)
//! and give exactly the rows of a scan that decodes them. Tables that do not show
//! anomalies skip comparing retransmitted bytes, while `nano_anomalies` still reports
//! the retransmissions that differ.

use nanocap_tests::*;
use rusqlite::types::Value;
use rusqlite::Connection;

/// The columns of `nano_packets` that show nothing of a payload.
const HEADER_COLUMNS: &str = "id, frame, time, time_usec, transport, ipv, srcip, srcport, \
     dstip, dstport, flow_key, network, version_max, version_using, version_min, msg_type, \
     msg_name, extensions, block_type, size";

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    query(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[test]
fn the_plan_says_when_payloads_are_left_undecoded() {
    let conn = connect();
    let f = lit(&fixture("tcp_realistic.pcapng"));
    // The scan's line of the plan ends with its index number (no constraint taken).
    let index_of = |sql: &str| {
        let plan = query_plan(&conn, sql);
        let line = plan.lines().find(|l| l.contains("VIRTUAL TABLE INDEX "));
        let line = line.unwrap_or_else(|| panic!("{sql}: {plan}"));
        line[line.find("INDEX ").unwrap()..].to_string()
    };
    for sql in [
        format!("SELECT count(*) FROM nano_packets({f})"),
        format!("SELECT {HEADER_COLUMNS} FROM nano_packets({f})"),
        format!("SELECT msg_name, count(*) FROM nano_packets({f}) GROUP BY 1"),
    ] {
        assert_eq!(index_of(&sql), "INDEX 9:", "{sql}");
    }
    let mut decoding = vec![
        // The typed tables' rows come from payloads: they always decode.
        format!("SELECT count(*) FROM nano_blocks({f})"),
        format!("SELECT count(*) FROM nano_anomalies({f})"),
    ];
    for col in ["item_count", "error", "details"] {
        decoding.push(format!(
            "SELECT id FROM nano_packets({f}) WHERE {col} IS NOT NULL"
        ));
        decoding.push(format!("SELECT {col} FROM nano_packets({f})"));
    }
    for sql in decoding {
        assert_eq!(index_of(&sql), "INDEX 1:", "{sql}");
    }
}

#[test]
fn headers_only_scans_give_the_rows_of_decoding_scans() {
    let conn = connect();
    let mut messages = 0;
    for f in every_capture() {
        // Reading `details` too makes SQLite decode; the header columns must agree.
        let headers = rows(
            &conn,
            &format!("SELECT {HEADER_COLUMNS} FROM nano_packets({f})"),
        );
        let decoded = rows(
            &conn,
            &format!("SELECT {HEADER_COLUMNS}, details FROM nano_packets({f})"),
        );
        assert_eq!(headers.len(), decoded.len(), "{f}");
        for (h, d) in headers.iter().zip(&decoded) {
            assert_eq!(h[..], d[..h.len()], "{f}");
        }
        messages += headers.len();

        let count = scalar(&conn, &format!("SELECT count(*) FROM nano_packets({f})"));
        let counted = scalar(
            &conn,
            &format!("SELECT count(details IS NULL) FROM nano_packets({f})"),
        );
        assert_eq!(count, counted, "{f}");
        assert_eq!(count, Value::Integer(headers.len() as i64), "{f}");

        // With filters pushed down as well.
        for cond in ["msg_name = 'publish'", "transport = 'tcp'", "id > 10"] {
            let a = rows(
                &conn,
                &format!("SELECT msg_name, count(*), sum(size) FROM nano_packets({f}) WHERE {cond} GROUP BY 1"),
            );
            let b = rows(
                &conn,
                &format!("SELECT msg_name, count(*), sum(size), max(length(details)) FROM nano_packets({f}) WHERE {cond} GROUP BY 1"),
            );
            let b: Vec<_> = b.into_iter().map(|r| r[..3].to_vec()).collect();
            assert_eq!(a, b, "{f} WHERE {cond}");
        }
    }
    assert!(messages > 5_000, "too few messages compared: {messages}");
}

/// A 152-byte keepalive (live network, V21): eight peers of 18 bytes, each filled
/// with `fill`.
fn keepalive(fill: u8) -> Vec<u8> {
    let mut m = vec![b'R', b'C', 21, 21, 18, 0x02, 0, 0];
    m.extend(std::iter::repeat_n(fill, 8 * 18));
    m
}

/// One TCP connection 10.0.0.1:51000 → 10.0.0.2:7075 with a handshake, a keepalive,
/// a retransmission of it that differs in every peer byte, and a second keepalive.
fn write_conflicting_retransmission(path: &std::path::Path) {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::DataLink;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..Default::default()
    };
    let file = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::with_header(file, header).unwrap();
    let (client, server) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let (first, copy, second) = (keepalive(0x11), keepalive(0x22), keepalive(0x33));
    // (from the client?, seq, ack, syn, payload)
    let segments: [(bool, u32, u32, bool, &[u8]); 6] = [
        (true, 1000, 0, true, &[]),
        (false, 5000, 1001, true, &[]),
        (true, 1001, 5001, false, &[]),
        (true, 1001, 5001, false, &first),
        (true, 1001, 5001, false, &copy),
        (true, 1001 + first.len() as u32, 5001, false, &second),
    ];
    for (i, (from_client, seq, ack, syn, payload)) in segments.into_iter().enumerate() {
        let (src, dst, sp, dp) = if from_client {
            (client, server, 51000, 7075)
        } else {
            (server, client, 7075, 51000)
        };
        let mut tcp = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 65535);
        if syn {
            tcp = tcp.syn();
        }
        if ack != 0 {
            tcp = tcp.ack(ack);
        }
        let mut frame = Vec::new();
        tcp.write(&mut frame, payload).unwrap();
        let ts = std::time::Duration::from_millis(1_704_067_200_000 + 10 * i as u64);
        w.write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame))
            .unwrap();
    }
}

#[test]
fn retransmissions_that_differ_are_reported_where_anomalies_show() {
    let dir = TempDir::new("headers-only");
    let path = dir.path().join("conflict.pcap");
    write_conflicting_retransmission(&path);
    let f = lit(&path);
    let conn = connect();
    // The first copy is kept, whether or not the table compares the retransmission.
    let shown = rows(
        &conn,
        &format!("SELECT msg_name, details FROM nano_packets({f}) ORDER BY id"),
    );
    assert_eq!(shown.len(), 2, "{shown:?}");
    let peers = |v: &Value| value_text(v).matches("1111:1111").count();
    assert!(
        peers(&shown[0][1]) > 0,
        "not the first copy: {:?}",
        shown[0][1]
    );
    assert!(
        !value_text(&shown[0][1]).contains("2222"),
        "{:?}",
        shown[0][1]
    );
    assert_eq!(
        scalar(&conn, &format!("SELECT count(*) FROM nano_packets({f})")),
        Value::Integer(2)
    );
    let conflicts = rows(
        &conn,
        &format!("SELECT detail FROM nano_anomalies({f}) WHERE kind = 'tcp_conflict'"),
    );
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(
        value_text(&conflicts[0][0]).starts_with("144 retransmitted bytes differ"),
        "{conflicts:?}"
    );
}
