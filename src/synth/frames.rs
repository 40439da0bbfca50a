//! Frame building: IPv4/IPv6 (with fragmentation), UDP and TCP with correct checksums,
//! and every link layer nanocap reads (Ethernet ± 802.1Q/QinQ, Linux cooked v1/v2,
//! raw IP, DLT IPv4/IPv6, BSD NULL and LOOP).

use std::net::IpAddr;

/// A link layer; `dlt()` is the pcap LINKTYPE number written to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// Ethernet with one 802.1Q tag.
    Vlan,
    /// Ethernet with an 802.1ad (0x88a8) outer tag and an 802.1Q inner tag.
    QinQ,
    /// Linux cooked v1 (ARPHRD_ETHER).
    Sll,
    /// Linux cooked v1 with ARPHRD_LOOPBACK (772), as captured on `lo`.
    SllLoopback,
    Sll2,
    /// LINKTYPE_RAW (101).
    Raw,
    /// DLT_RAW as written by OpenBSD-era tools (12).
    RawOld,
    /// LINKTYPE_IPV4 (228).
    Ipv4,
    /// LINKTYPE_IPV6 (229).
    Ipv6,
    /// BSD loopback, family in host order.
    Null,
    /// OpenBSD loopback, family in network order.
    Loop,
}

pub const ALL_LINKS: [Link; 12] = [
    Link::Ethernet,
    Link::Vlan,
    Link::QinQ,
    Link::Sll,
    Link::SllLoopback,
    Link::Sll2,
    Link::Raw,
    Link::RawOld,
    Link::Ipv4,
    Link::Ipv6,
    Link::Null,
    Link::Loop,
];

impl Link {
    pub fn dlt(self) -> u16 {
        match self {
            Link::Ethernet | Link::Vlan | Link::QinQ => 1,
            Link::Sll | Link::SllLoopback => 113,
            Link::Sll2 => 276,
            Link::Raw => 101,
            Link::RawOld => 12,
            Link::Ipv4 => 228,
            Link::Ipv6 => 229,
            Link::Null => 0,
            Link::Loop => 108,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Link::Ethernet => "ethernet",
            Link::Vlan => "vlan",
            Link::QinQ => "qinq",
            Link::Sll => "sll",
            Link::SllLoopback => "sll-loopback",
            Link::Sll2 => "sll2",
            Link::Raw => "raw",
            Link::RawOld => "raw12",
            Link::Ipv4 => "ipv4",
            Link::Ipv6 => "ipv6",
            Link::Null => "null",
            Link::Loop => "loop",
        }
    }

    pub fn parse(s: &str) -> Option<Link> {
        ALL_LINKS.iter().copied().find(|l| l.name() == s)
    }

    /// Whether this link can carry IP version `ipv`.
    pub fn carries(self, ipv: u8) -> bool {
        match self {
            Link::Ipv4 => ipv == 4,
            Link::Ipv6 => ipv == 6,
            _ => true,
        }
    }
}

const MAC_A: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const MAC_B: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];

