//! Real traffic between two RsNano nodes (optional test input, see `captures_dir`):
//! nanocap must count exactly what the nodes themselves counted sending.

use nanocap_tests::*;

fn capture() -> Option<String> {
    match shared_capture("rsnano_dev_live_small.pcap") {
        Some(p) => Some(lit(&p)),
        None => {
            skip(
                "rsnano_dev_live_small.pcap is not in the captures directory (optional test input)",
            );
            None
        }
    }
}

#[test]
fn message_counts_equal_the_nodes_own_statistics() {
    let Some(f) = capture() else { return };
    let conn = connect();
    // From captures/README.md: the sum of the nodes' Message::*::Out counters.
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT msg_name, count(*) FROM nano_packets({f}) GROUP BY 1 ORDER BY 1")
        ),
        "asc_pull_ack|2821\nasc_pull_req|2821\nbulk_push|8\nconfirm_ack|155\nconfirm_req|144\n\
         frontier_req|8\nkeepalive|185\nnode_id_handshake|7\npublish|1232\ntelemetry_ack|104\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(*), count(error) FROM nano_packets({f})")
        ),
        "7485|0\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT frames, messages FROM nano_stats({f})")
        ),
        "6205|7485\n"
    );
    assert_eq!(
        query_text(&conn, &format!("SELECT count(*) FROM nano_anomalies({f})")),
        "0\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(DISTINCT flow_key) FROM nano_packets({f})")
        ),
        "11\n",
        "13 TCP connections, 2 of them refused before any data"
    );
}

#[test]
fn detail_counts_equal_the_independent_parser() {
    let Some(f) = capture() else { return };
    let conn = connect();
    assert_eq!(
        query_text(
            &conn,
            &format!(
                "SELECT vote_count, final, rebroadcasted, count(*) FROM nano_votes({f}) GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3"
            )
        ),
        "1|1|0|47\n1|1|1|6\n1|0|0|17\n1|0|1|6\n2|1|0|21\n2|0|0|16\n3|1|0|17\n3|0|0|9\n4|1|0|10\n4|0|0|6\n"
    );
    assert_eq!(
        query_text(&conn, &format!("SELECT item_count, count(*) FROM nano_packets({f}) WHERE msg_name = 'confirm_req' GROUP BY 1")),
        "1|93\n2|19\n3|12\n4|8\n5|4\n6|3\n8|3\n9|2\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!(
                "SELECT n, count(*) FROM (SELECT packet_id, sum(NOT empty) AS n FROM nano_keepalive_peers({f}) \
                 GROUP BY packet_id) GROUP BY n"
            )
        ),
        "1|133\n2|52\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT extensions, size, count(*) FROM nano_packets({f}) WHERE msg_name = 'node_id_handshake' GROUP BY 1, 2")
        ),
        "5|32|3\n6|160|1\n7|192|3\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT type_name, originator, count(*) FROM nano_blocks({f}) WHERE context = 'publish' GROUP BY 1, 2")
        ),
        "change|0|3\nchange|1|1\nopen|0|3\nopen|1|1\nreceive|1|1\nsend|0|6\nsend|1|2\nstate|0|1148\nstate|1|67\n"
    );
    assert_eq!(
        query_text(&conn, &format!("SELECT size, count(*) FROM nano_packets({f}) WHERE msg_name = 'telemetry_ack' GROUP BY 1")),
        "202|104\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT kind, pull_type, count(*) FROM nano_asc_pull({f}) GROUP BY 1, 2")
        ),
        "ack|1|2821\nreq|1|2821\n"
    );
}

#[test]
fn every_signature_the_nodes_made_verifies() {
    let Some(f) = capture() else { return };
    let conn = connect();
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(*), sum(signature_valid) FROM nano_votes({f})")
        ),
        "155|155\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(*), sum(signature_valid) FROM nano_telemetry({f})")
        ),
        "104|104\n"
    );
    // Responses whose peer cookie is in the capture verify; the node ids they prove are
    // attached to their connections.
    assert_eq!(
        query_text(
            &conn,
            &format!(
                "SELECT count(*), sum(signature_valid) FROM nano_handshakes({f}) WHERE response"
            )
        ),
        "4|4\n"
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(DISTINCT src_node_id) FROM nano_connections({f}, 'details') WHERE src_node_id IS NOT NULL")
        ),
        "2\n"
    );
    // Blocks whose key is in the block (open, state) verify; legacy send/receive/change
    // need the ledger and stay NULL.
    assert_eq!(
        query_text(
            &conn,
            &format!(
                "SELECT type_name IN ('open', 'state'), count(*) = count(signature_valid), sum(signature_valid = 0) \
                 FROM nano_blocks({f}) GROUP BY 1"
            )
        ),
        "0|0|NULL\n1|1|0\n"
    );
}

#[test]
fn bootstrap_streams() {
    let Some(f) = capture() else { return };
    let conn = connect();
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT count(*) FROM nano_frontier_responses({f})")
        ),
        "14\n"
    );
    assert_eq!(
        query_text(&conn, &format!("SELECT event, count(*) FROM nano_connections({f}) WHERE event LIKE 'end of %' GROUP BY 1")),
        "end of bulk_push|8\nend of frontier_req|8\n"
    );
}
