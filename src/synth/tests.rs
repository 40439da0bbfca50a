//! Tests of the generator against docs/protocol.md's worked examples, and of its output
//! files against the pcap-file reader.

use super::encode::*;
use super::keys::{self, hex32, Key, DEV_GENESIS_HASH, DEV_PUBLIC_KEY, LIVE_GENESIS_ACCOUNT};
use super::messages::Factory;
use super::*;
use crate::protocol::types::*;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn dev_header(msg_type: u8, ext: u16) -> Header {
    Header {
        network: 0x5241,
        version_max: 0x15,
        version_using: 0x15,
        version_min: 0x14,
        msg_type,
        extensions: ext,
    }
}

fn encode_msg(h: &Header, p: &Payload) -> Vec<u8> {
    let mut v = Vec::new();
    header_bytes(h, &mut v);
    payload_bytes(p, &mut v);
    v
}

/// docs/protocol.md section 10, example 2, minus the offset column.
const EXAMPLE2: &str = "
52 41 15 15 14 03 00 06 b0 31 1e a5 57 08 d6 a5 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
a2 42 e4 31 f9 e8 b6 d0 04 27 0d 7f 11 c4 b2 b4 72 f2 85 4c 5a 59 f2 a7 e8 42 26 ce 9e d7 99 de
75 74 4b d7 d8 5f c9 d9 b0 31 1e a5 57 08 d6 a5 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
a2 42 e4 31 f9 e8 b6 d0 ff ff ff f3 60 d3 63 2f b9 8b 12 15 bf ff ff ff e8 92 08 dd 03 8f bb 26
99 87 68 96 21 d5 22 92 ae 9c 35 94 1a 74 84 75 6e cc ed 92 a6 50 93 ba 57 ba 85 b9 c4 65 6e 70
fe 42 57 d4 8a 38 8b c3 e9 ec 0a c9 b1 32 8c 7b 5d 8d e1 84 3b 25 9a d0 b8 50 ae d0 0a 19 86 7f
10 df b7 f1 ab 12 e5 6d 22 b3 b3 48 51 a9 8e aa 2d a8 d3 02 b8 4a ee 03 00 00 00 00 00 00 04 1e";

const EXAMPLE3: &str = "
52 41 15 15 14 05 00 11 b0 31 1e a5 57 08 d6 a5 3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
a2 42 e4 31 f9 e8 b6 d0 5e 50 91 7a cf f4 7a 01 3f 7d b7 2c 5e b4 5d c5 27 0a 78 b4 c3 b2 fc c1
76 29 3a ab 53 5d 6f 63 98 c2 6b 81 59 15 88 46 9b 6f c6 ee 32 83 f6 ca 89 ec 62 98 7e 04 4c a2
21 58 27 7d 95 3b 3d 02 09 68 e5 cf 8b 01 00 00 a1 a7 2d 9c ad 3c 5f a8 09 1f da ac ed 6b 47 20
8e 3f 66 bb 3d 0e 3a a1 bc 30 0d aa 77 61 21 55";

fn example2_block() -> StateBlock {
    StateBlock {
        account: DEV_PUBLIC_KEY,
        previous: DEV_GENESIS_HASH,
        representative: DEV_PUBLIC_KEY,
        balance: 0xFFFFFFF360D3632FB98B1215BFFFFFFF,
        link: LIVE_GENESIS_ACCOUNT,
        signature: [0; 64],
        work: 0x41e,
    }
}

#[test]
fn example2_publish_state_block_bytes_with_signature() {
    let mut b = example2_block();
    let hash = keys::block_hash(&Block::State(b.clone()));
    b.signature = Key::dev().sign(&hash);
    let p = Payload::Publish(Publish {
        block: Block::State(b),
        originator: false,
    });
    assert_eq!(extensions_for(&p, false, false), 0x0600);
    let bytes = encode_msg(&dev_header(PUBLISH, 0x0600), &p);
    assert_eq!(bytes.len(), 224);
    assert_eq!(bytes, unhex(EXAMPLE2));
}

#[test]
fn example3_confirm_ack_bytes_and_vote_hash() {
    let h = hex32("A1A72D9CAD3C5FA8091FDAACED6B47208E3F66BB3D0E3AA1BC300DAA77612155");
    let ts = 0x0000018BCFE56809u64;
    let sig = Key::dev().sign(&keys::vote_hash(&[h], ts));
    let p = Payload::ConfirmAck(ConfirmAck {
        vote: Vote {
            account: DEV_PUBLIC_KEY,
            signature: sig,
            timestamp_raw: ts,
            hashes: vec![h].into(),
            block: None,
        },
        rebroadcasted: false,
    });
    assert_eq!(extensions_for(&p, false, false), 0x1100);
    assert_eq!(
        encode_msg(&dev_header(CONFIRM_ACK, 0x1100), &p),
        unhex(EXAMPLE3)
    );
}