/// Wraps an IP packet in `link`. `outgoing` picks the cooked packet type and MAC order;
/// `big_endian` is the capture file's byte order (DLT_NULL writes the family in it).
pub fn link_frame(link: Link, ip: &[u8], ipv: u8, outgoing: bool, big_endian: bool) -> Vec<u8> {
    let ethertype: u16 = if ipv == 6 { 0x86dd } else { 0x0800 };
    let mut f = Vec::with_capacity(ip.len() + 24);
    let (dst, src) = if outgoing {
        (MAC_B, MAC_A)
    } else {
        (MAC_A, MAC_B)
    };
    match link {
        Link::Ethernet | Link::Vlan | Link::QinQ => {
            f.extend_from_slice(&dst);
            f.extend_from_slice(&src);
            if link == Link::QinQ {
                f.extend_from_slice(&0x88a8u16.to_be_bytes());
                f.extend_from_slice(&100u16.to_be_bytes());
            }
            if link != Link::Ethernet {
                f.extend_from_slice(&0x8100u16.to_be_bytes());
                f.extend_from_slice(&((3u16 << 13) | 42).to_be_bytes());
            }
            f.extend_from_slice(&ethertype.to_be_bytes());
        }
        Link::Sll | Link::SllLoopback => {
            let pkt_type: u16 = if outgoing { 4 } else { 0 };
            let (hatype, alen, addr) = if link == Link::SllLoopback {
                (772u16, 6u16, [0u8; 6])
            } else {
                (1u16, 6u16, src)
            };
            f.extend_from_slice(&pkt_type.to_be_bytes());
            f.extend_from_slice(&hatype.to_be_bytes());
            f.extend_from_slice(&alen.to_be_bytes());
            f.extend_from_slice(&addr);
            f.extend_from_slice(&[0, 0]);
            f.extend_from_slice(&ethertype.to_be_bytes());
        }
        Link::Sll2 => {
            f.extend_from_slice(&ethertype.to_be_bytes());
            f.extend_from_slice(&[0, 0]);
            f.extend_from_slice(&2u32.to_be_bytes()); // interface index
            f.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
            f.push(if outgoing { 4 } else { 0 });
            f.push(6);
            f.extend_from_slice(&src);
            f.extend_from_slice(&[0, 0]);
        }
        Link::Raw | Link::RawOld | Link::Ipv4 | Link::Ipv6 => {}
        Link::Null => {
            // AF_INET6 differs per BSD: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
            let fam: u32 = if ipv == 6 {
                [24u32, 28, 30][ip.len() % 3]
            } else {
                2
            };
            f.extend_from_slice(&if big_endian {
                fam.to_be_bytes()
            } else {
                fam.to_le_bytes()
            });
        }
        Link::Loop => {
            let fam: u32 = if ipv == 6 { 24 } else { 2 };
            f.extend_from_slice(&fam.to_be_bytes());
        }
    }
    f.extend_from_slice(ip);
    f
}

/// An ARP request on Ethernet: a non-IP frame that must not become a row.
pub fn arp_frame(target: [u8; 4]) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&0x0806u16.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&[10, 0, 0, 1]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target);
    f
}

fn ones_complement_sum(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = chunks.remainder() {
        sum += (*last as u32) << 8;
    }
    sum
}

fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_sum(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut s = 0u32;
    match (src, dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            s = ones_complement_sum(s, &a.octets());
            s = ones_complement_sum(s, &b.octets());
            s += proto as u32;
            s += len as u32;
        }
        (a, b) => {
            s = ones_complement_sum(s, &v6(a));
            s = ones_complement_sum(s, &v6(b));
            s += (len as u32) >> 16;
            s += (len as u32) & 0xffff;
            s += proto as u32;
        }
    }
    s
}

fn v6(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(x) => x.octets(),
        IpAddr::V4(x) => x.to_ipv6_mapped().octets(),
    }
}

