//! End-to-end tests of the TCP layer with hand-built segments carrying real message
//! bytes (docs/protocol.md section 10 and the layouts of sections 5 and 6).

use super::handshake::tests::{cookie, example4_response, hex};
use super::reassembly::PIECE_OVERHEAD;
use super::{Reporting, TcpLimits, TcpSegment, TcpTracker};
use crate::capture::{
    AnomalyKind, ConnectionEvent, ConnectionEventKind, Event, MessageEvent, StreamItemEvent,
    StreamRequest,
};
use crate::protocol::test_rng::Rng;
use crate::protocol::{Block, Payload, StreamEntry};
use std::collections::VecDeque;
use std::net::IpAddr;

// ---------------------------------------------------------------- messages

const DEV: u8 = 0x41;
const LIVE: u8 = 0x43;

fn header(net: u8, msg_type: u8, ext: u16) -> Vec<u8> {
    vec![
        0x52,
        net,
        0x15,
        0x15,
        0x14,
        msg_type,
        ext as u8,
        (ext >> 8) as u8,
    ]
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Example 8.
fn telemetry_req() -> Vec<u8> {
    hex("52 43 15 15 14 0c 00 00")
}

/// Example 1: peers 0..3 as in the table, 4..7 zero.
fn keepalive() -> Vec<u8> {
    let mut p = header(LIVE, 0x02, 0);
    let mut peer = |addr: &[u8]| {
        p.extend_from_slice(addr);
        p.extend_from_slice(&[0xa3, 0x1b]);
    };
    peer(&[0; 16]);
    peer(&hex("00000000000000000000ffff cb007105"));
    peer(&hex("20010db8000000000000000000000001"));
    peer(&hex("00000000000000000000ffff c6336417"));
    p.resize(152, 0);
    p
}

const BLOCK_HASH: &str = "a1a72d9cad3c5fa8091fdaaced6b47208e3f66bb3d0e3aa1bc300daa77612155";
const DEV_GENESIS_HASH: &str = "04270d7f11c4b2b472f2854c5a59f2a7e84226ce9ed799de75744bd7d85fc9d9";
const DEV_GENESIS_ACCOUNT: &str =
    "b0311ea55708d6a53c75cdbf88300259c6d018522fe3d4d0a242e431f9e8b6d0";

/// Example 5: one (hash, root) pair.
fn confirm_req() -> Vec<u8> {
    cat(&[
        &header(DEV, 0x04, 0x1100),
        &hex(BLOCK_HASH),
        &hex(DEV_GENESIS_HASH),
    ])
}

/// Handshake query, ext 0x0005 (query + v2), cookie C1 = 40..5f.
fn handshake_query() -> Vec<u8> {
    cat(&[&header(DEV, 0x0a, 0x0005), &cookie(0x40)])
}

/// Example 4: C2 = 20..3f and a v2 response signing C1.
fn handshake_response() -> Vec<u8> {
    let r = example4_response();
    let (salt, genesis) = r.v2.unwrap();
    cat(&[
        &header(DEV, 0x0a, 0x0007),
        &cookie(0x20),
        &r.node_id,
        &salt,
        &genesis,
        &r.signature,
    ])
}

/// Example 2's state block with its stream type byte: `[06][216 bytes]`.
fn state_block_item() -> Vec<u8> {
    let publish = hex("52 41 15 15 14 03 00 06 b0 31 1e a5 57 08 d6 a5
         3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
         a2 42 e4 31 f9 e8 b6 d0 04 27 0d 7f 11 c4 b2 b4
         72 f2 85 4c 5a 59 f2 a7 e8 42 26 ce 9e d7 99 de
         75 74 4b d7 d8 5f c9 d9 b0 31 1e a5 57 08 d6 a5
         3c 75 cd bf 88 30 02 59 c6 d0 18 52 2f e3 d4 d0
         a2 42 e4 31 f9 e8 b6 d0 ff ff ff f3 60 d3 63 2f
         b9 8b 12 15 bf ff ff ff e8 92 08 dd 03 8f bb 26
         99 87 68 96 21 d5 22 92 ae 9c 35 94 1a 74 84 75
         6e cc ed 92 a6 50 93 ba 57 ba 85 b9 c4 65 6e 70
         fe 42 57 d4 8a 38 8b c3 e9 ec 0a c9 b1 32 8c 7b
         5d 8d e1 84 3b 25 9a d0 b8 50 ae d0 0a 19 86 7f
         10 df b7 f1 ab 12 e5 6d 22 b3 b3 48 51 a9 8e aa
         2d a8 d3 02 b8 4a ee 03 00 00 00 00 00 00 04 1e");
    assert_eq!(publish.len(), 224);
    cat(&[&[0x06], &publish[8..]])
}

/// frontier_req (48 bytes): start, age and count all-ones (no filter, unlimited).
fn frontier_req() -> Vec<u8> {
    cat(&[&header(DEV, 0x08, 0), &[0u8; 32], &[0xff; 8]])
}

/// bulk_pull of the dev genesis account: 72 bytes, or 80 with the count extension.
fn bulk_pull(count: Option<u32>) -> Vec<u8> {
    let ext = if count.is_some() { 0x0001 } else { 0 };
    let mut m = cat(&[
        &header(LIVE, 0x06, ext),
        &hex(DEV_GENESIS_ACCOUNT),
        &[0u8; 32],
    ]);
    if let Some(c) = count {
        m.push(0);
        m.extend_from_slice(&c.to_le_bytes());
        m.extend_from_slice(&[0, 0, 0]);
    }
    m
}

/// bulk_pull_blocks (77 bytes, nodes up to V17): min_hash, max_hash, mode, max_count.
fn bulk_pull_blocks(mode: u8) -> Vec<u8> {
    cat(&[
        &header(LIVE, 0x09, 0),
        &[0u8; 32],
        &[0xff; 32],
        &[mode],
        &16u32.to_le_bytes(),
    ])
}

fn bulk_push() -> Vec<u8> {
    header(DEV, 0x07, 0)
}

/// bulk_pull_account (57 bytes): account, minimum amount 1 raw, flags.
fn bulk_pull_account(flags: u8) -> Vec<u8> {
    let mut min = [0u8; 16];
    min[15] = 1;
    cat(&[
        &header(DEV, 0x0b, 0),
        &hex(DEV_GENESIS_ACCOUNT),
        &min,
        &[flags],
    ])
}

fn frontier_entry(n: u8) -> Vec<u8> {
    cat(&[&[n; 32], &[n.wrapping_add(0x80); 32]])
}

// ---------------------------------------------------------------- harness

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// Side 0 is 10.0.0.1:51000 (client), side 1 is 10.0.0.2:7075 (server).
struct Harness {
    tracker: TcpTracker,
    next_id: u64,
    out: VecDeque<Event>,
    frame: u64,
    ends: [(IpAddr, u16); 2],
    /// Next sequence number of each side.
    seq: [u32; 2],
}

/// The capture time the harness gives frame `n`: a millisecond apart.
fn time_of(frame: u64) -> i64 {
    1_700_000_000_000_000 + frame as i64 * 1000
}

impl Harness {
    fn new() -> Self {
        Self::with_limits(TcpLimits::default())
    }

    fn with_limits(limits: TcpLimits) -> Self {
        Harness {
            tracker: TcpTracker::new(limits),
            next_id: 1,
            out: VecDeque::new(),
            frame: 0,
            ends: [
                ("10.0.0.1".parse().unwrap(), 51000),
                ("10.0.0.2".parse().unwrap(), 7075),
            ],
            // The client's sequence numbers wrap at 2^32 during the first kilobytes.
            seq: [u32::MAX - 100, 7_000_000],
        }
    }

    fn raw(&mut self, d: usize, seq: u32, flags: &str, payload: &[u8]) {
        self.frame += 1;
        let seg = TcpSegment {
            frame: self.frame,
            time_usec: time_of(self.frame),
            ipv: 4,
            src_ip: self.ends[d].0,
            src_port: self.ends[d].1,
            dst_ip: self.ends[1 - d].0,
            dst_port: self.ends[1 - d].1,
            seq,
            ack: self.seq[1 - d],
            syn: flags.contains('S'),
            ack_flag: flags.contains('A') || !flags.contains('S'),
            fin: flags.contains('F'),
            rst: flags.contains('R'),
            payload,
        };
        self.tracker
            .on_segment(&seg, &mut self.next_id, &mut self.out);
    }

    fn handshake(&mut self) {
        let (c, s) = (self.seq[CLIENT], self.seq[SERVER]);
        self.raw(CLIENT, c, "S", &[]);
        self.seq[CLIENT] = c.wrapping_add(1);
        self.raw(SERVER, s, "SA", &[]); // acknowledges ISN + 1
        self.seq[SERVER] = s.wrapping_add(1);
    }

    /// In-order data from side `d`.
    fn send(&mut self, d: usize, payload: &[u8]) {
        let seq = self.seq[d];
        self.raw(d, seq, "A", payload);
        self.seq[d] = seq.wrapping_add(payload.len() as u32);
    }

    /// In-order data from side `d`, in pieces of `n` bytes.
    fn send_split(&mut self, d: usize, payload: &[u8], n: usize) {
        for piece in payload.chunks(n) {
            self.send(d, piece);
        }
    }

    fn fin(&mut self, d: usize) {
        let seq = self.seq[d];
        self.raw(d, seq, "FA", &[]);
        self.seq[d] = seq.wrapping_add(1);
    }

    fn rst(&mut self, d: usize) {
        let seq = self.seq[d];
        self.raw(d, seq, "R", &[]);
    }

    fn finish(&mut self) {
        let at = (self.frame, time_of(self.frame));
        while self
            .tracker
            .finish_next(at, &mut self.next_id, &mut self.out)
        {}
    }

    fn events(&mut self) -> Vec<Event> {
        self.out.drain(..).collect()
    }

    fn side(&self, meta: &crate::capture::PacketMeta) -> usize {
        if (meta.src_ip, meta.src_port) == self.ends[0] {
            assert_eq!((meta.dst_ip, meta.dst_port), self.ends[1]);
            0
        } else {
            assert_eq!((meta.src_ip, meta.src_port), self.ends[1]);
            assert_eq!((meta.dst_ip, meta.dst_port), self.ends[0]);
            1
        }
    }
}

fn messages(ev: &[Event]) -> Vec<&MessageEvent> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn items(ev: &[Event]) -> Vec<&StreamItemEvent> {
    ev.iter()
        .filter_map(|e| match e {
            Event::StreamItem(i) => Some(i),
            _ => None,
        })
        .collect()
}

fn connection_events(ev: &[Event]) -> Vec<&ConnectionEvent> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Connection(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn anomalies(ev: &[Event]) -> Vec<(&'static str, String)> {
    ev.iter()
        .filter_map(|e| match e {
            Event::Anomaly(a) => Some((a.kind.as_str(), a.detail.clone())),
            _ => None,
        })
        .collect()
}

/// Connection events other than the per-message ones, as (event, detail).
fn life(ev: &[Event]) -> Vec<(String, Option<String>)> {
    connection_events(ev)
        .into_iter()
        .filter(|c| {
            c.message_id.is_none() || matches!(c.event, ConnectionEventKind::EndOfStream(_))
        })
        .map(|c| (c.event.to_string(), c.detail.clone()))
        .collect()
}

/// (side, msg_type, payload size) of each message.
fn summary(h: &Harness, ev: &[Event]) -> Vec<(usize, u8, usize)> {
    messages(ev)
        .iter()
        .map(|m| (h.side(&m.meta), m.header.msg_type, m.size))
        .collect()
}

// ---------------------------------------------------------------- realtime

#[test]
fn realtime_handshake_then_coalesced_and_byte_split_messages() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &handshake_query());
    h.send(SERVER, &handshake_response());
    // Three messages in one segment from the client...
    let triple = cat(&[&keepalive(), &confirm_req(), &telemetry_req()]);
    h.send(CLIENT, &triple);
    // ...and byte by byte from the server (every header split too).
    h.send_split(SERVER, &triple, 1);
    let ev = h.events();
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    assert_eq!(
        summary(&h, &ev),
        vec![
            (CLIENT, 0x0a, 32),
            (SERVER, 0x0a, 192),
            (CLIENT, 0x02, 144),
            (CLIENT, 0x04, 64),
            (CLIENT, 0x0c, 0),
            (SERVER, 0x02, 144),
            (SERVER, 0x04, 64),
            (SERVER, 0x0c, 0),
        ]
    );
    let msgs = messages(&ev);
    let ids: Vec<u64> = msgs.iter().map(|m| m.id).collect();
    assert_eq!(ids, (1..=8).collect::<Vec<u64>>());
    for m in &msgs {
        assert!(m.payload.is_ok(), "{:?}", m.payload);
    }
    // The server's keepalive was completed by the segment carrying its last byte:
    // frames 1-2 SYN/SYN-ACK, 3 query, 4 response, 5 client triple, then byte k of the
    // server's triple is frame 5 + k; the keepalive ends at byte 152.
    assert_eq!(msgs[5].meta.frame, 5 + 152);
    assert_eq!(msgs[6].meta.frame, 5 + 152 + 72);
    match &msgs[2].payload {
        Ok(Payload::Keepalive(k)) => {
            assert_eq!(k.peers[0].port, 7075);
            assert_eq!(
                k.peers[1].addr[..],
                hex("00000000000000000000ffffcb007105")[..]
            );
        }
        other => panic!("{other:?}"),
    }
    // Handshake across directions: the response carries the client's cookie C1.
    assert_eq!(msgs[0].peer_cookie, None);
    assert_eq!(msgs[1].peer_cookie, Some(cookie(0x40)));
    let node_id = example4_response().node_id;
    let conns = connection_events(&ev);
    let open = &conns[0];
    assert_eq!(open.event.as_str(), "open");
    assert_eq!(h.side(&open.meta), CLIENT);
    // Per-message events: one per message, sender oriented, with the proved node id
    // from the response on.
    let per_msg: Vec<_> = conns.iter().filter(|c| c.message_id.is_some()).collect();
    assert_eq!(per_msg.len(), 8);
    assert_eq!(per_msg[0].event.as_str(), "node_id_handshake");
    assert_eq!(per_msg[2].event.as_str(), "keepalive");
    assert_eq!(per_msg[4].event.as_str(), "telemetry_req");
    assert_eq!(per_msg[0].dst_node_id, None);
    assert_eq!(per_msg[1].src_node_id, Some(node_id));
    assert_eq!(per_msg[2].dst_node_id, Some(node_id));
    assert_eq!(per_msg[2].src_node_id, None);
    assert_eq!(per_msg[5].src_node_id, Some(node_id));
    for (c, m) in per_msg.iter().zip(&msgs) {
        assert_eq!(c.message_id, Some(m.id));
        assert_eq!(c.meta, m.meta);
    }
}

#[test]
fn header_split_across_segments() {
    let mut h = Harness::new();
    h.handshake();
    let ka = keepalive();
    h.send(CLIENT, &ka[..5]);
    h.send(CLIENT, &ka[5..8]);
    h.send(CLIENT, &cat(&[&ka[8..], &telemetry_req()[..3]]));
    h.send(CLIENT, &telemetry_req()[3..]);
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x02, 144), (CLIENT, 0x0c, 0)]
    );
    assert!(anomalies(&ev).is_empty());
}

