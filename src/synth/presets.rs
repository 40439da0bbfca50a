//! Ready-made captures: every UDP message form on every link type, realistic TCP
//! (realtime and bootstrap with all shaping), one small capture per link type, the
//! README sample, and the streaming benchmark.

use std::io::{self, Write};
use std::net::SocketAddr;

use super::conversations;
use super::emit::{peer_ip, Emitter, Flow};
use super::frames::{Link, ALL_LINKS};
use super::messages::{Factory, Network, VoteStamp};
use super::rng::Rng;
use super::tcp::{emit_connection, Close, TcpShaping};
use super::truth::GroundTruth;
use super::writer::{CaptureWriter, Format};
use crate::protocol::types::BlockType;

/// The streaming benchmark preset (bounded memory, any size): see [`crate::synth::bench`].
pub use super::bench;

const BLOCK_TYPES: [BlockType; 5] = [
    BlockType::Send,
    BlockType::Receive,
    BlockType::Open,
    BlockType::Change,
    BlockType::State,
];

/// The named presets of the CLI (`--preset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    UdpAllTypes,
    TcpRealistic,
    Sample,
    Link(Link),
}

impl Preset {
    pub fn parse(s: &str) -> Option<Preset> {
        match s {
            "udp-all-types" | "udp_all_types" => Some(Preset::UdpAllTypes),
            "tcp-realistic" | "tcp_realistic" => Some(Preset::TcpRealistic),
            "sample" => Some(Preset::Sample),
            _ => s
                .strip_prefix("link-")
                .and_then(Link::parse)
                .map(Preset::Link),
        }
    }
}

pub(crate) fn flow(link: Link, ipv: u8, a: u32, b: u32, port_a: u16, port_b: u16) -> Flow {
    Flow {
        link,
        a: SocketAddr::new(peer_ip(ipv, a), port_a),
        b: SocketAddr::new(peer_ip(ipv, b), port_b),
    }
}

/// Writes `preset` to `out`; `truncate_last` adds a final keepalive whose record is cut.
pub fn write_preset<W: Write>(
    preset: Preset,
    seed: u64,
    format: Format,
    truncate_last: bool,
    out: W,
) -> io::Result<(W, GroundTruth)> {
    let mut w = CaptureWriter::new(out, format)?;
    w.truncate_last = truncate_last;
    let mut em = Emitter::new(
        w,
        GroundTruth::new(seed, format.name(), true),
        Rng::new(seed).fork(0x656d6974),
    );
    let mut f = Factory::new(Network::Dev, seed);
    match preset {
        Preset::UdpAllTypes => udp_all_types_into(&mut em, &mut f, None)?,
        Preset::TcpRealistic => {
            tcp_realistic_into(&mut em, &mut f, Link::Ethernet)?;
            bulk_pull_blocks_into(&mut em, &mut f, Link::Ethernet)?;
        }
        Preset::Sample => {
            udp_all_types_into(&mut em, &mut f, Some(Link::Ethernet))?;
            tcp_realistic_into(&mut em, &mut f, Link::Ethernet)?;
            let fl = flow(Link::Ethernet, 4, 40, 41, 50123, 44000);
            let conv = conversations::realtime(&mut f, 120, true, 4, 5);
            emit_connection(
                &mut em,
                &fl,
                &conv,
                &TcpShaping {
                    coalesce: true,
                    ..TcpShaping::plain()
                },
            )?;
        }
        Preset::Link(link) => link_into(&mut em, &mut f, link)?,
    }
    finish(em, &mut f, truncate_last)
}

fn finish<W: Write>(
    mut em: Emitter<W>,
    f: &mut Factory,
    truncate_last: bool,
) -> io::Result<(W, GroundTruth)> {
    if truncate_last {
        // A keepalive whose record is cut in half: no message, not in the truth.
        let dlt = em.truth.link_types.first().copied().unwrap_or(1);
        let link = ALL_LINKS
            .iter()
            .copied()
            .find(|l| l.dlt() == dlt)
            .unwrap_or(Link::Ethernet);
        let fl = flow(
            link,
            if link.carries(4) { 4 } else { 6 },
            90,
            91,
            44000,
            44000,
        );
        let m = f.keepalive(4);
        em.udp_cut(&fl, &m.bytes)?;
    }
    let truth = em.truth.clone();
    let out = em.w.finish()?;
    Ok((out, truth))
}

