//! Tests against the worked examples of docs/protocol.md section 10, known genesis blocks,
//! every Malformed and Incomplete path, and random bytes (never a panic).

use super::crypto::sign;
use super::*;

// ---------- helpers ----------

/// Hex to bytes; whitespace ignored.
fn hx(s: &str) -> Vec<u8> {
    let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    assert!(clean.len() % 2 == 0, "odd hex {s}");
    clean
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn h32(s: &str) -> [u8; 32] {
    hx(s).try_into().unwrap()
}

fn h64(s: &str) -> [u8; 64] {
    hx(s).try_into().unwrap()
}

/// A `0000: xx xx ...` dump as in docs/protocol.md, offsets dropped.
fn dump(s: &str) -> Vec<u8> {
    s.lines()
        .filter_map(|l| l.split_once(':'))
        .flat_map(|(_, rest)| hx(rest))
        .collect()
}

fn hdr(network: u16, t: u8, ext: u16) -> Vec<u8> {
    Header {
        network,
        version_max: 21,
        version_using: 21,
        version_min: 20,
        msg_type: t,
        extensions: ext,
    }
    .to_bytes()
    .to_vec()
}

fn msg(network: u16, t: u8, ext: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = hdr(network, t, ext);
    m.extend_from_slice(payload);
    m
}

/// Decodes a complete message and requires it consumed everything and decoded.
fn decode_ok(m: &[u8]) -> (Header, Payload) {
    let (h, p, used) = decode_message(m).expect("framed");
    assert_eq!(used, m.len());
    (h, p.expect("decoded"))
}

fn decode_err(m: &[u8]) -> Malformed {
    let (_, p, used) = decode_message(m).expect("framed");
    assert_eq!(used, m.len());
    p.expect_err("should be malformed")
}

const DEV: u16 = 0x5241;
const LIVE: u16 = 0x5243;
const DEV_PRIV: &str = "34F0A37AAD20F4A260F0A5B3CB3D7FB50673212263E58A380BC10474BB039CE4";
const DEV_PUB: &str = "B0311EA55708D6A53C75CDBF88300259C6D018522FE3D4D0A242E431F9E8B6D0";
const DEV_GENESIS_HASH: &str = "04270D7F11C4B2B472F2854C5A59F2A7E84226CE9ED799DE75744BD7D85FC9D9";
const LIVE_KEY: &str = "E89208DD038FBB269987689621D52292AE9C35941A7484756ECCED92A65093BA";
const EX2_HASH: &str = "A1A72D9CAD3C5FA8091FDAACED6B47208E3F66BB3D0E3AA1BC300DAA77612155";

fn dev_sign(message: &[u8]) -> [u8; 64] {
    let (pk, sig) = sign(&h32(DEV_PRIV), message);
    assert_eq!(pk, h32(DEV_PUB));
    sig
}

// ---------- keys, accounts, hex ----------

#[test]
fn dev_private_key_gives_dev_public_key() {
    let (pk, _) = sign(&h32(DEV_PRIV), b"x");
    assert_eq!(hex_upper(&pk), DEV_PUB);
}

#[test]
fn account_check_values_of_section_3() {
    let dev = "nano_3e3j5tkog48pnny9dmfzj1r16pg8t1e76dz5tmac6iq689wyjfpiij4txtdo";
    let live = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
    assert_eq!(encode_account(&h32(DEV_PUB)), dev);
    assert_eq!(encode_account(&h32(LIVE_KEY)), live);
    assert_eq!(decode_account(dev), Ok(h32(DEV_PUB)));
    assert_eq!(decode_account(live), Ok(h32(LIVE_KEY)));
    let xrb = "xrb_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
    assert_eq!(decode_account(xrb), Ok(h32(LIVE_KEY)));
    let node = encode_node_id(&h32(DEV_PUB));
    assert_eq!(node, dev.replacen("nano_", "node_", 1));
    assert_eq!(decode_account(&node), Ok(h32(DEV_PUB)));
    // the well-known burn address
    let burn = "nano_1111111111111111111111111111111111111111111111111111hifc8npp";
    assert_eq!(encode_account(&[0; 32]), burn);
    assert_eq!(decode_account(burn), Ok([0; 32]));
}

#[test]
fn account_decode_errors() {
    let good = "nano_3t6k35gi95xu6tergt6p69ck76ogmitsa8mnijtpxm9fkcm736xtoncuohr3";
    // checksum: last character changed
    assert!(decode_account(&good.replace("hr3", "hr4"))
        .unwrap_err()
        .contains("checksum"));
    // key character changed: checksum no longer matches
    assert!(decode_account(&good.replacen("3t6k", "3t6m", 1)).is_err());
    // bad character ('0', 'l', 'v', '2' are not in the alphabet)
    assert!(decode_account(&good.replacen("3t6k", "3t0k", 1))
        .unwrap_err()
        .contains("alphabet"));
    assert!(decode_account(&good.to_uppercase().replacen("NANO_", "nano_", 1)).is_err());
    // length
    assert!(decode_account(&good[..good.len() - 1])
        .unwrap_err()
        .contains("59"));
    assert!(decode_account(&format!("{good}1")).is_err());
    // prefix
    assert!(decode_account(&good.replacen("nano_", "ban_", 1))
        .unwrap_err()
        .contains("prefix"));
    // first character above '3' would need more than 256 bits
    assert!(decode_account(&good.replacen("nano_3", "nano_4", 1))
        .unwrap_err()
        .contains("256"));
    assert!(decode_account("").is_err());
    assert!(decode_account("nano_é").is_err());
}

// ---------- header ----------

#[test]
fn header_fields_byte_orders_and_names() {
    let h = parse_header(&hx("52 43 15 15 14 05 01 11")).unwrap();
    assert_eq!(h.network, 0x5243);
    assert_eq!(
        (h.version_max, h.version_using, h.version_min),
        (0x15, 0x15, 0x14)
    );
    assert_eq!(h.msg_type, 5);
    assert_eq!(h.extensions, 0x1101); // little-endian
    assert_eq!(h.block_type(), 1);
    assert_eq!(h.item_count(), Some(16)); // v2, not v1 count 1
    assert_eq!(h.network_name(), Some("live"));
    assert_eq!(h.to_bytes().to_vec(), hx("52 43 15 15 14 05 01 11"));
    for (net, name) in [
        (0x5241, "dev"),
        (0x5242, "beta"),
        (0x5243, "live"),
        (0x5258, "test"),
    ] {
        assert_eq!(network_name(net), Some(name));
    }
    assert_eq!(network_name(0x5244), None);
    let names = [
        "invalid",
        "not_a_type",
        "keepalive",
        "publish",
        "confirm_req",
        "confirm_ack",
        "bulk_pull",
        "bulk_push",
        "frontier_req",
        "bulk_pull_blocks",
        "node_id_handshake",
        "bulk_pull_account",
        "telemetry_req",
        "telemetry_ack",
        "asc_pull_req",
        "asc_pull_ack",
    ];
    for (t, n) in names.iter().enumerate() {
        assert_eq!(msg_name(t as u8), Some(*n));
    }
    assert_eq!(msg_name(0x10), None);
    // item_count only for confirm messages
    let k = parse_header(&hx("52 43 15 15 14 02 00 f0")).unwrap();
    assert_eq!(k.item_count(), None);
}

#[test]
fn header_incomplete() {
    assert_eq!(
        parse_header(&[0x52, 0x43, 0x15]),
        Err(DecodeError::Incomplete { needed: 5 })
    );
    assert_eq!(
        parse_header(&[]),
        Err(DecodeError::Incomplete { needed: 8 })
    );
}

#[test]
fn confirm_v2_count_encodings_of_example_3() {
    for (count, bytes) in [(16u16, "01 11"), (20, "41 11"), (255, "f1 f1")] {
        let h = parse_header(&hx(&format!("52 41 15 15 14 04 {bytes}"))).unwrap();
        assert_eq!(h.item_count(), Some(count));
        assert_eq!(h.block_type(), 1);
        assert_eq!(payload_len(&h), Ok(64 * count as usize));
        let a = parse_header(&hx(&format!("52 41 15 15 14 05 {bytes}"))).unwrap();
        assert_eq!(payload_len(&a), Ok(104 + 32 * count as usize));
    }
    // v1: count in the high nibble only, bits 4..7 ignored
    let h = parse_header(&hx("52 41 15 15 14 04 f0 f1")).unwrap();
    assert_eq!(h.extensions, 0xf1f0);
    assert_eq!(h.item_count(), Some(15));
}

fn len_of(t: u8, ext: u16) -> Result<usize, Malformed> {
    payload_len(&parse_header(&hdr(LIVE, t, ext)).unwrap())
}

#[test]
fn payload_len_section_7() {
    assert_eq!(len_of(0x02, 0), Ok(144));
    for (bt, size) in [(2u16, 152), (3, 136), (4, 168), (5, 136), (6, 216)] {
        assert_eq!(len_of(0x03, bt << 8), Ok(size));
        assert_eq!(len_of(0x03, (bt << 8) | 4), Ok(size));
        assert_eq!(len_of(0x04, bt << 8), Ok(size));
        assert_eq!(len_of(0x05, bt << 8), Ok(104 + size));
    }
    assert_eq!(len_of(0x04, 0x3100), Ok(192));
    assert_eq!(len_of(0x05, 0x3100), Ok(104 + 96));
    assert_eq!(len_of(0x05, 0x0100), Ok(104));
    assert_eq!(len_of(0x06, 0), Ok(64));
    assert_eq!(len_of(0x06, 1), Ok(72));
    assert_eq!(len_of(0x06, 3), Ok(72));
    assert_eq!(len_of(0x07, 0), Ok(0));
    assert_eq!(len_of(0x08, 2), Ok(40));
    assert_eq!(len_of(0x09, 0), Ok(69));
    for (ext, l) in [
        (0, 0),
        (1, 32),
        (2, 96),
        (3, 128),
        (4, 0),
        (5, 32),
        (6, 160),
        (7, 192),
    ] {
        assert_eq!(len_of(0x0a, ext), Ok(l), "handshake ext {ext}");
    }
    assert_eq!(len_of(0x0b, 0), Ok(49));
    assert_eq!(len_of(0x0c, 0), Ok(0));
    assert_eq!(len_of(0x0d, 0x00ca), Ok(202));
    assert_eq!(len_of(0x0d, 0x04ca), Ok(202)); // mask 0x3ff
    assert_eq!(len_of(0x0d, 0xffff), Ok(0x3ff));
    assert_eq!(len_of(0x0d, 0), Ok(0));
    assert_eq!(len_of(0x0e, 34), Ok(43));
    assert_eq!(len_of(0x0f, 0xffff), Ok(9 + 65535));
}

#[test]
fn payload_len_malformed() {
    for t in [0u8, 1, 0x10, 0xff] {
        let m = len_of(t, 0).unwrap_err();
        assert_eq!(m.code, "unknown_type", "type {t}");
    }
    let m = len_of(0x03, 0x0900).unwrap_err();
    assert_eq!(m.code, "bad_block_type");
    assert_eq!(m.detail, "block type 9 in publish is not 2..6");
    assert_eq!(len_of(0x03, 0x0100).unwrap_err().code, "bad_block_type");
    assert_eq!(len_of(0x03, 0x0000).unwrap_err().code, "bad_block_type");
    // confirm_* block types outside 2..6 are the by-hash form (section 7), not errors
    assert_eq!(len_of(0x04, 0x2000), Ok(128));
    assert_eq!(len_of(0x05, 0x1704), Ok(136));
    // The largest computable payload (asc_pull, 9 + 65535) stays below the cap, so
    // "too_large" cannot come from a TCP header today; the guard is still there.
    assert!(len_of(0x0f, 0xffff).unwrap() <= MAX_MESSAGE_SIZE);
}

#[test]
fn plausible_header_heuristic() {
    assert!(is_plausible_header(&hx("52 43 15 15 14 02 00 00")));
    assert!(is_plausible_header(&hx("52 58 12 12 12 05 00 11")));
    assert!(is_plausible_header(&hx("52 41 0d 0d 0d 0a 07 00")));
    assert!(!is_plausible_header(&hx("52 43 15 15 14 02 00"))); // short
    assert!(!is_plausible_header(&hx("53 43 15 15 14 02 00 00"))); // not R
    assert!(!is_plausible_header(&hx("52 44 15 15 14 02 00 00"))); // network byte
    assert!(!is_plausible_header(&hx("52 43 0c 0c 0c 02 00 00"))); // using 12
    assert!(!is_plausible_header(&hx("52 43 29 29 14 02 00 00"))); // using 41
    assert!(!is_plausible_header(&hx("52 43 14 15 14 02 00 00"))); // max < using
    assert!(!is_plausible_header(&hx("52 43 15 15 16 02 00 00"))); // using < min
    assert!(!is_plausible_header(&hx("52 43 15 15 14 09 00 00"))); // 0x09
    assert!(!is_plausible_header(&hx("52 43 15 15 14 01 00 00")));
    assert!(!is_plausible_header(&hx("52 43 15 15 14 10 00 00")));
    assert!(!is_plausible_header(&hx("52 43 15 15 14 03 00 09"))); // length not computable
}

// ---------- blocks ----------

fn live_genesis() -> Block {
    Block::Open(OpenBlock {
        source: h32(LIVE_KEY),
        representative: h32(LIVE_KEY),
        account: h32(LIVE_KEY),
        signature: h64("9F0C933C8ADE004D808EA1985FA746A7E95BA2A38F867640F53EC8F180BDFE9E2C1268DEAD7C2664F356E37ABA362BC58E46DBA03E523A7B5A19E4B6EB12BB02"),
        work: 0x62f05417dd3fb691,
    })
}

#[test]
fn live_genesis_open_block() {
    // Wire form: source, representative, account, signature, work u64le.
    let mut wire = Vec::new();
    wire.extend(hx(LIVE_KEY));
    wire.extend(hx(LIVE_KEY));
    wire.extend(hx(LIVE_KEY));
    wire.extend(hx("9F0C933C8ADE004D808EA1985FA746A7E95BA2A38F867640F53EC8F180BDFE9E2C1268DEAD7C2664F356E37ABA362BC58E46DBA03E523A7B5A19E4B6EB12BB02"));
    wire.extend(hx("91 b6 3f dd 17 54 f0 62"));
    let (_, p) = decode_ok(&msg(LIVE, 0x03, 0x0400, &wire));
    let Payload::Publish(p) = p else { panic!() };
    assert_eq!(p.block, live_genesis());
    let b = &p.block;
    assert_eq!(b.block_type(), BlockType::Open);
    assert_eq!(
        hex_upper(&b.hash()),
        "991CF190094C00F0B68E2E5F75F6BEE95A2E0BD93CEAA4A6734DB9F19B728948"
    );
    assert_eq!(b.verify_signature(), Some(true));
    assert_eq!(b.root(), h32(LIVE_KEY));
    assert_eq!(b.work_value(), 0xfffffff4000d3dac);
    assert!(b.work_valid(LIVE));
    assert!(b.work_valid(0x1234)); // unknown network: live thresholds
    assert_eq!(b.account(), Some(h32(LIVE_KEY)));
}

#[test]
fn dev_genesis_open_block() {
    let b = Block::Open(OpenBlock {
        source: h32(DEV_PUB),
        representative: h32(DEV_PUB),
        account: h32(DEV_PUB),
        signature: h64("ECDA914373A2F0CA1296475BAEE40500A7F0A7AD72A5A80C81D7FAB7F6C802B2CC7DB50F5DD0FB25B2EF11761FA7344A158DD5A700B21BD47DE5BD0F63153A02"),
        work: 0x9680625b39d3363d,
    });
    assert_eq!(hex_upper(&b.hash()), DEV_GENESIS_HASH);
    assert_eq!(b.verify_signature(), Some(true));
    assert!(b.work_valid(DEV));
}

#[test]
fn legacy_blocks_hash_root_and_signature_availability() {
    let sig = [7u8; 64];
    let send = Block::Send(SendBlock {
        previous: [1; 32],
        destination: [2; 32],
        balance: 5,
        signature: sig,
        work: 9,
    });
    let mut pre = vec![1u8; 32];
    pre.extend([2u8; 32]);
    pre.extend(5u128.to_be_bytes());
    assert_eq!(send.hash(), crypto::blake2b_256(&[&pre]));
    assert_eq!(send.root(), [1; 32]);
    assert_eq!(send.verify_signature(), None);
    assert_eq!(send.account(), None);
    let recv = Block::Receive(ReceiveBlock {
        previous: [3; 32],
        source: [4; 32],
        signature: sig,
        work: 1,
    });
    assert_eq!(recv.hash(), crypto::blake2b_256(&[&[3; 32], &[4; 32]]));
    assert_eq!(recv.verify_signature(), None);
    let change = Block::Change(ChangeBlock {
        previous: [3; 32],
        representative: [4; 32],
        signature: sig,
        work: 1,
    });
    // receive and change hash the same bytes
    assert_eq!(change.hash(), recv.hash());
    assert_eq!(change.root(), [3; 32]);
    assert_eq!(change.verify_signature(), None);
    assert_eq!(change.signature(), &sig);
    assert_eq!(change.work(), 1);
    // state with zero previous: root is the account
    let st = Block::State(StateBlock {
        account: [9; 32],
        previous: [0; 32],
        representative: [1; 32],
        balance: 0,
        link: [0; 32],
        signature: sig,
        work: 0,
    });
    assert_eq!(st.root(), [9; 32]);
    assert_eq!(st.verify_signature(), Some(false));
}

#[test]
fn work_thresholds_table() {
    assert_eq!(
        WorkThresholds::for_network(LIVE).entry_minimum(),
        0xfffffe0000000000
    );
    assert_eq!(
        WorkThresholds::for_network(0x5258),
        WorkThresholds::for_network(LIVE)
    );
    assert_eq!(
        WorkThresholds::for_network(0x5242).entry_minimum(),
        0xffffe00000000000
    );
    assert_eq!(
        WorkThresholds::for_network(DEV).entry_minimum(),
        0xf000000000000000
    );
    assert_eq!(WorkThresholds::for_network(DEV).epoch_1, 0xfe00000000000000);
}

// ---------- section 10 examples ----------

const EX1: &str = "
0000: 52 43 15 15 14 02 00 00 00 00 00 00 00 00 00 00
0010: 00 00 00 00 00 00 00 00 a3 1b 00 00 00 00 00 00
0020: 00 00 00 00 ff ff cb 00 71 05 a3 1b 20 01 0d b8
0030: 00 00 00 00 00 00 00 00 00 00 00 01 a3 1b 00 00
0040: 00 00 00 00 00 00 00 00 ff ff c6 33 64 17 a3 1b";

#[test]
fn example_1_keepalive() {
    let mut m = dump(EX1);
    m.resize(152, 0);
    let (h, p) = decode_ok(&m);
    assert_eq!(h.network_name(), Some("live"));
    assert_eq!(
        (h.version_max, h.version_using, h.version_min),
        (21, 21, 20)
    );
    let Payload::Keepalive(k) = p else { panic!() };
    assert_eq!(
        k.peers[0],
        Endpoint {
            addr: [0; 16],
            port: 7075
        }
    );
    assert_eq!(k.peers[1].ipv4(), Some([203, 0, 113, 5]));
    assert_eq!(k.peers[1].port, 7075);
    assert_eq!(
        std::net::Ipv6Addr::from(k.peers[2].addr),
        "2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap()
    );
    assert_eq!(k.peers[2].ipv4(), None);
    assert_eq!(k.peers[3].ipv4(), Some([198, 51, 100, 23]));
    for p in &k.peers[4..] {
        assert_eq!(
            *p,
            Endpoint {
                addr: [0; 16],
                port: 0
            }
        );
    }
    // exactly 144: one byte more or less is rejected
    assert_eq!(
        decode_payload(&h, &m[8..151]).unwrap_err().code,
        "bad_length"
    );
    let mut long = m[8..].to_vec();
    long.push(0);
    assert_eq!(decode_payload(&h, &long).unwrap_err().code, "bad_length");
}

const EX2: &str = "
0000: 52 41 15 15 14 03 00 06 b0 31 1e a5 57 08 d6 a5
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
00d0: 2d a8 d3 02 b8 4a ee 03 00 00 00 00 00 00 04 1e";

#[test]
fn example_2_publish_state_block() {
    let m = dump(EX2);
    assert_eq!(m.len(), 224);
    let (h, p) = decode_ok(&m);
    assert_eq!(h.network_name(), Some("dev"));
    assert_eq!(h.extensions, 0x0600);
    let Payload::Publish(p) = p else { panic!() };
    assert!(!p.originator);
    let Block::State(s) = &p.block else { panic!() };
    assert_eq!(s.account, h32(DEV_PUB));
    assert_eq!(s.previous, h32(DEV_GENESIS_HASH));
    assert_eq!(s.representative, h32(DEV_PUB));
    assert_eq!(
        s.balance,
        u128::MAX - 1_000_000_000_000_000_000_000_000_000_000
    );
    assert_eq!(s.link, h32(LIVE_KEY));
    assert_eq!(hex_upper(&s.signature[..4]), "57BA85B9");
    assert_eq!(s.work, 0x41e); // big-endian in state blocks
    assert_eq!(hex_upper(&p.block.hash()), EX2_HASH);
    assert_eq!(p.block.verify_signature(), Some(true));
    assert_eq!(p.block.root(), h32(DEV_GENESIS_HASH));
    assert_eq!(p.block.work_value(), 0xffc4d15e6be4d3e7);
    assert!(p.block.work_valid(DEV));
    assert!(!p.block.work_valid(LIVE));
    // originator bit
    let mut o = m.clone();
    o[6] = 0x04;
    let (_, Payload::Publish(p2)) = decode_ok(&o) else {
        panic!()
    };
    assert!(p2.originator);
    // a flipped signature byte no longer verifies
    let mut bad = m.clone();
    bad[160] ^= 1;
    let (_, Payload::Publish(p3)) = decode_ok(&bad) else {
        panic!()
    };
    assert_eq!(p3.block.verify_signature(), Some(false));
}

#[test]
fn publish_malformed() {
    let m = dump(EX2);
    let h = parse_header(&m).unwrap();
    assert_eq!(
        decode_payload(&h, &m[8..220]).unwrap_err().code,
        "bad_length"
    );
    let mut h9 = h;
    h9.extensions = 0x0900;
    let e = decode_payload(&h9, &m[8..]).unwrap_err();
    assert_eq!(
        (e.code, e.detail.as_str()),
        ("bad_block_type", "block type 9 in publish is not 2..6")
    );
    // the framer refuses the same header
    let mut raw = m.clone();
    raw[7] = 0x09;
    assert!(matches!(
        decode_message(&raw),
        Err(DecodeError::Malformed(Malformed {
            code: "bad_block_type",
            ..
        }))
    ));
}

const EX3: &str = "
0000: 52 41 15 15 14 05 00 11 b0 31 1e a5 57 08 d6 a5
0010: 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
0020: a2 42 e4 31 f9 e8 b6 d0 5e 50 91 7a cf f4 7a 01
0030: 3f 7d b7 2c 5e b4 5d c5 27 0a 78 b4 c3 b2 fc c1
0040: 76 29 3a ab 53 5d 6f 63 98 c2 6b 81 59 15 88 46
0050: 9b 6f c6 ee 32 83 f6 ca 89 ec 62 98 7e 04 4c a2
0060: 21 58 27 7d 95 3b 3d 02 09 68 e5 cf 8b 01 00 00
0070: a1 a7 2d 9c ad 3c 5f a8 09 1f da ac ed 6b 47 20
0080: 8e 3f 66 bb 3d 0e 3a a1 bc 30 0d aa 77 61 21 55";

#[test]
fn example_3_confirm_ack() {
    let m = dump(EX3);
    assert_eq!(m.len(), 144);
    let (h, p) = decode_ok(&m);
    assert_eq!(h.extensions, 0x1100);
    assert_eq!(h.item_count(), Some(1));
    let Payload::ConfirmAck(a) = p else { panic!() };
    assert!(!a.rebroadcasted);
    let v = &a.vote;
    assert_eq!(v.account, h32(DEV_PUB));
    assert_eq!(hex_upper(&v.signature[..4]), "5E50917A");
    assert_eq!(hex_upper(&v.signature[60..]), "953B3D02");
    assert_eq!(v.timestamp_raw, 0x0000018BCFE56809);
    assert_eq!(v.hashes, vec![h32(EX2_HASH)]);
    assert_eq!(v.block, None);
    assert_eq!(
        v.timing(h.version_using),
        VoteTiming::Timestamp {
            ms: 1_700_000_000_000,
            duration_ms: Some(8192)
        }
    );
    assert_eq!(
        hex_upper(&v.hash()),
        "5A793BF309F44179656DEA9897D4059E3A2B356BB62B675F21300C4477E3BE96"
    );
    assert!(v.verify());
    assert_ne!(v.timing(21), VoteTiming::Final);
    // the final vote for the same hash
    let mut f = v.clone();
    f.timestamp_raw = u64::MAX;
    let fh = hex_upper(&f.hash());
    assert!(fh.starts_with("BEEC0E40") && fh.ends_with("850F"), "{fh}");
    assert_eq!(f.timing(21), VoteTiming::Final);
    assert!(!f.verify());
    // rebroadcasted bit
    let mut r = m.clone();
    r[6] = 0x04;
    let (_, Payload::ConfirmAck(a2)) = decode_ok(&r) else {
        panic!()
    };
    assert!(a2.rebroadcasted);
}

#[test]
fn vote_v2_count_and_legacy_vote_by_block() {
    // 16 hashes with the v2 count, signed with the dev key.
    let hashes: Vec<[u8; 32]> = (0..16u8).map(|i| [i + 1; 32]).collect();
    let ts: u64 = 1_700_000_000_000 | 9;
    let mut to_sign = b"vote ".to_vec();
    hashes.iter().for_each(|h| to_sign.extend(h));
    to_sign.extend(ts.to_le_bytes());
    let sig = dev_sign(&crypto::blake2b_256(&[&to_sign]));
    let mut body = hx(DEV_PUB);
    body.extend(sig);
    body.extend(ts.to_le_bytes());
    hashes.iter().for_each(|h| body.extend(h));
    let (h, p) = decode_ok(&msg(DEV, 0x05, 0x1101, &body));
    assert_eq!(h.item_count(), Some(16));
    let Payload::ConfirmAck(a) = p else { panic!() };
    assert_eq!(a.vote.hashes, hashes);
    assert!(a.vote.verify());

    // Legacy vote-by-block: 104 bytes then a block; hash = blake2b(block hash ‖ seq).
    let mut blk = dump(EX2)[8..].to_vec();
    let seq: u64 = 42;
    let vh = crypto::blake2b_256(&[&hx(EX2_HASH), &seq.to_le_bytes()]);
    let sig = dev_sign(&vh);
    let mut body = hx(DEV_PUB);
    body.extend(sig);
    body.extend(seq.to_le_bytes());
    body.append(&mut blk);
    let m = msg(DEV, 0x05, 0x0600, &body);
    let (h, p) = decode_ok(&m);
    assert_eq!(payload_len(&h), Ok(104 + 216));
    let Payload::ConfirmAck(a) = p else { panic!() };
    assert!(a.vote.hashes.is_empty());
    assert_eq!(
        a.vote.block.as_ref().map(|b| hex_upper(&b.hash())),
        Some(EX2_HASH.to_string())
    );
    assert_eq!(a.vote.hash(), vh);
    assert!(a.vote.verify());
    assert_eq!(a.vote.timing(18), VoteTiming::Sequence(42));
}

#[test]
fn confirm_ack_malformed() {
    let m = dump(EX3);
    let h = parse_header(&m).unwrap();
    assert_eq!(
        decode_payload(&h, &m[8..50]).unwrap_err().code,
        "bad_length"
    );
    assert_eq!(
        decode_payload(&h, &m[8..140]).unwrap_err().code,
        "bad_length"
    );
    // Block type 0 with count 1 and the rebroadcasted bit, as V27 (RsNano) nodes send
    // relayed votes in the real capture: still a vote by hash.
    let mut r = m.clone();
    r[6..8].copy_from_slice(&[0x04, 0x10]);
    let (h0, p) = decode_ok(&r);
    assert_eq!((h0.block_type(), h0.item_count()), (0, Some(1)));
    let Payload::ConfirmAck(a) = p else { panic!() };
    assert!(a.rebroadcasted);
    assert_eq!(a.vote.hashes, vec![h32(EX2_HASH)]);
    assert!(a.vote.verify());
}

#[test]
fn vote_timing_rules() {
    // R1: V22, proto 18, low nibble 6 is part of the time.
    let r1 = u64::from_le_bytes(hx("06 be 1d bc 7a 01 00 00").try_into().unwrap());
    assert_eq!(r1, 1_626_653_703_686);
    assert_eq!(
        VoteTiming::interpret(r1, 18),
        VoteTiming::Timestamp {
            ms: 1_626_653_703_686,
            duration_ms: None
        }
    );
    // proto 18 with the V23 normal code 9: packed
    assert_eq!(
        VoteTiming::interpret(1_700_000_000_009, 18),
        VoteTiming::Timestamp {
            ms: 1_700_000_000_000,
            duration_ms: Some(8192)
        }
    );
    // proto 19+: always packed; d = 0 -> 16 ms, d = 14 -> 2^18
    assert_eq!(
        VoteTiming::interpret(0x100, 19),
        VoteTiming::Timestamp {
            ms: 0x100,
            duration_ms: Some(16)
        }
    );
    assert_eq!(
        VoteTiming::interpret(0x10e, 21),
        VoteTiming::Timestamp {
            ms: 0x100,
            duration_ms: Some(1 << 18)
        }
    );
    assert_eq!(VoteTiming::interpret(u64::MAX, 19), VoteTiming::Final);
    assert_eq!(VoteTiming::interpret(u64::MAX, 18), VoteTiming::Final);
    // small at proto 18: V21 sequence; below 18: always a sequence
    assert_eq!(
        VoteTiming::interpret(12345, 18),
        VoteTiming::Sequence(12345)
    );
    assert_eq!(
        VoteTiming::interpret(1_700_000_000_009, 17),
        VoteTiming::Sequence(1_700_000_000_009)
    );
    assert_eq!(
        VoteTiming::interpret(u64::MAX, 16),
        VoteTiming::Sequence(u64::MAX)
    );
}

#[test]
fn example_4_handshake_v2() {
    let mut m = hx("52 41 15 15 14 0a 07 00");
    m.extend(0x20u8..=0x3f); // cookie C2
    m.extend(hx(DEV_PUB)); // node_id
    m.extend(0x60u8..=0x7f); // salt
    m.extend(hx(DEV_GENESIS_HASH)); // genesis
    m.extend(dump(
        "0088: b3 ea dd 43 8c da 06 c7 7d 49 04 8e 79 31 f7 70
         0098: 79 bb 1c 20 af e8 82 9b 22 dd d2 7d 24 9c 3a 3c
         00a8: 97 2b b4 ae b9 42 51 34 2e 76 ca c3 03 11 3e fc
         00b8: 6a e7 21 fd 92 d1 3f 69 d6 18 59 4d 64 68 df 09",
    ));
    assert_eq!(m.len(), 200);
    let (h, p) = decode_ok(&m);
    assert_eq!(payload_len(&h), Ok(192));
    let Payload::NodeIdHandshake(hs) = p else {
        panic!()
    };
    assert!(hs.v2);
    let c2: Vec<u8> = (0x20u8..=0x3f).collect();
    assert_eq!(hs.query.map(|q| q.to_vec()), Some(c2.clone()));
    let r = hs.response.unwrap();
    assert_eq!(r.node_id, h32(DEV_PUB));
    let salt: [u8; 32] = std::array::from_fn(|i| 0x60 + i as u8);
    assert_eq!(r.v2, Some((salt, h32(DEV_GENESIS_HASH))));
    let c1: [u8; 32] = std::array::from_fn(|i| 0x40 + i as u8);
    assert!(r.verify(&c1));
    // it does not sign the cookie it carries
    assert!(!r.verify(&c2.try_into().unwrap()));
    assert_eq!(
        encode_node_id(&r.node_id),
        "node_3e3j5tkog48pnny9dmfzj1r16pg8t1e76dz5tmac6iq689wyjfpiij4txtdo"
    );
}

#[test]
fn handshake_v1_forms() {
    let cookie = [0x11u8; 32];
    let sig = dev_sign(&cookie);
    let mut body = hx(DEV_PUB);
    body.extend(sig);
    // response only (0x0002)
    let (_, Payload::NodeIdHandshake(hs)) = decode_ok(&msg(DEV, 0x0a, 0x0002, &body)) else {
        panic!()
    };
    assert_eq!(hs.query, None);
    assert!(!hs.v2);
    let r = hs.response.unwrap();
    assert_eq!(r.v2, None);
    assert!(r.verify(&cookie));
    assert!(!r.verify(&[0x12; 32]));
    // query only, with "I understand v2" (0x0005)
    let (_, Payload::NodeIdHandshake(q)) = decode_ok(&msg(DEV, 0x0a, 0x0005, &[9; 32])) else {
        panic!()
    };
    assert_eq!(
        (q.query, q.response.is_none(), q.v2),
        (Some([9; 32]), true, true)
    );
    // query + v1 response (0x0003)
    let mut qr = vec![9u8; 32];
    qr.extend(&body);
    let (_, Payload::NodeIdHandshake(b)) = decode_ok(&msg(DEV, 0x0a, 0x0003, &qr)) else {
        panic!()
    };
    assert!(b.response.unwrap().verify(&cookie));
    let h = parse_header(&hdr(DEV, 0x0a, 0x0003)).unwrap();
    assert_eq!(decode_payload(&h, &qr[1..]).unwrap_err().code, "bad_length");
}

#[test]
fn example_5_confirm_req() {
    let mut m = hx("52 41 15 15 14 04 00 11");
    m.extend(hx(EX2_HASH));
    m.extend(hx(DEV_GENESIS_HASH));
    assert_eq!(m.len(), 72);
    let (h, p) = decode_ok(&m);
    assert_eq!(h.item_count(), Some(1));
    assert_eq!(
        p,
        Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs: vec![(h32(EX2_HASH), h32(DEV_GENESIS_HASH))].into(),
            v18_body_count: false
        })
    );
}