#[test]
fn example4_handshake_v2_signature() {
    let c1: Vec<u8> = (0x40..=0x5f).collect();
    let salt: Vec<u8> = (0x60..=0x7f).collect();
    let mut signed = c1.clone();
    signed.extend_from_slice(&salt);
    signed.extend_from_slice(&DEV_GENESIS_HASH);
    let sig = Key::dev().sign(&signed);
    assert_eq!(
        keys::hex_upper(&sig[..16]),
        "B3EADD438CDA06C77D49048E7931F770"
    );
    assert_eq!(
        keys::hex_upper(&sig[48..]),
        "6AE721FD92D13F69D618594D6468DF09"
    );
}

#[test]
fn example6_bulk_pull_and_example7_asc_pull_req() {
    let p = Payload::BulkPull(BulkPull {
        start: LIVE_GENESIS_ACCOUNT,
        end: [0; 32],
        count: Some(128),
        ascending: false,
    });
    let mut h = dev_header(BULK_PULL, extensions_for(&p, false, false));
    h.network = 0x5243;
    let b = encode_msg(&h, &p);
    assert_eq!(b.len(), 80);
    assert_eq!(&b[..8], &[0x52, 0x43, 0x15, 0x15, 0x14, 0x06, 0x01, 0x00]);
    assert_eq!(&b[72..], &[0x00, 0x80, 0, 0, 0, 0, 0, 0]);

    let p = Payload::AscPullReq(AscPullReq {
        id: 0x0123456789ABCDEF,
        body: AscPullReqBody::Blocks {
            start: LIVE_GENESIS_ACCOUNT,
            count: 128,
            start_type: 0,
        },
    });
    let mut h = dev_header(ASC_PULL_REQ, extensions_for(&p, false, false));
    h.network = 0x5243;
    let want = unhex(
        "52 43 15 15 14 0e 22 00 01 01 23 45 67 89 ab cd ef e8 92 08 dd 03 8f bb 26 99 87 68 96 21 d5 22
         92 ae 9c 35 94 1a 74 84 75 6e cc ed 92 a6 50 93 ba 80 00",
    );
    assert_eq!(encode_msg(&h, &p), want);
}

#[test]
fn v2_count_encodings_match_protocol_table() {
    assert_eq!(0x0100 | count_bits(16, false), 0x1101);
    assert_eq!(0x0100 | count_bits(20, false), 0x1141);
    assert_eq!(0x0100 | count_bits(255, false), 0xF1F1);
    assert_eq!(0x0100 | count_bits(1, false), 0x1100);
    assert_eq!(0x0100 | count_bits(15, false), 0xF100);
}

#[test]
fn telemetry_ack_is_202_bytes_and_signed() {
    let mut f = Factory::new(Network::Dev, 3);
    let m = f.telemetry_ack(0, 0);
    assert_eq!(m.bytes.len(), 8 + 202);
    assert_eq!(m.truth.extensions, 202);
    assert_eq!(m.truth.signature_valid, Some(true));
    let m = f.telemetry_ack(0, 6);
    assert_eq!(m.bytes.len(), 8 + 208);
    let m = f.telemetry_ack_empty();
    assert_eq!(m.bytes.len(), 8);
}

#[test]
fn dev_blocks_have_valid_work_and_signatures() {
    let mut f = Factory::new(Network::Dev, 9);
    for t in [
        BlockType::Send,
        BlockType::Receive,
        BlockType::Open,
        BlockType::Change,
        BlockType::State,
    ] {
        let b = f.block(t);
        let bt = f.block_truth(&b);
        assert!(bt.work_valid, "{t:?}");
        if matches!(t, BlockType::Open | BlockType::State) {
            assert_eq!(bt.signature_valid, Some(true));
        }
    }
    let mut live = Factory::new(Network::Live, 9);
    let b = live.block(BlockType::State);
    // Live work is not searched; a random nonce failing ffffffc0.. is ~certain.
    assert!(!live.block_truth(&b).work_valid);
}

