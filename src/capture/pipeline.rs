//! The one pipeline: frame source (a capture file, or any `FrameSource`) -> link/IP ->
//! UDP/TCP -> Nano events. Streaming: events are produced as frames are read, memory
//! stays bounded.

use super::cookies::CookieMemory;
use super::defrag::{Defrag, DefragLimits};
use super::ip::{self, IpPacket, PROTO_TCP, PROTO_UDP};
use super::link::{self, Link};
use super::selection::{not_decoded, MessageFilter, Wanted};
use super::source::{FileSource, Frame, FrameSource, ReadOutcome};
use super::tcp::{TcpLimits, TcpTracker};
use super::{flow_key, segment, udp};
use super::{AnomalyEvent, AnomalyKind, Event, MessageEvent, PacketMeta, Transport};
use crate::protocol::HEADER_SIZE;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// Why a capture could not be opened at all. Everything after opening is an anomaly
/// event, never an error.
#[derive(Debug)]
pub enum OpenError {
    NotFound(PathBuf),
    /// Neither pcap nor pcapng.
    NotACapture(PathBuf, String),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::NotFound(p) => write!(f, "capture file not found: {}", p.display()),
            OpenError::NotACapture(p, why) => {
                write!(
                    f,
                    "not a pcap or pcapng capture file: {} ({why})",
                    p.display()
                )
            }
            OpenError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for OpenError {}

/// Counters a user may want after a scan (frames skipped are not errors).
#[derive(Debug, Default, Clone)]
pub struct PipelineStats {
    /// Packet records read.
    pub frames: u64,
    /// Frames of a known link type carrying no IP (ARP, LLC...).
    pub non_ip_frames: u64,
    /// Frames of a link type the pipeline does not know.
    pub unknown_link_frames: u64,
    /// Frames whose link header is cut off or inconsistent (each also an anomaly).
    pub bad_link_frames: u64,
    /// Frames whose IP header is cut off or garbled (each also an anomaly).
    pub bad_ip_frames: u64,
    /// IP packets carrying neither UDP nor TCP (ICMP...).
    pub other_ip_packets: u64,
    /// IP fragments seen (UDP/TCP ones are reassembled).
    pub ip_fragments: u64,
    /// Datagrams rebuilt from fragments.
    pub reassembled_datagrams: u64,
    /// UDP datagrams (after reassembly).
    pub udp_datagrams: u64,
    /// TCP segments handed to the tracker.
    pub tcp_segments: u64,
    /// UDP/TCP headers cut off or inconsistent (each also an anomaly).
    pub bad_transport: u64,
    /// UDP datagrams that are not Nano messages.
    pub non_nano_datagrams: u64,
    /// Message events emitted (UDP and TCP).
    pub messages: u64,
    /// Anomaly events emitted (all layers).
    pub anomalies: u64,
}

/// Knobs of the pipeline; `Default` suits a node's capture.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    pub defrag: DefragLimits,
    pub tcp: TcpLimits,
    /// Handshake query cookies remembered to pair responses with.
    pub max_handshake_cookies: usize,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            defrag: DefragLimits::default(),
            tcp: TcpLimits::default(),
            max_handshake_cookies: 4096,
        }
    }
}

/// Generic over its source, so that reading a file costs no dynamic dispatch per frame;
/// `Pipeline<Box<dyn FrameSource + Send>>` takes a source chosen at run time.
pub struct Pipeline<S = FileSource> {
    source: S,
    layers: Layers,
    /// No more frames are read: the source ended, or `finish` was called.
    finished: bool,
    /// The front pending event is lent out by `current` (already counted).
    lent: bool,
}

/// What `Pipeline::poll` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// An event, lent by `current`.
    Event,
    /// No event for now: the source has no frame yet (live capture). Poll again.
    Idle,
    /// The input ended and every event has been yielded.
    End,
}

/// Everything below the frame source: kept apart so that a borrowed frame can be
/// processed while the source is borrowed.
struct Layers {
    pending: VecDeque<Event>,
    stats: PipelineStats,
    /// Next message id (1-based, shared with the TCP tracker).
    next_id: u64,
    defrag: Defrag,
    tcp: TcpTracker,
    cookies: CookieMemory,
    last_frame: u64,
    last_time: i64,
    /// The messages the scan wants (UDP here, TCP in the tracker).
    decode: MessageFilter,
}

