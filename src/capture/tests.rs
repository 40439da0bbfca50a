//! Pipeline-level tests over small pcap/pcapng files written into a temp directory.
//! Tests marked "NEEDS DECODER" run the real `protocol::decode_datagram`.

use super::pipeline::{OpenError, Pipeline, PipelineOptions, Progress};
use super::source::{FileSource, Frame, FrameSource, ReadOutcome};
use super::{ConnectionEventKind, Event, Transport};
use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapWriter, RawPcapPacket};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::simple_packet::SimplePacketBlock;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, TsResolution};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempFile(
            std::env::temp_dir().join(format!("nanocap-capture-{}-{n}-{tag}", std::process::id())),
        )
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// One pcap record: seconds, fraction (µs or ns per the file), frame bytes.
type Rec = (u32, u32, Vec<u8>);

fn write_pcap(endianness: Endianness, res: TsResolution, link: u32, recs: &[Rec]) -> TempFile {
    let t = TempFile::new("pcap");
    let header = PcapHeader {
        datalink: DataLink::from(link),
        ts_resolution: res,
        endianness,
        ..PcapHeader::default()
    };
    let file = std::fs::File::create(t.path()).unwrap();
    let mut w = PcapWriter::with_header(file, header).unwrap();
    for (sec, frac, data) in recs {
        w.write_raw_packet(&RawPcapPacket {
            ts_sec: *sec,
            ts_frac: *frac,
            incl_len: data.len() as u32,
            orig_len: data.len() as u32,
            data: Cow::Borrowed(data),
        })
        .unwrap();
    }
    t
}

fn all_events<S: FrameSource>(p: &mut Pipeline<S>) -> Vec<Event> {
    let mut v = Vec::new();
    while let Some(e) = p.next_event() {
        v.push(e);
        assert!(v.len() < 100_000, "runaway pipeline");
    }
    // Stays ended.
    assert!(p.next_event().is_none());
    v
}

/// (kind, frame, time) of every anomaly, in order.
fn anomalies(events: &[Event]) -> Vec<(&'static str, u64, i64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Anomaly(a) => Some((a.kind.as_str(), a.frame, a.time_usec)),
            _ => None,
        })
        .collect()
}

/// A segment from 10.0.0.1:51000 to 10.0.0.2:7075 at `seq`, a SYN or not.
fn eth_tcp_seg(seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(51000, 7075, seq, 1000);
    let b = if syn { b.syn() } else { b };
    b.write(&mut v, payload).unwrap();
    v
}

fn eth_tcp(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(51000, 7075, 1, 1000)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn ip4_tcp(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(51000, 7075, 1, 1000)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn ip6_tcp(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    let a = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let b = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    PacketBuilder::ipv6(a, b, 64)
        .tcp(51000, 7075, 1, 1000)
        .write(&mut v, payload)
        .unwrap();
    v
}

fn ip4_icmp() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .icmpv4_echo_request(1, 1)
        .write(&mut v, &[0; 8])
        .unwrap();
    v
}

fn eth_arp() -> Vec<u8> {
    let mut v = vec![0xff; 6];
    v.extend_from_slice(&[1; 6]);
    v.extend_from_slice(&[0x08, 0x06]);
    v.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    v.extend_from_slice(&[0; 20]);
    v
}

fn eth_icmp() -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .icmpv4_echo_request(1, 1)
        .write(&mut v, &[0; 8])
        .unwrap();
    v
}

/// An Ethernet frame announcing IPv4 whose "IP header" is garbage (version 5).
fn eth_bad_ip() -> Vec<u8> {
    let mut v = vec![2; 6];
    v.extend_from_slice(&[1; 6]);
    v.extend_from_slice(&[0x08, 0x00]);
    v.extend_from_slice(&[0x55; 20]);
    v
}