#[test]
fn confirm_req_forms_and_malformed() {
    // v2 count 16
    let mut body = Vec::new();
    for i in 0..16u8 {
        body.extend([i + 1; 32]);
        body.extend([i + 100; 32]);
    }
    let (_, Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. })) =
        decode_ok(&msg(DEV, 0x04, 0x1101, &body))
    else {
        panic!()
    };
    assert_eq!(pairs.len(), 16);
    assert_eq!(pairs[15], ([16; 32], [115; 32]));
    // legacy block form
    let blk = dump(EX2)[8..].to_vec();
    let (_, Payload::ConfirmReq(ConfirmReq::Block(b))) = decode_ok(&msg(DEV, 0x04, 0x0600, &blk))
    else {
        panic!()
    };
    assert_eq!(hex_upper(&b.hash()), EX2_HASH);
    // count 0 is rejected by the node
    let e = decode_err(&msg(DEV, 0x04, 0x0100, &[]));
    assert_eq!(e.code, "empty_confirm_req");
    // an all-zero pair makes the count mismatch
    let mut z = vec![1u8; 64];
    z.extend([0u8; 64]);
    let e = decode_err(&msg(DEV, 0x04, 0x2100, &z));
    assert_eq!(
        (e.code, e.detail.as_str()),
        ("zero_pair", "confirm_req pair 1 is all zero")
    );
    // a zero hash with a non-zero root is kept
    let mut nz = vec![0u8; 32];
    nz.extend([5u8; 32]);
    assert!(matches!(
        decode_ok(&msg(DEV, 0x04, 0x1100, &nz)).1,
        Payload::ConfirmReq(_)
    ));
    // wrong sizes and block types through decode_payload
    let h = parse_header(&hdr(DEV, 0x04, 0x1100)).unwrap();
    assert_eq!(decode_payload(&h, &z).unwrap_err().code, "bad_length");
    // block type 0 is read as by hash too
    let h0 = parse_header(&hdr(DEV, 0x04, 0x2000)).unwrap();
    let e = decode_payload(&h0, &z).unwrap_err();
    assert_eq!(e.code, "zero_pair");
    let h6 = parse_header(&hdr(DEV, 0x04, 0x0600)).unwrap();
    assert_eq!(
        decode_payload(&h6, &blk[1..]).unwrap_err().code,
        "bad_length"
    );
}

