//! BPF filters (libpcap's expression syntax, as tcpdump takes it) over any frame
//! source: `BpfFilter` compiles an expression with libpcap, once per link type it
//! meets, and judges frames; `FilteredSource` wraps a `FrameSource` and lets only the
//! matching frames through, counting the others.
//!
//! What a filtered read guarantees:
//! - Frames that pass are handed on unchanged, with the number they have in the file:
//!   a filtered import's `frame` column is still the record number in the file.
//! - The expression is checked when the filter is made: one that compiles for none of
//!   the link types nanocap reads is an error (`bad filter 'port x': unknown port 'x'`),
//!   before anything is read.
//! - Each link type gets its own program, compiled when its first frame comes (a
//!   pcapng may hold several). An expression that libpcap cannot compile for a link
//!   type met later (`vlan` on raw IP, `ether host` on Linux cooked, or a link type
//!   libpcap does not know at all) does not stop the read: the frames of that link
//!   type are left out and counted like the other filtered frames, and the first of
//!   them is reported once, as a `filter_not_applicable` anomaly with libpcap's
//!   message. A frame that cannot be tested is not known to match, so it is not kept.
//! - The program sees the bytes that were captured. A frame cut short by the
//!   capture's snaplen is judged on what is there: a test of bytes past the cut fails
//!   (BPF's rule, the same as tcpdump reading the file), and `len`, `less` and
//!   `greater` compare with the captured length, not the length on the wire.
//! - The program of a link type is chosen the way the link layer reads it
//!   (`super::link`): LINKTYPE_RAW (101) and the old raw values 12 and 14 are compiled
//!   as libpcap's DLT_RAW; a type-12 frame that holds an OpenBSD loopback header is
//!   judged as DLT_LOOP; a BSD loopback (NULL) frame whose address family is in the
//!   other byte order than this machine's is judged as DLT_LOOP (network order), as
//!   libpcap itself does for a byte-swapped file. IPv6 in a loopback header is
//!   written with the AF_INET6 of the system that captured it (24, 28 or 30 on the
//!   BSDs and macOS) and libpcap tests for this system's (10 on Linux); such a frame
//!   is judged as if it carried this system's value, so that `ip6` and `udp` match it
//!   as the link layer reads it.
//!
//! libpcap's rules stay libpcap's: `udp` does not match a VLAN-tagged frame (write
//! `udp or (vlan and udp)`), and `port 7075` does not match IP fragments after the
//! first, so a fragmented datagram loses its tail (keep them with
//! `port 7075 or (ip[6:2] & 0x1fff != 0)`). Live capture applies the same expression
//! on the libpcap handle, so an import of a file and a live capture filter alike.

use super::link::linktype;
use super::source::{Frame, FrameSource, ReadOutcome, SourceAnomaly};
use super::AnomalyKind;
use pcap::{BpfProgram, Capture, Linktype};
use std::collections::VecDeque;

/// libpcap's DLT_RAW and DLT_LOOP, which OpenBSD numbers differently.
#[cfg(not(target_os = "openbsd"))]
const DLT_RAW: i32 = 12;
#[cfg(target_os = "openbsd")]
const DLT_RAW: i32 = 14;
#[cfg(not(target_os = "openbsd"))]
const DLT_LOOP: i32 = 108;
#[cfg(target_os = "openbsd")]
const DLT_LOOP: i32 = 12;
const DLT_NULL: i32 = 0;

/// AF_INET6 of this system, which libpcap's loopback (NULL/LOOP) programs test for;
/// the BSDs and macOS write 24, 28 or 30.
#[cfg(any(target_os = "macos", target_os = "ios"))]
const HOST_AF_INET6: u32 = 30;
#[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
const HOST_AF_INET6: u32 = 28;
#[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
const HOST_AF_INET6: u32 = 24;
#[cfg(not(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd",
    target_os = "netbsd"
)))]
const HOST_AF_INET6: u32 = 10;

/// The link types checked when a filter is made: those the link layer reads.
const KNOWN_DLTS: &[i32] = &[
    linktype::ETHERNET as i32,
    linktype::LINUX_SLL as i32,
    linktype::LINUX_SLL2 as i32,
    DLT_RAW,
    linktype::IPV4 as i32,
    linktype::IPV6 as i32,
    DLT_NULL,
    DLT_LOOP,
];

