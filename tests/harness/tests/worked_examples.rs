//! Every worked hex example of docs/protocol.md section 10, sent as UDP datagrams in a
//! capture file, decodes through SQL to exactly the values printed there.

use nanocap_tests::*;
use rusqlite::Connection;

const DEV_KEY: &str = "B0311EA55708D6A53C75CDBF88300259C6D018522FE3D4D0A242E431F9E8B6D0";
const DEV_ACCOUNT: &str = "nano_3e3j5tkog48pnny9dmfzj1r16pg8t1e76dz5tmac6iq689wyjfpiij4txtdo";
const DEV_GENESIS_HASH: &str = "04270D7F11C4B2B472F2854C5A59F2A7E84226CE9ED799DE75744BD7D85FC9D9";
const LIVE_GENESIS_KEY: &str = "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA";
const LIVE_GENESIS_ACCOUNT: &str =
    "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
const EXAMPLE2_HASH: &str = "A1A72D9CAD3C5FA8091FDAACED6B47208E3F66BB3D0E3AA1BC300DAA77612155";

fn example1_keepalive() -> Vec<u8> {
    let mut b = hex_dump(
        "0000: 52 43 15 15 14 02 00 00 00 00 00 00 00 00 00 00
         0010: 00 00 00 00 00 00 00 00 a3 1b 00 00 00 00 00 00
         0020: 00 00 00 00 ff ff cb 00 71 05 a3 1b 20 01 0d b8
         0030: 00 00 00 00 00 00 00 00 00 00 00 01 a3 1b 00 00
         0040: 00 00 00 00 00 00 00 00 ff ff c6 33 64 17 a3 1b",
    );
    b.resize(152, 0); // "zeros to the end"
    b
}

fn example2_publish() -> Vec<u8> {
    hex_dump(
        "0000: 52 41 15 15 14 03 00 06 b0 31 1e a5 57 08 d6 a5
         0010: 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
         0020: a2 42 e4 31 f9 e8 b6 d0 04 27 0d 7f 11 c4 b2 b4
         0030: 72 f2 85 4c 5a 59 f2 a7 e8 42 26 ce 9e d7 99 de
         0040: 75 74 4b d7 d8 5f c9 d9 b0 31 1e a5 57 08 d6 a5
         0050: 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
         0060: a2 42 e4 31 f9 e8 b6 d0 ff ff ff f3 60 d3 63 2f
         0070: b9 8b 12 15 bf ff ff ff e8 92 08 dd 03 8f bb 26
         0080: 99 87 68 96 21 d5 22 92 ae 9c 35 94 1a 74 84 75
         0090: 6e cc ed 92 a6 50 93 ba 57 ba 85 b9 c4 65 6e 70
         00a0: fe 42 57 d4 8a 38 8b c3 e9 ec 0a c9 b1 32 8c 7b
         00b0: 5d 8d e1 84 3b 25 9a d0 b8 50 ae d0 0a 19 86 7f
         00c0: 10 df b7 f1 ab 12 e5 6d 22 b3 b3 48 51 a9 8e aa
         00d0: 2d a8 d3 02 b8 4a ee 03 00 00 00 00 00 00 04 1e",
    )
}

fn example3_confirm_ack() -> Vec<u8> {
    hex_dump(
        "0000: 52 41 15 15 14 05 00 11 b0 31 1e a5 57 08 d6 a5
         0010: 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
         0020: a2 42 e4 31 f9 e8 b6 d0 5e 50 91 7a cf f4 7a 01
         0030: 3f 7d b7 2c 5e b4 5d c5 27 0a 78 b4 c3 b2 fc c1
         0040: 76 29 3a ab 53 5d 6f 63 98 c2 6b 81 59 15 88 46
         0050: 9b 6f c6 ee 32 83 f6 ca 89 ec 62 98 7e 04 4c a2
         0060: 21 58 27 7d 95 3b 3d 02 09 68 e5 cf 8b 01 00 00
         0070: a1 a7 2d 9c ad 3c 5f a8 09 1f da ac ed 6b 47 20
         0080: 8e 3f 66 bb 3d 0e 3a a1 bc 30 0d aa 77 61 21 55",
    )
}