#[test]
fn counts_frames_by_what_they_carry() {
    let recs = vec![
        (1, 0, eth_arp()),
        (2, 0, eth_icmp()),
        (3, 0, eth_tcp(b"xyz")),
        (4, 0, eth_bad_ip()),
        (5, 0, vec![1, 2, 3]),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 1, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    assert_eq!(
        anomalies(&events),
        vec![("bad_ip", 4, 4_000_000), ("bad_link", 5, 5_000_000)]
    );
    let s = p.stats();
    assert_eq!(s.frames, 5);
    assert_eq!(s.non_ip_frames, 1);
    assert_eq!(s.other_ip_packets, 1);
    assert_eq!(s.tcp_segments, 1);
    assert_eq!(s.bad_ip_frames, 1);
    assert_eq!(s.bad_link_frames, 1);
    assert_eq!(s.anomalies, 2);
    assert_eq!(s.messages, 0);
}

#[test]
fn unknown_link_type_is_counted_not_an_error() {
    // 105 = IEEE 802.11.
    let f = write_pcap(
        Endianness::Little,
        TsResolution::MicroSecond,
        105,
        &[(1, 0, vec![0; 40]), (2, 0, vec![0; 40])],
    );
    let mut p = Pipeline::open(f.path()).unwrap();
    assert!(all_events(&mut p).is_empty());
    assert_eq!(p.stats().unknown_link_frames, 2);
    assert_eq!(p.stats().frames, 2);
}

/// A raw-IP frame that is not IP: its anomaly carries the frame's number and time.
fn garbage_ip() -> Vec<u8> {
    vec![0x50; 24]
}

#[test]
fn nanosecond_big_endian_pcap_times() {
    let recs = vec![
        (1_600_000_000, 123_456_789, garbage_ip()),
        (1_600_000_001, 999_999_999, garbage_ip()),
    ];
    let f = write_pcap(Endianness::Big, TsResolution::NanoSecond, 101, &recs);
    // The writer really produced the big-endian nanosecond magic.
    let bytes = std::fs::read(f.path()).unwrap();
    assert_eq!(&bytes[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
    let mut p = Pipeline::open(f.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![
            ("bad_ip", 1, 1_600_000_000_123_456),
            ("bad_ip", 2, 1_600_000_001_999_999)
        ]
    );
}

#[test]
fn microsecond_pcap_both_byte_orders() {
    for e in [Endianness::Little, Endianness::Big] {
        let recs = vec![(1_000, 5, garbage_ip())];
        let f = write_pcap(e, TsResolution::MicroSecond, 101, &recs);
        let mut p = Pipeline::open(f.path()).unwrap();
        assert_eq!(
            anomalies(&all_events(&mut p)),
            vec![("bad_ip", 1, 1_000_000_005)]
        );
    }
}

#[test]
fn every_link_type_reaches_tcp() {
    let tcp4 = ip4_tcp(b"abc");
    let tcp6 = ip6_tcp(b"abc");
    let with = |prefix: &[u8], ip: &[u8]| [prefix, ip].concat();
    let cases: Vec<(u32, Vec<u8>)> = vec![
        (1, eth_tcp(b"abc")),
        // 802.1Q then QinQ.
        (
            1,
            with(
                &[
                    2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0x88, 0xa8, 0, 1, 0x81, 0, 0, 2, 8, 0,
                ],
                &tcp4,
            ),
        ),
        (0, with(&2u32.to_le_bytes(), &tcp4)),
        (0, with(&30u32.to_be_bytes(), &tcp6)),
        (108, with(&24u32.to_be_bytes(), &tcp6)),
        (12, tcp4.clone()),
        (14, tcp6.clone()),
        (101, tcp4.clone()),
        (228, tcp4.clone()),
        (229, tcp6.clone()),
        (
            113,
            with(
                &[0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00],
                &tcp4,
            ),
        ),
        (
            276,
            with(
                &[
                    0x86, 0xdd, 0, 0, 0, 0, 0, 1, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0,
                ],
                &tcp6,
            ),
        ),
    ];
    for (link, frame) in cases {
        let f = write_pcap(
            Endianness::Little,
            TsResolution::MicroSecond,
            link,
            &[(1, 0, frame)],
        );
        let mut p = Pipeline::open(f.path()).unwrap();
        let events = all_events(&mut p);
        assert!(events.is_empty(), "link {link}: {events:?}");
        assert_eq!(p.stats().tcp_segments, 1, "link {link}");
    }
}

#[test]
fn truncated_last_record_keeps_the_complete_ones() {
    let recs = vec![
        (10, 0, garbage_ip()),
        (11, 0, garbage_ip()),
        (12, 0, garbage_ip()),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 101, &recs);
    let bytes = std::fs::read(f.path()).unwrap();
    // 24-byte header + 3 records of 16 + 24 bytes; cut 5 bytes into the last record's data.
    assert_eq!(bytes.len(), 24 + 3 * 40);
    std::fs::write(f.path(), &bytes[..24 + 2 * 40 + 16 + 5]).unwrap();
    let mut p = Pipeline::open(f.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![
            ("bad_ip", 1, 10_000_000),
            ("bad_ip", 2, 11_000_000),
            ("truncated_record", 3, 11_000_000)
        ]
    );
    assert_eq!(p.stats().frames, 2);

    // Cut inside a record header too.
    std::fs::write(f.path(), &bytes[..24 + 40 + 7]).unwrap();
    let mut p = Pipeline::open(f.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![
            ("bad_ip", 1, 10_000_000),
            ("truncated_record", 2, 10_000_000)
        ]
    );
}

/// A little-endian µs pcap header for raw IP, by hand.
fn pcap_header_bytes() -> Vec<u8> {
    let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&65535u32.to_le_bytes());
    h.extend_from_slice(&101u32.to_le_bytes());
    h
}

#[test]
fn hostile_caplen_does_not_allocate_or_panic() {
    // incl_len 0xfffffff0 with 100 bytes behind it: the file ends inside the record.
    let t = TempFile::new("hostile");
    let mut b = pcap_header_bytes();
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    b.extend_from_slice(&0xffff_fff0u32.to_le_bytes());
    b.extend_from_slice(&[0x45; 100]);
    std::fs::write(t.path(), &b).unwrap();
    let mut p = Pipeline::open(t.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![("truncated_record", 1, 0)]
    );

    // A 20 MB record in a 9 MB file: longer than the read buffer, before the end.
    let mut b = pcap_header_bytes();
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&20_000_000u32.to_le_bytes());
    b.extend_from_slice(&20_000_000u32.to_le_bytes());
    b.resize(9_000_000, 0);
    std::fs::write(t.path(), &b).unwrap();
    let mut p = Pipeline::open(t.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![("record_too_large", 1, 0)]
    );
}

#[test]
fn open_errors() {
    let missing = std::env::temp_dir().join("nanocap-no-such-file.pcap");
    match Pipeline::open(&missing) {
        Err(OpenError::NotFound(p)) => assert_eq!(p, missing),
        other => panic!("{:?}", other.err()),
    }
    let t = TempFile::new("notcap");
    for (bytes, needle) in [
        (&b""[..], "empty"),
        (&b"ab"[..], "2 bytes"),
        (&b"hello, this is text\n"[..], "unknown magic"),
        (&[0x1f, 0x8b, 8, 0, 0, 0][..], "gzip"),
        // pcap magic, header cut off.
        (&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0][..], "pcap file header"),
        // pcapng magic, section header cut off.
        (&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0][..], "pcapng"),
    ] {
        std::fs::write(t.path(), bytes).unwrap();
        match Pipeline::open(t.path()) {
            Err(OpenError::NotACapture(p, why)) => {
                assert_eq!(p, t.path());
                assert!(why.contains(needle), "{why:?} lacks {needle:?}");
            }
            other => panic!("{:?} for {bytes:?}", other.err()),
        }
    }
}

