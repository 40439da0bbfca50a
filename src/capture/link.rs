//! Link layer: strips the link header of a frame (by pcap LINKTYPE) down to the IP
//! packet inside, or says why there is none. Pure byte offsets, no allocation.

use crate::protocol::endian::{be_u16, u32_at};

/// LINKTYPE values (tcpdump.org/linktypes.html) this module understands.
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// DLT_RAW on most systems (written as-is by old libpcaps); DLT_LOOP on OpenBSD.
    pub const RAW_12: u32 = 12;
    /// DLT_RAW on OpenBSD (written as-is by old libpcaps).
    pub const RAW_14: u32 = 14;
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: like NULL, address family in network byte order.
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
/// Most VLAN tags followed before giving up (QinQ is 2; more is garbage).
const MAX_VLAN_TAGS: usize = 4;

/// What the link layer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link<'a> {
    /// An IP packet (v4 or v6; the IP layer reads the version nibble).
    Ip(&'a [u8]),
    /// A well-formed frame that carries something else (ARP, LLC, IPX...).
    NotIp,
    /// A link type this module does not know.
    UnknownLinkType,
    /// The link header itself is cut off or inconsistent.
    Bad(&'static str),
}

/// Strips the link header of `frame` captured with `link_type` (the low 16 bits of
/// the pcap header / pcapng IDB field; the upper bits carry FCS info and are masked).
pub fn strip(link_type: u32, frame: &[u8]) -> Link<'_> {
    match link_type & 0xffff {
        linktype::ETHERNET => ethernet(frame),
        linktype::RAW | linktype::RAW_14 => raw_ip(frame),
        // 12 is raw IP everywhere except OpenBSD, where it is LOOP. A raw IP packet
        // starts with 0x4_ or 0x6_, an address family with 0x00: never ambiguous.
        linktype::RAW_12 => match frame.first() {
            Some(b) if b >> 4 == 4 || b >> 4 == 6 => Link::Ip(frame),
            Some(_) => loopback(frame, Some(true)),
            None => Link::Bad("empty raw IP frame"),
        },
        linktype::IPV4 | linktype::IPV6 => {
            if frame.is_empty() {
                Link::Bad("empty raw IP frame")
            } else {
                Link::Ip(frame)
            }
        }
        linktype::NULL => loopback(frame, None),
        linktype::LOOP => loopback(frame, Some(true)),
        linktype::LINUX_SLL => linux_sll(frame),
        linktype::LINUX_SLL2 => linux_sll2(frame),
        _ => Link::UnknownLinkType,
    }
}

fn ethernet(frame: &[u8]) -> Link<'_> {
    match be_u16(frame, 12) {
        Some(ethertype) => after_ethertype(ethertype, frame.get(14..).unwrap_or(&[])),
        None => Link::Bad("Ethernet header cut off"),
    }
}

/// Follows VLAN tags and PPPoE session headers from an EtherType to the IP packet.
/// `rest` is what follows the EtherType field.
fn after_ethertype(mut ethertype: u16, mut rest: &[u8]) -> Link<'_> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ethertype {
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return Link::Ip(rest),
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                // 2 bytes TCI, then the inner EtherType.
                match (be_u16(rest, 2), rest.get(4..)) {
                    (Some(inner), Some(after)) => {
                        ethertype = inner;
                        rest = after;
                    }
                    _ => return Link::Bad("VLAN tag cut off"),
                }
            }
            ETHERTYPE_PPPOE_SESSION => return pppoe_session(rest),
            _ => return Link::NotIp,
        }
    }
    Link::Bad("too many VLAN tags")
}

/// PPPoE session: 6-byte PPPoE header, then the 2-byte PPP protocol.
fn pppoe_session(rest: &[u8]) -> Link<'_> {
    match (be_u16(rest, 6), rest.get(8..)) {
        (Some(0x0021), Some(ip)) | (Some(0x0057), Some(ip)) => Link::Ip(ip),
        (Some(_), Some(_)) => Link::NotIp,
        _ => Link::Bad("PPPoE header cut off"),
    }
}

fn raw_ip(frame: &[u8]) -> Link<'_> {
    if frame.is_empty() {
        Link::Bad("empty raw IP frame")
    } else {
        Link::Ip(frame)
    }
}