/// Convenience: a preset into memory.
pub fn preset_bytes(preset: Preset, seed: u64, format: Format) -> (Vec<u8>, GroundTruth) {
    match write_preset(preset, seed, format, false, Vec::new()) {
        Ok(x) => x,
        Err(e) => (
            Vec::new(),
            GroundTruth {
                format: format!("error: {e}"),
                ..Default::default()
            },
        ),
    }
}

/// Every UDP-capable message form on every link type, in one pcapng, with malformed
/// messages, noise, ARP and fragmented datagrams.
pub fn udp_all_types(seed: u64) -> (Vec<u8>, GroundTruth) {
    preset_bytes(Preset::UdpAllTypes, seed, Format::PcapNg)
}

/// Realtime and bootstrap TCP connections with every shaping knob.
pub fn tcp_realistic(seed: u64) -> (Vec<u8>, GroundTruth) {
    preset_bytes(Preset::TcpRealistic, seed, Format::PcapNg)
}

/// Realtime and bootstrap TCP connections whose segments the capture recorded out of
/// order (`TcpShaping::reordered`, at `rate` instead of 15 %), with no loss: a correct
/// decoder reads every message and item.
pub fn tcp_reordered(seed: u64, rate: f64) -> (Vec<u8>, GroundTruth) {
    let run = || -> io::Result<(Vec<u8>, GroundTruth)> {
        let w = CaptureWriter::new(Vec::new(), Format::PcapNg)?;
        let truth = GroundTruth::new(seed, Format::PcapNg.name(), true);
        let mut em = Emitter::new(w, truth, Rng::new(seed).fork(0x656d6974));
        let mut f = Factory::new(Network::Dev, seed);
        let port = f.net.port();
        let sh = TcpShaping {
            capture_reorder_rate: rate,
            ..TcpShaping::reordered()
        };
        // Bootstrap streams answer in big flights: cut them small, so that many of their
        // segments are captured after the client's acknowledgements.
        let small = TcpShaping {
            max_segment: 120,
            ..sh
        };
        for k in 0..6u32 {
            let c = conversations::realtime(&mut f, 120, k % 2 == 0, 0, 1);
            emit_connection(
                &mut em,
                &flow(Link::Ethernet, 4, 20 + k, 2, 52000 + k as u16, port),
                &c,
                &sh,
            )?;
        }
        let c = conversations::frontier_then_push(&mut f, 40, true);
        emit_connection(
            &mut em,
            &flow(Link::Ethernet, 4, 30, 2, 52100, port),
            &c,
            &small,
        )?;
        let c = conversations::bulk_pulls(&mut f, false);
        emit_connection(
            &mut em,
            &flow(Link::Ethernet, 6, 31, 2, 52101, port),
            &c,
            &small,
        )?;
        let c = conversations::bulk_pull_accounts(&mut f);
        emit_connection(
            &mut em,
            &flow(Link::Ethernet, 4, 32, 2, 52102, port),
            &c,
            &small,
        )?;
        let truth = em.truth.clone();
        Ok((em.w.finish()?, truth))
    };
    run().unwrap_or_else(|e| {
        (
            Vec::new(),
            GroundTruth {
                format: format!("error: {e}"),
                ..Default::default()
            },
        )
    })
}

/// A small capture on one link type (pcap, so the file's link type is that one).
pub fn link_capture(link: Link, seed: u64) -> (Vec<u8>, GroundTruth) {
    preset_bytes(
        Preset::Link(link),
        seed,
        Format::Pcap {
            nanos: false,
            big_endian: false,
        },
    )
}

/// The README quick-start sample: UDP and TCP, every message type (~300 messages).
pub fn sample(seed: u64) -> (Vec<u8>, GroundTruth) {
    preset_bytes(Preset::Sample, seed, Format::PcapNg)
}

/// Picks flows round-robin over the links (or the one `only` link), alternating IPv4
/// and IPv6 where the link allows.
struct FlowCycle {
    links: Vec<Link>,
    n: usize,
    port: u16,
}

impl FlowCycle {
    fn next(&mut self) -> Flow {
        let link = self.links[self.n % self.links.len()];
        let mut ipv = if (self.n / self.links.len()) % 2 == 0 {
            4
        } else {
            6
        };
        if !link.carries(ipv) {
            ipv = if ipv == 4 { 6 } else { 4 };
        }
        let k = (self.n % 7) as u32;
        self.n += 1;
        flow(link, ipv, k, k + 10, self.port, self.port)
    }