#[test]
fn retransmissions_are_not_counted_twice() {
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    let data = cat(&[&keepalive(), &telemetry_req(), &confirm_req()]);
    h.send(CLIENT, &data[..100]);
    h.send(CLIENT, &data[100..]);
    // Whole-stream retransmission, then an overlapping one.
    h.raw(CLIENT, start, "A", &data);
    h.raw(CLIENT, start.wrapping_add(50), "A", &data[50..170]);
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x02, 144), (CLIENT, 0x0c, 0), (CLIENT, 0x04, 64)]
    );
    assert!(anomalies(&ev).is_empty());
    // A retransmission that disagrees: the first copy stays, the conflict is reported.
    let mut bad = data[..20].to_vec();
    bad[10] ^= 0xff;
    h.raw(CLIENT, start, "A", &bad);
    let ev = h.events();
    assert!(messages(&ev).is_empty());
    let a = anomalies(&ev);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].0, "tcp_conflict");
    assert!(a[0].1.starts_with("1 retransmitted bytes"), "{}", a[0].1);
}

/// Hostile segments on the far side of the sequence circle: data and a FIN that end
/// before the stream start (negative stream offsets), and a retransmission that starts
/// before it. None may panic, wrap an offset or end the stream; the part of the last
/// one that overlaps delivered data is compared as a retransmission.
#[test]
fn segments_behind_the_stream_start_change_nothing() {
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    let ka = keepalive();
    h.send(CLIENT, &ka);
    // Ends 2^31 - 1 bytes behind the start: the farthest a segment can lie behind.
    h.raw(CLIENT, start.wrapping_sub((1 << 31) - 1), "A", &[0x52; 64]);
    // A FIN whose end is before the first byte.
    h.raw(CLIENT, start.wrapping_sub(1000), "FA", &[0; 10]);
    // From 5 bytes before the start into the keepalive, agreeing with it.
    let mut early = vec![0xee; 5];
    early.extend_from_slice(&ka[..15]);
    h.raw(CLIENT, start.wrapping_sub(5), "A", &early);
    h.send(CLIENT, &telemetry_req());
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x02, 144), (CLIENT, 0x0c, 0)]
    );
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    assert!(
        !life(&ev).iter().any(|(e, _)| e == "close"),
        "{:?}",
        life(&ev)
    );
}

#[test]
fn out_of_order_segments_are_reordered() {
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    let data = cat(&[&telemetry_req(), &keepalive()]);
    h.raw(CLIENT, start.wrapping_add(100), "A", &data[100..]);
    h.raw(CLIENT, start.wrapping_add(4), "A", &data[4..100]);
    assert!(messages(&h.events()).is_empty());
    h.raw(CLIENT, start, "A", &data[..4]);
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x0c, 0), (CLIENT, 0x02, 144)]
    );
    // Both completed by the segment that filled the hole.
    assert!(messages(&ev).iter().all(|m| m.meta.frame == h.frame));
}

