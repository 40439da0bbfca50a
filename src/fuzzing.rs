//! Entry points for coverage-guided fuzzing (`fuzz/`, run with cargo fuzz) and for
//! the regression tests that replay what fuzzing found (every file under
//! `fuzz/regressions/<target>/`, in the normal test suite). Each takes arbitrary
//! bytes and must return without panicking, hanging or growing memory without bound,
//! whatever they are. Test tooling: behind the `synth` feature, not in the extension.

use crate::capture::source::FileSource;
use crate::capture::{Event, Pipeline, PipelineOptions};
use crate::protocol::{self, StreamKind};

/// Events drained from one input at most: a bound on the work per input, far above
/// what a few kilobytes of capture can hold.
const MAX_EVENTS: usize = 1_000_000;

/// The decoder on its own: the bytes as a message (header and payload), as a UDP
/// datagram, and as each kind of headerless bootstrap stream entry.
pub fn decode(data: &[u8]) {
    let _ = protocol::decode_message(data);
    let _ = protocol::decode_datagram(data);
    for kind in [
        StreamKind::Frontiers,
        StreamKind::Blocks,
        StreamKind::AccountFrontier,
        StreamKind::Pending { flags: 0 },
        StreamKind::Pending { flags: 1 },
        StreamKind::Pending { flags: 2 },
    ] {
        let mut rest = data;
        // Entries one after another, as a stream holds them.
        while let Ok((_, used)) = protocol::decode_stream_entry(kind, rest) {
            if used == 0 || used > rest.len() {
                break;
            }
            rest = &rest[used..];
        }
    }
}

/// The whole pipeline over the bytes as a capture file (pcap or pcapng): link, IP,
/// fragments, UDP, TCP reassembly, decoding; with the `sql` feature every event is
/// also formatted into the stored rows, as an import does.
pub fn capture_file(data: &[u8]) {
    let Ok(source) = FileSource::from_reader(Box::new(std::io::Cursor::new(data.to_vec()))) else {
        return;
    };
    let mut pipeline = Pipeline::from_source(source, PipelineOptions::default());
    let mut sink = Sink::new();
    let mut n = 0;
    while let Some(ev) = pipeline.next_event() {
        sink.take(&ev);
        n += 1;
        if n >= MAX_EVENTS {
            break;
        }
    }
}

/// TCP reassembly and framing, driven by segments the bytes describe, so that the
/// fuzzer works on sequence numbers, flags and payloads rather than on pcap framing.
/// Each record: a flags byte (bit 0 direction, bits 1–5 SYN FIN RST ACK PSH), a
/// signed 16-bit sequence step, a signed 16-bit acknowledgement step, a payload
/// length byte, then the payload. Records become one Ethernet/IPv4 capture between
/// two fixed endpoints on port 7075, run through [`capture_file`].
pub fn tcp_segments(data: &[u8]) {
    capture_file(&segments_capture(data));
}

