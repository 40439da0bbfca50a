//! The committed fixtures decode through SQL to exactly their generator's ground
//! truth: every message with its frame, addresses, header, counts, size and error;
//! every block's hash and validity; every signature's validity.

use nanocap::synth::truth::{GroundTruth, MessageTruth};
use nanocap_tests::*;
use rusqlite::Connection;
use std::collections::BTreeMap;

fn truth(name: &str) -> GroundTruth {
    let text = std::fs::read_to_string(fixture(&format!("{name}.truth.json"))).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.truth.json: {e}"))
}

fn network_name(id: u16) -> String {
    match id {
        0x5241 => "dev".into(),
        0x5242 => "beta".into(),
        0x5243 => "live".into(),
        0x5258 => "test".into(),
        other => format!("{:02X}", other & 0xff),
    }
}

/// The message as nanocap's SQL shows it, in the truth's terms.
fn expected_row(m: &MessageTruth) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "NULL".into());
    let name = if m.msg_name == "unknown" {
        "NULL".to_string()
    } else {
        m.msg_name.clone()
    };
    format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        m.id,
        if m.after_gap {
            "-".to_string()
        } else {
            m.frame.to_string()
        },
        m.time_usec_shown(),
        m.transport,
        m.ipv,
        m.src_ip,
        m.src_port,
        m.dst_ip,
        m.dst_port,
        network_name(m.network),
        m.version_max,
        m.version_using,
        m.version_min,
        m.msg_type,
        name,
        m.extensions,
        opt(m.item_count.map(|c| c.to_string())),
        m.size,
        opt(m.error.clone()),
    )
}

trait Shown {
    fn time_usec_shown(&self) -> String;
}

impl Shown for MessageTruth {
    fn time_usec_shown(&self) -> String {
        if self.after_gap {
            "-".into()
        } else {
            self.time_usec.to_string()
        }
    }
}

fn actual_rows(conn: &Connection, f: &str, gap_ids: &[u64]) -> Vec<String> {
    let sql = format!(
        "SELECT id, frame, time_usec, transport, ipv, srcip, srcport, dstip, dstport, network, version_max, \
         version_using, version_min, msg_type, msg_name, extensions, item_count, size, \
         substr(error, 1, instr(error, ':') - 1) FROM nano_packets({f}) ORDER BY id"
    );
    query(conn, &sql)
        .unwrap()
        .into_iter()
        .map(|row| {
            let mut cells: Vec<String> = row.iter().map(value_text).collect();
            let id: u64 = cells[0].parse().unwrap();
            if gap_ids.contains(&id) {
                // A message after lost bytes: its completing frame depends on where the
                // stream resynchronised, which the truth does not pin down.
                cells[1] = "-".into();
                cells[2] = "-".into();
            }
            cells.join("|")
        })
        .collect()
}