#[test]
fn same_seed_same_bytes() {
    let (a, ta) = presets::udp_all_types(42);
    let (b, tb) = presets::udp_all_types(42);
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    let (c, _) = presets::udp_all_types(43);
    assert_ne!(a, c);
    let (x, _) = presets::tcp_realistic(5);
    let (y, _) = presets::tcp_realistic(5);
    assert_eq!(x, y);
    let cfg = Config::new(3000);
    let (g1, t1) = generate(&cfg, Vec::new()).unwrap();
    let (g2, t2) = generate(&cfg, Vec::new()).unwrap();
    assert_eq!(g1, g2);
    assert_eq!(t1, t2);
    assert_eq!(t1.message_count, 3000);
}

fn pcapng_records(data: &[u8]) -> (u64, Vec<u16>) {
    let (n, links, _) = pcapng_read(data);
    (n, links)
}

/// (records, sorted link types, timestamp in µs per record).
fn pcapng_read(data: &[u8]) -> (u64, Vec<u16>, Vec<i64>) {
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
    use pcap_file::pcapng::{Block as NgBlock, PcapNgReader};
    let mut r = PcapNgReader::new(data).expect("pcapng header");
    let mut n = 0;
    let mut links = Vec::new();
    let mut times = Vec::new();
    let mut nanos = Vec::new();
    while let Some(b) = r.next_block() {
        match b.expect("block") {
            NgBlock::EnhancedPacket(p) => {
                n += 1;
                // pcap-file 2.0 ignores if_tsresol: its Duration holds the raw count.
                let raw = p.timestamp.as_nanos() as i64;
                let ns = nanos.get(p.interface_id as usize).copied().unwrap_or(false);
                times.push(if ns { raw / 1000 } else { raw });
            }
            NgBlock::InterfaceDescription(i) => {
                links.push(u32::from(i.linktype) as u16);
                nanos.push(
                    i.options
                        .iter()
                        .any(|o| matches!(o, InterfaceDescriptionOption::IfTsResol(9))),
                );
            }
            _ => {}
        }
    }
    links.sort_unstable();
    (n, links, times)
}

#[test]
fn udp_all_types_parses_back_with_every_link_type() {
    let (data, truth) = presets::udp_all_types(1);
    let (n, links, times) = pcapng_read(&data);
    // Timestamps agree on µs and ns (if_tsresol 9) interfaces alike.
    for m in &truth.messages {
        assert_eq!(
            times[m.frame as usize - 1],
            m.time_usec,
            "frame {}",
            m.frame
        );
    }
    assert_eq!(n, truth.records);
    assert_eq!(links, vec![0, 1, 12, 101, 108, 113, 228, 229, 276]);
    assert_eq!(links, truth.link_types);
    // Every message type appears.
    for name in [
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
    ] {
        assert!(truth.counts.get(name).copied().unwrap_or(0) > 0, "{name}");
    }
    assert_eq!(truth.malformed_count, 7);
    assert_eq!(truth.skipped.non_nano_udp, 2);
    assert_eq!(truth.skipped.non_ip, 1);
    assert_eq!(truth.skipped.ip_fragments, 2 + 1);
    // Ids in order, frames strictly increasing for UDP, within the file.
    for (i, m) in truth.messages.iter().enumerate() {
        assert_eq!(m.id, i as u64 + 1);
        assert!(m.frame >= 1 && m.frame <= truth.records);
        if i > 0 {
            assert!(m.frame > truth.messages[i - 1].frame);
        }
    }
}

#[test]
fn pcap_variants_parse_back() {
    use pcap_file::pcap::PcapReader;
    for (nanos, be) in [(false, false), (true, false), (false, true), (true, true)] {
        let fmt = Format::Pcap {
            nanos,
            big_endian: be,
        };
        let (data, truth) = presets::preset_bytes(Preset::Link(Link::Sll2), 7, fmt);
        let mut r = PcapReader::new(&data[..]).expect("pcap header");
        assert_eq!(u32::from(r.header().datalink), 276);
        assert_eq!(
            r.header().ts_resolution == pcap_file::TsResolution::NanoSecond,
            nanos
        );
        let mut n = 0;
        let mut first_ts = None;
        while let Some(p) = r.next_packet() {
            let p = p.expect("packet");
            first_ts.get_or_insert(p.timestamp);
            n += 1;
        }
        assert_eq!(n, truth.records);
        let first = &truth.messages[0];
        assert_eq!(first_ts.unwrap().as_micros() as i64, first.time_usec);
    }
}