#[test]
fn read_error_after_some_records_is_an_anomaly_then_end() {
    /// Serves `data`, then fails.
    struct Failing(std::io::Cursor<Vec<u8>>);
    impl std::io::Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(std::io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }
    let mut b = pcap_header_bytes();
    for sec in [7u32, 8] {
        b.extend_from_slice(&sec.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&24u32.to_le_bytes());
        b.extend_from_slice(&24u32.to_le_bytes());
        b.extend_from_slice(&garbage_ip());
    }
    let source = FileSource::from_reader(Box::new(Failing(std::io::Cursor::new(b)))).unwrap();
    let mut p = Pipeline::from_source(source, PipelineOptions::default());
    let events = all_events(&mut p);
    assert_eq!(
        anomalies(&events),
        vec![
            ("bad_ip", 1, 7_000_000),
            ("bad_ip", 2, 8_000_000),
            ("read_error", 3, 8_000_000)
        ]
    );
    match &events[2] {
        Event::Anomaly(a) => assert!(a.detail.contains("disk on fire"), "{}", a.detail),
        _ => unreachable!(),
    }
}

fn idb(
    link: DataLink,
    options: Vec<InterfaceDescriptionOption<'static>>,
) -> InterfaceDescriptionBlock<'static> {
    InterfaceDescriptionBlock {
        linktype: link,
        snaplen: 0,
        options,
    }
}

fn epb(iface: u32, units: u64, data: &[u8]) -> EnhancedPacketBlock<'_> {
    EnhancedPacketBlock {
        interface_id: iface,
        // pcap-file writes Duration::as_nanos() as the raw timestamp units.
        timestamp: Duration::from_nanos(units),
        original_len: data.len() as u32,
        data: Cow::Borrowed(data),
        options: vec![],
    }
}

#[test]
fn pcapng_interfaces_with_different_link_types_and_resolutions() {
    for endianness in [Endianness::Little, Endianness::Big] {
        let t = TempFile::new("ng");
        let file = std::fs::File::create(t.path()).unwrap();
        let mut w = PcapNgWriter::with_endianness(file, endianness).unwrap();
        // 0: Ethernet, default resolution (µs).
        w.write_pcapng_block(idb(DataLink::ETHERNET, vec![]))
            .unwrap();
        // 1: raw IP, nanoseconds.
        w.write_pcapng_block(idb(
            DataLink::RAW,
            vec![InterfaceDescriptionOption::IfTsResol(9)],
        ))
        .unwrap();
        // 2: Linux cooked, seconds (10^0), offset 1000 s.
        w.write_pcapng_block(idb(
            DataLink::LINUX_SLL,
            vec![
                InterfaceDescriptionOption::IfTsResol(0),
                InterfaceDescriptionOption::IfTsOffset(1000),
            ],
        ))
        .unwrap();
        // 3: raw IP, 2^-10 s.
        w.write_pcapng_block(idb(
            DataLink::RAW,
            vec![InterfaceDescriptionOption::IfTsResol(0x8a)],
        ))
        .unwrap();
        let bad_eth = eth_bad_ip();
        let bad_raw = garbage_ip();
        let mut bad_sll = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
        bad_sll.extend_from_slice(&garbage_ip());
        let tcp = eth_tcp(b"hi");
        w.write_pcapng_block(epb(0, 1_600_000_000_000_001, &bad_eth))
            .unwrap();
        w.write_pcapng_block(epb(1, 1_600_000_000_987_654_321, &bad_raw))
            .unwrap();
        w.write_pcapng_block(epb(2, 5, &bad_sll)).unwrap();
        w.write_pcapng_block(epb(3, 1536, &bad_raw)).unwrap();
        w.write_pcapng_block(epb(0, 1_600_000_001_000_000, &tcp))
            .unwrap();
        // Simple packet block: interface 0, no timestamp (takes the previous one).
        w.write_pcapng_block(SimplePacketBlock {
            original_len: bad_eth.len() as u32,
            data: Cow::Borrowed(&bad_eth),
        })
        .unwrap();
        drop(w);
        let mut p = Pipeline::open(t.path()).unwrap();
        assert_eq!(
            anomalies(&all_events(&mut p)),
            vec![
                ("bad_ip", 1, 1_600_000_000_000_001),
                ("bad_ip", 2, 1_600_000_000_987_654),
                ("bad_ip", 3, 1_005_000_000),
                ("bad_ip", 4, 1_500_000),
                ("bad_ip", 6, 1_600_000_001_000_000),
            ],
            "{endianness:?}"
        );
        assert_eq!(p.stats().frames, 6);
        assert_eq!(p.stats().tcp_segments, 1);
    }
}

