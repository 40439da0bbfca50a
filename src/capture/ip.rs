//! IP layer: IPv4 and IPv6 headers (etherparse slicing) down to the transport payload,
//! with the fragment fields the reassembler needs. Borrowed slices, no allocation
//! except for the text of an error.

use etherparse::{Ipv4Slice, Ipv6ExtensionSlice, Ipv6Slice, LaxIpv4Slice};
use std::net::IpAddr;

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// One IP packet, headers stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// 4 or 6.
    pub ipv: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol number (of the fragmented payload, for a fragment).
    pub proto: u8,
    /// The transport bytes, or this fragment's share of them.
    pub payload: &'a [u8],
    /// Present when the packet is a piece of a fragmented datagram.
    pub fragment: Option<Fragment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// IPv4: the 16-bit identification; IPv6: the 32-bit one of the fragment header.
    pub id: u32,
    /// Byte offset of this piece in the reassembled payload.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
}

/// Parses an IP packet (version from the first nibble). The error text says why the
/// header is unusable (cut off, bad length field, bad version...).
pub fn parse(bytes: &[u8]) -> Result<IpPacket<'_>, String> {
    match bytes.first().map(|b| b >> 4) {
        Some(4) => ipv4(bytes),
        Some(6) => ipv6(bytes),
        Some(v) => Err(format!("IP version {v} is neither 4 nor 6")),
        None => Err("empty IP packet".to_string()),
    }
}

fn ipv4(bytes: &[u8]) -> Result<IpPacket<'_>, String> {
    match Ipv4Slice::from_slice(bytes) {
        Ok(s) => Ok(v4_packet(
            &s.header(),
            s.payload().ip_number,
            s.payload().payload,
        )),
        // Total length 0 is what segmentation offload (TSO/GSO) leaves in outgoing
        // packets captured before the NIC splits them: the frame length is the truth.
        Err(e) if bytes.get(2..4) == Some(&[0, 0][..]) => match LaxIpv4Slice::from_slice(bytes) {
            Ok((s, None)) => Ok(v4_packet(
                &s.header(),
                s.payload().ip_number,
                s.payload().payload,
            )),
            _ => Err(format!("IPv4: {e}")),
        },
        Err(e) => Err(format!("IPv4: {e}")),
    }
}

fn v4_packet<'a>(
    header: &etherparse::Ipv4HeaderSlice<'_>,
    proto: etherparse::IpNumber,
    payload: &'a [u8],
) -> IpPacket<'a> {
    let fragment = if header.is_fragmenting_payload() {
        Some(Fragment {
            id: u32::from(header.identification()),
            offset: usize::from(header.fragments_offset().value()) * 8,
            more: header.more_fragments(),
        })
    } else {
        None
    };
    IpPacket {
        ipv: 4,
        src: IpAddr::V4(header.source_addr()),
        dst: IpAddr::V4(header.destination_addr()),
        proto: proto.0,
        payload,
        fragment,
    }
}

fn ipv6(bytes: &[u8]) -> Result<IpPacket<'_>, String> {
    let s = Ipv6Slice::from_slice(bytes).map_err(|e| format!("IPv6: {e}"))?;
    let header = s.header();
    let payload = s.payload();
    let mut packet = IpPacket {
        ipv: 6,
        src: IpAddr::V6(header.source_addr()),
        dst: IpAddr::V6(header.destination_addr()),
        proto: payload.ip_number.0,
        payload: payload.payload,
        fragment: None,
    };
    if payload.fragmented {
        // The fragmentable part starts right after the fragment header (RFC 8200 4.5),
        // whatever etherparse made of the bytes behind it.
        let end = offset_in(bytes, payload.payload) + payload.payload.len();
        for ext in s.extensions().clone() {
            if let Ipv6ExtensionSlice::Fragment(f) = ext {
                if !f.is_fragmenting_payload() {
                    continue;
                }
                let start = offset_in(bytes, f.slice()) + f.slice().len();
                packet.proto = f.next_header().0;
                packet.payload = bytes.get(start..end).unwrap_or(&[]);
                packet.fragment = Some(Fragment {
                    id: f.identification(),
                    offset: usize::from(f.fragment_offset().value()) * 8,
                    more: f.more_fragments(),
                });
                break;
            }
        }
    }
    Ok(packet)
}