fn seq(from: u8, n: u8) -> Vec<u8> {
    (from..from + n).collect()
}

/// Example 4 is printed abbreviated; its parts are spelled out in the text:
/// cookie C2 = 20..3f, node_id = the dev key, salt = 60..7f, genesis = the dev
/// genesis hash, and the full signature over C1 (40..5f) ‖ salt ‖ genesis.
fn example4_handshake() -> Vec<u8> {
    let mut b = hex_dump("52 41 15 15 14 0a 07 00");
    b.extend(seq(0x20, 32));
    b.extend(unhex(DEV_KEY));
    b.extend(seq(0x60, 32));
    b.extend(unhex(DEV_GENESIS_HASH));
    b.extend(hex_dump(
        "0088: b3 ea dd 43 8c da 06 c7 7d 49 04 8e 79 31 f7 70
         0098: 79 bb 1c 20 af e8 82 9b 22 dd d2 7d 24 9c 3a 3c
         00a8: 97 2b b4 ae b9 42 51 34 2e 76 ca c3 03 11 3e fc
         00b8: 6a e7 21 fd 92 d1 3f 69 d6 18 59 4d 64 68 df 09",
    ));
    assert_eq!(b.len(), 200);
    b
}

/// The peer's earlier query that example 4 answers: ext 0x0005, cookie C1 = 40..5f.
fn example4_peer_query() -> Vec<u8> {
    let mut b = hex_dump("52 41 15 15 14 0a 05 00");
    b.extend(seq(0x40, 32));
    b
}

fn example5_confirm_req() -> Vec<u8> {
    let mut b = hex_dump("52 41 15 15 14 04 00 11");
    b.extend(unhex(EXAMPLE2_HASH));
    b.extend(unhex(DEV_GENESIS_HASH));
    b
}

fn example6_bulk_pull() -> Vec<u8> {
    let mut b = hex_dump("52 43 15 15 14 06 01 00");
    b.extend(unhex(LIVE_GENESIS_KEY));
    b.extend([0u8; 32]);
    b.extend(hex_dump("00 80 00 00 00 00 00 00"));
    assert_eq!(b.len(), 80);
    b
}

fn example7_asc_pull_req() -> Vec<u8> {
    hex_dump(
        "0000: 52 43 15 15 14 0e 22 00 01 01 23 45 67 89 ab cd
         0010: ef e8 92 08 dd 03 8f bb 26 99 87 68 96 21 d5 22
         0020: 92 ae 9c 35 94 1a 74 84 75 6e cc ed 92 a6 50 93
         0030: ba 80 00",
    )
}

fn example8_telemetry_req() -> Vec<u8> {
    hex_dump("52 43 15 15 14 0c 00 00")
}

/// confirm_req by hash with a v2 count: wire bytes 6-7 as in example 3's table.
fn confirm_req_v2(ext_bytes: [u8; 2], pairs: usize) -> Vec<u8> {
    let mut b = hex_dump("52 41 15 15 14 04");
    b.extend(ext_bytes);
    for i in 0..pairs {
        b.extend([(i as u8).wrapping_add(1); 64]);
    }
    b
}

fn capture() -> (TempDir, Connection, String) {
    let dir = TempDir::new("worked_examples");
    let path = dir.path().join("examples.pcap");
    write_udp_pcap_both_ways(
        &path,
        &[
            (true, example1_keepalive()),
            (true, example2_publish()),
            (true, example3_confirm_ack()),
            (false, example4_peer_query()),
            (true, example4_handshake()),
            (true, example5_confirm_req()),
            (true, example6_bulk_pull()),
            (true, example7_asc_pull_req()),
            (true, example8_telemetry_req()),
            (true, confirm_req_v2([0x01, 0x11], 16)),
            (true, confirm_req_v2([0x41, 0x11], 20)),
            (true, confirm_req_v2([0xf1, 0xf1], 255)),
        ],
    );
    let lit = lit(&path);
    (dir, connect(), lit)
}