impl Pipeline {
    pub fn open(path: &Path) -> Result<Pipeline, OpenError> {
        Self::open_with(path, PipelineOptions::default())
    }

    pub fn open_with(path: &Path, options: PipelineOptions) -> Result<Pipeline, OpenError> {
        Ok(Self::from_source(FileSource::open(path)?, options))
    }
}

impl<S: FrameSource> Pipeline<S> {
    /// A pipeline over an already opened frame source.
    pub fn from_source(source: S, options: PipelineOptions) -> Pipeline<S> {
        let decode = options.tcp.report.decode;
        Pipeline {
            source,
            layers: Layers {
                pending: VecDeque::new(),
                stats: PipelineStats::default(),
                next_id: 1,
                defrag: Defrag::new(options.defrag),
                tcp: TcpTracker::new(options.tcp),
                cookies: CookieMemory::new(options.max_handshake_cookies),
                last_frame: 0,
                last_time: 0,
                decode,
            },
            finished: false,
            lent: false,
        }
    }

    /// The next event in capture order; `None` at the end of the capture.
    pub fn next_event(&mut self) -> Option<Event> {
        if self.advance() {
            self.lent = false;
            self.layers.pending.pop_front()
        } else {
            None
        }
    }

    /// Moves to the next event and keeps it inside the pipeline, lent by `current`: a
    /// scan that only looks at each event saves moving a few hundred bytes out and back
    /// per message. `false` at the end of the capture. Waits through `Idle` (a live
    /// source's timeouts); `poll` returns at each one instead.
    pub fn advance(&mut self) -> bool {
        loop {
            match self.poll() {
                Progress::Event => return true,
                Progress::End => return false,
                Progress::Idle => {}
            }
        }
    }

    /// Takes the event `advance` or `poll` moved to out of the pipeline.
    pub fn take_current(&mut self) -> Option<Event> {
        if std::mem::take(&mut self.lent) {
            self.layers.pending.pop_front()
        } else {
            None
        }
    }

    /// Like `advance`, but returns `Idle` when the source has no frame for now, so that
    /// a live capture can check for a stop request between reads.
    pub fn poll(&mut self) -> Progress {
        self.poll_within(u64::MAX)
    }

    /// Like `poll`, and returns `Idle` as well after reading `max_frames` frames that
    /// completed no event, so that a scan through a file that yields nothing it wants
    /// can check for an interrupt between reads.
    pub fn poll_within(&mut self, max_frames: u64) -> Progress {
        let mut frames = 0u64;
        if self.lent {
            self.layers.pending.pop_front();
            self.lent = false;
        }
        loop {
            if let Some(event) = self.layers.pending.front() {
                match event {
                    Event::Message(_) => self.layers.stats.messages += 1,
                    Event::Anomaly(_) => self.layers.stats.anomalies += 1,
                    _ => {}
                }
                self.lent = true;
                return Progress::Event;
            }
            if self.finished {
                if self.finish_next_connection() {
                    continue;
                }
                return Progress::End;
            }
            if frames >= max_frames || !self.read_frame() {
                return Progress::Idle;
            }
            frames += 1;
        }
    }

    /// Reads on until `n` events are queued behind the current one, the source is idle
    /// or at its end, or `max_frames` frames were read, so that a scan can look at the
    /// events it is about to move to (`queued`). Moving to them later reads nothing.
    pub fn read_ahead(&mut self, n: usize, max_frames: u64) {
        let mut frames = 0u64;
        while self.layers.pending.len() < n + usize::from(self.lent)
            && !self.finished
            && frames < max_frames
            && self.read_frame()
        {
            frames += 1;
        }
    }

    /// The events queued behind the current one, in the order they will come.
    pub fn queued(&self) -> impl Iterator<Item = &Event> {
        self.layers.pending.iter().skip(usize::from(self.lent))
    }

    /// The event `advance` moved to; `None` before the first call and at the end.
    pub fn current(&self) -> Option<&Event> {
        if self.lent {
            self.layers.pending.front()
        } else {
            None
        }
    }