/// An expression libpcap does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub expression: String,
    /// libpcap's message (and the link type, when it is about one).
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad filter '{}': {}", self.expression, self.message)
    }
}

impl std::error::Error for FilterError {}

/// libpcap's text of an error, without the crate's "libpcap error: " prefix.
fn pcap_message(e: pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(m) => m,
        other => other.to_string(),
    }
}

/// Compiles `expression` for libpcap link type `dlt` (a DLT_ value, see [`dlt_of`]).
/// The error is libpcap's message. An expression that can never match on this link
/// type (`ip6` on raw IPv4) is a program that rejects everything, not an error
/// (libpcap's optimiser calls it one; the unoptimised program is kept then).
pub fn compile(expression: &str, dlt: i32) -> Result<BpfProgram, String> {
    if expression.contains('\0') {
        return Err("the expression contains a NUL character".into());
    }
    let dead = |dlt| Capture::dead(Linktype(dlt)).map_err(pcap_message);
    match dead(dlt)?.compile(expression, true) {
        Ok(p) => Ok(p),
        Err(optimised) => match dead(dlt)?.compile(expression, false) {
            Ok(p) => Ok(p),
            Err(_) => Err(pcap_message(optimised)),
        },
    }
}

/// The libpcap link type (DLT) whose program judges a frame of pcap LINKTYPE
/// `link_type` holding `data`, following the link layer's reading (module docs).
pub fn dlt_of(link_type: u32, data: &[u8]) -> i32 {
    match link_type & 0xffff {
        linktype::RAW | linktype::RAW_14 => DLT_RAW,
        linktype::RAW_12 => match data.first() {
            Some(b) if b >> 4 != 4 && b >> 4 != 6 => DLT_LOOP,
            _ => DLT_RAW,
        },
        linktype::NULL => match data.get(..4) {
            // The family is small: the zero half tells its byte order.
            Some(&[a, b, c, d]) => {
                let big_endian = u32::from_be_bytes([a, b, c, d]) >> 16 == 0;
                if big_endian != cfg!(target_endian = "big") {
                    DLT_LOOP
                } else {
                    DLT_NULL
                }
            }
            _ => DLT_NULL,
        },
        // DLT_LOOP's number is 108 except on OpenBSD.
        linktype::LOOP => DLT_LOOP,
        other => other as i32,
    }
}

/// A short name for a DLT in messages ("EN10MB", "RAW", or the number).
fn dlt_name(dlt: i32) -> String {
    match Linktype(dlt).get_name() {
        Ok(name) => format!("{dlt} ({name})"),
        Err(_) => dlt.to_string(),
    }
}

/// What the filter says of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop,
    /// Dropped: the expression cannot be compiled for this frame's link type, and
    /// this is the first such frame (libpcap's message, for an anomaly).
    NotApplicable(String),
}

struct Program {
    dlt: i32,
    /// Err: libpcap's message for this link type.
    program: Result<BpfProgram, String>,
    /// The error was reported (as an anomaly).
    reported: bool,
}

/// A BPF expression and its programs, one per link type met.
pub struct BpfFilter {
    expression: String,
    programs: Vec<Program>,
    /// Index of the program used last (a file rarely changes link type).
    last: usize,
    /// A loopback frame with its address family rewritten (see `judge`).
    scratch: Vec<u8>,
}