    fn v4(&mut self) -> Flow {
        loop {
            let f = self.next();
            if f.ipv() == 4 {
                return f;
            }
        }
    }
}

pub(crate) fn udp_all_types_into<W: Write>(
    em: &mut Emitter<W>,
    f: &mut Factory,
    only: Option<Link>,
) -> io::Result<()> {
    let mut fc = FlowCycle {
        links: only.map(|l| vec![l]).unwrap_or_else(|| ALL_LINKS.to_vec()),
        n: 0,
        port: f.net.port(),
    };
    let mut msgs = vec![f.keepalive(0), f.keepalive(6), f.keepalive(3)];
    for t in BLOCK_TYPES {
        msgs.push(f.publish(t, false));
        msgs.push(f.publish(t, true));
    }
    for n in [1, 7, 15, 16, 100, 255] {
        msgs.push(f.confirm_req(n));
    }
    for t in BLOCK_TYPES {
        msgs.push(f.confirm_req_block(t));
    }
    msgs.push(f.confirm_req_v18(3));
    for (n, s, rb) in [
        (1, VoteStamp::Packed, false),
        (15, VoteStamp::Packed, true),
        (16, VoteStamp::Packed, false),
        (200, VoteStamp::Final, true),
        (3, VoteStamp::Final, false),
        (2, VoteStamp::PlainMs, false),
        (4, VoteStamp::Sequence, false),
    ] {
        msgs.push(f.confirm_ack(n, s, rb));
    }
    for t in BLOCK_TYPES {
        msgs.push(f.confirm_ack_block(t));
    }
    msgs.push(f.confirm_ack_v16(4));
    msgs.push(f.bulk_pull(None, false));
    msgs.push(f.bulk_pull(Some(128), false));
    msgs.push(f.bulk_pull(Some(16), true));
    msgs.push(f.bulk_push());
    msgs.push(f.frontier_req(false));
    msgs.push(f.frontier_req(true));
    msgs.push(f.bulk_pull_blocks(1));
    for flags in [0, 1, 2] {
        msgs.push(f.bulk_pull_account(flags));
    }
    msgs.push(f.telemetry_req());
    msgs.push(f.telemetry_ack(1, 0));
    msgs.push(f.telemetry_ack(2, 6));
    msgs.push(f.telemetry_ack_empty());
    for k in [1u8, 2, 3] {
        let id = f.rng().next_u64();
        msgs.push(f.asc_pull_req(k, id));
        msgs.push(f.asc_pull_ack(k, id));
    }
    msgs.push(f.publish_bad_signature());
    msgs.push(f.confirm_ack_bad_signature());
    for m in &msgs {
        let fl = fc.next();
        em.udp_msg(&fl, true, m)?;
    }

    // Handshake exchanges between the same two endpoints: v1 then v2.
    for v2 in [false, true] {
        let fl = fc.next();
        let c1 = f.new_cookie();
        let c2 = f.new_cookie();
        em.udp_msg(&fl, true, &f.handshake(Some(c1), None, 0, v2))?;
        em.udp_msg(&fl, false, &f.handshake(Some(c2), Some(c1), 1, v2))?;
        em.udp_msg(&fl, true, &f.handshake(None, Some(c2), 0, v2))?;
    }

    // Malformed messages, each once.
    for k in 0..7 {
        let fl = fc.next();
        let m = f.malformed_msg(k);
        em.udp_msg(&fl, true, &m)?;
    }

    // Noise: DNS-like, random bytes, ARP (when Ethernet is in use).
    let fl = fc.next();
    let dns = em.dns_like();
    em.udp_noise(
        &Flow {
            b: SocketAddr::new(fl.b.ip(), 53),
            ..fl
        },
        true,
        &dns,
    )?;
    let fl = fc.next();
    let junk = em.random_noise(77);
    em.udp_noise(&fl, false, &junk)?;
    if only.is_none() || only == Some(Link::Ethernet) {
        em.arp()?;
    }

    // IPv4 fragmentation: a big vote in 3 fragments out of order, a telemetry in 2.
    let big = f.confirm_ack(60, VoteStamp::Packed, false);
    let fl = fc.v4();
    em.udp_fragmented(&fl, true, &big, 800, true)?;
    let tel = f.telemetry_ack(3, 0);
    let fl = fc.v4();
    em.udp_fragmented(&fl, false, &tel, 128, false)?;
    Ok(())
}