    /// Reads one record and queues what it completes; `false` when the source is idle.
    fn read_frame(&mut self) -> bool {
        let layers = &mut self.layers;
        match self.source.next(&mut |frame| layers.on_frame(frame)) {
            ReadOutcome::Frame => {}
            ReadOutcome::Idle => return false,
            ReadOutcome::Anomaly { anomaly, fatal } => {
                if !fatal {
                    // An unusable record still counts as a frame.
                    self.layers.stats.frames += 1;
                    self.layers.last_frame = anomaly.frame;
                }
                self.layers.pending.push_back(Event::Anomaly(AnomalyEvent {
                    frame: anomaly.frame,
                    time_usec: anomaly.time_usec,
                    meta: None,
                    kind: anomaly.kind,
                    detail: anomaly.detail,
                }));
                if fatal {
                    self.finish();
                }
            }
            ReadOutcome::End => self.finish(),
        }
        true
    }

    /// Has every message numbered `max_id` or less been yielded, the current one
    /// included? Ids are taken in the order messages are queued, so then no later
    /// event is a message with such an id: a scan for `id <= max_id` may stop.
    pub fn yielded_messages_through(&self, max_id: u64) -> bool {
        let queued = self.layers.pending.iter().skip(usize::from(self.lent));
        self.layers.next_id > max_id && !queued.into_iter().any(|e| matches!(e, Event::Message(_)))
    }

    /// Has the file been read past frame `max_frame`, with no message of it or before
    /// it still queued? Every event is given the frame whose processing produced it
    /// (for TCP, the segment that let the message be read; at the end of the capture,
    /// the last frame), so then no later message has such a frame: a scan for
    /// `frame <= max_frame` may stop.
    pub fn read_past_frame(&self, max_frame: u64) -> bool {
        let queued = self.layers.pending.iter().skip(usize::from(self.lent));
        self.layers.last_frame > max_frame
            && !queued
                .into_iter()
                .any(|e| matches!(e, Event::Message(m) if m.meta.frame <= max_frame))
    }

    pub fn stats(&self) -> &PipelineStats {
        &self.layers.stats
    }

    /// The source, for what only it knows (a live capture's drop counters).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Ends the input: no frame is read after this, and what reassembly still holds
    /// (open connections, unfinished streams, IP fragments) becomes events or anomalies,
    /// which `advance` yields next. A file source ends by itself (its end or a fatal
    /// anomaly calls this); a live capture calls it when it stops. Calling it again
    /// does nothing.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        let l = &mut self.layers;
        l.defrag.finish(l.last_frame, l.last_time, &mut l.pending);
    }

    /// After `finish`: ends the next open TCP connection, queueing what it leaves;
    /// false when none is left. `poll` calls it only once the queue is empty, so that
    /// the connections' leftovers are consumed one connection at a time.
    fn finish_next_connection(&mut self) -> bool {
        let l = &mut self.layers;
        let before = l.pending.len();
        let at = (l.last_frame, l.last_time);
        let more = l.tcp.finish_next(at, &mut l.next_id, &mut l.pending);
        l.cookies.on_events(l.pending.range_mut(before..));
        more
    }
}

impl Layers {
    fn on_frame(&mut self, frame: &Frame<'_>) {
        self.stats.frames += 1;
        self.last_frame = frame.number;
        self.last_time = frame.time_usec;
        self.defrag
            .expire(frame.time_usec, frame.number, &mut self.pending);
        let bytes = match link::strip(frame.link_type, frame.data) {
            Link::Ip(bytes) => bytes,
            Link::NotIp => {
                self.stats.non_ip_frames += 1;
                return;
            }
            Link::UnknownLinkType => {
                self.stats.unknown_link_frames += 1;
                return;
            }
            Link::Bad(why) => {
                self.stats.bad_link_frames += 1;
                self.unreadable(frame, AnomalyKind::BadLink, why.to_string());
                return;
            }
        };
        let packet = match ip::parse(bytes) {
            Ok(p) => p,
            Err(why) => {
                self.stats.bad_ip_frames += 1;
                self.unreadable(frame, AnomalyKind::BadIp, why);
                return;
            }
        };
        if packet.fragment.is_none() {
            self.transport(frame, &packet);
            return;
        }
        self.stats.ip_fragments += 1;
        if packet.proto != PROTO_UDP && packet.proto != PROTO_TCP {
            self.stats.other_ip_packets += 1;
            return;
        }
        if let Some(whole) =
            self.defrag
                .add(&packet, frame.number, frame.time_usec, &mut self.pending)
        {
            self.stats.reassembled_datagrams += 1;
            let rebuilt = IpPacket {
                payload: &whole,
                fragment: None,
                ..packet
            };
            // The datagram belongs to the frame of the fragment that completed it.
            self.transport(frame, &rebuilt);
            self.defrag.recycle(whole);
        }
    }