#[test]
fn example_6_bulk_pull_count() {
    let mut m = hx("52 43 15 15 14 06 01 00");
    m.extend(hx(LIVE_KEY));
    m.extend([0u8; 32]);
    m.extend(hx("00 80 00 00 00 00 00 00"));
    assert_eq!(m.len(), 80);
    let (_, p) = decode_ok(&m);
    assert_eq!(
        p,
        Payload::BulkPull(BulkPull {
            start: h32(LIVE_KEY),
            end: [0; 32],
            count: Some(128),
            ascending: false
        })
    );
    // ascending, no count
    let mut a = hx("52 43 15 15 14 06 02 00");
    a.extend(&m[8..72]);
    let (_, Payload::BulkPull(b)) = decode_ok(&a) else {
        panic!()
    };
    assert_eq!((b.count, b.ascending), (None, true));
    // extended byte 0 must be zero
    let mut bad = m.clone();
    bad[72] = 1;
    let e = decode_err(&bad);
    assert_eq!(e.code, "bad_extended");
    let h = parse_header(&m).unwrap();
    assert_eq!(
        decode_payload(&h, &m[8..72]).unwrap_err().code,
        "bad_length"
    );
}

#[test]
fn example_7_asc_pull_req() {
    let m = dump(
        "0000: 52 43 15 15 14 0e 22 00 01 01 23 45 67 89 ab cd
         0010: ef e8 92 08 dd 03 8f bb 26 99 87 68 96 21 d5 22
         0020: 92 ae 9c 35 94 1a 74 84 75 6e cc ed 92 a6 50 93
         0030: ba 80 00",
    );
    assert_eq!(m.len(), 51);
    let (h, p) = decode_ok(&m);
    assert_eq!(h.extensions, 34);
    assert_eq!(
        p,
        Payload::AscPullReq(AscPullReq {
            id: 0x0123456789ABCDEF,
            body: AscPullReqBody::Blocks {
                start: h32(LIVE_KEY),
                count: 128,
                start_type: 0
            }
        })
    );
}