/// NULL / LOOP: a 4-byte address family, then the IP packet. `big_endian` None means
/// "the capturing host's order, unknown": the family values are small, so whichever
/// half is zero tells the order.
fn loopback(frame: &[u8], big_endian: Option<bool>) -> Link<'_> {
    let (Some(be), Some(le), Some(ip)) = (
        u32_at(frame, 0, true),
        u32_at(frame, 0, false),
        frame.get(4..),
    ) else {
        return Link::Bad("loopback header cut off");
    };
    let family = match big_endian {
        Some(true) => be,
        Some(false) => le,
        // The high half of a big-endian family is zero.
        None if be >> 16 == 0 => be,
        None => le,
    };
    // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS),
    // 28 (FreeBSD, DragonFly) or 30 (macOS, iOS).
    match family {
        2 | 24 | 28 | 30 => Link::Ip(ip),
        _ => Link::NotIp,
    }
}

/// Linux cooked v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2).
/// The protocol is an EtherType for every hardware type that carries IP, including
/// loopback (ARPHRD 772) frames, so the hardware type is not consulted.
fn linux_sll(frame: &[u8]) -> Link<'_> {
    match be_u16(frame, 14) {
        Some(protocol) => after_ethertype(protocol, frame.get(16..).unwrap_or(&[])),
        None => Link::Bad("Linux cooked header cut off"),
    }
}

/// Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1)
/// addr len(1) addr(8), 20 bytes.
fn linux_sll2(frame: &[u8]) -> Link<'_> {
    match (be_u16(frame, 0), frame.get(20..)) {
        (Some(protocol), Some(rest)) => after_ethertype(protocol, rest),
        _ => Link::Bad("Linux cooked v2 header cut off"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: [u8; 4] = [0x45, 0x00, 0x00, 0x14];
    const IP6: [u8; 4] = [0x60, 0x00, 0x00, 0x00];

    fn eth(ethertype: [u8; 2], rest: &[u8]) -> Vec<u8> {
        let mut f = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        f.extend_from_slice(&ethertype);
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn ethernet_ipv4_ipv6_arp() {
        let f = eth([0x08, 0x00], &IP4);
        assert_eq!(strip(1, &f), Link::Ip(&IP4[..]));
        let f = eth([0x86, 0xdd], &IP6);
        assert_eq!(strip(1, &f), Link::Ip(&IP6[..]));
        let f = eth([0x08, 0x06], &[0, 1, 8, 0]);
        assert_eq!(strip(1, &f), Link::NotIp);
        // 802.3 length field (LLC), not an EtherType.
        let f = eth([0x00, 0x40], &[0xaa, 0xaa]);
        assert_eq!(strip(1, &f), Link::NotIp);
        assert!(matches!(strip(1, &[0u8; 13]), Link::Bad(_)));
        // The FCS bits above the low 16 do not change the link type.
        let f = eth([0x08, 0x00], &IP4);
        assert_eq!(strip(0x1000_0001, &f), Link::Ip(&IP4[..]));
    }

    #[test]
    fn vlan_and_qinq() {
        // 802.1Q, VLAN 5, then IPv4.
        let f = eth(
            [0x81, 0x00],
            &[0x00, 0x05, 0x08, 0x00, 0x45, 0x00, 0x00, 0x14],
        );
        assert_eq!(strip(1, &f), Link::Ip(&IP4[..]));
        // QinQ 0x88a8 outer, 0x8100 inner, then IPv6.
        let f = eth(
            [0x88, 0xa8],
            &[0, 7, 0x81, 0x00, 0, 5, 0x86, 0xdd, 0x60, 0, 0, 0],
        );
        assert_eq!(strip(1, &f), Link::Ip(&IP6[..]));
        // Old QinQ 0x9100.
        let f = eth([0x91, 0x00], &[0, 7, 0x08, 0x00, 0x45, 0, 0, 0x14]);
        assert_eq!(strip(1, &f), Link::Ip(&IP4[..]));
        // VLAN carrying ARP.
        let f = eth([0x81, 0x00], &[0, 5, 0x08, 0x06, 0, 1]);
        assert_eq!(strip(1, &f), Link::NotIp);
        // Tag cut off.
        let f = eth([0x81, 0x00], &[0, 5, 0x08]);
        assert!(matches!(strip(1, &f), Link::Bad(_)));
        // Endless tags.
        let mut rest = Vec::new();
        for _ in 0..10 {
            rest.extend_from_slice(&[0, 1, 0x81, 0x00]);
        }
        let f = eth([0x81, 0x00], &rest);
        assert_eq!(strip(1, &f), Link::Bad("too many VLAN tags"));
    }

    #[test]
    fn pppoe_session() {
        // ver/type 0x11, code 0, session 0x0001, length, PPP protocol 0x0021 (IPv4).
        let f = eth(
            [0x88, 0x64],
            &[0x11, 0, 0, 1, 0, 6, 0x00, 0x21, 0x45, 0, 0, 0x14],
        );
        assert_eq!(strip(1, &f), Link::Ip(&IP4[..]));
        // LCP (0xc021) is not IP.
        let f = eth([0x88, 0x64], &[0x11, 0, 0, 1, 0, 6, 0xc0, 0x21, 1, 2]);
        assert_eq!(strip(1, &f), Link::NotIp);
    }

    #[test]
    fn linux_cooked_v1() {
        // Outgoing (4), ARPHRD_ETHER (1), addr len 6, addr, IPv4.
        let mut f = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        f.extend_from_slice(&IP4);
        assert_eq!(strip(113, &f), Link::Ip(&IP4[..]));
        // Loopback hardware type 772 (0x0304), which etherparse rejects.
        let mut f = vec![0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd];
        f.extend_from_slice(&IP6);
        assert_eq!(strip(113, &f), Link::Ip(&IP6[..]));
        // ARP.
        let f = [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x06, 0, 1];
        assert_eq!(strip(113, &f), Link::NotIp);
        assert!(matches!(strip(113, &[0u8; 15]), Link::Bad(_)));
    }

    #[test]
    fn linux_cooked_v2() {
        // protocol 0x0800, reserved, ifindex 2, ARPHRD 1, packet type 0, addr len 6, addr.
        let mut f = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        f.extend_from_slice(&IP4);
        assert_eq!(strip(276, &f), Link::Ip(&IP4[..]));
        let mut f = vec![0x86, 0xdd];
        f.extend_from_slice(&[0u8; 18]);
        f.extend_from_slice(&IP6);
        assert_eq!(strip(276, &f), Link::Ip(&IP6[..]));
        let mut f = vec![0x08, 0x06];
        f.extend_from_slice(&[0u8; 20]);
        assert_eq!(strip(276, &f), Link::NotIp);
        assert!(matches!(strip(276, &[0x08, 0x00, 0, 0]), Link::Bad(_)));
    }

    #[test]
    fn raw_ip_link_types() {
        for lt in [12, 14, 101, 228, 229] {
            assert_eq!(strip(lt, &IP4), Link::Ip(&IP4[..]), "link type {lt}");
            assert!(matches!(strip(lt, &[]), Link::Bad(_)), "link type {lt}");
        }
        // 12 written by OpenBSD (DLT_LOOP): network-order AF_INET6 (24).
        let mut f = vec![0, 0, 0, 24];
        f.extend_from_slice(&IP6);
        assert_eq!(strip(12, &f), Link::Ip(&IP6[..]));
    }

    #[test]
    fn bsd_null_either_byte_order() {
        for fam in [2u32, 24, 28, 30] {
            let mut le = fam.to_le_bytes().to_vec();
            le.extend_from_slice(&IP4);
            assert_eq!(strip(0, &le), Link::Ip(&IP4[..]), "LE family {fam}");
            let mut be = fam.to_be_bytes().to_vec();
            be.extend_from_slice(&IP4);
            assert_eq!(strip(0, &be), Link::Ip(&IP4[..]), "BE family {fam}");
        }
        // AF 7 (ISO) is not IP.
        assert_eq!(strip(0, &[7, 0, 0, 0, 1, 2]), Link::NotIp);
        assert!(matches!(strip(0, &[2, 0, 0]), Link::Bad(_)));
    }

    #[test]
    fn loop_is_network_order() {
        let mut f = vec![0, 0, 0, 2];
        f.extend_from_slice(&IP4);
        assert_eq!(strip(108, &f), Link::Ip(&IP4[..]));
        // Host-order (little-endian) AF_INET is not LOOP's encoding.
        let mut f = vec![2, 0, 0, 0];
        f.extend_from_slice(&IP4);
        assert_eq!(strip(108, &f), Link::NotIp);
    }

    #[test]
    fn unknown_link_type() {
        assert_eq!(strip(105, &[0u8; 40]), Link::UnknownLinkType);
        assert_eq!(strip(9, &[0u8; 40]), Link::UnknownLinkType);
    }
}