#[test]
fn every_example_is_one_clean_message_with_its_header() {
    let (_dir, conn, f) = capture();
    let got = query_text(
        &conn,
        &format!(
            "SELECT id, frame, network, version_max, version_using, version_min, msg_type, msg_name, \
             extensions, block_type, item_count, size, error FROM nano_packets({f})"
        ),
    );
    let expected = "\
1|1|live|21|21|20|2|keepalive|0|NULL|NULL|144|NULL
2|2|dev|21|21|20|3|publish|1536|6|NULL|216|NULL
3|3|dev|21|21|20|5|confirm_ack|4352|1|1|136|NULL
4|4|dev|21|21|20|10|node_id_handshake|5|NULL|NULL|32|NULL
5|5|dev|21|21|20|10|node_id_handshake|7|NULL|NULL|192|NULL
6|6|dev|21|21|20|4|confirm_req|4352|1|1|64|NULL
7|7|live|21|21|20|6|bulk_pull|1|NULL|NULL|72|NULL
8|8|live|21|21|20|14|asc_pull_req|34|NULL|NULL|43|NULL
9|9|live|21|21|20|12|telemetry_req|0|NULL|NULL|0|NULL
10|10|dev|21|21|20|4|confirm_req|4353|1|16|1024|NULL
11|11|dev|21|21|20|4|confirm_req|4417|1|20|1280|NULL
12|12|dev|21|21|20|4|confirm_req|61937|1|255|16320|NULL
";
    assert_eq!(got, expected);
    // Sender and receiver of each datagram, both directions.
    assert_eq!(
        query_text(&conn, &format!("SELECT srcip, srcport, dstip, dstport, transport, ipv FROM nano_packets({f}) WHERE id IN (3, 4)")),
        "10.0.0.1|7075|10.0.0.2|7075|udp|4\n10.0.0.2|7075|10.0.0.1|7075|udp|4\n"
    );
}

#[test]
fn example1_keepalive_peers() {
    let (_dir, conn, f) = capture();
    let got = query_text(
        &conn,
        &format!("SELECT slot, address, ip, port, empty FROM nano_keepalive_peers({f})"),
    );
    assert_eq!(
        got,
        "0|::|::|7075|0\n\
         1|::ffff:203.0.113.5|203.0.113.5|7075|0\n\
         2|2001:db8::1|2001:db8::1|7075|0\n\
         3|::ffff:198.51.100.23|198.51.100.23|7075|0\n\
         4|::|::|0|1\n5|::|::|0|1\n6|::|::|0|1\n7|::|::|0|1\n"
    );
}

#[test]
fn example2_state_block() {
    let (_dir, conn, f) = capture();
    let got = query(
        &conn,
        &format!(
            "SELECT packet_id, context, type_name, hash, account, previous, representative, balance, link, \
             link_as_account, signature_valid, work, work_valid, originator FROM nano_blocks({f})"
        ),
    )
    .unwrap();
    assert_eq!(got.len(), 1, "one block in the examples");
    let row: Vec<String> = got[0].iter().map(value_text).collect();
    // balance = 2^128 - 1 - 10^30
    let balance = (u128::MAX - 1_000_000_000_000_000_000_000_000_000_000).to_string();
    assert_eq!(
        row,
        vec![
            "2",
            "publish",
            "state",
            EXAMPLE2_HASH,
            DEV_ACCOUNT,
            DEV_GENESIS_HASH,
            DEV_ACCOUNT,
            &balance,
            LIVE_GENESIS_KEY,
            LIVE_GENESIS_ACCOUNT,
            "1",
            "000000000000041e",
            "1",
            "0",
        ]
    );
}

