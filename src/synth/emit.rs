//! Puts messages on the wire: a clock, addresses, link framing, UDP datagrams (whole
//! or IPv4-fragmented), non-Nano noise, and the ground truth of each record.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};

use super::frames::{self, Link};
use super::messages::Msg;
use super::rng::Rng;
use super::truth::{GroundTruth, MessageTruth};
use super::writer::CaptureWriter;

/// Two endpoints and the link they are captured on. `a` is the client / initiator.
#[derive(Debug, Clone, Copy)]
pub struct Flow {
    pub link: Link,
    pub a: SocketAddr,
    pub b: SocketAddr,
}

impl Flow {
    pub fn ipv(&self) -> u8 {
        if self.a.is_ipv4() {
            4
        } else {
            6
        }
    }

    /// (src, dst) for a packet sent by `a` (`from_a`) or by `b`.
    pub fn ends(&self, from_a: bool) -> (SocketAddr, SocketAddr) {
        if from_a {
            (self.a, self.b)
        } else {
            (self.b, self.a)
        }
    }
}

pub struct Emitter<W: Write> {
    pub w: CaptureWriter<W>,
    pub truth: GroundTruth,
    pub clock_ns: u64,
    rng: Rng,
    ip_id: u16,
}

/// 2023-11-14 22:13:20 UTC, in ns.
pub const START_NS: u64 = 1_700_000_000_000_000_000;

impl<W: Write> Emitter<W> {
    pub fn new(w: CaptureWriter<W>, truth: GroundTruth, rng: Rng) -> Self {
        Emitter {
            w,
            truth,
            clock_ns: START_NS,
            rng,
            ip_id: 1,
        }
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Advances the clock by whole microseconds (so µs and ns files agree).
    fn tick(&mut self) -> u64 {
        self.clock_ns += self.rng.range(1, 2000) * 1000;
        self.clock_ns
    }

    pub fn next_ip_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }

    /// Writes one link frame around `ip`; returns (record number, time in µs).
    pub fn frame(
        &mut self,
        link: Link,
        ip: &[u8],
        ipv: u8,
        outgoing: bool,
    ) -> io::Result<(u64, i64)> {
        let f = frames::link_frame(link, ip, ipv, outgoing, self.w.format().big_endian());
        self.raw(link.dlt(), &f)
    }

    pub fn raw(&mut self, dlt: u16, frame: &[u8]) -> io::Result<(u64, i64)> {
        let t = self.tick();
        let rec = self.w.write(dlt, t, frame)?;
        self.truth.records = rec;
        self.truth.note_link_type(dlt);
        Ok((rec, (t / 1000) as i64))
    }

    /// Fills the wire-dependent fields of a message's truth.
    pub fn place(
        t: &mut MessageTruth,
        frame: u64,
        usec: i64,
        transport: &str,
        src: SocketAddr,
        dst: SocketAddr,
    ) {
        t.frame = frame;
        t.time_usec = usec;
        t.transport = transport.to_string();
        t.ipv = if src.is_ipv4() { 4 } else { 6 };
        t.src_ip = src.ip().to_string();
        t.src_port = src.port();
        t.dst_ip = dst.ip().to_string();
        t.dst_port = dst.port();
    }

    fn udp_ip(&mut self, flow: &Flow, from_a: bool, payload: &[u8]) -> Vec<u8> {
        let (s, d) = flow.ends(from_a);
        let udp = frames::udp_datagram(s.ip(), s.port(), d.ip(), d.port(), payload);
        let id = self.next_ip_id();
        frames::ip_packet(s.ip(), d.ip(), 17, id, &udp)
    }

    /// One message in one UDP datagram.
    pub fn udp_msg(&mut self, flow: &Flow, from_a: bool, msg: &Msg) -> io::Result<u64> {
        let ip = self.udp_ip(flow, from_a, &msg.bytes);
        let (rec, usec) = self.frame(flow.link, &ip, flow.ipv(), from_a)?;
        let (s, d) = flow.ends(from_a);
        let mut t = msg.truth.clone();
        Self::place(&mut t, rec, usec, "udp", s, d);
        Ok(self.truth.push_message(t))
    }

    /// The last record of a truncated file: written, then cut by the writer; no truth.
    pub fn udp_cut(&mut self, flow: &Flow, payload: &[u8]) -> io::Result<()> {
        let ip = self.udp_ip(flow, true, payload);
        self.frame(flow.link, &ip, flow.ipv(), true)?;
        self.w.truncate_last = true;
        self.truth.truncated_last_record = true;
        Ok(())
    }

    /// A UDP datagram that is not Nano (must not become a row).
    pub fn udp_noise(&mut self, flow: &Flow, from_a: bool, payload: &[u8]) -> io::Result<()> {
        let ip = self.udp_ip(flow, from_a, payload);
        self.frame(flow.link, &ip, flow.ipv(), from_a)?;
        self.truth.skipped.non_nano_udp += 1;
        Ok(())
    }

    /// A DNS-like query: never starts with 'R' (0x52).
    pub fn dns_like(&mut self) -> Vec<u8> {
        let mut q = vec![0x1c, 0x2d, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in ["nano", "example", "org"] {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        q
    }

    /// Random bytes that do not look like a Nano header (first byte not 0x52).
    pub fn random_noise(&mut self, n: usize) -> Vec<u8> {
        let mut v = self.rng.bytes(n.max(1));
        if v[0] == 0x52 {
            v[0] = 0x53;
        }
        v
    }

    /// An IPv4 UDP datagram split into fragments written in `order` (indices into the
    /// fragment list; a permutation). The record of the last fragment written completes it.
    pub fn udp_fragmented(
        &mut self,
        flow: &Flow,
        from_a: bool,
        msg: &Msg,
        max: usize,
        reverse: bool,
    ) -> io::Result<u64> {
        let (s, d) = flow.ends(from_a);
        let udp = frames::udp_datagram(s.ip(), s.port(), d.ip(), d.port(), &msg.bytes);
        let id = self.next_ip_id();
        let mut frags = frames::ipv4_fragments(s.ip(), d.ip(), id, &udp, max);
        if reverse {
            // Out of order: last fragment first, then the rest in order.
            if let Some(last) = frags.pop() {
                frags.insert(0, last);
            }
        }
        let n = frags.len();
        let mut done = (0, 0);
        for f in frags {
            done = self.frame(flow.link, &f, 4, from_a)?;
        }
        self.truth.skipped.ip_fragments += n.saturating_sub(1) as u64;
        let mut t = msg.truth.clone();
        Self::place(&mut t, done.0, done.1, "udp", s, d);
        Ok(self.truth.push_message(t))
    }

    /// An ARP request (non-IP frame) on Ethernet.
    pub fn arp(&mut self) -> io::Result<()> {
        let target = [10, 0, 0, self.rng.range(2, 250) as u8];
        self.raw(1, &frames::arp_frame(target))?;
        self.truth.skipped.non_ip += 1;
        Ok(())
    }
}

/// Deterministic addresses for peer `n` (IPv4 10.x or IPv6 fd00::x).
pub fn peer_ip(ipv: u8, n: u32) -> IpAddr {
    if ipv == 6 {
        let mut o = [0u8; 16];
        o[0] = 0xfd;
        o[1] = 0x4e;
        o[12..].copy_from_slice(&(n + 1).to_be_bytes());
        IpAddr::from(o)
    } else {
        let v = n + 2;
        IpAddr::from([
            10,
            ((v >> 16) & 0xff) as u8,
            ((v >> 8) & 0xff) as u8,
            (v & 0xff) as u8,
        ])
    }
}