fn segments_capture(mut data: &[u8]) -> Vec<u8> {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    let header = PcapHeader {
        datalink: pcap_file::DataLink::ETHERNET,
        ..Default::default()
    };
    let Ok(mut w) = PcapWriter::with_header(Vec::new(), header) else {
        return Vec::new();
    };
    let mut seq = [1_000_000u32, 5_000_000u32];
    let mut ack = [5_000_000u32, 1_000_000u32];
    let mut frame = Vec::new();
    let mut i = 0u64;
    while data.len() >= 6 {
        let flags = data[0];
        let seq_step = i16::from_le_bytes([data[1], data[2]]);
        let ack_step = i16::from_le_bytes([data[3], data[4]]);
        let len = (data[5] as usize).min(data.len() - 6);
        let payload = &data[6..6 + len];
        data = &data[6 + len..];
        let d = (flags & 1) as usize;
        seq[d] = seq[d].wrapping_add(seq_step as i32 as u32);
        ack[d] = ack[d].wrapping_add(ack_step as i32 as u32);
        let (src, dst, sport, dport) = if d == 0 {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000, 7075)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 7075, 40000)
        };
        let mut b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sport, dport, seq[d], 65535);
        if flags & 2 != 0 {
            b = b.syn();
        }
        if flags & 4 != 0 {
            b = b.fin();
        }
        if flags & 8 != 0 {
            b = b.rst();
        }
        if flags & 16 != 0 {
            b = b.ack(ack[d]);
        }
        if flags & 32 != 0 {
            b = b.psh();
        }
        frame.clear();
        if b.write(&mut frame, payload).is_err() {
            continue;
        }
        // The sender's next byte follows this segment, as a real sender's does.
        seq[d] = seq[d].wrapping_add(len as u32);
        let ts = std::time::Duration::from_micros(1_700_000_000_000_000 + i * 1000);
        i += 1;
        if w.write_packet(&PcapPacket::new(ts, frame.len() as u32, &frame))
            .is_err()
        {
            break;
        }
    }
    w.into_writer()
}

/// Where the events go: the store's formatter with the `sql` feature, else nowhere
/// (decoding them is the work).
struct Sink {
    #[cfg(feature = "sql")]
    fmt: Option<crate::store::batch::Formatter>,
    #[cfg(feature = "sql")]
    batch: crate::store::batch::Batch,
}

impl Sink {
    fn new() -> Sink {
        Sink {
            #[cfg(feature = "sql")]
            fmt: crate::store::batch::Formatter::new(
                &crate::config::CaptureOptions::default(),
                1,
                0,
            )
            .ok(),
            #[cfg(feature = "sql")]
            batch: crate::store::batch::Batch::default(),
        }
    }

    fn take(&mut self, _ev: &Event) {
        #[cfg(feature = "sql")]
        if let Some(fmt) = &self.fmt {
            self.batch.clear();
            fmt.format(_ev, &mut self.batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segment builder makes a capture the pipeline reads: a SYN, data both ways.
    #[test]
    fn segments_become_a_capture() {
        let keepalive = crate::synth::Factory::new(crate::synth::Network::Live, 8)
            .keepalive(0)
            .bytes;
        let mut input = vec![2u8, 0, 0, 0, 0, 0]; // SYN from the client
        input.extend_from_slice(&[1 | 2 | 16, 0, 0, 0, 0, 0]); // SYN+ACK back
        input.extend_from_slice(&[16, 1, 0, 1, 0, keepalive.len() as u8]);
        input.extend_from_slice(&keepalive);
        let cap = segments_capture(&input);
        let source = FileSource::from_reader(Box::new(std::io::Cursor::new(cap))).unwrap();
        let mut p = Pipeline::from_source(source, PipelineOptions::default());
        let mut messages = 0;
        while let Some(ev) = p.next_event() {
            if matches!(ev, Event::Message(_)) {
                messages += 1;
            }
        }
        assert_eq!(messages, 1);
        assert_eq!(p.stats().tcp_segments, 3);
    }
}

/// What fuzzing found stays found: every committed regression input and seed goes
/// through its target again in the normal test suite.
#[cfg(test)]
mod replay {
    use std::path::Path;

    fn replay(target: &str, run: fn(&[u8])) -> usize {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut n = 0;
        for dir in ["regressions", "corpus"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
                continue;
            };
            for e in entries.flatten() {
                let data = std::fs::read(e.path()).expect("read a fuzz input");
                let result = std::panic::catch_unwind(|| run(&data));
                assert!(result.is_ok(), "{} panics again", e.path().display());
                n += 1;
            }
        }
        n
    }

    #[test]
    fn fuzz_inputs_replay_cleanly() {
        assert!(
            replay("decode", super::decode) > 0,
            "the decode seeds are there"
        );
        assert!(replay("capture_file", super::capture_file) > 0);
        assert!(replay("tcp_segments", super::tcp_segments) > 0);
    }
}
