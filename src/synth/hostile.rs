//! Pathological captures that fuzzing of the extension turned up, made on demand (they
//! are large, so they are not committed): thousands of clients talking to one node
//! port in ways that cost the reassembly memory, leave nothing whole to decode, or
//! take long to read for almost nothing. The tests that bound memory, check that
//! nothing is lost silently and that long reads can be interrupted use them.

use super::frames::{
    ip_packet, link_frame, tcp_segment, udp_datagram, Link, TCP_ACK, TCP_FIN, TCP_SYN,
};
use super::writer::{CaptureWriter, Format};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};

/// The node every client talks to.
const SERVER: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 7075);
/// Every client's initial sequence number: its data starts at `ISN + 1`.
const ISN: u32 = 1_000;

/// The first six bytes of a live-network keepalive header: magic, network, versions.
/// Six bytes start like a Nano header but never make one.
pub const CUT_HEADER: [u8; 6] = [b'R', b'C', 21, 21, 18, 0x02];

/// Client `n` of the capture: its own address and port.
fn client(n: u32) -> (IpAddr, u16) {
    let [_, a, b, c] = n.to_be_bytes();
    let ip = IpAddr::V4(Ipv4Addr::new(10, 1 + a, b, c));
    (ip, 40_000 + (n % 20_000) as u16)
}

/// Raw-IP pcap of client packets to the server, one microsecond apart.
struct ClientPackets<W: Write> {
    out: CaptureWriter<W>,
    clock_ns: u64,
}

impl<W: Write> ClientPackets<W> {
    fn new(out: W) -> io::Result<Self> {
        let format = Format::Pcap {
            nanos: false,
            big_endian: false,
        };
        Ok(ClientPackets {
            out: CaptureWriter::new(out, format)?,
            clock_ns: 1_700_000_000_000_000_000,
        })
    }

    /// Client `n` sends `payload` at stream offset `offset` (0: the byte after its SYN).
    fn data(&mut self, n: u32, offset: u32, flags: u8, payload: &[u8]) -> io::Result<()> {
        self.segment(n, ISN.wrapping_add(1 + offset), flags, payload)
    }

    /// Client `n` sends a UDP datagram to `port` of the server.
    fn udp(&mut self, n: u32, port: u16, payload: &[u8]) -> io::Result<()> {
        let (ip, sport) = client(n);
        let udp = udp_datagram(ip, sport, SERVER.0, port, payload);
        self.ip(n, ip, 17, &udp)
    }

    fn syn(&mut self, n: u32) -> io::Result<()> {
        self.segment(n, ISN, TCP_SYN, &[])
    }

    fn segment(&mut self, n: u32, seq: u32, flags: u8, payload: &[u8]) -> io::Result<()> {
        let (ip, port) = client(n);
        let tcp = tcp_segment(ip, port, SERVER.0, SERVER.1, seq, 1, flags, payload);
        self.ip(n, ip, 6, &tcp)
    }

    fn ip(&mut self, n: u32, ip: IpAddr, proto: u8, transport: &[u8]) -> io::Result<()> {
        let packet = ip_packet(ip, SERVER.0, proto, n as u16, transport);
        let frame = link_frame(Link::Raw, &packet, 4, true, false);
        self.clock_ns += 1_000;
        self.out.write(Link::Raw.dlt(), self.clock_ns, &frame)?;
        Ok(())
    }

    fn finish(self) -> io::Result<W> {
        self.out.finish()
    }
}

/// `conns` clients each send a SYN, then `segments` one-byte segments at every other
/// stream offset, so that a hole lies before each byte and every byte is held out of
/// order. The clients take turns, so all of them hold pieces at once.
pub fn one_byte_holes<W: Write>(conns: u32, segments: u32, out: W) -> io::Result<W> {
    let mut w = ClientPackets::new(out)?;
    for n in 0..conns {
        w.syn(n)?;
    }
    for i in 0..segments {
        for n in 0..conns {
            w.data(n, 2 * i + 1, TCP_ACK, b"x")?;
        }
    }
    w.finish()
}

/// `conns` clients each send a SYN and the six bytes of `CUT_HEADER`, and nothing more:
/// past the connection table's size, the oldest are evicted.
pub fn cut_off_headers<W: Write>(conns: u32, out: W) -> io::Result<W> {
    let mut w = ClientPackets::new(out)?;
    for n in 0..conns {
        w.syn(n)?;
        w.data(n, 0, TCP_ACK, &CUT_HEADER)?;
    }
    w.finish()
}

/// `conns` clients each send a SYN, the six bytes of `CUT_HEADER`, then (after a hole of
/// ten bytes the capture missed) ten more bytes with a FIN: no whole message, one hole.
pub fn holes_without_messages<W: Write>(conns: u32, out: W) -> io::Result<W> {
    let mut w = ClientPackets::new(out)?;
    for n in 0..conns {
        w.syn(n)?;
        w.data(n, 0, TCP_ACK, &CUT_HEADER)?;
        w.data(n, 16, TCP_ACK | TCP_FIN, &[0x55; 10])?;
    }
    w.finish()
}

/// A keepalive of the live network with eight empty peer slots: `CUT_HEADER`, no
/// extensions, 8 x 18 zero bytes.
fn keepalive() -> Vec<u8> {
    let mut m = CUT_HEADER.to_vec();
    m.extend_from_slice(&[0, 0]);
    m.resize(m.len() + 8 * 18, 0);
    m
}

/// Two keepalives to the node's port, then `n` small datagrams to port 53: a file that
/// is long to read and holds almost nothing for Nano.
pub fn two_messages_then_noise<W: Write>(n: u32, out: W) -> io::Result<W> {
    let mut w = ClientPackets::new(out)?;
    w.udp(0, SERVER.1, &keepalive())?;
    w.udp(1, SERVER.1, &keepalive())?;
    for i in 0..n {
        w.udp(2 + i % 1000, 53, &i.to_be_bytes())?;
    }
    w.finish()
}
