//! UDP layer: the 8-byte header and the datagram payload it delimits.

/// One UDP datagram, borrowed from the IP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

/// Splits a UDP header from its payload. The length field delimits the payload (bytes
/// after it are link padding); 0 means "not set" (IPv6 jumbograms, offloaded sends),
/// and then the IP payload is the datagram. The checksum is not verified: checksum
/// offload leaves outgoing packets with wrong ones in most captures.
pub fn parse(bytes: &[u8]) -> Result<UdpDatagram<'_>, &'static str> {
    let Some(h) = bytes.get(..8) else {
        return Err("UDP header cut off");
    };
    let src_port = u16::from_be_bytes([h[0], h[1]]);
    let dst_port = u16::from_be_bytes([h[2], h[3]]);
    let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let end = match len {
        0 => bytes.len(),
        1..=7 => return Err("UDP length field below 8"),
        n if n > bytes.len() => return Err("UDP length field beyond the IP payload"),
        n => n,
    };
    Ok(UdpDatagram {
        src_port,
        dst_port,
        payload: bytes.get(8..end).unwrap_or(&[]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_payload() {
        // 7075 -> 7076, length 11, checksum 0, 3 payload bytes, 2 bytes of padding.
        let b = [0x1b, 0xa3, 0x1b, 0xa4, 0, 11, 0, 0, 1, 2, 3, 0xee, 0xee];
        let d = parse(&b).unwrap();
        assert_eq!(d.src_port, 7075);
        assert_eq!(d.dst_port, 7076);
        assert_eq!(d.payload, &[1, 2, 3]);
        // Empty datagram.
        let d = parse(&[0, 1, 0, 2, 0, 8, 0, 0]).unwrap();
        assert!(d.payload.is_empty());
        // Length 0: the rest of the IP payload.
        let d = parse(&[0, 1, 0, 2, 0, 0, 0, 0, 4, 5]).unwrap();
        assert_eq!(d.payload, &[4, 5]);
    }

    #[test]
    fn bad_headers() {
        assert!(parse(&[0, 1, 0, 2, 0, 8, 0]).is_err());
        assert!(parse(&[0, 1, 0, 2, 0, 7, 0, 0]).is_err());
        assert!(parse(&[0, 1, 0, 2, 0, 20, 0, 0, 1, 2]).is_err());
    }
}