#[test]
fn mid_stream_capture_resyncs_on_a_confirmed_header() {
    let mut h = Harness::new();
    // No SYN: the capture starts inside a keepalive sent by the server (port 7075),
    // so the client is found by its port.
    let ka = keepalive();
    let data = cat(&[&ka[100..], &confirm_req(), &telemetry_req()]);
    h.send(SERVER, &data);
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(SERVER, 0x04, 64), (SERVER, 0x0c, 0)]
    );
    let a = anomalies(&ev);
    assert_eq!(
        a,
        vec![(
            "resync",
            "52 bytes skipped to the next plausible header".to_string()
        )]
    );
    let l = life(&ev);
    assert_eq!(
        l[0],
        ("open".to_string(), Some("start not captured".to_string()))
    );
    let open = connection_events(&ev)[0].meta.clone();
    assert_eq!(h.side(&open), CLIENT);
}

#[test]
fn lost_data_is_a_gap_then_resync() {
    let limits = TcpLimits {
        max_buffered_per_direction: 400,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    h.handshake();
    let start = h.seq[CLIENT];
    // keepalive (152) whose bytes 20..40 are never captured, then confirm_req (72),
    // telemetry_req (8), keepalive (152): 332 bytes after the hole.
    let data = cat(&[&keepalive(), &confirm_req(), &telemetry_req(), &keepalive()]);
    h.raw(CLIENT, start, "A", &data[..20]);
    h.raw(CLIENT, start.wrapping_add(40), "A", &data[40..152]);
    assert!(anomalies(&h.events()).is_empty());
    // 112 + 180 held, with the two pieces' overhead, cost more than 400: the hole is
    // given up.
    h.raw(CLIENT, start.wrapping_add(152), "A", &data[152..332]);
    h.raw(CLIENT, start.wrapping_add(332), "A", &data[332..]);
    let ev = h.events();
    let gap = life(&ev)
        .into_iter()
        .find(|(e, _)| e == "gap")
        .expect("gap event");
    assert_eq!(gap.1.as_deref(), Some("20 bytes lost"));
    let a = anomalies(&ev);
    assert_eq!(a[0].0, "tcp_gap");
    // The 20 bytes before the hole and the 112 after it are skipped.
    assert_eq!(
        a[1],
        (
            "resync",
            "132 bytes skipped to the next plausible header".to_string()
        )
    );
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x04, 64), (CLIENT, 0x0c, 0), (CLIENT, 0x02, 144)]
    );
}

/// A client stream of keepalive, telemetry_req, keepalive whose middle segment (the
/// telemetry_req, stream offsets 152..160) is captured after the server acknowledged
/// all of it, `late_by` server keepalives later (`None`: never).
fn acked_before_filled(window: u64, late_by: Option<usize>) -> (Harness, Vec<Event>) {
    let limits = TcpLimits {
        reorder_window_segments: window,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    h.handshake();
    let start = h.seq[CLIENT];
    let data = cat(&[&keepalive(), &telemetry_req(), &keepalive()]);
    h.raw(CLIENT, start, "A", &data[..152]);
    h.raw(CLIENT, start.wrapping_add(160), "A", &data[160..]);
    h.seq[CLIENT] = start.wrapping_add(data.len() as u32);
    // Each server segment acknowledges the whole client stream.
    for i in 0..4 {
        if late_by == Some(i) {
            h.raw(CLIENT, start.wrapping_add(152), "A", &data[152..160]);
        }
        h.send(SERVER, &keepalive());
    }
    if late_by == Some(4) {
        h.raw(CLIENT, start.wrapping_add(152), "A", &data[152..160]);
    }
    let ev = h.events();
    (h, ev)
}

#[test]
fn a_segment_captured_after_its_ack_is_read_within_the_reorder_window() {
    // The first server segment acknowledges the hole; with a window of 3 segments the
    // late segment may come up to two segments after it.
    for late_by in [1, 2, 3] {
        let (h, ev) = acked_before_filled(3, Some(late_by));
        assert!(
            anomalies(&ev).is_empty(),
            "late by {late_by}: {:?}",
            anomalies(&ev)
        );
        let client: Vec<(u8, usize)> = summary(&h, &ev)
            .into_iter()
            .filter(|m| m.0 == CLIENT)
            .map(|m| (m.1, m.2))
            .collect();
        assert_eq!(client, vec![(0x02, 144), (0x0c, 0), (0x02, 144)]);
        // Ids follow the order in which messages became readable: the two held behind
        // the hole come with the segment that filled it.
        let ids: Vec<u64> = messages(&ev).iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1));
        let late = messages(&ev)
            .iter()
            .filter(|m| h.side(&m.meta) == CLIENT)
            .skip(1)
            .map(|m| m.meta.frame)
            .collect::<Vec<_>>();
        assert_eq!(late[0], late[1]);
    }
}

#[test]
fn an_acknowledged_hole_is_lost_after_the_window_and_late_bytes_are_an_anomaly() {
    // Late by 4: the window of 3 ended on the third segment after the acknowledgement.
    let (h, ev) = acked_before_filled(3, Some(4));
    let a = anomalies(&ev);
    assert_eq!(
        a,
        vec![
            ("tcp_gap", "8 bytes never captured; skipped".to_string()),
            (
                "tcp_late",
                "8 bytes arrived after their stream offsets were given up as lost (first at \
                 stream offset 152); not read"
                    .to_string()
            ),
        ]
    );
    // The keepalive after the hole is read once, the telemetry_req never.
    let client: Vec<u8> = summary(&h, &ev)
        .into_iter()
        .filter(|m| m.0 == CLIENT)
        .map(|m| m.1)
        .collect();
    assert_eq!(client, vec![0x02, 0x02]);
    let gap = connection_events(&ev)
        .into_iter()
        .find(|c| c.event == ConnectionEventKind::Gap)
        .expect("gap event");
    // Given up with the third server segment after the one that acknowledged it
    // (frames: SYN, SYN-ACK, two client segments, then the server's).
    assert_eq!(gap.meta.frame, 8);
    // Never captured at all: the same gap, no late bytes.
    let (_, ev) = acked_before_filled(3, None);
    let kinds: Vec<&str> = anomalies(&ev).iter().map(|a| a.0).collect();
    assert_eq!(kinds, vec!["tcp_gap"]);
}

#[test]
fn closing_gives_up_what_is_still_missing() {
    // A hole the capture never filled, acknowledged by the server, and a window far
    // longer than the connection: the close handshake ends the wait.
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    let data = cat(&[&keepalive(), &telemetry_req(), &keepalive()]);
    h.raw(CLIENT, start, "A", &data[..152]);
    h.raw(CLIENT, start.wrapping_add(160), "A", &data[160..]);
    h.seq[CLIENT] = start.wrapping_add(data.len() as u32);
    h.send(SERVER, &keepalive());
    assert_eq!(messages(&h.events()).len(), 2);
    h.fin(CLIENT);
    h.fin(SERVER);
    // The server's stream is complete: its close is reported; the client's waits.
    let ev = h.events();
    assert!(messages(&ev).is_empty());
    let l: Vec<String> = life(&ev).into_iter().map(|(e, _)| e).collect();
    assert_eq!(l, vec!["close"]);
    // The client's last ACK acknowledges the server's FIN: both sides closed.
    let seq = h.seq[CLIENT];
    h.raw(CLIENT, seq, "A", &[]);
    let ev = h.events();
    assert_eq!(summary(&h, &ev), vec![(CLIENT, 0x02, 144)]);
    let l: Vec<(String, Option<String>)> = life(&ev);
    assert_eq!(l[0], ("gap".to_string(), Some("8 bytes lost".to_string())));
    assert_eq!(
        l[1],
        (
            "close".to_string(),
            Some("FIN from the client; both sides closed".to_string())
        )
    );
    assert_eq!(l.len(), 2);
    assert!(connection_events(&ev).last().unwrap().closed);
    // The missing segment captured after the close: late, not read.
    h.raw(CLIENT, start.wrapping_add(152), "A", &data[152..160]);
    let ev = h.events();
    assert!(messages(&ev).is_empty());
    let kinds: Vec<&str> = anomalies(&ev).iter().map(|a| a.0).collect();
    assert_eq!(kinds, vec!["tcp_late"]);
}

/// The one anomaly of `ev` is a `tcp_truncated` with this detail.
fn assert_only_truncated(ev: &[Event], detail: &str) {
    assert_eq!(anomalies(ev), vec![("tcp_truncated", detail.to_string())]);
}

#[test]
fn a_connection_whose_only_data_is_a_cut_off_message_is_reported() {
    // 6 header bytes, then FIN: nothing whole was ever framed on this connection.
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &keepalive()[..6]);
    h.fin(CLIENT);
    let ev = h.events();
    assert_only_truncated(&ev, "6 bytes of an unfinished message: closed");
    let l = life(&ev);
    assert_eq!(
        (l[0].0.as_str(), l.last().unwrap().0.as_str()),
        ("open", "close")
    );
    // The same at the end of the capture, with the connection left open.
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &keepalive()[..6]);
    h.finish();
    let ev = h.events();
    assert_only_truncated(&ev, "6 bytes of an unfinished message: capture ended");
    // Bytes that do not look like Nano on a node port stay unreported (not Nano).
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, b"GET / HTTP/1.1");
    h.fin(CLIENT);
    let ev = h.events();
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    assert!(connection_events(&ev).is_empty());
}