impl std::fmt::Debug for BpfFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BpfFilter")
            .field("expression", &self.expression)
            .field(
                "link_types",
                &self.programs.iter().map(|p| p.dlt).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl BpfFilter {
    /// Checks the expression: it must compile for at least one of the link types
    /// nanocap reads. The error carries libpcap's message (for Ethernet when it
    /// fails everywhere).
    pub fn new(expression: &str) -> Result<BpfFilter, FilterError> {
        let mut filter = BpfFilter {
            expression: expression.to_string(),
            programs: Vec::new(),
            last: 0,
            scratch: Vec::new(),
        };
        let mut first_error = None;
        for &dlt in KNOWN_DLTS {
            let i = filter.program_for(dlt);
            match &filter.programs[i].program {
                Ok(_) => return Ok(filter),
                Err(m) => {
                    first_error.get_or_insert_with(|| m.clone());
                }
            }
        }
        Err(FilterError {
            expression: filter.expression,
            message: first_error.unwrap_or_default(),
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Requires the expression to compile for `link_type` (a pcap LINKTYPE), for a
    /// source that says its link type before its first frame (a pcap file): an
    /// expression that cannot apply to the whole file is an error then, not an
    /// anomaly later.
    pub fn require(&mut self, link_type: u32) -> Result<(), FilterError> {
        let dlt = dlt_of(link_type, &[]);
        let i = self.program_for(dlt);
        match &self.programs[i].program {
            Ok(_) => Ok(()),
            Err(m) => Err(FilterError {
                expression: self.expression.clone(),
                message: format!("{m} (the file's link type is {})", dlt_name(dlt)),
            }),
        }
    }

    /// The index of the program for `dlt`, compiled now if it is new.
    fn program_for(&mut self, dlt: i32) -> usize {
        if let Some(p) = self.programs.get(self.last) {
            if p.dlt == dlt {
                return self.last;
            }
        }
        let i = match self.programs.iter().position(|p| p.dlt == dlt) {
            Some(i) => i,
            None => {
                self.programs.push(Program {
                    dlt,
                    program: compile(&self.expression, dlt),
                    reported: false,
                });
                self.programs.len() - 1
            }
        };
        self.last = i;
        i
    }

    /// Judges one frame (its captured bytes).
    pub fn judge(&mut self, link_type: u32, data: &[u8]) -> Verdict {
        let dlt = dlt_of(link_type, data);
        let i = self.program_for(dlt);
        let p = &mut self.programs[i];
        let data = match (dlt, data.get(..4)) {
            (DLT_NULL | DLT_LOOP, Some(&[a, b, c, d])) => {
                let family = if dlt == DLT_LOOP {
                    u32::from_be_bytes([a, b, c, d])
                } else {
                    u32::from_ne_bytes([a, b, c, d])
                };
                if matches!(family, 24 | 28 | 30) && family != HOST_AF_INET6 {
                    self.scratch.clear();
                    self.scratch.extend_from_slice(&if dlt == DLT_LOOP {
                        HOST_AF_INET6.to_be_bytes()
                    } else {
                        HOST_AF_INET6.to_ne_bytes()
                    });
                    self.scratch.extend_from_slice(&data[4..]);
                    &self.scratch[..]
                } else {
                    data
                }
            }
            _ => data,
        };
        match &p.program {
            Ok(program) if program.filter(data) => Verdict::Pass,
            Ok(_) => Verdict::Drop,
            Err(_) if p.reported => Verdict::Drop,
            Err(m) => {
                // Once per link type, at its first frame (the check in `new` may have
                // compiled it before any frame came).
                let message = format!(
                    "the filter '{}' cannot be applied to link type {}: {m}; its frames are \
                     left out (counted in filtered_frames)",
                    self.expression,
                    dlt_name(dlt)
                );
                p.reported = true;
                Verdict::NotApplicable(message)
            }
        }
    }
}

/// A frame source that hands on only the frames its filter lets through (all of them
/// without a filter), with their numbers unchanged.
pub struct FilteredSource<S> {
    inner: S,
    filter: Option<BpfFilter>,
    /// Frames the inner source handed over, and unusable records it reported.
    frames: u64,
    /// Frames left out.
    filtered: u64,
    /// Link types the filter cannot apply to, to report before reading on.
    notices: VecDeque<SourceAnomaly>,
}

impl<S> FilteredSource<S> {
    pub fn new(inner: S, filter: BpfFilter) -> FilteredSource<S> {
        FilteredSource {
            inner,
            filter: Some(filter),
            frames: 0,
            filtered: 0,
            notices: VecDeque::new(),
        }
    }

    /// Every frame passes (and nothing is counted): one source type for both cases.
    pub fn unfiltered(inner: S) -> FilteredSource<S> {
        FilteredSource {
            inner,
            filter: None,
            frames: 0,
            filtered: 0,
            notices: VecDeque::new(),
        }
    }

    pub fn filter(&self) -> Option<&BpfFilter> {
        self.filter.as_ref()
    }

    /// Frames the filter left out; `None` without a filter.
    pub fn filtered_frames(&self) -> Option<u64> {
        self.filter.as_ref().map(|_| self.filtered)
    }

    /// Packet records read from the inner source, passed or not (unusable records
    /// included, as the pipeline counts them); `None` without a filter, where the
    /// pipeline sees every record itself.
    pub fn frames_read(&self) -> Option<u64> {
        self.filter.as_ref().map(|_| self.frames)
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

impl<S: FrameSource> FrameSource for FilteredSource<S> {
    fn is_live(&self) -> bool {
        self.inner.is_live()
    }

    fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
        let Some(filter) = &mut self.filter else {
            return self.inner.next(visit);
        };
        loop {
            if let Some(anomaly) = self.notices.pop_front() {
                return ReadOutcome::Anomaly {
                    anomaly,
                    fatal: false,
                };
            }
            let mut passed = false;
            let (frames, filtered, notices) =
                (&mut self.frames, &mut self.filtered, &mut self.notices);
            let outcome = self.inner.next(&mut |frame| {
                *frames += 1;
                match filter.judge(frame.link_type, frame.data) {
                    Verdict::Pass => {
                        passed = true;
                        visit(frame);
                    }
                    Verdict::Drop => *filtered += 1,
                    Verdict::NotApplicable(detail) => {
                        *filtered += 1;
                        notices.push_back(SourceAnomaly {
                            frame: frame.number,
                            time_usec: frame.time_usec,
                            kind: AnomalyKind::FilterNotApplicable,
                            detail,
                        });
                    }
                }
            });
            match outcome {
                // Every frame of this read was left out: read on (a notice first).
                ReadOutcome::Frame if !passed => continue,
                ReadOutcome::Anomaly { fatal: false, .. } => {
                    self.frames += 1;
                    return outcome;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv4 + UDP from `sport` to `dport` with `payload` bytes.
    fn ipv4_udp(sport: u16, dport: u16, payload: usize) -> Vec<u8> {
        let total = (20 + 8 + payload) as u16;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&(8 + payload as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.resize(usize::from(total), 0xab);
        p
    }

    fn ipv6_udp(sport: u16, dport: u16) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        p.extend_from_slice(&[0xfd; 16]);
        p.extend_from_slice(&[0xfe; 16]);
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&[0, 8, 0, 0]);
        p
    }

    fn ethernet(ip: &[u8], ethertype: u16) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(ip);
        f
    }

    fn vlan(ip: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0, 0, 5, 0x08, 0];
        f.extend_from_slice(ip);
        f
    }

    fn family(af: [u8; 4], ip: &[u8]) -> Vec<u8> {
        let mut f = af.to_vec();
        f.extend_from_slice(ip);
        f
    }

    #[test]
    fn bad_expressions_are_errors_with_libpcaps_message() {
        let e = BpfFilter::new("port x").unwrap_err();
        assert_eq!(e.to_string(), "bad filter 'port x': unknown port 'x'");
        let e = BpfFilter::new("udp and and").unwrap_err();
        assert!(
            e.to_string().starts_with("bad filter 'udp and and': "),
            "{e}"
        );
        assert!(e.message.contains("syntax error"), "{e}");
        let e = BpfFilter::new("udp\0").unwrap_err();
        assert!(e.message.contains("NUL"), "{e}");
        // Valid for some link type nanocap reads: not an error here.
        assert!(BpfFilter::new("vlan and udp").is_ok());
        assert!(BpfFilter::new("ether host 1:2:3:4:5:6").is_ok());
        // Can never match: a filter that drops everything, not an error.
        let mut f = BpfFilter::new("ip and ip6").unwrap();
        assert_eq!(
            f.judge(1, &ethernet(&ipv4_udp(1, 2, 4), 0x0800)),
            Verdict::Drop
        );
    }

    #[test]
    fn a_pcap_files_link_type_can_be_required() {
        let mut f = BpfFilter::new("vlan and udp").unwrap();
        assert!(f.require(linktype::ETHERNET).is_ok());
        let e = f.require(linktype::RAW).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad filter 'vlan and udp': no VLAN support for Raw IP (the file's link type is 12 (RAW))"
        );
        let e = BpfFilter::new("udp").unwrap().require(9999).unwrap_err();
        assert!(e.message.contains("unknown data link type 9999"), "{e}");
    }

    #[test]
    fn link_types_are_judged_as_the_link_layer_reads_them() {
        let ip4 = ipv4_udp(7075, 7075, 10);
        let ip6 = ipv6_udp(7075, 40000);
        let frames: Vec<(u32, Vec<u8>)> = vec![
            (linktype::ETHERNET, ethernet(&ip4, 0x0800)),
            (linktype::ETHERNET, ethernet(&ip6, 0x86dd)),
            (linktype::RAW, ip4.clone()),
            (linktype::RAW_12, ip6.clone()),
            (linktype::RAW_14, ip4.clone()),
            (linktype::IPV4, ip4.clone()),
            (linktype::IPV6, ip6.clone()),
            // BSD loopback in either byte order, IPv6 with the BSDs' and macOS' values.
            (linktype::NULL, family(2u32.to_le_bytes(), &ip4)),
            (linktype::NULL, family(2u32.to_be_bytes(), &ip4)),
            (linktype::NULL, family(24u32.to_le_bytes(), &ip6)),
            (linktype::NULL, family(30u32.to_be_bytes(), &ip6)),
            (linktype::LOOP, family(28u32.to_be_bytes(), &ip6)),
            // OpenBSD loopback under the old raw number.
            (linktype::RAW_12, family(2u32.to_be_bytes(), &ip4)),
        ];
        let mut udp = BpfFilter::new("udp port 7075").unwrap();
        let mut none = BpfFilter::new("udp port 7076").unwrap();
        for (i, (lt, data)) in frames.iter().enumerate() {
            assert_eq!(udp.judge(*lt, data), Verdict::Pass, "frame {i} (link {lt})");
            assert_eq!(
                none.judge(*lt, data),
                Verdict::Drop,
                "frame {i} (link {lt})"
            );
        }
        let mut v6 = BpfFilter::new("ip6").unwrap();
        assert_eq!(v6.judge(linktype::NULL, &frames[9].1), Verdict::Pass);
        assert_eq!(v6.judge(linktype::NULL, &frames[7].1), Verdict::Drop);
        // libpcap's own rule: a VLAN tag hides the IP header from `udp`.
        let tagged = vlan(&ip4);
        assert_eq!(udp.judge(linktype::ETHERNET, &tagged), Verdict::Drop);
        let mut tagged_udp = BpfFilter::new("vlan and udp").unwrap();
        assert_eq!(tagged_udp.judge(linktype::ETHERNET, &tagged), Verdict::Pass);
    }

    #[test]
    fn a_cut_frame_is_judged_on_its_captured_bytes() {
        let whole = ethernet(&ipv4_udp(7075, 7075, 200), 0x0800);
        // Cut inside the UDP header: the protocol byte is there, the ports are not.
        let cut = &whole[..14 + 20 + 1];
        let mut udp = BpfFilter::new("udp").unwrap();
        let mut port = BpfFilter::new("udp port 7075").unwrap();
        let mut long = BpfFilter::new("greater 100").unwrap();
        assert_eq!(udp.judge(1, cut), Verdict::Pass);
        assert_eq!(port.judge(1, cut), Verdict::Drop);
        assert_eq!(port.judge(1, &whole), Verdict::Pass);
        // `greater` compares with the captured length.
        assert_eq!(long.judge(1, &whole), Verdict::Pass);
        assert_eq!(long.judge(1, cut), Verdict::Drop);
    }

    /// Frames from a list; `per_call` of them handed over per `next`, anomalies where
    /// the data is `None`.
    struct ListSource {
        frames: Vec<(u32, Option<Vec<u8>>)>,
        at: usize,
        per_call: usize,
    }

    impl FrameSource for ListSource {
        fn next(&mut self, visit: &mut dyn FnMut(&Frame<'_>)) -> ReadOutcome {
            let mut handed = 0;
            while handed < self.per_call && self.at < self.frames.len() {
                let number = self.at as u64 + 1;
                let (link_type, data) = &self.frames[self.at];
                let Some(data) = data else {
                    if handed > 0 {
                        break;
                    }
                    self.at += 1;
                    return ReadOutcome::Anomaly {
                        anomaly: SourceAnomaly {
                            frame: number,
                            time_usec: 0,
                            kind: AnomalyKind::BadRecord,
                            detail: "bad".into(),
                        },
                        fatal: false,
                    };
                };
                self.at += 1;
                handed += 1;
                visit(&Frame {
                    number,
                    time_usec: number as i64,
                    link_type: *link_type,
                    data,
                    orig_len: data.len() as u32,
                });
            }
            if handed > 0 {
                ReadOutcome::Frame
            } else {
                ReadOutcome::End
            }
        }
    }

    /// (frame numbers passed, anomalies (frame, kind)) until the end.
    fn drain(source: &mut impl FrameSource) -> (Vec<u64>, Vec<(u64, &'static str)>) {
        let (mut passed, mut anomalies) = (Vec::new(), Vec::new());
        loop {
            match source.next(&mut |f| passed.push(f.number)) {
                ReadOutcome::Frame | ReadOutcome::Idle => {}
                ReadOutcome::Anomaly { anomaly, .. } => {
                    anomalies.push((anomaly.frame, anomaly.kind.as_str()))
                }
                ReadOutcome::End => return (passed, anomalies),
            }
        }
    }

    #[test]
    fn the_filtered_source_keeps_frame_numbers_and_counts_what_it_leaves_out() {
        let keep = ipv4_udp(7075, 7075, 4);
        let other = ipv4_udp(53, 53, 4);
        let frames = vec![
            (linktype::ETHERNET, Some(ethernet(&other, 0x0800))), // 1 dropped
            (linktype::ETHERNET, Some(ethernet(&keep, 0x0800))),  // 2 kept
            (linktype::RAW, Some(keep.clone())),                  // 3 kept
            (linktype::ETHERNET, None),                           // 4 unusable record
            (9999, Some(keep.clone())),                           // 5 unknown link type
            (linktype::RAW, Some(other.clone())),                 // 6 dropped
            (9999, Some(keep.clone())),                           // 7 unknown, reported once
            (linktype::IPV4, Some(keep.clone())),                 // 8 kept
        ];
        for per_call in [1, 3] {
            let inner = ListSource {
                frames: frames.clone(),
                at: 0,
                per_call,
            };
            let mut source = FilteredSource::new(inner, BpfFilter::new("port 7075").unwrap());
            let (passed, anomalies) = drain(&mut source);
            assert_eq!(passed, [2, 3, 8], "per_call {per_call}");
            assert_eq!(
                anomalies,
                [(4, "bad_record"), (5, "filter_not_applicable")],
                "per_call {per_call}"
            );
            assert_eq!(source.filtered_frames(), Some(4));
            assert_eq!(source.frames_read(), Some(8));
        }
        let inner = ListSource {
            frames,
            at: 0,
            per_call: 1,
        };
        let mut source = FilteredSource::unfiltered(inner);
        let (passed, anomalies) = drain(&mut source);
        assert_eq!(passed, [1, 2, 3, 5, 6, 7, 8]);
        assert_eq!(anomalies, [(4, "bad_record")]);
        assert_eq!(
            (source.filtered_frames(), source.frames_read()),
            (None, None)
        );
    }

    #[test]
    fn the_notice_names_the_expression_the_link_type_and_libpcaps_reason() {
        let mut f = BpfFilter::new("vlan and udp").unwrap();
        let frame = ipv4_udp(1, 2, 0);
        let Verdict::NotApplicable(why) = f.judge(linktype::RAW, &frame) else {
            panic!("expected a notice");
        };
        assert!(
            why.starts_with("the filter 'vlan and udp' cannot be applied to link type 12 (RAW): no VLAN support for Raw IP"),
            "{why}"
        );
        assert_eq!(f.judge(linktype::RAW, &frame), Verdict::Drop);
        assert_eq!(f.judge(linktype::RAW_14, &frame), Verdict::Drop);
    }
}