#[test]
fn truncated_file_cuts_last_record() {
    let (full, t) = presets::write_preset(
        Preset::Link(Link::Ethernet),
        3,
        Format::Pcap {
            nanos: false,
            big_endian: false,
        },
        true,
        Vec::new(),
    )
    .unwrap();
    assert!(t.truncated_last_record);
    use pcap_file::pcap::PcapReader;
    let mut r = PcapReader::new(&full[..]).unwrap();
    let mut ok = 0;
    let mut err = 0;
    while let Some(p) = r.next_packet() {
        if p.is_ok() {
            ok += 1
        } else {
            err += 1;
            break;
        }
    }
    assert_eq!(ok + 1, t.records);
    assert_eq!(err, 1);
}

#[test]
fn tcp_realistic_truth_is_consistent() {
    let (data, t) = presets::tcp_realistic(11);
    let (n, _) = pcapng_records(&data);
    assert_eq!(n, t.records);
    assert_eq!(t.tcp_connections, 8);
    for w in t.messages.windows(2) {
        assert!(w[1].frame >= w[0].frame);
    }
    // frontier_req stream (12 entries), bulk_push (3), 4 bulk_pulls (one not terminated),
    // 3 bulk_pull_account streams, 2 bulk_pull_blocks streams (3 blocks, then none).
    assert_eq!(t.streams.len(), 1 + 1 + 4 + 3 + 2);
    let bpb: Vec<_> = t
        .streams
        .iter()
        .filter(|s| s.request_type == BULK_PULL_BLOCKS)
        .map(|s| (s.entries, s.terminated))
        .collect();
    assert_eq!(bpb, [(3, true), (0, true)]);
    assert_eq!(t.streams.iter().filter(|s| !s.terminated).count(), 1);
    let fr = t
        .streams
        .iter()
        .find(|s| s.request_type == FRONTIER_REQ)
        .unwrap();
    assert_eq!(fr.entries, 12);
    let req = &t.messages[fr.request_id as usize - 1];
    assert_eq!(req.msg_name, "frontier_req");
    assert!(t.lost_messages >= 1);
    assert!(t.messages.iter().any(|m| m.after_gap));
    assert!(t.messages.iter().all(|m| m.transport == "tcp"));
    // Handshake responses carry valid signatures; one whose peer query (cookie) fell
    // before the capture started cannot be checked and says so.
    let responses: Vec<Option<bool>> = t
        .messages
        .iter()
        .filter(|m| m.msg_type == NODE_ID_HANDSHAKE && m.extensions & 2 != 0)
        .map(|m| m.signature_valid)
        .collect();
    assert!(responses.iter().all(|v| *v != Some(false)), "{responses:?}");
    assert!(
        responses.iter().filter(|v| **v == Some(true)).count() >= 2,
        "{responses:?}"
    );
}

#[test]
fn bench_streams_counts_only_when_large() {
    let mut cfg = Config::new(5000);
    cfg.keep_messages = false;
    let (data, t) = generate(&cfg, Vec::new()).unwrap();
    assert!(t.messages.is_empty());
    assert_eq!(t.message_count, 5000);
    let (n, _) = pcapng_records(&data);
    assert_eq!(n, t.records);
}

#[test]
fn truth_json_round_trips() {
    let (_, t) = presets::preset_bytes(Preset::Link(Link::Null), 5, Format::PcapNg);
    let back = GroundTruth::from_json(&t.to_json()).expect("valid JSON");
    assert_eq!(back, t);
}

/// The committed fixtures are what the generator makes today (run
/// tests/fixtures/generate.sh after changing the generator).
#[test]
fn committed_fixtures_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (file, preset, seed, fmt) in [
        (
            "udp_all_types.pcapng",
            Preset::UdpAllTypes,
            1,
            Format::PcapNg,
        ),
        (
            "tcp_realistic.pcapng",
            Preset::TcpRealistic,
            2,
            Format::PcapNg,
        ),
        (
            "link_null_be.pcap",
            Preset::Link(Link::Null),
            5,
            Format::Pcap {
                nanos: false,
                big_endian: true,
            },
        ),
    ] {
        let Ok(on_disk) = std::fs::read(dir.join(file)) else {
            continue;
        };
        let (made, truth) = presets::preset_bytes(preset, seed, fmt);
        assert!(
            made == on_disk,
            "{file} is stale: run tests/fixtures/generate.sh"
        );
        let json = std::fs::read_to_string(dir.join(format!("{file}.truth.json"))).unwrap();
        assert_eq!(
            GroundTruth::from_json(&json).unwrap(),
            truth,
            "{file}.truth.json"
        );
    }
}