#[test]
fn a_hole_in_a_connection_that_never_carries_a_whole_message_is_reported() {
    let kinds = |ev: &[Event]| -> Vec<&str> { anomalies(ev).iter().map(|a| a.0).collect() };
    // 6 header bytes, a hole of 10, 10 more bytes, then the capture ends.
    let ka = keepalive();
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    h.raw(CLIENT, start, "A", &ka[..6]);
    h.raw(CLIENT, start.wrapping_add(16), "A", &ka[16..26]);
    h.finish();
    let ev = h.events();
    assert_eq!(kinds(&ev), vec!["tcp_gap", "resync"]);
    let l: Vec<String> = life(&ev).into_iter().map(|(e, _)| e).collect();
    assert_eq!(l, vec!["open", "gap", "open at end of capture"]);
    // Bytes not like a header before the hole, to a port nothing says is Nano: not a
    // Nano connection, nothing reported.
    let mut h = Harness::new();
    h.ends[SERVER].1 = 30000;
    h.handshake();
    let start = h.seq[CLIENT];
    h.raw(CLIENT, start, "A", b"GET / ");
    h.raw(CLIENT, start.wrapping_add(16), "A", b"HTTP/1.1\r\n");
    h.finish();
    assert!(h.events().is_empty());
    // The same to the node port: bytes of what may be a Nano connection were lost.
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    h.raw(CLIENT, start, "A", b"GET / ");
    h.raw(CLIENT, start.wrapping_add(16), "A", b"HTTP/1.1\r\n");
    h.finish();
    let ev = h.events();
    assert_eq!(kinds(&ev), vec!["tcp_gap", "resync"]);
}

#[test]
fn incomplete_message_at_close_is_reported() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &cat(&[&telemetry_req(), &keepalive()[..100]]));
    h.fin(CLIENT);
    let ev = h.events();
    assert_only_truncated(&ev, "100 bytes of an unfinished message: closed");
    let l = life(&ev);
    assert_eq!(l.last().unwrap().0, "close");
    assert!(connection_events(&ev).last().unwrap().closed);
}

#[test]
fn a_connection_without_nano_traffic_leaves_no_events() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    h.send(SERVER, b"HTTP/1.1 200 OK\r\n\r\n");
    h.fin(CLIENT);
    h.fin(SERVER);
    h.finish();
    assert!(h.events().is_empty());
    // The same start, then Nano: the held events come out first, in order.
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, b"xyz");
    h.send(CLIENT, &telemetry_req());
    let ev = h.events();
    assert_eq!(
        life(&ev),
        vec![("open".to_string(), Some("SYN".to_string()))]
    );
    // In sync from the SYN on, "xyz" + the next 5 bytes read as a header of type
    // 0x15 (byte 5 = version_min of the real header): desync, then resync.
    let a = anomalies(&ev);
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].0, "tcp_desync");
    assert!(a[0].1.contains("0x15"), "{}", a[0].1);
    assert_eq!(
        a[1],
        (
            "resync",
            "3 bytes skipped to the next plausible header".to_string()
        )
    );
    assert!(matches!(ev[0], Event::Connection(_)));
    assert!(matches!(ev[1], Event::Anomaly(_)));
    assert!(matches!(ev[3], Event::Message(_)));
}

/// Only the connection events, as (event, detail, sent by the client).
fn life_sides(h: &Harness, ev: &[Event]) -> Vec<(String, Option<String>, bool)> {
    connection_events(ev)
        .into_iter()
        .map(|c| {
            let from_client = h.side(&c.meta) == CLIENT;
            (c.event.to_string(), c.detail.clone(), from_client)
        })
        .collect()
}

#[test]
fn a_connection_refused_or_reset_before_any_data_is_an_open_and_a_reset() {
    let open = ("open".to_string(), Some("SYN".to_string()), true);
    let reset = |who: &str, client: bool| {
        let detail = format!("RST from the {who}");
        ("reset".to_string(), Some(detail), client)
    };
    // Refused: SYN, then the server's RST-ACK (port 7075, a Nano port).
    let mut h = Harness::new();
    let isn = h.seq[CLIENT];
    h.raw(CLIENT, isn, "S", &[]);
    h.seq[CLIENT] = isn.wrapping_add(1);
    h.raw(SERVER, 0, "RA", &[]);
    let ev = h.events();
    assert_eq!(
        life_sides(&h, &ev),
        vec![open.clone(), reset("server", false)]
    );
    assert!(connection_events(&ev)[1].closed);
    assert!(messages(&ev).is_empty() && anomalies(&ev).is_empty());
    // Accepted, then reset by the client before any data.
    let mut h = Harness::new();
    h.handshake();
    h.rst(CLIENT);
    let ev = h.events();
    assert_eq!(
        life_sides(&h, &ev),
        vec![open.clone(), reset("client", true)]
    );
    // After data that is not Nano, a reset leaves nothing, as before.
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, b"GET / HTTP/1.1\r\n\r\n");
    h.rst(SERVER);
    assert!(h.events().is_empty());
}

#[test]
fn a_refused_connection_is_reported_only_on_a_nano_port() {
    let refuse = |h: &mut Harness, client_port: u16| {
        h.ends[CLIENT].1 = client_port;
        let isn = h.seq[CLIENT];
        h.raw(CLIENT, isn, "S", &[]);
        h.raw(SERVER, 0, "RA", &[]);
        h.events()
    };
    let mut h = Harness::new();
    h.ends[SERVER].1 = 30000;
    // Nothing says 30000 is a Nano port yet: a SYN to it says nothing of the protocol.
    assert!(refuse(&mut h, 40001).is_empty());
    // A Nano connection to it.
    h.ends[CLIENT].1 = 40002;
    h.handshake();
    h.send(CLIENT, &telemetry_req());
    assert_eq!(messages(&h.events()).len(), 1);
    // Now a refused connection to that port is reported.
    let ev = refuse(&mut h, 40003);
    let l: Vec<String> = life(&ev).into_iter().map(|(e, _)| e).collect();
    assert_eq!(l, vec!["open", "reset"]);
}

// ---------------------------------------------------------------- bootstrap

#[test]
fn bootstrap_frontiers_then_bulk_push_on_one_connection() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &frontier_req());
    let stream = cat(&[&frontier_entry(1), &frontier_entry(2), &[0u8; 64]]);
    h.send_split(SERVER, &stream, 50);
    let push = cat(&[&bulk_push(), &state_block_item(), &[0x01]]);
    h.send(CLIENT, &push);
    h.fin(CLIENT);
    h.fin(SERVER);
    let ev = h.events();
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x08, 40), (CLIENT, 0x07, 0)]
    );
    let msgs = messages(&ev);
    let (fr_id, push_id) = (msgs[0].id, msgs[1].id);
    let its = items(&ev);
    assert_eq!(its.len(), 5);
    for (i, it) in its[..2].iter().enumerate() {
        assert_eq!(h.side(&it.meta), SERVER);
        assert_eq!(it.request_id, fr_id);
        assert_eq!(it.request_type, StreamRequest::FrontierReq);
        assert_eq!(it.index, i as u64 + 1);
        let n = i as u8 + 1;
        assert_eq!(
            it.entry,
            Ok(StreamEntry::Frontier {
                account: [n; 32],
                hash: [n + 0x80; 32]
            })
        );
    }
    // The terminator is item 3 of the frontier stream.
    assert_eq!(h.side(&its[2].meta), SERVER);
    assert_eq!(
        (its[2].request_id, its[2].index, &its[2].entry),
        (fr_id, 3, &Ok(StreamEntry::End))
    );
    assert_eq!(h.side(&its[3].meta), CLIENT);
    assert_eq!(its[3].request_id, push_id);
    assert_eq!(its[3].request_type, StreamRequest::BulkPush);
    assert_eq!(its[3].index, 1);
    assert_eq!(
        (its[4].request_id, its[4].index, &its[4].entry),
        (push_id, 2, &Ok(StreamEntry::End))
    );
    assert_eq!(h.side(&its[4].meta), CLIENT);
    match &its[3].entry {
        Ok(StreamEntry::Block(Block::State(b))) => {
            assert_eq!(b.work, 0x41e);
            assert_eq!(b.previous[..], hex(DEV_GENESIS_HASH)[..]);
        }
        other => panic!("{other:?}"),
    }
    let ends: Vec<_> = connection_events(&ev)
        .into_iter()
        .filter(|c| matches!(c.event, ConnectionEventKind::EndOfStream(_)))
        .map(|c| {
            (
                c.event.to_string(),
                c.detail.clone(),
                c.message_id,
                h.side(&c.meta),
            )
        })
        .collect();
    assert_eq!(
        ends,
        vec![
            (
                "end of frontier_req".to_string(),
                Some("valid: 2, invalid: 0".to_string()),
                Some(fr_id),
                SERVER
            ),
            (
                "end of bulk_push".to_string(),
                Some("valid: 1, invalid: 0".to_string()),
                Some(push_id),
                CLIENT
            ),
        ]
    );
    let closes: Vec<_> = life(&ev)
        .into_iter()
        .filter(|(e, _)| e == "close")
        .collect();
    assert_eq!(closes.len(), 2);
}