/// Position of `inner` (a sub-slice of `outer`) within `outer`.
fn offset_in(outer: &[u8], inner: &[u8]) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    #[test]
    fn ipv4_udp() {
        let mut buf = Vec::new();
        PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(7075, 7076)
            .write(&mut buf, &[1, 2, 3])
            .unwrap();
        // Ethernet padding after the packet is not payload.
        buf.extend_from_slice(&[0xee; 6]);
        let p = parse(&buf).unwrap();
        assert_eq!(p.ipv, 4);
        assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(p.dst, "10.0.0.2".parse::<IpAddr>().unwrap());
        assert_eq!(p.proto, PROTO_UDP);
        // UDP header (8) + 3 bytes.
        assert_eq!(p.payload.len(), 11);
        assert_eq!(&p.payload[..4], &[0x1b, 0xa3, 0x1b, 0xa4]);
        assert_eq!(p.fragment, None);
    }

    #[test]
    fn ipv6_tcp() {
        let src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let mut buf = Vec::new();
        PacketBuilder::ipv6(src, dst, 64)
            .tcp(51000, 7075, 1000, 65535)
            .write(&mut buf, b"hello")
            .unwrap();
        let p = parse(&buf).unwrap();
        assert_eq!(p.ipv, 6);
        assert_eq!(p.src, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(p.proto, PROTO_TCP);
        assert_eq!(p.payload.len(), 20 + 5);
    }

    /// A hand-made IPv4 header: 20 bytes, no options, checksum left 0 (not verified).
    fn v4_header(total_len: u16, id: u16, flags_frag: u16, proto: u8) -> Vec<u8> {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total_len.to_be_bytes());
        h.extend_from_slice(&id.to_be_bytes());
        h.extend_from_slice(&flags_frag.to_be_bytes());
        h.extend_from_slice(&[64, proto, 0, 0, 192, 168, 1, 1, 192, 168, 1, 2]);
        h
    }

    #[test]
    fn ipv4_fragment_fields() {
        // MF set, offset 0.
        let mut p = v4_header(28, 0x1234, 0x2000, 17);
        p.extend_from_slice(&[9; 8]);
        let f = parse(&p).unwrap();
        assert_eq!(
            f.fragment,
            Some(Fragment {
                id: 0x1234,
                offset: 0,
                more: true
            })
        );
        assert_eq!(f.payload, &[9; 8]);
        // Last fragment at offset 3*8 = 24.
        let mut p = v4_header(24, 0x1234, 3, 17);
        p.extend_from_slice(&[7; 4]);
        let f = parse(&p).unwrap();
        assert_eq!(
            f.fragment,
            Some(Fragment {
                id: 0x1234,
                offset: 24,
                more: false
            })
        );
        // DF alone is not a fragment.
        let mut p = v4_header(24, 1, 0x4000, 17);
        p.extend_from_slice(&[7; 4]);
        assert_eq!(parse(&p).unwrap().fragment, None);
    }

    #[test]
    fn ipv4_total_len_zero_uses_frame_length() {
        let mut p = v4_header(0, 1, 0x4000, 6);
        p.extend_from_slice(&[5; 30]);
        let f = parse(&p).unwrap();
        assert_eq!(f.payload.len(), 30);
    }

    #[test]
    fn garbled_headers_are_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[0x45, 0, 0]).is_err());
        // Version 5.
        assert!(parse(&[0x55; 40]).is_err());
        // IHL 4 (< 5).
        let mut p = v4_header(40, 1, 0, 17);
        p[0] = 0x44;
        p.extend_from_slice(&[0; 20]);
        assert!(parse(&p).is_err());
        // Total length says 60, only 30 bytes captured.
        let mut p = v4_header(60, 1, 0, 17);
        p.extend_from_slice(&[0; 10]);
        assert!(parse(&p).is_err());
        // IPv6 header cut off.
        assert!(parse(&[0x60; 39]).is_err());
        // IPv6 payload length beyond the capture.
        let mut p = vec![0x60, 0, 0, 0, 0, 100, 17, 64];
        p.extend_from_slice(&[0; 32]);
        p.extend_from_slice(&[0; 10]);
        assert!(parse(&p).is_err());
    }

    #[test]
    fn ipv6_fragment_header() {
        // IPv6 header, next header 44 (fragment), payload length 8 + 6.
        let mut p = vec![0x60, 0, 0, 0, 0, 14, 44, 64];
        p.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Fragment header: next 17, reserved, offset 2 (16 bytes) | M=1, id 0xdeadbeef.
        p.extend_from_slice(&[17, 0, 0x00, 0x11, 0xde, 0xad, 0xbe, 0xef]);
        p.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let f = parse(&p).unwrap();
        assert_eq!(f.proto, PROTO_UDP);
        assert_eq!(
            f.fragment,
            Some(Fragment {
                id: 0xdead_beef,
                offset: 16,
                more: true
            })
        );
        assert_eq!(f.payload, &[1, 2, 3, 4, 5, 6]);
    }
}