#[test]
fn pcapng_bad_blocks() {
    let t = TempFile::new("ngbad");
    let file = std::fs::File::create(t.path()).unwrap();
    let mut w = PcapNgWriter::with_endianness(file, Endianness::Little).unwrap();
    w.write_pcapng_block(idb(DataLink::RAW, vec![])).unwrap();
    let bad = garbage_ip();
    w.write_pcapng_block(epb(0, 1, &bad)).unwrap();
    drop(w);
    let mut bytes = std::fs::read(t.path()).unwrap();
    // A second EPB by hand on interface 5, which does not exist.
    let epb_start = bytes.len();
    let mut second = Vec::new();
    second.extend_from_slice(&6u32.to_le_bytes());
    second.extend_from_slice(&(32u32 + 24).to_le_bytes());
    second.extend_from_slice(&5u32.to_le_bytes());
    second.extend_from_slice(&[0; 8]);
    second.extend_from_slice(&24u32.to_le_bytes());
    second.extend_from_slice(&24u32.to_le_bytes());
    second.extend_from_slice(&bad);
    second.extend_from_slice(&(32u32 + 24).to_le_bytes());
    bytes.extend_from_slice(&second);
    // Then a valid one, then half of another.
    bytes.extend_from_slice(&second);
    bytes[epb_start + second.len() + 8] = 0; // interface 0
    bytes.extend_from_slice(&second[..30]);
    std::fs::write(t.path(), &bytes).unwrap();
    let mut p = Pipeline::open(t.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![
            ("bad_ip", 1, 1),
            ("bad_record", 2, 1),
            ("bad_ip", 3, 0),
            ("truncated_record", 4, 0)
        ]
    );
    assert_eq!(p.stats().frames, 3);

    // Block length fields that disagree: fatal, reported.
    let mut broken = bytes[..epb_start + second.len()].to_vec();
    let n = broken.len();
    broken[n - 4] = 0x99;
    std::fs::write(t.path(), &broken).unwrap();
    let mut p = Pipeline::open(t.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![("bad_ip", 1, 1), ("bad_record", 2, 1)]
    );
}