#[test]
fn bulk_pull_with_count_then_blocks() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &bulk_pull(Some(128)));
    h.send(
        SERVER,
        &cat(&[&state_block_item(), &state_block_item()[..100]]),
    );
    h.send(SERVER, &cat(&[&state_block_item()[100..], &[0x01]]));
    let ev = h.events();
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    let msgs = messages(&ev);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].size, 72);
    match &msgs[0].payload {
        Ok(Payload::BulkPull(b)) => assert_eq!(b.count, Some(128)),
        other => panic!("{other:?}"),
    }
    let its = items(&ev);
    assert_eq!(its.len(), 3);
    assert_eq!(its[1].index, 2);
    assert_eq!((its[2].index, &its[2].entry), (3, &Ok(StreamEntry::End)));
    assert!(its
        .iter()
        .all(|i| i.request_id == msgs[0].id && i.request_type == StreamRequest::BulkPull));
    assert!(life(&ev).contains(&(
        "end of bulk_pull".to_string(),
        Some("valid: 2, invalid: 0".to_string())
    )));
}

#[test]
fn bulk_pull_blocks_in_list_mode_then_the_lone_terminator_of_a_v15_to_v17_server() {
    let mut h = Harness::new();
    h.handshake();
    // The request opens the connection: it is bootstrap, as the node's server takes it.
    h.send(CLIENT, &bulk_pull_blocks(0));
    h.send(SERVER, &cat(&[&state_block_item(), &[0x01]]));
    // Checksum mode (1): a V15–V17 server answers every mode with the terminator alone.
    h.send(CLIENT, &bulk_pull_blocks(1));
    h.send(SERVER, &[0x01]);
    // Then an ordinary bulk_pull on the same connection is still framed right.
    h.send(CLIENT, &bulk_pull(None));
    h.send(SERVER, &cat(&[&state_block_item(), &[0x01]]));
    let ev = h.events();
    assert!(anomalies(&ev).is_empty(), "{:?}", anomalies(&ev));
    let msgs = messages(&ev);
    assert_eq!(msgs.len(), 3);
    for (m, mode) in msgs[..2].iter().zip([0, 1]) {
        assert_eq!(m.size, 69);
        match &m.payload {
            Ok(Payload::BulkPullBlocks(b)) => {
                assert_eq!((b.mode, b.max_count), (mode, 16));
            }
            other => panic!("{other:?}"),
        }
    }
    let its = items(&ev);
    let of = |id: u64| -> Vec<&StreamItemEvent> {
        its.iter().copied().filter(|i| i.request_id == id).collect()
    };
    let list = of(msgs[0].id);
    assert_eq!(list.len(), 2);
    assert!(matches!(list[0].entry, Ok(StreamEntry::Block(_))));
    assert_eq!((list[1].index, &list[1].entry), (2, &Ok(StreamEntry::End)));
    assert!(list
        .iter()
        .all(|i| i.request_type == StreamRequest::BulkPullBlocks));
    let checksum = of(msgs[1].id);
    assert_eq!(checksum.len(), 1);
    assert_eq!(
        (checksum[0].index, &checksum[0].entry),
        (1, &Ok(StreamEntry::End))
    );
    let pull = of(msgs[2].id);
    assert_eq!(pull.len(), 2);
    assert!(pull
        .iter()
        .all(|i| i.request_type == StreamRequest::BulkPull));
    let ends: Vec<_> = life(&ev)
        .into_iter()
        .filter(|(e, _)| e.starts_with("end of"))
        .collect();
    assert_eq!(
        ends,
        [
            (
                "end of bulk_pull_blocks".to_string(),
                Some("valid: 1, invalid: 0".to_string())
            ),
            (
                "end of bulk_pull_blocks".to_string(),
                Some("valid: 0, invalid: 0".to_string())
            ),
            (
                "end of bulk_pull".to_string(),
                Some("valid: 1, invalid: 0".to_string())
            ),
        ]
    );
}

#[test]
fn bulk_pull_account_flags_0_1_2() {
    let hash = [0x33u8; 32];
    let mut amount = [0u8; 16];
    amount[15] = 7;
    let source = [0x44u8; 32];
    for flags in [0u8, 1, 2] {
        let mut h = Harness::new();
        h.handshake();
        h.send(CLIENT, &bulk_pull_account(flags));
        let mut balance = [0u8; 16];
        balance[14] = 1; // 256 raw
        let entry: Vec<u8> = match flags {
            0 => cat(&[&hash, &amount]),
            1 => source.to_vec(),
            _ => cat(&[&hash, &amount, &source]),
        };
        let stream = cat(&[
            &[0x55; 32],
            &balance,
            &entry,
            &entry,
            &vec![0u8; entry.len()],
        ]);
        h.send_split(SERVER, &stream, 31);
        let ev = h.events();
        assert!(
            anomalies(&ev).is_empty(),
            "flags {flags}: {:?}",
            anomalies(&ev)
        );
        let its = items(&ev);
        assert_eq!(its.len(), 4, "flags {flags}");
        assert_eq!(
            its[0].entry,
            Ok(StreamEntry::AccountFrontier {
                frontier_hash: [0x55; 32],
                balance: 256
            })
        );
        let expected = match flags {
            0 => StreamEntry::PendingEntry {
                hash: Some(hash),
                amount: Some(7),
                source: None,
            },
            1 => StreamEntry::PendingEntry {
                hash: None,
                amount: None,
                source: Some(source),
            },
            _ => StreamEntry::PendingEntry {
                hash: Some(hash),
                amount: Some(7),
                source: Some(source),
            },
        };
        assert_eq!(its[1].entry, Ok(expected.clone()));
        assert_eq!(its[2].entry, Ok(expected));
        assert_eq!(its[3].entry, Ok(StreamEntry::End));
        assert_eq!(
            its.iter().map(|i| i.index).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        assert!(life(&ev).contains(&(
            "end of bulk_pull_account".to_string(),
            Some("valid: 3, invalid: 0".to_string())
        )));
    }
}

#[test]
fn stream_closed_early_gets_an_end_event_with_a_note() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &bulk_pull(None));
    h.send(
        SERVER,
        &cat(&[&state_block_item(), &state_block_item()[..10]]),
    );
    h.fin(SERVER);
    let ev = h.events();
    assert_eq!(items(&ev).len(), 1);
    assert!(life(&ev).contains(&(
        "end of bulk_pull".to_string(),
        Some(
            "valid: 1, invalid: 0; no terminator (10 bytes of an unfinished item): closed"
                .to_string()
        )
    )));
    // A reset ends the next request's stream too.
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &frontier_req());
    h.send(SERVER, &frontier_entry(9));
    h.rst(CLIENT);
    let ev = h.events();
    let l = life(&ev);
    assert!(l.contains(&(
        "end of frontier_req".to_string(),
        Some("valid: 1, invalid: 0; no terminator: reset".to_string())
    )));
    assert_eq!(l.last().unwrap().0, "reset");
}

#[test]
fn malformed_stream_entry_stops_the_stream_until_the_next_request() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &bulk_pull(None));
    // Type byte 9 is no block type: the stream is lost.
    h.send(SERVER, &cat(&[&state_block_item(), &[0x09], &[0xee; 40]]));
    let ev = h.events();
    let its = items(&ev);
    assert_eq!(its.len(), 2);
    assert!(its[0].entry.is_ok());
    assert_eq!(its[1].index, 2);
    assert_eq!(its[1].entry.as_ref().unwrap_err().code, "bad_block_type");
    assert!(life(&ev).contains(&(
        "end of bulk_pull".to_string(),
        Some("valid: 1, invalid: 1; stopped at a malformed entry".to_string())
    )));
    assert_eq!(anomalies(&ev)[0].0, "stream_desync");
    // More garbage is dropped; the next request gets its own stream.
    h.send(SERVER, &[0xee; 30]);
    h.send(CLIENT, &bulk_pull(None));
    h.send(SERVER, &[0x01]);
    let ev = h.events();
    assert_eq!(
        anomalies(&ev),
        vec![(
            "stream_desync",
            "71 bytes of a lost headerless stream skipped".to_string()
        )]
    );
    let id = messages(&ev)[0].id;
    let end = connection_events(&ev)
        .into_iter()
        .find(|c| c.event.as_str() == "end of bulk_pull")
        .unwrap();
    assert_eq!(end.message_id, Some(id));
    assert_eq!(end.detail.as_deref(), Some("valid: 0, invalid: 0"));
}

#[test]
fn server_bytes_before_the_request_wait_for_it() {
    let mut h = Harness::new();
    h.handshake();
    // The server's answer is reassembled before the client's request (the request
    // segment was captured late).
    let stream = cat(&[&frontier_entry(3), &[0u8; 64]]);
    h.send(SERVER, &stream);
    assert!(items(&h.events()).is_empty());
    h.send(CLIENT, &frontier_req());
    let ev = h.events();
    let msgs = messages(&ev);
    let its = items(&ev);
    assert_eq!(its.len(), 2);
    assert_eq!(its[0].request_id, msgs[0].id);
    assert_eq!(its[1].entry, Ok(StreamEntry::End));
    assert!(life(&ev).contains(&(
        "end of frontier_req".to_string(),
        Some("valid: 1, invalid: 0".to_string())
    )));
}

#[test]
fn bootstrap_request_on_a_realtime_connection_gets_no_stream() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &handshake_query());
    h.send(CLIENT, &frontier_req());
    // The server goes on with realtime messages; they are not frontier entries.
    h.send(SERVER, &telemetry_req());
    let ev = h.events();
    assert!(items(&ev).is_empty());
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x0a, 32), (CLIENT, 0x08, 40), (SERVER, 0x0c, 0)]
    );
}

// ---------------------------------------------------------------- connection table