pub(crate) fn tcp_realistic_into<W: Write>(
    em: &mut Emitter<W>,
    f: &mut Factory,
    link: Link,
) -> io::Result<()> {
    let port = f.net.port();
    let alt = |l: Link| if link == Link::Ethernet { l } else { link };
    // Realtime v2, coalesced and cut anywhere, duplicates, overlaps, reordering.
    let c = conversations::realtime(f, 40, true, 0, 1);
    emit_connection(
        em,
        &flow(link, 4, 1, 2, 51001, port),
        &c,
        &TcpShaping::messy(),
    )?;
    // Realtime v1 over IPv6, many messages per segment, sequence numbers wrapping.
    let c = conversations::realtime(f, 30, false, 2, 3);
    let sh = TcpShaping {
        coalesce: true,
        wrap_seq: true,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(alt(Link::Sll), 6, 3, 4, 51002, port), &c, &sh)?;
    // Bootstrap: frontier_req -> frontiers, then bulk_push, split anywhere.
    let c = conversations::frontier_then_push(f, 12, true);
    let sh = TcpShaping {
        split_anywhere: true,
        coalesce: true,
        max_segment: 100,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(link, 4, 5, 2, 51003, port), &c, &sh)?;
    // Bootstrap: bulk_pulls, last stream closed early, reordering and retransmits, RST.
    let c = conversations::bulk_pulls(f, true);
    let sh = TcpShaping {
        reorder_rate: 0.2,
        retransmit_rate: 0.2,
        close: Close::Rst,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(alt(Link::Vlan), 4, 6, 2, 51004, port), &c, &sh)?;
    // Bootstrap: bulk_pull_account flags 0, 1, 2 over IPv6.
    let c = conversations::bulk_pull_accounts(f);
    emit_connection(
        em,
        &flow(link, 6, 7, 2, 51005, port),
        &c,
        &TcpShaping::plain(),
    )?;
    // Realtime with one lost segment.
    let c = conversations::realtime(f, 30, true, 4, 1);
    let sh = TcpShaping {
        lose_segment: true,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(link, 4, 8, 2, 51006, port), &c, &sh)?;
    // Realtime captured mid-stream (no SYN), left open.
    let c = conversations::realtime(f, 20, true, 5, 1);
    let sh = TcpShaping {
        mid_stream: true,
        split_anywhere: true,
        max_segment: 300,
        close: Close::Open,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(link, 4, 9, 2, 51007, port), &c, &sh)?;
    Ok(())
}

/// Bootstrap as V15–V17 nodes had it: bulk_pull_blocks in list mode, then in checksum mode
/// (in tcp-realistic only, so that the sample stays as it was).
fn bulk_pull_blocks_into<W: Write>(
    em: &mut Emitter<W>,
    f: &mut Factory,
    link: Link,
) -> io::Result<()> {
    let port = f.net.port();
    let c = conversations::bulk_pull_blocks(f);
    emit_connection(
        em,
        &flow(link, 4, 10, 2, 51008, port),
        &c,
        &TcpShaping::plain(),
    )
}

fn link_into<W: Write>(em: &mut Emitter<W>, f: &mut Factory, link: Link) -> io::Result<()> {
    let ipv = if link.carries(4) { 4 } else { 6 };
    let port = f.net.port();
    let fl = flow(link, ipv, 1, 2, port, port);
    for m in [
        f.keepalive(2),
        f.publish(BlockType::State, true),
        f.confirm_ack(3, VoteStamp::Packed, false),
        f.telemetry_ack(0, 0),
    ] {
        em.udp_msg(&fl, true, &m)?;
    }
    let m = f.malformed_msg(2);
    em.udp_msg(&fl, false, &m)?;
    let c = conversations::realtime(f, 8, true, 0, 1);
    let sh = TcpShaping {
        coalesce: true,
        ..TcpShaping::plain()
    };
    emit_connection(em, &flow(link, ipv, 3, 2, 51010, port), &c, &sh)?;
    if link.carries(6) && ipv == 4 {
        let fl6 = flow(link, 6, 4, 5, port, port);
        em.udp_msg(&fl6, true, &f.confirm_req(2))?;
    }
    Ok(())
}