    fn transport(&mut self, frame: &Frame<'_>, packet: &IpPacket<'_>) {
        match packet.proto {
            PROTO_UDP => self.udp(frame, packet),
            PROTO_TCP => match segment::parse(packet, frame.number, frame.time_usec) {
                Ok(seg) => {
                    self.stats.tcp_segments += 1;
                    let before = self.pending.len();
                    self.tcp
                        .on_segment(&seg, &mut self.next_id, &mut self.pending);
                    self.cookies.on_events(self.pending.range_mut(before..));
                }
                Err(why) => {
                    self.stats.bad_transport += 1;
                    self.unreadable(frame, AnomalyKind::BadTcp, why);
                }
            },
            _ => self.stats.other_ip_packets += 1,
        }
    }

    fn udp(&mut self, frame: &Frame<'_>, packet: &IpPacket<'_>) {
        let datagram = match udp::parse(packet.payload) {
            Ok(d) => d,
            Err(why) => {
                self.stats.bad_transport += 1;
                self.unreadable(frame, AnomalyKind::BadUdp, why.to_string());
                return;
            }
        };
        self.stats.udp_datagrams += 1;
        let Some(header) = crate::protocol::datagram_header(datagram.payload) else {
            self.stats.non_nano_datagrams += 1;
            return;
        };
        let meta = PacketMeta {
            frame: frame.number,
            time_usec: frame.time_usec,
            transport: Transport::Udp,
            ipv: packet.ipv,
            src_ip: packet.src,
            src_port: datagram.src_port,
            dst_ip: packet.dst,
            dst_port: datagram.dst_port,
            flow_key: flow_key(
                Transport::Udp,
                (packet.src, datagram.src_port),
                (packet.dst, datagram.dst_port),
            ),
        };
        let id = self.next_id;
        self.next_id += 1;
        // Not wanted by the scan: numbered, not decoded, no event (`selection`).
        let payload = match self.decode.wants(id, &meta, &header) {
            Wanted::Skip => return,
            Wanted::Header => not_decoded(),
            Wanted::Payload => crate::protocol::decode_datagram_payload(&header, datagram.payload),
        };
        let mut message = MessageEvent {
            id,
            meta,
            header,
            size: datagram.payload.len().saturating_sub(HEADER_SIZE),
            payload,
            peer_cookie: None,
        };
        self.cookies.on_message(&mut message);
        self.pending.push_back(Event::Message(message));
    }

    /// A header of `frame` could not be read (`kind`, because `why`). When the capture
    /// kept less of the frame than was on the wire (its snap length), the cut is the
    /// reason: it is reported as such, not as a broken header.
    fn unreadable(&mut self, frame: &Frame<'_>, kind: AnomalyKind, why: String) {
        let captured = frame.data.len() as u64;
        if captured < u64::from(frame.orig_len) {
            let detail = format!(
                "frame cut to {captured} of its {} bytes by the capture's snap length: {why}",
                frame.orig_len
            );
            self.anomaly(frame, AnomalyKind::SnaplenTruncated, detail);
        } else {
            self.anomaly(frame, kind, why);
        }
    }

    fn anomaly(&mut self, frame: &Frame<'_>, kind: AnomalyKind, detail: String) {
        self.pending.push_back(Event::Anomaly(AnomalyEvent {
            frame: frame.number,
            time_usec: frame.time_usec,
            meta: None,
            kind,
            detail,
        }));
    }
}