#[test]
fn connection_table_is_bounded() {
    let limits = TcpLimits {
        max_connections: 2,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    for port in [40001u16, 40002, 40003] {
        h.ends[CLIENT].1 = port;
        h.handshake();
        h.send(CLIENT, &handshake_query());
    }
    let ev = h.events();
    let evicted: Vec<_> = connection_events(&ev)
        .into_iter()
        .filter(|c| c.event.as_str() == "evicted")
        .collect();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].meta.src_port, 40001);
    assert_eq!(anomalies(&ev)[0].0, "tcp_evicted");
    assert_eq!(h.tracker.table.len(), 2);
}

#[test]
fn idle_connections_are_evicted_in_capture_time() {
    let limits = TcpLimits {
        idle_timeout_usec: 4_000,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    h.handshake();
    h.send(CLIENT, &handshake_query());
    // Another connection keeps the capture going for 10 ms.
    h.ends[CLIENT].1 = 40000;
    for _ in 0..10 {
        h.send(CLIENT, &telemetry_req());
    }
    let ev = h.events();
    let evicted: Vec<_> = connection_events(&ev)
        .into_iter()
        .filter(|c| c.event.as_str() == "evicted")
        .collect();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0].meta.src_port, 51000);
}

#[test]
fn finish_flushes_open_connections() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &frontier_req());
    h.send(SERVER, &frontier_entry(1));
    h.finish();
    let ev = h.events();
    let l = life(&ev);
    assert!(l.contains(&(
        "end of frontier_req".to_string(),
        Some("valid: 1, invalid: 0; no terminator: capture ended".to_string())
    )));
    assert_eq!(l.last().unwrap().0, "open at end of capture");
}

#[test]
fn port_reuse_with_a_new_syn_starts_a_new_connection() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &telemetry_req());
    h.fin(CLIENT);
    h.fin(SERVER);
    // Late retransmission of the old data: ignored.
    let old = h.seq[CLIENT].wrapping_sub(9);
    h.raw(CLIENT, old, "A", &telemetry_req());
    h.seq = [100, 200];
    h.handshake();
    h.send(CLIENT, &frontier_req());
    let ev = h.events();
    assert_eq!(
        summary(&h, &ev),
        vec![(CLIENT, 0x0c, 0), (CLIENT, 0x08, 40)]
    );
    let opens = life(&ev).into_iter().filter(|(e, _)| e == "open").count();
    assert_eq!(opens, 2);
}

#[test]
fn syn_ack_first_then_reordered_syn_is_the_same_connection() {
    let mut h = Harness::new();
    let (c, s) = (h.seq[CLIENT], h.seq[SERVER]);
    h.seq[CLIENT] = c.wrapping_add(1);
    h.raw(SERVER, s, "SA", &[]); // acknowledges ISN + 1
    h.raw(CLIENT, c, "S", &[]);
    h.seq[SERVER] = s.wrapping_add(1);
    h.send(CLIENT, &handshake_query());
    let ev = h.events();
    assert_eq!(summary(&h, &ev), vec![(CLIENT, 0x0a, 32)]);
    let l = life(&ev);
    assert_eq!(
        l,
        vec![(
            "open".to_string(),
            Some("SYN-ACK (SYN not captured)".to_string())
        )]
    );
    assert_eq!(h.side(&connection_events(&ev)[0].meta), CLIENT);
}

#[test]
fn large_segments_are_not_truncated() {
    // A 64 KB GRO segment of frontier entries (the original tool's 4 KB buffer
    // corrupted these, bug B11).
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &frontier_req());
    let mut stream = Vec::new();
    for i in 0..1000u32 {
        stream.extend_from_slice(&frontier_entry((i % 200) as u8 + 1));
    }
    stream.extend_from_slice(&[0u8; 64]);
    h.send(SERVER, &stream);
    let ev = h.events();
    assert_eq!(items(&ev).len(), 1001);
    assert_eq!(items(&ev)[999].index, 1000);
    assert_eq!(items(&ev)[1000].entry, Ok(StreamEntry::End));
    assert!(life(&ev).contains(&(
        "end of frontier_req".to_string(),
        Some("valid: 1000, invalid: 0".to_string())
    )));
}

// ---------------------------------------------------------------- memory budget

/// Opens a realtime connection from client port `port`: SYN, SYN-ACK and a handshake
/// query (Nano traffic, so its events are not held back).
fn open_nano(h: &mut Harness, port: u16) {
    h.ends[CLIENT].1 = port;
    h.seq = [1_000_000, 9_000_000];
    h.handshake();
    h.send(CLIENT, &handshake_query());
}

/// Keepalive number `i + 1` after the client's next byte: keepalive 0 is never
/// captured, so this one is held out of order (152 bytes).
fn held_keepalive(h: &mut Harness, i: u32) {
    let at = h.seq[CLIENT].wrapping_add(152 * (i + 1));
    h.raw(CLIENT, at, "A", &keepalive());
}

/// The total the table tracks is the sum of every buffer, and within the budget.
fn check_budget(h: &Harness, budget: usize) {
    let m = h.tracker.memory();
    assert_eq!(m.tracked_total, m.total_buffered, "{m:?}");
    assert!(m.total_buffered <= budget, "{m:?}");
}