fn check_messages(name: &str) {
    let t = truth(name);
    let conn = connect();
    let f = lit(&fixture(name));
    let gap_ids: Vec<u64> = t
        .messages
        .iter()
        .filter(|m| m.after_gap)
        .map(|m| m.id)
        .collect();
    let expected: Vec<String> = t.messages.iter().map(expected_row).collect();
    let actual = actual_rows(&conn, &f, &gap_ids);
    for (i, (e, a)) in expected.iter().zip(&actual).enumerate() {
        assert_eq!(
            a,
            e,
            "{name}: message {} differs (actual left, truth right)",
            i + 1
        );
    }
    assert_eq!(actual.len(), expected.len(), "{name}: message count");
    assert_eq!(t.message_count as usize, expected.len());

    // Per-type counts, as users would ask for them.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for row in query(
        &conn,
        &format!(
            "SELECT coalesce(msg_name, 'unknown'), count(*) FROM nano_packets({f}) GROUP BY 1"
        ),
    )
    .unwrap()
    {
        counts.insert(value_text(&row[0]), value_text(&row[1]).parse().unwrap());
    }
    assert_eq!(counts, t.counts, "{name}: per-type counts");

    // Blocks: hash, signature and work validity, in message order.
    let mut expected_blocks = Vec::new();
    for m in &t.messages {
        for b in &m.blocks {
            expected_blocks.push(format!(
                "{}|{}|{}|{}|{}",
                m.id,
                b.block_type,
                b.hash,
                b.signature_valid
                    .map_or("NULL".into(), |v| i32::from(v).to_string()),
                i32::from(b.work_valid)
            ));
        }
    }
    let actual_blocks: Vec<String> = query_text(
        &conn,
        &format!(
            "SELECT packet_id, type_name, hash, signature_valid, work_valid FROM nano_blocks({f}) \
             WHERE context NOT IN ('bulk_pull', 'bulk_pull_blocks', 'bulk_push') \
             ORDER BY packet_id, item_index"
        ),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(actual_blocks, expected_blocks, "{name}: blocks");

    // Signatures carried by votes, telemetry and handshake responses (a response whose
    // peer cookie was never captured cannot be checked: NULL, and absent from the truth).
    let mut expected_sigs = Vec::new();
    for m in &t.messages {
        if let Some(v) = m.signature_valid {
            expected_sigs.push(format!("{}|{}", m.id, i32::from(v)));
        }
    }
    let actual_sigs: Vec<String> = query_text(
        &conn,
        &format!(
            "SELECT packet_id, signature_valid FROM nano_votes({f}) UNION ALL \
             SELECT packet_id, signature_valid FROM nano_telemetry({f}) WHERE NOT empty UNION ALL \
             SELECT packet_id, signature_valid FROM nano_handshakes({f}) WHERE response \
               AND signature_valid IS NOT NULL ORDER BY 1"
        ),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(actual_sigs, expected_sigs, "{name}: signature validity");

    // Vote hashes.
    let expected_votes: Vec<String> = t
        .messages
        .iter()
        .filter_map(|m| m.vote_hash.as_ref().map(|h| format!("{}|{h}", m.id)))
        .collect();
    let actual_votes: Vec<String> = query_text(
        &conn,
        &format!("SELECT packet_id, vote_hash FROM nano_votes({f}) ORDER BY 1"),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(actual_votes, expected_votes, "{name}: vote hashes");

    // Frames that must not become rows are counted.
    let stats = query_text(
        &conn,
        &format!("SELECT frames, non_ip_frames, non_nano_datagrams FROM nano_stats({f})"),
    );
    assert_eq!(
        stats,
        format!(
            "{}|{}|{}\n",
            t.records - u64::from(t.truncated_last_record),
            t.skipped.non_ip,
            t.skipped.non_nano_udp
        ),
        "{name}: stats"
    );
    check_streams(&conn, &f, &t, name);

    // Anomalies: malformed messages and a cut last record; and where the truth says bytes
    // were lost (a dropped segment, a capture that starts mid-connection), the gap and
    // the resynchronisation are recorded, and nothing else.
    let anomalies = query_text(
        &conn,
        &format!(
            "SELECT DISTINCT kind FROM nano_anomalies({f}) WHERE kind NOT LIKE 'malformed_message:%' \
             AND kind <> 'truncated_record' ORDER BY 1"
        ),
    );
    if t.messages.iter().any(|m| m.after_gap) {
        assert!(
            !anomalies.is_empty(),
            "{name}: lost bytes must show as a gap or a resync"
        );
        for kind in anomalies.lines() {
            assert!(
                matches!(kind, "resync" | "tcp_gap"),
                "{name}: unexpected anomaly {kind}"
            );
        }
    } else {
        assert_eq!(anomalies, "", "{name}: unexpected anomalies");
    }
}

/// Headerless bootstrap stream items and the end of each stream.
fn check_streams(conn: &Connection, f: &str, t: &GroundTruth, name: &str) {
    let mut expected = Vec::new();
    for it in t.stream_items.iter().filter(|it| it.kind != "end") {
        let block = it.block.as_ref().map_or(String::new(), |b| {
            format!(
                "|{}|{}|{}|{}",
                b.block_type,
                b.hash,
                b.signature_valid
                    .map_or("NULL".into(), |v| i32::from(v).to_string()),
                i32::from(b.work_valid)
            )
        });
        expected.push(format!(
            "{}|{}|{}|{}|{}{block}",
            it.request_id, it.index, it.frame, it.request_type, it.kind
        ));
    }
    let actual: Vec<String> = query_text(
        conn,
        &format!(
            "SELECT request_id, entry_index, frame, 8, 'frontier' FROM nano_frontier_responses({f}) \
             UNION ALL SELECT request_id, entry_index, frame, 11, \
               CASE kind WHEN 'frontier' THEN 'account_frontier' ELSE 'pending_entry' END \
               FROM nano_bulk_pull_account_responses({f}) \
             UNION ALL SELECT request_id, item_index, frame, \
               CASE context WHEN 'bulk_push' THEN 7 WHEN 'bulk_pull_blocks' THEN 9 ELSE 6 END, \
               'block|' || type_name || '|' || hash || '|' || coalesce(signature_valid, 'NULL') || '|' || work_valid \
               FROM nano_blocks({f}) WHERE context IN ('bulk_pull', 'bulk_pull_blocks', 'bulk_push') \
             ORDER BY 1, 2"
        ),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(actual, expected, "{name}: stream items");

    // One "end of ..." event per stream, with the count of valid entries, and a note
    // when the stream stopped without its terminator.
    let expected_ends: Vec<String> = t
        .streams
        .iter()
        .map(|s| format!("{}|{}|{}", s.request_id, s.entries, i32::from(s.terminated)))
        .collect();
    let actual_ends: Vec<String> = query_text(
        conn,
        &format!(
            "SELECT message_id, \
               CAST(substr(detail, 8, instr(detail, ',') - 8) AS INTEGER), \
               instr(detail, ';') = 0 \
             FROM nano_connections({f}) WHERE event LIKE 'end of %' ORDER BY message_id"
        ),
    )
    .lines()
    .map(str::to_string)
    .collect();
    assert_eq!(actual_ends, expected_ends, "{name}: ends of streams");
}

#[test]
fn udp_all_types() {
    check_messages("udp_all_types.pcapng");
}

#[test]
fn link_sll2_ns_be() {
    check_messages("link_sll2_ns_be.pcap");
}

#[test]
fn link_null_be() {
    check_messages("link_null_be.pcap");
}

#[test]
fn link_sll_loopback_ns() {
    check_messages("link_sll_loopback_ns.pcap");
}

#[test]
fn link_ipv6() {
    check_messages("link_ipv6.pcap");
}

#[test]
fn link_qinq() {
    check_messages("link_qinq.pcap");
}

#[test]
fn truncated() {
    check_messages("truncated.pcap");
    let conn = connect();
    let f = lit(&fixture("truncated.pcap"));
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT kind FROM nano_anomalies({f}) WHERE kind = 'truncated_record'")
        ),
        "truncated_record\n"
    );
}

#[test]
fn mixed_live() {
    check_messages("mixed_live.pcapng");
}

#[test]
fn tcp_realistic() {
    check_messages("tcp_realistic.pcapng");
}

#[test]
fn sample() {
    check_messages("sample.pcapng");
}