#[test]
fn asc_pull_req_other_types_and_malformed() {
    let mut ai = vec![2u8];
    ai.extend(7u64.to_be_bytes());
    ai.extend([3u8; 32]);
    ai.push(1);
    let (_, p) = decode_ok(&msg(LIVE, 0x0e, 33, &ai));
    assert_eq!(
        p,
        Payload::AscPullReq(AscPullReq {
            id: 7,
            body: AscPullReqBody::AccountInfo {
                target: [3; 32],
                target_type: 1
            }
        })
    );
    let mut fr = vec![3u8];
    fr.extend(8u64.to_be_bytes());
    fr.extend([4u8; 32]);
    fr.extend(1000u16.to_be_bytes());
    fr.extend([0xaa, 0xbb]); // trailing bytes are allowed
    let (_, p) = decode_ok(&msg(LIVE, 0x0e, 36, &fr));
    assert_eq!(
        p,
        Payload::AscPullReq(AscPullReq {
            id: 8,
            body: AscPullReqBody::Frontiers {
                start: [4; 32],
                count: 1000
            }
        })
    );
    let mut bad = fr.clone();
    bad[0] = 4;
    let e = decode_err(&msg(LIVE, 0x0e, 36, &bad));
    assert_eq!(
        (e.code, e.detail.as_str()),
        ("bad_asc_pull_type", "asc_pull_req type 4 is not 1, 2 or 3")
    );
    // body too short for its type
    let e = decode_err(&msg(LIVE, 0x0e, 20, &fr[..29]));
    assert_eq!(e.code, "bad_length");
}