/// (client port, detail) of each "gap" connection event.
fn gaps_by_port(ev: &[Event]) -> Vec<(u16, String)> {
    connection_events(ev)
        .into_iter()
        .filter(|c| c.event.as_str() == "gap")
        .map(|c| (c.meta.src_port, c.detail.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn memory_budget_caps_held_bytes_over_all_connections() {
    // Each keepalive is held as one piece: 152 bytes and the piece's overhead.
    let k = 152 + PIECE_OVERHEAD;
    // Room for 131 held keepalives, not 132.
    let budget = 132 * k - k / 2;
    let limits = TcpLimits {
        max_buffered_per_direction: 40 * k,
        max_buffered_total: budget,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    let mut ev = Vec::new();
    // Six connections (ports 40001..40006) hold 16 keepalives each: 96.
    for port in 40001..=40006 {
        open_nano(&mut h, port);
        for i in 0..16 {
            held_keepalive(&mut h, i);
            check_budget(&h, budget);
        }
    }
    ev.extend(h.events());
    assert!(gaps_by_port(&ev).is_empty());
    // A seventh holds more and more: its 36th keepalive makes 132, over the budget.
    // It holds the most: it gives up its hole (152 bytes lost) and its 36 keepalives
    // are read; the others keep theirs (96 are within 63/64 of the budget).
    open_nano(&mut h, 40007);
    h.events();
    for i in 0..36 {
        held_keepalive(&mut h, i);
        check_budget(&h, budget);
    }
    let shed = h.events();
    assert_eq!(
        gaps_by_port(&shed),
        vec![(40007, "152 bytes lost".to_string())]
    );
    let a = anomalies(&shed);
    assert!(a.contains(&("tcp_gap", "152 bytes never captured; skipped".to_string())));
    let overflow: Vec<_> = a.iter().filter(|(k, _)| *k == "tcp_overflow").collect();
    assert_eq!(overflow.len(), 1, "{a:?}");
    assert!(
        overflow[0].1.contains(&budget.to_string()),
        "{}",
        overflow[0].1
    );
    assert_eq!(messages(&shed).len(), 36);
    // Its stream goes on in order from there.
    held_keepalive(&mut h, 36);
    assert_eq!(messages(&h.events()).len(), 1);
    check_budget(&h, budget);
    // Three more holding 16 each: 112, 128, then the fourth keepalive of the third
    // makes 132. The most held is 16, by the six first and two more: the oldest
    // (40001) gives up its own, down to 116, within 63/64 of the budget.
    for port in 40008..=40010 {
        open_nano(&mut h, port);
        for i in 0..16 {
            held_keepalive(&mut h, i);
            check_budget(&h, budget);
        }
    }
    ev = h.events();
    assert_eq!(
        gaps_by_port(&ev),
        vec![(40001, "152 bytes lost".to_string())]
    );
    let keepalives_from = |port: u16| {
        messages(&ev)
            .iter()
            .filter(|m| m.meta.src_port == port && m.header.msg_type == 0x02)
            .count()
    };
    assert_eq!(keepalives_from(40001), 16);
    assert_eq!(keepalives_from(40002), 0);
    // Left: 40002..40006, 40008, 40009 and 40010 (now 16 held too), 16 each.
    assert_eq!(h.tracker.memory().total_buffered, 8 * 16 * k);
}

#[test]
fn memory_budget_drops_unframed_bytes_too() {
    let budget = 30_000;
    let limits = TcpLimits {
        max_buffered_total: budget,
        ..TcpLimits::default()
    };
    let mut h = Harness::with_limits(limits);
    open_nano(&mut h, 40001);
    h.events();
    // asc_pull_ack with ext 0xffff: 9 + 65535 payload bytes, sent 1000 at a time; the
    // framer gathers them until the budget stops it.
    let big = cat(&[&header(DEV, 0x0f, 0xffff), &vec![0u8; 65544]]);
    for piece in big.chunks(1000) {
        h.send(CLIENT, piece);
        check_budget(&h, budget);
    }
    h.send(CLIENT, &keepalive());
    let ev = h.events();
    let a = anomalies(&ev);
    let overflow: Vec<_> = a.iter().filter(|(k, _)| *k == "tcp_overflow").collect();
    assert_eq!(overflow.len(), 1, "{a:?}");
    assert!(
        overflow[0].1.contains("unframed bytes dropped"),
        "{}",
        overflow[0].1
    );
    // The rest of the message is skipped; the keepalive after it is read.
    assert!(a.iter().any(|(k, _)| *k == "resync"), "{a:?}");
    assert_eq!(summary(&h, &ev), vec![(CLIENT, 0x02, 144)]);
}

/// One random segment of `arbitrary_segments`: direction, client port, seq, flags,
/// payload.
type RandomSegment = (usize, u16, u32, &'static str, Vec<u8>);

/// 300 segments cut from the fuzzer's corpus, some corrupted, with random flags and
/// sequence numbers: retransmissions, overlaps and gaps, some of them conflicting.
fn arbitrary_segments(rng: &mut Rng) -> Vec<RandomSegment> {
    let corpus = fuzz::corpus();
    let mut seqs = Harness::new().seq;
    let mut out = Vec::new();
    for _ in 0..300 {
        let d = (rng.next() % 2) as usize;
        let port = 51000 + (rng.next() % 3) as u16;
        let payload = fuzz::rand_payload(rng, &corpus);
        let flags = ["A", "A", "A", "A", "S", "SA", "FA", "R"][(rng.next() % 8) as usize];
        let seq = match rng.next() % 4 {
            0 => rng.next() as u32,
            1 => seqs[d].wrapping_sub((rng.next() % 500) as u32),
            _ => seqs[d],
        };
        seqs[d] = seq.wrapping_add(payload.len() as u32);
        out.push((d, port, seq, flags, payload));
    }
    out
}

fn replay(limits: TcpLimits, segments: &[RandomSegment]) -> Vec<Event> {
    let mut h = Harness::with_limits(limits);
    for (d, port, seq, flags, payload) in segments {
        h.ends[CLIENT].1 = *port;
        h.raw(*d, *seq, flags, payload);
    }
    h.finish();
    h.events()
}

#[test]
fn arbitrary_segments_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..40 {
        let limits = TcpLimits {
            max_buffered_per_direction: 1 + (rng.next() % 3000) as usize,
            max_connections: 1 + (rng.next() % 4) as usize,
            idle_timeout_usec: 1 + (rng.next() % 50_000) as i64,
            max_buffered_total: (rng.next() % 8000) as usize,
            reorder_window_segments: rng.next() % 8,
            report: Reporting {
                per_message_events: rng.next() % 2 == 0,
                node_ids: rng.next() % 2 == 0,
                ..Reporting::default()
            },
        };
        let segments = arbitrary_segments(&mut rng);
        let ev = replay(limits, &segments);
        // Ids are handed out once each, in order.
        let ids: Vec<u64> = messages(&ev).iter().map(|m| m.id).collect();
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "round {round}");
    }
}

/// Not comparing retransmissions with the first copy (`Reporting::conflicts` off, for
/// tables that show no anomalies) drops the `tcp_conflict` anomalies and nothing else.
#[test]
fn without_conflict_checks_only_the_conflicts_go() {
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let mut conflicts = 0;
    for round in 0..40 {
        let segments = arbitrary_segments(&mut rng);
        let checked = replay(TcpLimits::default(), &segments);
        let mut limits = TcpLimits::default();
        limits.report.conflicts = false;
        let unchecked = replay(limits, &segments);
        let is_conflict =
            |e: &Event| matches!(e, Event::Anomaly(a) if a.kind == AnomalyKind::TcpConflict);
        conflicts += checked.iter().filter(|e| is_conflict(e)).count();
        assert!(!unchecked.iter().any(is_conflict), "round {round}");
        let rest: Vec<&Event> = checked.iter().filter(|e| !is_conflict(e)).collect();
        let other: Vec<&Event> = unchecked.iter().collect();
        if let Some(i) = (0..rest.len().min(other.len())).find(|&i| rest[i] != other[i]) {
            panic!("round {round}, event {i}:\n{:?}\n{:?}", rest[i], other[i]);
        }
        assert_eq!(rest.len(), other.len(), "round {round}");
    }
    assert!(
        conflicts > 10,
        "too few conflicting retransmissions: {conflicts}"
    );
}

/// Throughput of the realtime path: `cargo test --release --lib throughput -- --ignored
/// --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let mut h = Harness::new();
    h.handshake();
    h.send(CLIENT, &handshake_query());
    let one = cat(&[
        &keepalive(),
        &confirm_req(),
        &telemetry_req(),
        &confirm_req(),
    ]);
    let stream: Vec<u8> = (0..200_000).flat_map(|_| one.iter().copied()).collect();
    h.events();
    // Baseline: the decoder alone over the same bytes.
    let start = std::time::Instant::now();
    let (mut at, mut decoded) = (0, 0);
    while let Ok((_, p, n)) = crate::protocol::decode_message(&stream[at..]) {
        decoded += usize::from(p.is_ok());
        at += n;
    }
    println!("decoder alone: {decoded} messages in {:?}", start.elapsed());
    let start = std::time::Instant::now();
    let first = h.next_id;
    for seg in stream.chunks(1448) {
        h.send(CLIENT, seg);
        h.out.clear();
    }
    let el = start.elapsed();
    let count = (h.next_id - first) as usize;
    assert_eq!(count, 800_000);
    println!("size of Event: {}", std::mem::size_of::<Event>());
    println!(
        "{} MB, {count} messages in {:?}: {:.0} MB/s, {:.0} ns/message",
        stream.len() / 1_000_000,
        el,
        stream.len() as f64 / el.as_secs_f64() / 1e6,
        el.as_nanos() as f64 / count as f64
    );
}

// ---------------------------------------------------------------- real capture

/// The real RsNano capture (optional test input, `NANOCAP_CAPTURES`): every message
/// the nodes counted, nothing else, no anomaly. Skips when it is not there.
#[test]
fn real_capture_matches_the_nodes_own_counts() {
    let Some(path) = crate::test_support::real_capture("rsnano_dev_live_small.pcap") else {
        return;
    };
    let mut p = crate::capture::Pipeline::open(&path).unwrap();
    let mut by_type = std::collections::BTreeMap::<u8, u64>::new();
    let mut ev = Vec::new();
    while let Some(e) = p.next_event() {
        if let Event::Message(m) = &e {
            *by_type.entry(m.header.msg_type).or_default() += 1;
            assert!(m.payload.is_ok(), "message {}: {:?}", m.id, m.payload);
        }
        ev.push(e);
    }
    let expected: std::collections::BTreeMap<u8, u64> = [
        (0x0f, 2821),
        (0x0e, 2821),
        (0x07, 8),
        (0x05, 155),
        (0x04, 144),
        (0x08, 8),
        (0x02, 185),
        (0x0a, 7),
        (0x03, 1232),
        (0x0d, 104),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_type, expected);
    assert_eq!(anomalies(&ev), vec![]);
    // Legacy bootstrap: 8 frontier_req answered (14 entries in all, as the protocol
    // test's independent count says), 8 bulk_push streams.
    let its = items(&ev);
    let (terminators, entries): (Vec<&StreamItemEvent>, Vec<&StreamItemEvent>) = its
        .into_iter()
        .partition(|i| i.entry == Ok(StreamEntry::End));
    assert_eq!(entries.len(), 14);
    assert!(entries
        .iter()
        .all(|i| matches!(i.entry, Ok(StreamEntry::Frontier { .. }))
            && i.request_type == StreamRequest::FrontierReq));
    // Every frontier stream and every bulk_push stream was terminated.
    assert_eq!(terminators.len(), 16);
    let ends = |name: &str| {
        connection_events(&ev)
            .iter()
            .filter(|c| c.event.as_str() == name)
            .count()
    };
    assert_eq!(ends("end of frontier_req"), 8);
    assert_eq!(ends("end of bulk_push"), 8);
    // 13 connections, two of them refused (SYN, RST) without a byte of Nano: 11 opens.
    assert_eq!(ends("open"), 11);
    // Every handshake response verifies against the cookie the other side sent.
    let responses: Vec<u64> = messages(&ev)
        .iter()
        .filter(|m| matches!(&m.payload, Ok(Payload::NodeIdHandshake(h)) if h.response.is_some()))
        .map(|m| m.id)
        .collect();
    assert_eq!(responses.len(), 4);
    let mut node_ids = std::collections::BTreeSet::new();
    for c in connection_events(&ev) {
        if c.message_id.is_some_and(|id| responses.contains(&id))
            && c.event.as_str() == "node_id_handshake"
        {
            node_ids.insert(c.src_node_id.expect("proved node id"));
        }
    }
    // Two nodes.
    assert_eq!(node_ids.len(), 2);
}

// ---------------------------------------------------------------- synthetic ground truth

/// Runs the whole pipeline over a generated capture and compares every TCP message,
/// stream item and stream with the generator's ground truth (an independent encoder
/// with realistic TCP shaping: coalescing, splits, retransmissions, overlaps,
/// reordering, wrapping sequence numbers, a lost segment, a mid-stream start).
/// Needs the generator: `cargo test --features synth`.
#[cfg(feature = "synth")]
fn check_against_truth(
    name: &str,
    bytes: &[u8],
    truth: &crate::synth::truth::GroundTruth,
) -> Vec<Event> {
    let ev = run_capture(name, bytes, TcpLimits::default());
    let msgs = messages(&ev);
    if std::env::var("TCP_DEBUG").is_ok() {
        for (i, t) in truth.messages.iter().enumerate() {
            let m = msgs.get(i);
            eprintln!(
                "{:4} truth f{:5} {}:{} {} gap={} | got {:?}",
                t.id,
                t.frame,
                t.src_ip,
                t.src_port,
                t.msg_name,
                t.after_gap,
                m.map(|m| (
                    m.meta.frame,
                    m.meta.src_ip,
                    m.meta.src_port,
                    m.header.msg_type
                ))
            );
        }
        for e in &ev {
            if let Event::Anomaly(a) = e {
                eprintln!("anomaly {} {} {}", a.frame, a.kind, a.detail);
            }
        }
    }
    assert_eq!(msgs.len(), truth.messages.len(), "{name}: message count");
    for (m, t) in msgs.iter().zip(&truth.messages) {
        let what = format!("{name}: message {} ({})", t.id, t.msg_name);
        assert_eq!(m.id, t.id, "{what}");
        if !t.after_gap {
            assert_eq!(m.meta.frame, t.frame, "{what}: frame");
        }
        assert_eq!(m.meta.src_ip.to_string(), t.src_ip, "{what}");
        assert_eq!(m.meta.src_port, t.src_port, "{what}");
        assert_eq!(m.meta.dst_ip.to_string(), t.dst_ip, "{what}");
        assert_eq!(m.meta.dst_port, t.dst_port, "{what}");
        assert_eq!(m.header.msg_type, t.msg_type, "{what}");
        assert_eq!(m.header.extensions, t.extensions, "{what}");
        assert_eq!(m.size, t.size, "{what}");
        assert_eq!(
            m.payload.as_ref().err().map(|e| e.code.to_string()),
            t.error,
            "{what}"
        );
    }
    let its = items(&ev);
    let kind = |e: &Result<StreamEntry, crate::protocol::Malformed>| match e {
        Ok(StreamEntry::Frontier { .. }) => "frontier",
        Ok(StreamEntry::Block(_)) => "block",
        Ok(StreamEntry::AccountFrontier { .. }) => "account_frontier",
        Ok(StreamEntry::PendingEntry { .. }) => "pending_entry",
        Ok(StreamEntry::End) => "end",
        Err(_) => "error",
    };
    let got: Vec<_> = its
        .iter()
        .map(|i| {
            (
                i.meta.frame,
                i.request_id,
                i.request_type.message_type().code(),
                i.index,
                kind(&i.entry),
            )
        })
        .collect();
    let want: Vec<_> = truth
        .stream_items
        .iter()
        .map(|i| {
            (
                i.frame,
                i.request_id,
                i.request_type,
                i.index,
                i.kind.as_str(),
            )
        })
        .collect();
    assert_eq!(got, want, "{name}: stream items");
    for st in &truth.streams {
        let end = connection_events(&ev)
            .into_iter()
            .find(|c| {
                c.message_id == Some(st.request_id)
                    && matches!(c.event, ConnectionEventKind::EndOfStream(_))
            })
            .unwrap_or_else(|| panic!("{name}: no end event for request {}", st.request_id));
        let detail = end.detail.clone().unwrap_or_default();
        assert!(
            detail.starts_with(&format!("valid: {}, invalid: 0", st.entries)),
            "{name}: request {}: {detail}",
            st.request_id
        );
        assert_eq!(
            !detail.contains("no terminator"),
            st.terminated,
            "{name}: request {}: {detail}",
            st.request_id
        );
    }
    for a in anomalies(&ev) {
        eprintln!("{name}: anomaly {a:?}");
    }
    ev
}

/// Every event of the whole pipeline over a capture in memory, with these TCP limits.
#[cfg(feature = "synth")]
fn run_capture(name: &str, bytes: &[u8], tcp: TcpLimits) -> Vec<Event> {
    let path =
        std::env::temp_dir().join(format!("nanocap-tcp-{name}-{}.pcapng", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let options = crate::capture::PipelineOptions {
        tcp,
        ..Default::default()
    };
    let mut p = crate::capture::Pipeline::open_with(&path, options).unwrap();
    let mut ev = Vec::new();
    while let Some(e) = p.next_event() {
        ev.push(e);
    }
    std::fs::remove_file(&path).ok();
    ev
}

#[cfg(feature = "synth")]
#[test]
fn synthetic_tcp_realistic_matches_its_ground_truth() {
    let (bytes, truth) = crate::synth::presets::tcp_realistic(2);
    check_against_truth("tcp_realistic", &bytes, &truth);
}

#[cfg(feature = "synth")]
#[test]
fn synthetic_sample_matches_its_ground_truth() {
    let (bytes, truth) = crate::synth::presets::sample(3);
    check_against_truth("sample", &bytes, &truth);
}

mod fuzz;

#[test]
fn per_message_events_can_be_switched_off_without_changing_anything_else() {
    // The same realtime exchange with and without per-message connection events: the
    // messages and every other connection event are identical.
    let run = |per_message_events: bool| {
        let limits = TcpLimits {
            report: Reporting {
                per_message_events,
                node_ids: true,
                ..Reporting::default()
            },
            ..TcpLimits::default()
        };
        let mut h = Harness::with_limits(limits);
        h.handshake();
        h.send(
            CLIENT,
            &cat(&[&handshake_query(), &keepalive(), &keepalive()]),
        );
        h.send(SERVER, &keepalive());
        h.fin(CLIENT);
        h.fin(SERVER);
        h.finish();
        h.events()
    };
    let with = run(true);
    let without = run(false);
    let per_message = |e: &Event| matches!(e, Event::Connection(c) if c.message_id.is_some() && !matches!(c.event, ConnectionEventKind::EndOfStream(_)));
    assert_eq!(with.iter().filter(|e| per_message(e)).count(), 4);
    assert_eq!(without.iter().filter(|e| per_message(e)).count(), 0);
    let rest: Vec<&Event> = with.iter().filter(|e| !per_message(e)).collect();
    assert_eq!(rest, without.iter().collect::<Vec<_>>());
}

/// The generator's truth assumes the decoder's default reorder window.
#[cfg(feature = "synth")]
#[test]
fn generator_knows_the_default_reorder_window() {
    assert_eq!(
        TcpLimits::default().reorder_window_segments,
        crate::synth::tcp::DECODER_REORDER_WINDOW
    );
}

/// Captures that recorded 15 % of the segments late (after up to 6 later segments of
/// their connection, so that acknowledgements often come before the bytes they
/// acknowledge), and lost nothing: every message and stream item is read exactly as
/// the generator wrote it, with no gap.
#[cfg(feature = "synth")]
#[test]
fn heavy_capture_reordering_loses_nothing() {
    for seed in [1, 2, 3] {
        let (bytes, truth) = crate::synth::presets::tcp_reordered(seed, 0.15);
        assert_eq!(truth.lost_messages, 0);
        let name = format!("reordered-{seed}");
        let ev = check_against_truth(&name, &bytes, &truth);
        let a = anomalies(&ev);
        assert!(a.is_empty(), "{name}: {a:?}");
        assert!(!life(&ev).iter().any(|(e, _)| e == "gap"), "{name}");
        // The capture does test the rule: read with no reorder window (the old rule,
        // an acknowledged hole given up at once), it loses data.
        let limits = TcpLimits {
            reorder_window_segments: 0,
            ..TcpLimits::default()
        };
        let ev = run_capture(&name, &bytes, limits);
        let gaps = anomalies(&ev)
            .iter()
            .filter(|(k, _)| *k == "tcp_gap")
            .count();
        assert!(gaps >= 20, "{name}: {gaps} gaps without a window");
        assert!(
            anomalies(&ev).iter().any(|(k, _)| *k == "tcp_late"),
            "{name}: late data recognised"
        );
    }
}

/// The rule for `id`, `frame` and `time`: ids number messages in the order they could
/// be read; `frame` and `time` are those of the record that let the message be read
/// (it completed the message, filled the hole before it, or, for a hole given up at
/// the end, the capture's last record). A message held behind a hole therefore has a later frame
/// than the segment that carried its bytes, and messages read in order keep frames in
/// id order: ids and frames never disagree, both say when a message could be read.
#[test]
fn a_message_held_behind_a_hole_has_the_frame_that_let_it_be_read() {
    let mut h = Harness::new();
    h.handshake();
    let start = h.seq[CLIENT];
    let data = cat(&[&keepalive(), &telemetry_req()]);
    // The telemetry_req is captured first, the keepalive before it never.
    h.raw(CLIENT, start.wrapping_add(152), "A", &data[152..]);
    let carried = h.frame;
    assert!(messages(&h.events()).is_empty());
    // Another connection goes on.
    h.ends[CLIENT].1 = 40000;
    h.handshake();
    h.send(CLIENT, &telemetry_req());
    let last = h.frame;
    h.finish();
    let ev = h.events();
    let m = messages(&ev);
    assert_eq!(m.len(), 2);
    // The other connection's message was readable first; the held one only when the
    // capture ended and its hole was given up: the last frame, not the one it came in.
    assert_eq!((m[0].meta.src_port, m[0].meta.frame), (40000, last));
    assert_eq!((m[1].meta.src_port, m[1].meta.frame), (51000, last));
    assert!(m[1].id > m[0].id);
    assert_ne!(m[1].meta.frame, carried);
}