/// IPv4 fragments of one TCP segment (TCP goes through the same reassembly as UDP and
/// needs no decoder): in the wrong order, the datagram belongs to the last frame.
#[test]
fn fragments_reassemble_across_frames() {
    let whole = ip4_tcp(&[0xab; 40]); // 20 IP + 20 TCP + 40 data; payload 60 bytes
    let payload = &whole[20..];
    let frag = |offset: usize, more: bool, data: &[u8]| -> Vec<u8> {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
        h.extend_from_slice(&0x4242u16.to_be_bytes());
        let ff = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        h.extend_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(&[64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        h.extend_from_slice(data);
        h
    };
    let recs = vec![
        (1, 0, frag(32, false, &payload[32..])),
        (2, 0, frag(0, true, &payload[..16])),
        (3, 0, frag(16, true, &payload[16..32])),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 101, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    assert!(all_events(&mut p).is_empty());
    let s = p.stats();
    assert_eq!(s.ip_fragments, 3);
    assert_eq!(s.reassembled_datagrams, 1);
    assert_eq!(s.tcp_segments, 1);

    // Without the middle piece: reported at the end of the capture.
    let f = write_pcap(
        Endianness::Little,
        TsResolution::MicroSecond,
        101,
        &recs[..2],
    );
    let mut p = Pipeline::open(f.path()).unwrap();
    assert_eq!(
        anomalies(&all_events(&mut p)),
        vec![("frag_incomplete", 2, 2_000_000)]
    );
    assert_eq!(p.stats().tcp_segments, 0);

    // Timed out: a frame 31 s later expires it.
    let mut late = recs[..2].to_vec();
    late.push((33, 0, ip4_icmp()));
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 101, &late);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    assert_eq!(anomalies(&events), vec![("frag_timeout", 3, 33_000_000)]);
}

/// IPv6 fragments (fragment extension header) of one TCP segment, last piece first.
#[test]
fn ipv6_fragments_reassemble() {
    let whole = ip6_tcp(&[0xcd; 30]); // 40 IPv6 + 20 TCP + 30 data
    let payload = &whole[40..];
    let frag = |offset: usize, more: bool, data: &[u8]| -> Vec<u8> {
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        h.extend_from_slice(&[44, 64]);
        h.extend_from_slice(&whole[8..40]);
        let ff = ((offset / 8) as u16) << 3 | u16::from(more);
        h.extend_from_slice(&[6, 0]);
        h.extend_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(&0x0102_0304u32.to_be_bytes());
        h.extend_from_slice(data);
        h
    };
    let recs = vec![
        (1, 0, frag(24, false, &payload[24..])),
        (2, 0, frag(0, true, &payload[..24])),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 229, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    assert!(all_events(&mut p).is_empty());
    let s = p.stats();
    assert_eq!(
        (s.ip_fragments, s.reassembled_datagrams, s.tcp_segments),
        (2, 1, 1)
    );
}

#[test]
fn pipeline_is_send() {
    fn is_send<T: Send>() {}
    is_send::<Pipeline>();
    is_send::<Pipeline<Box<dyn FrameSource + Send>>>();
}

/// A source that plays a script, as a live capture would deliver it: frames, and
/// `Idle` for a read timeout. Past the script it stays idle, or ends if `ends`.
struct Scripted {
    steps: std::collections::VecDeque<Step>,
    ends: bool,
    number: u64,
    calls: u64,
}

enum Step {
    Frame(Vec<u8>),
    Idle,
}

impl Scripted {
    fn new(steps: Vec<Step>, ends: bool) -> Self {
        Scripted {
            steps: steps.into(),
            ends,
            number: 0,
            calls: 0,
        }
    }
}

impl FrameSource for Scripted {
    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        self.calls += 1;
        match self.steps.pop_front() {
            Some(Step::Frame(data)) => {
                self.number += 1;
                visit(&Frame {
                    number: self.number,
                    time_usec: 1_000_000 * self.number as i64,
                    link_type: 1,
                    data: &data,
                    orig_len: data.len() as u32,
                });
                ReadOutcome::Frame
            }
            Some(Step::Idle) => ReadOutcome::Idle,
            None if self.ends => ReadOutcome::End,
            None => ReadOutcome::Idle,
        }
    }
}

#[test]
fn a_source_that_goes_idle_is_waited_through_by_advance() {
    let udp = eth_udp([10, 0, 0, 1], [10, 0, 0, 2], 7075, 7076, &TELEMETRY_REQ);
    let frame = || Step::Frame(udp.clone());
    let script = vec![
        Step::Idle,
        frame(),
        Step::Idle,
        Step::Idle,
        frame(),
        Step::Idle,
    ];
    let source: Box<dyn FrameSource + Send> = Box::new(Scripted::new(script, true));
    let mut p = Pipeline::from_source(source, PipelineOptions::default());
    let events = all_events(&mut p);
    let frames: Vec<u64> = events
        .iter()
        .map(|e| match e {
            Event::Message(m) => m.meta.frame,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(frames, [1, 2]);
    assert_eq!(p.stats().frames, 2);
}

#[test]
fn finish_ends_a_live_source_and_flushes_tcp_state() {
    let tcp = |syn: bool, seq: u32, payload: &[u8]| eth_tcp_seg(seq, syn, payload);
    let script = vec![
        Step::Frame(tcp(true, 0, &[])),
        Step::Idle,
        Step::Frame(tcp(false, 1, &TELEMETRY_REQ)),
    ];
    let mut p = Pipeline::from_source(Scripted::new(script, false), PipelineOptions::default());
    let mut seen = Vec::new();
    let mut poll = |p: &mut Pipeline<Scripted>| {
        let progress = p.poll();
        if let Some(Event::Connection(c)) = p.current() {
            seen.push(c.event);
        }
        progress
    };
    // The SYN's "open" is held until the connection shows Nano traffic.
    assert_eq!(poll(&mut p), Progress::Idle);
    assert_eq!(poll(&mut p), Progress::Event);
    assert!(matches!(p.current(), Some(Event::Connection(_))));
    while poll(&mut p) == Progress::Event {}
    // The source has nothing more for now: still idle, not ended.
    assert_eq!(poll(&mut p), Progress::Idle);
    assert_eq!(p.stats().messages, 1);
    p.finish();
    let calls = p.source_mut().calls;
    while poll(&mut p) == Progress::Event {}
    assert_eq!(poll(&mut p), Progress::End);
    assert_eq!(p.source_mut().calls, calls, "no read after finish");
    assert_eq!(
        seen,
        [
            ConnectionEventKind::Open,
            ConnectionEventKind::Message(crate::protocol::MessageType::TelemetryReq),
            ConnectionEventKind::OpenAtEndOfCapture
        ]
    );
    // Finishing twice changes nothing.
    p.finish();
    assert!(!p.advance());
}

// ---- NEEDS DECODER: these run `protocol::decode_datagram` for real. ----

/// telemetry_req on the dev network (docs/protocol.md header: 'R' 'A', versions 0x15 0x15
/// 0x14, type 0x0c, extensions 0): a complete message with an empty payload.
const TELEMETRY_REQ: [u8; 8] = [0x52, 0x41, 0x15, 0x15, 0x14, 0x0c, 0x00, 0x00];

fn eth_udp(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(src, dst, 64)
        .udp(sport, dport)
        .write(&mut v, payload)
        .unwrap();
    v
}

#[test]
fn udp_messages_become_events() {
    let recs = vec![
        (
            100,
            1,
            eth_udp([10, 0, 0, 1], [10, 0, 0, 2], 7075, 7076, &TELEMETRY_REQ),
        ),
        // DNS-ish, not Nano.
        (
            100,
            2,
            eth_udp([10, 0, 0, 1], [10, 0, 0, 3], 5353, 53, b"\x12\x34\x01\x00"),
        ),
        (
            100,
            3,
            eth_udp([10, 0, 0, 2], [10, 0, 0, 1], 7076, 7075, &TELEMETRY_REQ),
        ),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 1, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    assert_eq!(events.len(), 2);
    let (Event::Message(a), Event::Message(b)) = (&events[0], &events[1]) else {
        panic!("{events:?}");
    };
    assert_eq!((a.id, a.meta.frame, a.meta.time_usec), (1, 1, 100_000_001));
    assert_eq!((b.id, b.meta.frame, b.meta.time_usec), (2, 3, 100_000_003));
    assert_eq!(a.meta.transport, Transport::Udp);
    assert_eq!(a.meta.ipv, 4);
    assert_eq!(
        a.meta.src_ip,
        "10.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!((a.meta.src_port, a.meta.dst_port), (7075, 7076));
    assert_eq!(
        b.meta.src_ip,
        "10.0.0.2".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(a.meta.flow_key, b.meta.flow_key);
    assert_eq!(a.header.network, 0x5241);
    assert_eq!(a.header.msg_type, 0x0c);
    assert_eq!(a.size, 0);
    assert_eq!(a.payload, Ok(crate::protocol::Payload::TelemetryReq));
    assert_eq!(a.peer_cookie, None);
    let s = p.stats();
    assert_eq!(
        (s.udp_datagrams, s.non_nano_datagrams, s.messages),
        (3, 1, 2)
    );
}

#[test]
fn fragmented_udp_message_gets_the_completing_frame() {
    // A telemetry_req datagram (8 UDP + 8 Nano bytes) split at byte 8 of the UDP payload.
    let mut udp = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(7075, 7075)
        .write(&mut udp, &TELEMETRY_REQ)
        .unwrap();
    let payload = &udp[20..];
    let frag = |offset: usize, more: bool, data: &[u8]| -> Vec<u8> {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&((20 + data.len()) as u16).to_be_bytes());
        h.extend_from_slice(&7u16.to_be_bytes());
        let ff = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        h.extend_from_slice(&ff.to_be_bytes());
        h.extend_from_slice(&[64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        h.extend_from_slice(data);
        h
    };
    let recs = vec![
        (5, 0, frag(8, false, &payload[8..])),
        (6, 0, garbage_ip()),
        (7, 0, frag(0, true, &payload[..8])),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 101, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    assert_eq!(events.len(), 2, "{events:?}");
    let Event::Message(m) = &events[1] else {
        panic!("{events:?}");
    };
    assert_eq!((m.id, m.meta.frame, m.meta.time_usec), (1, 3, 7_000_000));
    assert_eq!(m.header.msg_type, 0x0c);
}

#[test]
fn handshake_response_carries_the_peer_cookie() {
    // node_id_handshake query (ext 0x0001) A -> B with cookie 0x11..., then B's
    // response (ext 0x0002: node id 32 + signature 64) back to A.
    let mut query = vec![0x52, 0x41, 0x12, 0x12, 0x12, 0x0a, 0x01, 0x00];
    query.extend_from_slice(&[0x11; 32]);
    let mut response = vec![0x52, 0x41, 0x12, 0x12, 0x12, 0x0a, 0x02, 0x00];
    response.extend_from_slice(&[0x22; 32]);
    response.extend_from_slice(&[0x33; 64]);
    let a = [10, 0, 0, 1];
    let b = [10, 0, 0, 2];
    let recs = vec![
        (1, 0, eth_udp(a, b, 7075, 7075, &query)),
        (2, 0, eth_udp(b, a, 7075, 7075, &response)),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 1, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    let (Event::Message(q), Event::Message(r)) = (&events[0], &events[1]) else {
        panic!("{events:?}");
    };
    assert!(q.payload.is_ok(), "{:?}", q.payload);
    assert!(r.payload.is_ok(), "{:?}", r.payload);
    assert_eq!(q.peer_cookie, None);
    assert_eq!(r.peer_cookie, Some([0x11; 32]));
    assert_eq!(r.size, 96);
}

// ---- Hostile input through the whole pipeline. ----

use crate::protocol::test_rng::Rng;

/// A frame built from real layers (Ethernet, IPv4/IPv6, TCP/UDP, fragments) around
/// Nano-looking bytes, then damaged at random.
fn hostile_frame(rng: &mut Rng, seqs: &mut [u32; 4]) -> Vec<u8> {
    let nano: [&[u8]; 4] = [
        &TELEMETRY_REQ,
        &[0x52, 0x41, 0x15, 0x15, 0x14, 0x06, 0x01, 0x00],
        &[0x52, 0x43, 0x15, 0x15, 0x14, 0x0e, 0xff, 0xff],
        &[0x52; 16],
    ];
    let mut payload = Vec::new();
    for _ in 0..rng.below(6) {
        payload.extend_from_slice(nano[rng.below(4)]);
        for _ in 0..rng.below(40) {
            payload.push(rng.next() as u8);
        }
    }
    let conn = rng.below(4);
    let (a, b) = ([10, 0, 0, 1 + conn as u8], [10, 0, 0, 9]);
    let (sport, dport) = if rng.below(2) == 0 {
        (51000, 7075)
    } else {
        (7075, 51000)
    };
    let mut v = Vec::new();
    match rng.below(5) {
        0 | 1 => {
            let seq = match rng.below(4) {
                0 => rng.next() as u32,
                1 => seqs[conn].wrapping_sub(rng.below(3000) as u32),
                _ => seqs[conn],
            };
            seqs[conn] = seq.wrapping_add(payload.len() as u32);
            let mut t = PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4(a, b, 64)
                .tcp(sport, dport, seq, 1000);
            let bits = rng.next();
            if bits % 7 == 0 {
                t = t.syn();
            }
            if bits % 3 != 0 {
                t = t.ack(rng.next() as u32);
            }
            if bits % 11 == 0 {
                t = t.fin();
            }
            if bits % 17 == 0 {
                t = t.rst();
            }
            t.write(&mut v, &payload).unwrap();
        }
        2 => {
            PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv6([0x20; 16], [0x21; 16], 64)
                .tcp(sport, dport, rng.next() as u32, 1000)
                .write(&mut v, &payload)
                .unwrap();
        }
        3 => {
            PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4(a, b, 64)
                .udp(sport, dport)
                .write(&mut v, &payload)
                .unwrap();
        }
        _ => {
            // An IPv4 fragment of a UDP or TCP datagram, anywhere in it.
            v.extend_from_slice(&[1; 6]);
            v.extend_from_slice(&[2; 6]);
            v.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
            v.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
            v.extend_from_slice(&(rng.below(3) as u16).to_be_bytes());
            let off = (rng.below(8200) as u16) | if rng.below(2) == 0 { 0x2000 } else { 0 };
            v.extend_from_slice(&off.to_be_bytes());
            v.extend_from_slice(&[64, [6, 17][rng.below(2)], 0, 0]);
            v.extend_from_slice(&a);
            v.extend_from_slice(&b);
            v.extend_from_slice(&payload);
        }
    }
    if rng.below(3) == 0 {
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(v.len());
            v[i] = rng.next() as u8;
        }
    }
    if rng.below(10) == 0 {
        v.truncate(rng.below(v.len() + 1));
    }
    v
}

#[test]
fn pipeline_fuzz_hostile_frames_never_panic() {
    let rounds = std::env::var("NANOCAP_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30u64);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..rounds {
        // A little-endian microsecond pcap, Ethernet.
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        let mut seqs = [0u32; 4];
        let mut time = 1_700_000_000u32;
        for _ in 0..300 {
            let frame = hostile_frame(&mut rng, &mut seqs);
            time = match rng.below(20) {
                0 => rng.next() as u32,
                _ => time.wrapping_add(rng.below(3) as u32),
            };
            file.extend_from_slice(&time.to_le_bytes());
            file.extend_from_slice(&(rng.below(1_000_000) as u32).to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&frame);
        }
        if rng.below(5) == 0 {
            // A damaged record header somewhere.
            let i = 24 + rng.below(file.len() - 24);
            file[i] = rng.next() as u8;
        }
        let options = PipelineOptions {
            defrag: super::defrag::DefragLimits {
                max_datagrams: 1 + rng.below(8),
                max_bytes: 1 + rng.below(100_000),
                timeout_usec: rng.below(5_000_000) as i64,
            },
            tcp: super::tcp::TcpLimits {
                max_buffered_per_direction: 1 + rng.below(100_000),
                max_connections: 1 + rng.below(5),
                idle_timeout_usec: rng.below(5_000_000) as i64,
                ..Default::default()
            },
            max_handshake_cookies: rng.below(4),
        };
        let source = FileSource::from_reader(Box::new(std::io::Cursor::new(file))).unwrap();
        let mut p = Pipeline::from_source(source, options);
        let mut last_id = 0;
        while let Some(e) = p.next_event() {
            if let Event::Message(m) = e {
                assert!(m.id > last_id, "round {round}");
                last_id = m.id;
            }
        }
    }
}

#[test]
fn lending_events_gives_the_same_sequence_as_taking_them() {
    let recs = vec![
        (10, 0, garbage_ip()),
        (11, 0, ip4_tcp(b"not nano")),
        (12, 0, garbage_ip()),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 101, &recs);
    let taken = all_events(&mut Pipeline::open(f.path()).unwrap());
    assert!(taken.len() >= 2);
    let mut p = Pipeline::open(f.path()).unwrap();
    assert!(
        p.current().is_none(),
        "nothing is lent before the first advance"
    );
    let mut lent = Vec::new();
    while p.advance() {
        lent.push(p.current().expect("advance lends an event").clone());
    }
    assert!(p.current().is_none() && !p.advance());
    assert_eq!(lent, taken);
    assert_eq!(p.stats().anomalies, taken.len() as u64);
}

/// A pcap whose records may be cut: (seconds, µs, captured bytes, length on the wire).
fn write_pcap_cut(recs: &[(u32, u32, Vec<u8>, u32)]) -> TempFile {
    let t = TempFile::new("pcap-cut");
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        snaplen: 64,
        ..PcapHeader::default()
    };
    let file = std::fs::File::create(t.path()).unwrap();
    let mut w = PcapWriter::with_header(file, header).unwrap();
    for (sec, usec, data, orig_len) in recs {
        w.write_raw_packet(&RawPcapPacket {
            ts_sec: *sec,
            ts_frac: *usec,
            incl_len: data.len() as u32,
            orig_len: *orig_len,
            data: Cow::Borrowed(data),
        })
        .unwrap();
    }
    t
}

fn anomaly_details(events: &[Event]) -> Vec<(&'static str, u64, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Anomaly(a) => Some((a.kind.as_str(), a.frame, a.detail.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_frame_cut_by_the_snap_length_is_reported_as_cut_not_as_bad_ip() {
    let udp = eth_udp([10, 0, 0, 1], [10, 0, 0, 2], 7075, 7076, &TELEMETRY_REQ);
    let tcp = eth_tcp(&[0x52; 200]);
    let recs = vec![
        // Cut inside the IPv4 header, and inside the TCP payload.
        (1, 0, udp[..30].to_vec(), udp.len() as u32),
        (2, 0, tcp[..64].to_vec(), tcp.len() as u32),
        // Only what follows the IP packet is missing (the Ethernet FCS): read as usual.
        (3, 0, udp.clone(), udp.len() as u32 + 4),
        // A broken IP header in a whole frame is still bad_ip.
        (4, 0, eth_bad_ip(), eth_bad_ip().len() as u32),
    ];
    let f = write_pcap_cut(&recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    let a = anomaly_details(&events);
    assert_eq!(a.len(), 3, "{a:?}");
    assert_eq!((a[0].0, a[0].1), ("snaplen_truncated", 1));
    let want = format!(
        "frame cut to 30 of its {} bytes by the capture's snap length: IPv4",
        udp.len()
    );
    assert!(a[0].2.starts_with(&want), "{}", a[0].2);
    assert_eq!((a[1].0, a[1].1), ("snaplen_truncated", 2));
    assert!(
        a[1].2
            .contains(&format!("cut to 64 of its {} bytes", tcp.len())),
        "{}",
        a[1].2
    );
    assert_eq!((a[2].0, a[2].1), ("bad_ip", 4));
    let msgs: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.meta.frame),
            _ => None,
        })
        .collect();
    assert_eq!(msgs, vec![3]);
    // The frames whose IP packet could not be read, cut or broken, are counted as before.
    assert_eq!(p.stats().bad_ip_frames, 3);
}

fn eth_tcp_flags(from_client: bool, seq: u32, syn: bool, ack: Option<u32>, rst: bool) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        ([10, 0, 0, 1], [10, 0, 0, 2], 51000, 7075)
    } else {
        ([10, 0, 0, 2], [10, 0, 0, 1], 7075, 51000)
    };
    let mut b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(src, dst, 64)
        .tcp(sport, dport, seq, 65535);
    if syn {
        b = b.syn();
    }
    if let Some(n) = ack {
        b = b.ack(n);
    }
    if rst {
        b = b.rst();
    }
    let mut v = Vec::new();
    b.write(&mut v, &[]).unwrap();
    v
}

#[test]
fn a_refused_nano_connection_shows_in_the_connection_events() {
    // SYN to port 7075, RST-ACK back: no byte of data either way.
    let recs = vec![
        (1, 0, eth_tcp_flags(true, 1000, true, None, false)),
        (1, 10, eth_tcp_flags(false, 0, false, Some(1001), true)),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 1, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let events = all_events(&mut p);
    let conns: Vec<(ConnectionEventKind, u64, u16, bool)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Connection(c) => Some((c.event, c.meta.frame, c.meta.src_port, c.closed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        conns,
        vec![
            (ConnectionEventKind::Open, 1, 51000, false),
            (ConnectionEventKind::Reset, 2, 7075, true),
        ]
    );
    assert_eq!(events.len(), 2, "{events:?}");
}

/// What a scan's early end on `frame <=` relies on: once the pipeline says it has read
/// past a frame, no message still to come has that frame or an earlier one (a message's
/// frame is the one that let it be read, whatever the reordering and holes).
#[test]
fn once_read_past_a_frame_no_later_message_has_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for name in ["tcp_realistic.pcapng", "sample.pcapng", "mixed_live.pcapng"] {
        let path = dir.join(name);
        let mut p = Pipeline::open(&path).unwrap();
        let mut last = 0;
        while let Some(ev) = p.next_event() {
            if let Event::Message(m) = ev {
                last = m.meta.frame;
            }
        }
        for bound in [1, last / 4, last / 2] {
            let mut p = Pipeline::open(&path).unwrap();
            let (mut past, mut after) = (false, 0);
            while p.advance() {
                if let (true, Some(Event::Message(m))) = (past, p.current()) {
                    assert!(
                        m.meta.frame > bound,
                        "{name}: frame {} after {bound}",
                        m.meta.frame
                    );
                    after += 1;
                }
                past = past || p.read_past_frame(bound);
            }
            assert!(past && after > 0, "{name}: never read past frame {bound}");
        }
    }
}

/// A TCP message behind a hole that only the end of the capture gives up is read at
/// the end: it takes the capture's last record as its frame, not the last TCP segment
/// (later UDP records were read before it), so frames never decrease in id order.
#[test]
fn messages_read_at_the_end_take_the_last_record_of_the_capture() {
    let tcp = eth_tcp_seg;
    let two = [TELEMETRY_REQ, TELEMETRY_REQ].concat();
    let udp = eth_udp([10, 0, 0, 3], [10, 0, 0, 2], 7075, 7075, &TELEMETRY_REQ);
    let recs = vec![
        (100, 1, tcp(0, true, &[])),
        // Bytes 1..9 never captured: the two messages wait behind the hole.
        (100, 2, tcp(9, false, &two)),
        (100, 3, udp.clone()),
        (100, 4, udp),
    ];
    let f = write_pcap(Endianness::Little, TsResolution::MicroSecond, 1, &recs);
    let mut p = Pipeline::open(f.path()).unwrap();
    let frames: Vec<(Transport, u64)> = all_events(&mut p)
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some((m.meta.transport, m.meta.frame)),
            _ => None,
        })
        .collect();
    assert_eq!(&frames[..2], &[(Transport::Udp, 3), (Transport::Udp, 4)]);
    assert!(frames.len() > 2, "{frames:?}");
    assert!(
        frames[2..].iter().all(|&f| f == (Transport::Tcp, 4)),
        "{frames:?}"
    );
}