fn ack(t: u8, id: u64, body: &[u8]) -> Vec<u8> {
    let mut p = vec![t];
    p.extend(id.to_be_bytes());
    p.extend(body);
    msg(LIVE, 0x0f, body.len() as u16, &p)
}

#[test]
fn asc_pull_ack_bodies() {
    // blocks: state block from example 2, then the live genesis open block, then 0x01
    let mut body = vec![6u8];
    body.extend(&dump(EX2)[8..]);
    body.push(4);
    let mut open = hx(LIVE_KEY).repeat(3);
    open.extend(live_genesis().signature());
    open.extend(0x62f05417dd3fb691u64.to_le_bytes());
    body.extend(&open);
    body.push(1);
    let (_, Payload::AscPullAck(a)) = decode_ok(&ack(1, 5, &body)) else {
        panic!()
    };
    assert_eq!(a.id, 5);
    let AscPullAckBody::Blocks(bs) = a.body else {
        panic!()
    };
    assert_eq!(bs.len(), 2);
    assert_eq!(hex_upper(&bs[0].hash()), EX2_HASH);
    assert_eq!(bs[1], live_genesis());
    // empty blocks answer: just the terminator
    let (_, Payload::AscPullAck(e)) = decode_ok(&ack(1, 6, &[1])) else {
        panic!()
    };
    assert_eq!(e.body, AscPullAckBody::Blocks(List::new()));
    // missing terminator, bad type byte, truncated block
    assert_eq!(
        decode_err(&ack(1, 5, &body[..body.len() - 1])).code,
        "missing_terminator"
    );
    assert_eq!(decode_err(&ack(1, 5, &[9, 1])).code, "bad_block_type");
    assert_eq!(decode_err(&ack(1, 5, &body[..100])).code, "bad_length");
    // ext 0 on an ack: no terminator at all
    assert_eq!(decode_err(&ack(1, 5, &[])).code, "missing_terminator");

    // account_info, 144 bytes
    let mut info = Vec::new();
    info.extend([1u8; 32]);
    info.extend([2u8; 32]);
    info.extend([3u8; 32]);
    info.extend(10u64.to_be_bytes());
    info.extend([4u8; 32]);
    info.extend(9u64.to_be_bytes());
    let (_, Payload::AscPullAck(a)) = decode_ok(&ack(2, 1, &info)) else {
        panic!()
    };
    assert_eq!(
        a.body,
        AscPullAckBody::AccountInfo(AccountInfo {
            account: [1; 32],
            open: [2; 32],
            head: [3; 32],
            block_count: 10,
            conf_frontier: [4; 32],
            conf_height: 9
        })
    );
    assert_eq!(decode_err(&ack(2, 1, &info[..143])).code, "bad_length");

    // frontiers: two entries then the zero terminator
    let mut fr = Vec::new();
    fr.extend([1u8; 32]);
    fr.extend([2u8; 32]);
    fr.extend([3u8; 32]);
    fr.extend([4u8; 32]);
    fr.extend([0u8; 64]);
    let (_, Payload::AscPullAck(a)) = decode_ok(&ack(3, 2, &fr)) else {
        panic!()
    };
    assert_eq!(
        a.body,
        AscPullAckBody::Frontiers(vec![([1; 32], [2; 32]), ([3; 32], [4; 32])].into())
    );
    // an entry with only the hash zero also ends the list
    let mut half = fr[..64].to_vec();
    half.extend([7u8; 32]);
    half.extend([0u8; 32]);
    let (_, Payload::AscPullAck(a)) = decode_ok(&ack(3, 2, &half)) else {
        panic!()
    };
    assert_eq!(
        a.body,
        AscPullAckBody::Frontiers(vec![([1; 32], [2; 32])].into())
    );
    assert_eq!(
        decode_err(&ack(3, 2, &fr[..128])).code,
        "missing_terminator"
    );
    assert_eq!(
        decode_err(&ack(3, 2, &fr[..150])).code,
        "missing_terminator"
    );
    let e = decode_err(&ack(0, 2, &fr));
    assert_eq!(
        (e.code, e.detail.as_str()),
        ("bad_asc_pull_type", "asc_pull_ack type 0 is not 1, 2 or 3")
    );
    // the prefix itself must fit: decode_payload with fewer than 9 bytes
    let h = parse_header(&ack(3, 2, &[])).unwrap();
    assert_eq!(
        decode_payload(&h, &[3, 0, 0]).unwrap_err().code,
        "bad_length"
    );
}

