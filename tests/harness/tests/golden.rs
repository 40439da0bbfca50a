//! Golden snapshots: queries over the committed fixtures, compared with committed
//! outputs (tests/harness/tests/snapshots/). A change in any decoded value shows up
//! as a diff to review (`cargo insta review`), never silently.

use nanocap_tests::*;

fn snap(name: &str, fixture_name: &str, sql_template: &str) {
    let conn = connect();
    let f = lit(&fixture(fixture_name));
    let sql = sql_template.replace("{f}", &f);
    let mut settings = insta::Settings::clone_current();
    settings.set_description(format!("{fixture_name}: {sql_template}"));
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, query_text(&conn, &sql)));
}

#[test]
fn sample_packets() {
    snap(
        "sample_packets",
        "sample.pcapng",
        "SELECT id, frame, time, transport, ipv, srcip, srcport, dstip, dstport, flow_key, network, version_max, \
         version_using, version_min, msg_type, msg_name, extensions, block_type, item_count, size, error \
         FROM nano_packets({f})",
    );
}

#[test]
fn udp_all_types_details() {
    snap(
        "udp_all_types_details",
        "udp_all_types.pcapng",
        "SELECT id, msg_name, details FROM nano_packets({f})",
    );
}

#[test]
fn sample_blocks() {
    snap(
        "sample_blocks",
        "sample.pcapng",
        "SELECT * FROM nano_blocks({f})",
    );
}

#[test]
fn sample_votes() {
    snap(
        "sample_votes",
        "sample.pcapng",
        "SELECT * FROM nano_votes({f})",
    );
}

#[test]
fn udp_all_types_votes() {
    snap(
        "udp_all_types_votes",
        "udp_all_types.pcapng",
        "SELECT packet_id, account, signature_valid, timestamp_raw, final, timestamp_ms, timestamp, duration_ms, \
         sequence, vbh, vote_count, hashes, block_hash, rebroadcasted, version_using FROM nano_votes({f})",
    );
}

#[test]
fn sample_message_families() {
    snap(
        "sample_keepalive_peers",
        "sample.pcapng",
        "SELECT * FROM nano_keepalive_peers({f}) WHERE NOT empty",
    );
    snap(
        "sample_handshakes",
        "sample.pcapng",
        "SELECT * FROM nano_handshakes({f})",
    );
    snap(
        "sample_telemetry",
        "sample.pcapng",
        "SELECT * FROM nano_telemetry({f})",
    );
    snap(
        "sample_confirm_req_pairs",
        "sample.pcapng",
        "SELECT * FROM nano_confirm_req_pairs({f})",
    );
    snap(
        "sample_asc_pull",
        "sample.pcapng",
        "SELECT * FROM nano_asc_pull({f})",
    );
    snap(
        "sample_asc_pull_frontiers",
        "sample.pcapng",
        "SELECT * FROM nano_asc_pull_frontiers({f})",
    );
}

#[test]
fn tcp_bootstrap() {
    snap(
        "tcp_frontier_requests",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_frontier_requests({f})",
    );
    snap(
        "tcp_frontier_responses",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_frontier_responses({f})",
    );
    snap(
        "tcp_bulk_pull_requests",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_bulk_pull_requests({f})",
    );
    snap(
        "tcp_bulk_pull_account",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_bulk_pull_account_requests({f})",
    );
    snap(
        "tcp_bulk_pull_account_responses",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_bulk_pull_account_responses({f})",
    );
    snap(
        "tcp_connections",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_connections({f}, 'details')",
    );
}

#[test]
fn anomalies_and_stats() {
    snap(
        "sample_anomalies",
        "sample.pcapng",
        "SELECT * FROM nano_anomalies({f})",
    );
    snap(
        "tcp_anomalies",
        "tcp_realistic.pcapng",
        "SELECT * FROM nano_anomalies({f})",
    );
    snap(
        "truncated_anomalies",
        "truncated.pcap",
        "SELECT * FROM nano_anomalies({f})",
    );
    snap(
        "udp_all_types_stats",
        "udp_all_types.pcapng",
        "SELECT * FROM nano_stats({f})",
    );
}

#[test]
fn details_is_valid_json_everywhere() {
    let conn = connect();
    for name in [
        "udp_all_types.pcapng",
        "sample.pcapng",
        "tcp_realistic.pcapng",
        "mixed_live.pcapng",
    ] {
        let f = lit(&fixture(name));
        assert_eq!(
            query_text(
                &conn,
                &format!(
                    "SELECT count(*), sum(json_valid(details)), sum(json_type(details) = 'object') \
                     FROM nano_packets({f}) WHERE error IS NULL"
                )
            ),
            query_text(&conn, &format!("SELECT count(*), count(*), count(*) FROM nano_packets({f}) WHERE error IS NULL")),
            "{name}"
        );
    }
}