/// UDP header + payload with the checksum over the pseudo-header.
pub fn udp_datagram(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = 8 + payload.len();
    let mut u = Vec::with_capacity(len);
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&(len as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    let mut c = fold(ones_complement_sum(pseudo_sum(src, dst, 17, len), &u));
    if c == 0 {
        c = 0xffff;
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_PSH: u8 = 0x08;
pub const TCP_ACK: u8 = 0x10;

/// TCP header (20 bytes, no options) + payload with checksum.
#[allow(clippy::too_many_arguments)]
pub fn tcp_segment(
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let len = 20 + payload.len();
    let mut t = Vec::with_capacity(len);
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&ack.to_be_bytes());
    t.push(5 << 4);
    t.push(flags);
    t.extend_from_slice(&65535u16.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let c = fold(ones_complement_sum(pseudo_sum(src, dst, 6, len), &t));
    t[16..18].copy_from_slice(&c.to_be_bytes());
    t
}

/// IPv4 header + payload. `frag` = (offset in 8-byte units, more fragments).
pub fn ipv4_packet(
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    id: u16,
    frag: (u16, bool),
    payload: &[u8],
) -> Vec<u8> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) else {
        return Vec::new();
    };
    let total = 20 + payload.len();
    let mut p = Vec::with_capacity(total);
    p.push(0x45);
    p.push(0);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    let flags_off = (if frag.1 { 0x2000 } else { 0 }) | (frag.0 & 0x1fff);
    p.extend_from_slice(&flags_off.to_be_bytes());
    p.push(64);
    p.push(proto);
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&s.octets());
    p.extend_from_slice(&d.octets());
    let c = fold(ones_complement_sum(0, &p[..20]));
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

pub fn ipv6_packet(src: IpAddr, dst: IpAddr, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(40 + payload.len());
    p.extend_from_slice(&0x6000_0000u32.to_be_bytes());
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.push(next);
    p.push(64);
    p.extend_from_slice(&v6(src));
    p.extend_from_slice(&v6(dst));
    p.extend_from_slice(payload);
    p
}

/// An IP packet for `transport` bytes (UDP = 17, TCP = 6), v4 or v6 by address.
pub fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, id: u16, transport: &[u8]) -> Vec<u8> {
    match src {
        IpAddr::V4(_) => ipv4_packet(src, dst, proto, id, (0, false), transport),
        IpAddr::V6(_) => ipv6_packet(src, dst, proto, transport),
    }
}

/// Splits a UDP datagram (header included) into IPv4 fragments of at most `max`
/// payload bytes (a multiple of 8 except the last).
pub fn ipv4_fragments(src: IpAddr, dst: IpAddr, id: u16, udp: &[u8], max: usize) -> Vec<Vec<u8>> {
    let step = (max / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < udp.len() {
        let end = (off + step).min(udp.len());
        let more = end < udp.len();
        out.push(ipv4_packet(
            src,
            dst,
            17,
            id,
            ((off / 8) as u16, more),
            &udp[off..end],
        ));
        off = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_header_checksum_verifies() {
        let p = ipv4_packet(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            17,
            7,
            (0, false),
            &[1, 2, 3],
        );
        // A correct header sums to 0xffff (checksum of it folds to 0).
        assert_eq!(fold(ones_complement_sum(0, &p[..20])), 0);
    }

    #[test]
    fn udp_checksum_verifies_v4_and_v6() {
        for (a, b) in [("10.0.0.1", "10.0.0.2"), ("fd00::1", "fd00::2")] {
            let (a, b): (IpAddr, IpAddr) = (a.parse().unwrap(), b.parse().unwrap());
            let u = udp_datagram(a, 7075, b, 7075, b"hello");
            assert_eq!(
                fold(ones_complement_sum(pseudo_sum(a, b, 17, u.len()), &u)),
                0
            );
            let t = tcp_segment(a, 1, b, 2, 3, 4, TCP_ACK, b"xyz");
            assert_eq!(
                fold(ones_complement_sum(pseudo_sum(a, b, 6, t.len()), &t)),
                0
            );
        }
    }

    #[test]
    fn fragments_cover_datagram() {
        let udp = vec![9u8; 300];
        let fr = ipv4_fragments(
            "10.0.0.1".parse().unwrap(),
            "10.0.0.2".parse().unwrap(),
            5,
            &udp,
            120,
        );
        assert_eq!(fr.len(), 3);
        assert_eq!(fr[0][6] & 0x20, 0x20);
        assert_eq!(u16::from_be_bytes([fr[1][6], fr[1][7]]) & 0x1fff, 15);
        assert_eq!(fr[2][6] & 0x20, 0);
        assert_eq!(fr.iter().map(|f| f.len() - 20).sum::<usize>(), 300);
    }
}