#[test]
fn example3_vote() {
    let (_dir, conn, f) = capture();
    let got = query_text(
        &conn,
        &format!(
            "SELECT packet_id, account, signature_valid, vote_hash, timestamp_raw, final, timestamp_ms, timestamp, \
             duration_ms, sequence, vbh, vote_count, hashes, rebroadcasted FROM nano_votes({f})"
        ),
    );
    assert_eq!(
        got,
        format!(
            "3|{DEV_ACCOUNT}|1|5A793BF309F44179656DEA9897D4059E3A2B356BB62B675F21300C4477E3BE96|{}|0|1700000000000|\
             2023-11-14 22:13:20.000000|8192|NULL|1|1|{EXAMPLE2_HASH}|0\n",
            0x0000_018B_CFE5_6809u64
        )
    );
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT packet_id, hash_index, hash, final FROM nano_vote_hashes({f})")
        ),
        format!("3|1|{EXAMPLE2_HASH}|0\n")
    );
}

#[test]
fn example4_handshake_v2_signature_checks_against_the_peers_cookie() {
    let (_dir, conn, f) = capture();
    let got = query_text(
        &conn,
        &format!(
            "SELECT packet_id, extensions, v2, query, cookie, response, node_id, salt, genesis, peer_cookie, \
             signature_valid FROM nano_handshakes({f})"
        ),
    );
    let hx = |v: Vec<u8>| v.iter().map(|b| format!("{b:02X}")).collect::<String>();
    assert_eq!(
        got,
        format!(
            "4|5|1|1|{c1}|0|NULL|NULL|NULL|NULL|NULL\n\
             5|7|1|1|{c2}|1|{DEV_KEY}|{salt}|{DEV_GENESIS_HASH}|{c1}|1\n",
            c1 = hx(seq(0x40, 32)),
            c2 = hx(seq(0x20, 32)),
            salt = hx(seq(0x60, 32)),
        )
    );
}

#[test]
fn example5_confirm_req_pair() {
    let (_dir, conn, f) = capture();
    assert_eq!(
        query_text(&conn, &format!("SELECT packet_id, pair_index, hash, root FROM nano_confirm_req_pairs({f}) WHERE packet_id = 6")),
        format!("6|1|{EXAMPLE2_HASH}|{DEV_GENESIS_HASH}\n")
    );
    // The v2 counts of example 3's table give that many pairs.
    assert_eq!(
        query_text(
            &conn,
            &format!("SELECT packet_id, count(*) FROM nano_confirm_req_pairs({f}) GROUP BY 1")
        ),
        "6|1\n10|16\n11|20\n12|255\n"
    );
}

#[test]
fn example6_bulk_pull_with_count() {
    let (_dir, conn, f) = capture();
    assert_eq!(
        query_text(&conn, &format!("SELECT packet_id, start, start_as_account, end, count, ascending FROM nano_bulk_pull_requests({f})")),
        format!("7|{LIVE_GENESIS_KEY}|{LIVE_GENESIS_ACCOUNT}|{}|128|0\n", "0".repeat(64))
    );
}

#[test]
fn example7_asc_pull_req_blocks() {
    let (_dir, conn, f) = capture();
    assert_eq!(
        query_text(&conn, &format!("SELECT packet_id, kind, request_id, pull_type, pull_type_name, start, count, start_type FROM nano_asc_pull({f})")),
        format!("8|req|0123456789ABCDEF|1|blocks|{LIVE_GENESIS_KEY}|128|0\n")
    );
}

#[test]
fn nothing_is_anomalous() {
    let (_dir, conn, f) = capture();
    assert_eq!(
        query_text(&conn, &format!("SELECT count(*) FROM nano_anomalies({f})")),
        "0\n"
    );
}