#[test]
fn example_8_telemetry_req_and_empty_bodies() {
    let (h, p) = decode_ok(&hx("52 43 15 15 14 0c 00 00"));
    assert_eq!(h.msg_name(), Some("telemetry_req"));
    assert_eq!(p, Payload::TelemetryReq);
    assert_eq!(decode_payload(&h, &[0]).unwrap_err().code, "bad_length");
    let (_, p) = decode_ok(&hx("52 43 15 15 14 07 00 00"));
    assert_eq!(p, Payload::BulkPush);
    let h = parse_header(&hx("52 43 15 15 14 07 00 00")).unwrap();
    assert_eq!(decode_payload(&h, &[1]).unwrap_err().code, "bad_length");
    // empty telemetry_ack
    let (_, p) = decode_ok(&hx("52 43 15 15 14 0d 00 00"));
    assert_eq!(p, Payload::TelemetryAck(TelemetryAck { data: None }));
}

/// A telemetry payload with distinct values in every field (R2's values), signed by the
/// dev key over bytes 64..end, with `extra` unknown bytes.
fn telemetry_payload(extra: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 64];
    p.extend(hx(DEV_PUB)); // 64 node_id
    for v in [16741u64, 16620, 0, 417, 10485760] {
        p.extend(v.to_be_bytes()); // 96..136
    }
    p.extend(8u32.to_be_bytes()); // 136 peer_count
    p.push(18); // 140 protocol_version
    p.extend(58u64.to_be_bytes()); // 141 uptime
    p.extend([0xb1u8; 32]); // 149 genesis
    p.extend([22, 1, 2, 3, 0]); // 181..186
    p.extend(1626653714795u64.to_be_bytes()); // 186 timestamp
    p.extend(0xfffffff800000000u64.to_be_bytes()); // 194 active_difficulty
    p.extend(extra);
    let sig = dev_sign(&p[64..]);
    p[..64].copy_from_slice(&sig);
    p
}

#[test]
fn telemetry_ack_field_order_signature_unknown_data() {
    let p = telemetry_payload(&[]);
    assert_eq!(p.len(), 202);
    // field positions straight from the 5.11 table
    assert_eq!(&p[136..140], &[0, 0, 0, 8]);
    assert_eq!(p[140], 18);
    assert_eq!(&p[141..149], &58u64.to_be_bytes());
    let (h, pl) = decode_ok(&msg(LIVE, 0x0d, 0x00ca, &p));
    assert_eq!(h.extensions, 202);
    let Payload::TelemetryAck(TelemetryAck { data: Some(t) }) = pl else {
        panic!()
    };
    assert_eq!(t.node_id, h32(DEV_PUB));
    assert_eq!(
        (
            t.block_count,
            t.cemented_count,
            t.unchecked_count,
            t.account_count,
            t.bandwidth_cap
        ),
        (16741, 16620, 0, 417, 10485760)
    );
    assert_eq!((t.peer_count, t.protocol_version, t.uptime), (8, 18, 58));
    assert_eq!(t.genesis_block, [0xb1; 32]);
    assert_eq!(
        (
            t.major_version,
            t.minor_version,
            t.patch_version,
            t.pre_release_version,
            t.maker
        ),
        (22, 1, 2, 3, 0)
    );
    assert_eq!(t.timestamp, 1626653714795);
    assert_eq!(t.active_difficulty, 0xfffffff800000000);
    assert!(t.unknown_data.is_empty());
    assert_eq!(t.signed_bytes(), p[64..].to_vec());
    assert!(t.verify());

    // unknown trailing bytes are kept and signed
    let p2 = telemetry_payload(&[0xde, 0xad, 0xbe]);
    let (_, Payload::TelemetryAck(TelemetryAck { data: Some(t2) })) =
        decode_ok(&msg(LIVE, 0x0d, 205, &p2))
    else {
        panic!()
    };
    assert_eq!(t2.unknown_data, vec![0xde, 0xad, 0xbe]);
    assert!(t2.verify());
    let mut t3 = t2.clone();
    t3.unknown_data.pop();
    assert!(!t3.verify());
    // ext bits above the 0x3ff mask are not part of the size
    assert!(decode_message(&msg(LIVE, 0x0d, 0x0400 | 202, &p))
        .unwrap()
        .1
        .is_ok());
    // fewer than 202 bytes
    let e = decode_err(&msg(LIVE, 0x0d, 201, &p[..201]));
    assert_eq!(e.code, "bad_length");
}

#[test]
fn frontier_req_bulk_pull_account_bulk_pull_blocks() {
    let mut fr = vec![5u8; 32];
    fr.extend(0xffffffffu32.to_le_bytes());
    fr.extend(0x00100000u32.to_le_bytes());
    let (_, p) = decode_ok(&msg(LIVE, 0x08, 0x0002, &fr));
    assert_eq!(
        p,
        Payload::FrontierReq(FrontierReq {
            start: [5; 32],
            age: u32::MAX,
            count: 0x00100000,
            only_confirmed: true
        })
    );
    let h = parse_header(&hdr(LIVE, 0x08, 0)).unwrap();
    assert_eq!(
        decode_payload(&h, &fr[..39]).unwrap_err().code,
        "bad_length"
    );

    let mut bpa = vec![6u8; 32];
    bpa.extend(1_000_000u128.to_be_bytes());
    bpa.push(2);
    let (_, p) = decode_ok(&msg(LIVE, 0x0b, 0, &bpa));
    assert_eq!(
        p,
        Payload::BulkPullAccount(BulkPullAccount {
            account: [6; 32],
            minimum_amount: 1_000_000,
            flags: 2
        })
    );
    let h = parse_header(&hdr(LIVE, 0x0b, 0)).unwrap();
    assert_eq!(
        decode_payload(&h, &bpa[..48]).unwrap_err().code,
        "bad_length"
    );

    let mut bpb = vec![1u8; 32];
    bpb.extend([2u8; 32]);
    bpb.push(1);
    bpb.extend(77u32.to_le_bytes());
    let (_, p) = decode_ok(&msg(LIVE, 0x09, 0, &bpb));
    assert_eq!(
        p,
        Payload::BulkPullBlocks(BulkPullBlocks {
            min_hash: [1; 32],
            max_hash: [2; 32],
            mode: 1,
            max_count: 77
        })
    );
    let h = parse_header(&hdr(LIVE, 0x09, 0)).unwrap();
    assert_eq!(
        decode_payload(&h, &bpb[..68]).unwrap_err().code,
        "bad_length"
    );
}

#[test]
fn decode_payload_unknown_type() {
    for t in [0u8, 1, 0x10] {
        let h = parse_header(&hdr(LIVE, t, 0)).unwrap();
        assert_eq!(decode_payload(&h, &[]).unwrap_err().code, "unknown_type");
    }
}

// ---------- stream framing ----------

#[test]
fn decode_message_framing_and_incomplete() {
    let mut two = dump(EX3);
    let mut second = hx("52 43 15 15 14 0c 00 00");
    two.append(&mut second);
    let (h, p, used) = decode_message(&two).unwrap();
    assert_eq!((h.msg_type, used), (5, 144));
    assert!(p.is_ok());
    let (h2, p2, used2) = decode_message(&two[used..]).unwrap();
    assert_eq!(
        (h2.msg_type, used2, p2),
        (0x0c, 8, Ok(Payload::TelemetryReq))
    );
    // incomplete: exact number of missing bytes
    assert_eq!(
        decode_message(&two[..3]),
        Err(DecodeError::Incomplete { needed: 5 })
    );
    assert_eq!(
        decode_message(&two[..8]),
        Err(DecodeError::Incomplete { needed: 136 })
    );
    assert_eq!(
        decode_message(&two[..143]),
        Err(DecodeError::Incomplete { needed: 1 })
    );
    // unframeable header
    let e = decode_message(&hx("52 43 15 15 14 01 00 00")).unwrap_err();
    assert!(matches!(
        e,
        DecodeError::Malformed(Malformed {
            code: "unknown_type",
            ..
        })
    ));
    // a malformed payload is still framed and consumed
    let mut bp = hx("52 43 15 15 14 06 01 00");
    bp.extend([1u8; 72]);
    let (_, p, used) = decode_message(&bp).unwrap();
    assert_eq!((used, p.unwrap_err().code), (80, "bad_extended"));
}

// ---------- UDP ----------

fn udp_hdr(using: u8, t: u8, ext: u16) -> Vec<u8> {
    let mut h = hdr(LIVE, t, ext);
    h[2] = using;
    h[3] = using;
    h[4] = 0x0d.min(using);
    h
}

