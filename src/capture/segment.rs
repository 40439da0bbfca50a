//! TCP header: turns an IP packet carrying TCP into the `TcpSegment` the TCP tracker
//! consumes (ports, sequence numbers, flags, payload). No allocation.

use super::ip::IpPacket;
use super::tcp::TcpSegment;
use etherparse::TcpHeaderSlice;

/// The segment in `ip` (whose protocol is TCP), or why its header is unusable.
pub fn parse<'a>(ip: &IpPacket<'a>, frame: u64, time_usec: i64) -> Result<TcpSegment<'a>, String> {
    let h = TcpHeaderSlice::from_slice(ip.payload).map_err(|e| format!("TCP: {e}"))?;
    let payload = ip.payload.get(h.slice().len()..).unwrap_or(&[]);
    Ok(TcpSegment {
        frame,
        time_usec,
        ipv: ip.ipv,
        src_ip: ip.src,
        src_port: h.source_port(),
        dst_ip: ip.dst,
        dst_port: h.destination_port(),
        seq: h.sequence_number(),
        ack: h.acknowledgment_number(),
        syn: h.syn(),
        ack_flag: h.ack(),
        fin: h.fin(),
        rst: h.rst(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::ip;
    use etherparse::PacketBuilder;

    #[test]
    fn fields_from_a_built_segment() {
        let mut buf = Vec::new();
        PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(51000, 7075, 0x0102_0304, 1000)
            .syn()
            .ack(0x0a0b_0c0d)
            .write(&mut buf, b"RC\x12\x12\x12\x0a\x01\x00")
            .unwrap();
        let p = ip::parse(&buf).unwrap();
        let s = parse(&p, 9, 123).unwrap();
        assert_eq!((s.frame, s.time_usec, s.ipv), (9, 123, 4));
        assert_eq!((s.src_port, s.dst_port), (51000, 7075));
        assert_eq!((s.seq, s.ack), (0x0102_0304, 0x0a0b_0c0d));
        assert!(s.syn && s.ack_flag && !s.fin && !s.rst);
        assert_eq!(s.payload, b"RC\x12\x12\x12\x0a\x01\x00");
    }

    #[test]
    fn bad_data_offset() {
        // 20 bytes of TCP header with data offset 15 (60 bytes) but nothing behind.
        let mut buf = vec![
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ];
        let mut tcp = vec![0u8; 20];
        tcp[12] = 0xf0;
        buf.extend_from_slice(&tcp);
        let p = ip::parse(&buf).unwrap();
        assert!(parse(&p, 1, 0).is_err());
    }
}