#[test]
fn datagram_rules() {
    // a current message as a datagram
    let (h, p) = decode_datagram(&dump(EX3)).unwrap();
    assert_eq!(h.msg_type, 5);
    assert!(p.is_ok());
    // trailing bytes: header still reported
    let mut t = dump(EX3);
    t.push(0);
    let (h, p) = decode_datagram(&t).unwrap();
    assert_eq!(h.msg_type, 5);
    let e = p.unwrap_err();
    assert_eq!(
        (e.code, e.detail.as_str()),
        ("trailing_bytes", "1 bytes after the 136-byte payload")
    );
    // truncated
    let (_, p) = decode_datagram(&dump(EX3)[..100]).unwrap();
    assert_eq!(p.unwrap_err().code, "truncated");
    // unframeable type inside a plausible datagram
    let (_, p) = decode_datagram(&hx("52 43 15 15 14 03 00 09")).unwrap();
    assert_eq!(p.unwrap_err().code, "bad_block_type");
    // not Nano
    assert_eq!(decode_datagram(&hx("52 43 15 15 14 02 00")), None);
    assert_eq!(decode_datagram(&hx("47 45 54 20 2f 20 48 54")), None);
    assert_eq!(decode_datagram(&hx("52 44 15 15 14 02 00 00")), None);
    assert_eq!(decode_datagram(&hx("52 43 00 00 00 02 00 00")), None);
    assert_eq!(decode_datagram(&hx("52 43 65 65 14 0c 00 00")), None); // using 101
                                                                       // A Nano header with a type this decoder does not know is a row with an error, so a
                                                                       // future message type shows up instead of vanishing.
    let (h, p) = decode_datagram(&hx("52 43 15 15 14 10 00 00")).unwrap();
    assert_eq!((h.msg_type, p.unwrap_err().code), (0x10, "unknown_type"));
    let (_, p) = decode_datagram(&hx("52 43 15 15 14 01 00 00")).unwrap();
    assert_eq!(p.unwrap_err().code, "unknown_type");
    // old versions with max < min are still rows
    assert!(decode_datagram(&hx("52 43 07 07 0d 0c 00 00")).is_some());
}

#[test]
fn datagram_proto_16_vote_hashes_to_end() {
    let mut d = udp_hdr(16, 0x05, 0x0100); // by hash, count 0 in the header
    d.extend([1u8; 32]);
    d.extend([2u8; 64]);
    d.extend(5u64.to_le_bytes());
    for i in 0..3u8 {
        d.extend([0x10 + i; 32]);
    }
    let (h, p) = decode_datagram(&d).unwrap();
    assert_eq!(h.version_using, 16);
    let Ok(Payload::ConfirmAck(a)) = p else {
        panic!()
    };
    assert_eq!(a.vote.hashes, vec![[0x10; 32], [0x11; 32], [0x12; 32]]);
    assert_eq!(a.vote.timing(16), VoteTiming::Sequence(5));
    d.push(0);
    let (_, p) = decode_datagram(&d).unwrap();
    assert_eq!(p.unwrap_err().code, "bad_length");
    // the same bytes over TCP would be framed by the header count (0)
    let (_, p, used) = decode_message(&d).unwrap();
    assert_eq!((used, p.is_ok()), (8 + 104, true));
}

#[test]
fn datagram_v18_confirm_req_body_count() {
    let mut d = udp_hdr(16, 0x04, 0x0100);
    d.push(2);
    d.extend([1u8; 32]);
    d.extend([2u8; 32]);
    d.extend([0u8; 32]); // zero hash: no root follows
    let (_, p) = decode_datagram(&d).unwrap();
    assert_eq!(
        p,
        Ok(Payload::ConfirmReq(ConfirmReq::ByHash {
            pairs: vec![([1; 32], [2; 32]), ([0; 32], [0; 32])].into(),
            v18_body_count: true
        }))
    );
    let mut long = d.clone();
    long.extend([3, 4]);
    let (_, p) = decode_datagram(&long).unwrap();
    assert_eq!(p.unwrap_err().code, "trailing_bytes");
    let (_, p) = decode_datagram(&d[..60]).unwrap();
    assert_eq!(p.unwrap_err().code, "bad_length");
    let mut empty = udp_hdr(16, 0x04, 0x0100);
    empty.push(0);
    let (_, p) = decode_datagram(&empty).unwrap();
    assert_eq!(p.unwrap_err().code, "empty_confirm_req");
    // proto 17 (V19) uses the header count even over UDP
    let mut v19 = udp_hdr(17, 0x04, 0x1100);
    v19.extend([1u8; 64]);
    let (_, p) = decode_datagram(&v19).unwrap();
    assert!(matches!(
        p,
        Ok(Payload::ConfirmReq(ConfirmReq::ByHash {
            v18_body_count: false,
            ..
        }))
    ));
    // legacy block form at proto 16 uses the block size
    let mut blk = udp_hdr(16, 0x04, 0x0600);
    blk.extend(&dump(EX2)[8..]);
    let (_, p) = decode_datagram(&blk).unwrap();
    assert!(matches!(p, Ok(Payload::ConfirmReq(ConfirmReq::Block(_)))));
}

// ---------- headerless streams ----------

#[test]
fn stream_frontiers() {
    let mut s = vec![1u8; 32];
    s.extend([2u8; 32]);
    s.extend([0u8; 64]);
    assert_eq!(
        decode_stream_entry(StreamKind::Frontiers, &s),
        Ok((
            StreamEntry::Frontier {
                account: [1; 32],
                hash: [2; 32]
            },
            64
        ))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Frontiers, &s[64..]),
        Ok((StreamEntry::End, 64))
    );
    // a zero account ends the stream even with a non-zero hash
    let mut z = vec![0u8; 32];
    z.extend([9u8; 32]);
    assert_eq!(
        decode_stream_entry(StreamKind::Frontiers, &z),
        Ok((StreamEntry::End, 64))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Frontiers, &s[..10]),
        Err(DecodeError::Incomplete { needed: 54 })
    );
}

#[test]
fn stream_blocks() {
    let mut s = vec![6u8];
    s.extend(&dump(EX2)[8..]);
    s.push(1);
    let (e, used) = decode_stream_entry(StreamKind::Blocks, &s).unwrap();
    assert_eq!(used, 217);
    let StreamEntry::Block(b) = e else { panic!() };
    assert_eq!(hex_upper(&b.hash()), EX2_HASH);
    assert_eq!(
        decode_stream_entry(StreamKind::Blocks, &s[217..]),
        Ok((StreamEntry::End, 1))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Blocks, &[]),
        Err(DecodeError::Incomplete { needed: 1 })
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Blocks, &s[..100]),
        Err(DecodeError::Incomplete { needed: 117 })
    );
    for bad in [0u8, 7, 0xff] {
        let e = decode_stream_entry(StreamKind::Blocks, &[bad, 0, 0]).unwrap_err();
        let DecodeError::Malformed(m) = e else {
            panic!()
        };
        assert_eq!(m.code, "bad_block_type");
    }
}

#[test]
fn stream_bulk_pull_account_response() {
    let mut head = vec![3u8; 32];
    head.extend(500u128.to_be_bytes());
    assert_eq!(
        decode_stream_entry(StreamKind::AccountFrontier, &head),
        Ok((
            StreamEntry::AccountFrontier {
                frontier_hash: [3; 32],
                balance: 500
            },
            48
        ))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::AccountFrontier, &head[..47]),
        Err(DecodeError::Incomplete { needed: 1 })
    );
    // flags 0
    let mut e0 = vec![4u8; 32];
    e0.extend(7u128.to_be_bytes());
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 0 }, &e0),
        Ok((
            StreamEntry::PendingEntry {
                hash: Some([4; 32]),
                amount: Some(7),
                source: None
            },
            48
        ))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 0 }, &[0; 48]),
        Ok((StreamEntry::End, 48))
    );
    // flags 1
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 1 }, &[5; 40]),
        Ok((
            StreamEntry::PendingEntry {
                hash: None,
                amount: None,
                source: Some([5; 32])
            },
            32
        ))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 1 }, &[0; 32]),
        Ok((StreamEntry::End, 32))
    );
    // flags 2
    let mut e2 = e0.clone();
    e2.extend([6u8; 32]);
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 2 }, &e2),
        Ok((
            StreamEntry::PendingEntry {
                hash: Some([4; 32]),
                amount: Some(7),
                source: Some([6; 32])
            },
            80
        ))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 2 }, &[0; 80]),
        Ok((StreamEntry::End, 80))
    );
    assert_eq!(
        decode_stream_entry(StreamKind::Pending { flags: 2 }, &[0; 48]),
        Err(DecodeError::Incomplete { needed: 32 })
    );
    let DecodeError::Malformed(m) =
        decode_stream_entry(StreamKind::Pending { flags: 3 }, &[0; 80]).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(m.code, "bad_pending_flags");
}

// ---------- never panic ----------

use super::test_rng::Rng;

fn exercise(buf: &[u8]) {
    let _ = decode_message(buf);
    let _ = decode_datagram(buf);
    let _ = is_plausible_header(buf);
    if let Ok(h) = parse_header(buf) {
        let _ = payload_len(&h);
        let rest = &buf[8..];
        let _ = decode_payload(&h, rest);
        // the same bytes under every message type
        for t in 0..=16u8 {
            let h2 = Header { msg_type: t, ..h };
            let _ = decode_payload(&h2, rest);
        }
    }
    for kind in [
        StreamKind::Frontiers,
        StreamKind::Blocks,
        StreamKind::AccountFrontier,
        StreamKind::Pending { flags: 0 },
        StreamKind::Pending { flags: 1 },
        StreamKind::Pending { flags: 2 },
        StreamKind::Pending { flags: 7 },
    ] {
        let _ = decode_stream_entry(kind, buf);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E3779B97F4A7C15);
    // Pure noise with a Nano-looking header half the time.
    for i in 0..20_000 {
        let len = rng.below(400);
        let mut b = rng.bytes(len);
        if i % 2 == 0 && b.len() >= 8 {
            b[0] = 0x52;
            b[1] = [0x41, 0x42, 0x43, 0x58][rng.below(4)];
            b[3] = [0x10, 0x12, 0x15][rng.below(3)];
            b[5] = rng.below(17) as u8;
            b[7] &= 0xf7; // mostly block types 0..7
        }
        exercise(&b);
    }
    // Mutations and truncations of every valid example.
    let mut ka = dump(EX1);
    ka.resize(152, 0);
    let seeds = vec![ka, dump(EX2), dump(EX3), hx("52 43 15 15 14 0c 00 00")];
    for seed in &seeds {
        for cut in 0..=seed.len() {
            exercise(&seed[..cut]);
        }
        for _ in 0..3000 {
            let mut m = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(m.len());
                m[at] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                let n = rng.below(300);
                let extra = rng.bytes(n);
                m.extend(extra);
            }
            exercise(&m);
        }
    }
    // Large payloads for the length-from-header types.
    for t in [0x0d_u8, 0x0e, 0x0f] {
        for _ in 0..200 {
            let ext = rng.next() as u16;
            let mut m = hdr(LIVE, t, ext);
            let n = rng.below(70_000);
            m.extend(rng.bytes(n));
            exercise(&m);
        }
    }
}

// ---------- real capture (skipped when the file is absent) ----------

/// Reassembles each TCP direction of the real dev-network capture of
/// `NANOCAP_CAPTURES` (optional test input) and decodes it end to end: the
/// message counts must equal the nodes' own statistics, every payload must decode,
/// every vote and telemetry signature must verify.
#[test]
fn real_capture_decodes_with_the_nodes_counts() {
    use std::collections::BTreeMap;
    let Some(path) = crate::test_support::real_capture("rsnano_dev_live_small.pcap") else {
        return;
    };
    let file = std::fs::File::open(&path).unwrap();
    let mut reader = pcap_file::pcap::PcapReader::new(file).unwrap();
    type Key = ([u8; 4], u16, [u8; 4], u16);
    // Segments per direction as (sequence number, bytes); assembled after sorting
    // because loopback captures can hold segments out of order.
    let mut segs: BTreeMap<Key, Vec<(u32, Vec<u8>)>> = BTreeMap::new();
    let mut order: Vec<Key> = Vec::new();
    while let Some(pkt) = reader.next_packet() {
        let pkt = pkt.unwrap();
        let Ok(sp) = etherparse::SlicedPacket::from_ethernet(&pkt.data) else {
            continue;
        };
        let (Some(etherparse::NetSlice::Ipv4(ip)), Some(etherparse::TransportSlice::Tcp(tcp))) =
            (sp.net, sp.transport)
        else {
            continue;
        };
        let key = (
            ip.header().source_addr().octets(),
            tcp.source_port(),
            ip.header().destination_addr().octets(),
            tcp.destination_port(),
        );
        let list = segs.entry(key).or_insert_with(|| {
            order.push(key);
            Vec::new()
        });
        let seq = tcp.sequence_number().wrapping_add(tcp.syn() as u32);
        list.push((seq, tcp.payload().to_vec()));
    }
    let mut dirs: BTreeMap<Key, Vec<u8>> = BTreeMap::new();
    for (key, list) in &mut segs {
        let first = list[0].0;
        list.sort_by_key(|(seq, _)| seq.wrapping_sub(first) as i32);
        let mut next = list
            .iter()
            .find(|(_, d)| !d.is_empty())
            .map_or(first, |(seq, _)| *seq);
        let mut buf = Vec::new();
        // Pure ACK/FIN segments carry no bytes (a FIN's sequence number is not data).
        for (seq, data) in list.iter().filter(|(_, d)| !d.is_empty()) {
            let ahead = seq.wrapping_sub(next) as i32;
            assert!(ahead <= 0, "gap of {ahead} bytes in {key:?}");
            let skip = (-ahead) as usize;
            if skip < data.len() {
                buf.extend_from_slice(&data[skip..]);
                next = seq.wrapping_add(data.len() as u32);
            }
        }
        dirs.insert(*key, buf);
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut details: BTreeMap<String, usize> = BTreeMap::new();
    let (mut bad_votes, mut bad_telemetry, mut frontiers, mut pushed) = (0, 0, 0, 0);
    for key in &order {
        let buf = &dirs[key];
        let mut at = 0;
        let headered = is_plausible_header(buf);
        while at < buf.len() {
            if !headered {
                // bootstrap server direction: frontier streams
                let (e, used) = decode_stream_entry(StreamKind::Frontiers, &buf[at..]).unwrap();
                at += used;
                if e != StreamEntry::End {
                    frontiers += 1;
                }
                continue;
            }
            let (h, p, used) = decode_message(&buf[at..]).unwrap_or_else(|e| {
                panic!(
                    "{key:?} at {at}: {e} {}",
                    hex_upper(&buf[at..(at + 16).min(buf.len())])
                )
            });
            at += used;
            let p = p.unwrap_or_else(|e| panic!("{key:?} at {at}: {e}"));
            *counts.entry(h.msg_name().unwrap()).or_default() += 1;
            let line = match &p {
                Payload::ConfirmAck(a) => Some(format!(
                    "confirm_ack hashes={} {}{}",
                    a.vote.hashes.len(),
                    if a.vote.timing(h.version_using) == VoteTiming::Final {
                        "final"
                    } else {
                        "non-final"
                    },
                    if a.rebroadcasted {
                        " rebroadcasted"
                    } else {
                        ""
                    }
                )),
                Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. }) => {
                    Some(format!("confirm_req pairs={}", pairs.len()))
                }
                Payload::Publish(p) => Some(format!(
                    "publish {}{}",
                    block_type_name(p.block.block_type() as u8).unwrap(),
                    if p.originator { " originator" } else { "" }
                )),
                Payload::NodeIdHandshake(_) => Some(format!(
                    "node_id_handshake ext=0x{:04x} len={}",
                    h.extensions,
                    used - 8
                )),
                _ => None,
            };
            if let Some(line) = line {
                *details.entry(line).or_default() += 1;
            }
            match &p {
                Payload::ConfirmAck(a) if !a.vote.verify() => bad_votes += 1,
                Payload::TelemetryAck(TelemetryAck { data: Some(t) }) if !t.verify() => {
                    bad_telemetry += 1
                }
                Payload::BulkPush => loop {
                    let (e, used) = decode_stream_entry(StreamKind::Blocks, &buf[at..]).unwrap();
                    at += used;
                    if e == StreamEntry::End {
                        break;
                    }
                    pushed += 1;
                },
                _ => {}
            }
        }
    }
    let expected = [
        ("asc_pull_ack", 2821),
        ("asc_pull_req", 2821),
        ("bulk_push", 8),
        ("confirm_ack", 155),
        ("confirm_req", 144),
        ("frontier_req", 8),
        ("keepalive", 185),
        ("node_id_handshake", 7),
        ("publish", 1232),
        ("telemetry_ack", 104),
    ];
    assert_eq!(counts.into_iter().collect::<Vec<_>>(), expected.to_vec());
    assert_eq!((bad_votes, bad_telemetry), (0, 0));
    // The independent parser's detail counts from the capture's README.
    let readme = "47 confirm_ack hashes=1 final|6 confirm_ack hashes=1 final rebroadcasted|\
        17 confirm_ack hashes=1 non-final|6 confirm_ack hashes=1 non-final rebroadcasted|\
        21 confirm_ack hashes=2 final|16 confirm_ack hashes=2 non-final|\
        17 confirm_ack hashes=3 final|9 confirm_ack hashes=3 non-final|\
        10 confirm_ack hashes=4 final|6 confirm_ack hashes=4 non-final|\
        93 confirm_req pairs=1|19 confirm_req pairs=2|12 confirm_req pairs=3|8 confirm_req pairs=4|\
        4 confirm_req pairs=5|3 confirm_req pairs=6|3 confirm_req pairs=8|2 confirm_req pairs=9|\
        3 node_id_handshake ext=0x0005 len=32|1 node_id_handshake ext=0x0006 len=160|\
        3 node_id_handshake ext=0x0007 len=192|3 publish change|1 publish change originator|\
        3 publish open|1 publish open originator|1 publish receive originator|6 publish send|\
        2 publish send originator|1148 publish state|67 publish state originator";
    let expected: BTreeMap<String, usize> = readme
        .split('|')
        .map(|l| {
            let (n, what) = l.trim().split_once(' ').unwrap();
            (what.to_string(), n.parse().unwrap())
        })
        .collect();
    assert_eq!(details, expected);
    eprintln!("frontier entries {frontiers}, pushed blocks {pushed}");
}
