//! What the pipeline emits. One pipeline feeds every sink, so all tables agree.
//! Kinds are enums here; they become the documented strings only where rows are made.

use crate::protocol::{Header, Malformed, MessageType, Payload, StreamEntry};
use std::fmt;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Where and when: shared by every event that comes from traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketMeta {
    /// 1-based record number in the capture of the frame that completed the item.
    pub frame: u64,
    /// Capture time, microseconds since the Unix epoch (UTC).
    pub time_usec: i64,
    pub transport: Transport,
    /// 4 or 6.
    pub ipv: u8,
    /// The real sender of this item.
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    /// Same for both directions of a flow, stable from run to run, >= 0.
    pub flow_key: i64,
}

/// One Nano message (UDP datagram or framed out of a TCP stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEvent {
    /// Message number in the capture, from 1.
    pub id: u64,
    pub meta: PacketMeta,
    pub header: Header,
    /// Payload bytes (after the header).
    pub size: usize,
    pub payload: Result<Payload, Malformed>,
    /// For a handshake response: the cookie the peer sent earlier (query part of the
    /// other side), so the signature can be checked. None when not seen.
    pub peer_cookie: Option<[u8; 32]>,
}

/// One headerless bootstrap stream item (TCP, issue 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamItemEvent {
    pub meta: PacketMeta,
    /// Message id of the request that caused this stream (frontier_req, bulk_pull,
    /// bulk_pull_account, or the bulk_push header).
    pub request_id: u64,
    pub request_type: StreamRequest,
    /// Network id of the request's header (stream items have no header of their own).
    pub network: u16,
    /// 1-based index of the item within its stream.
    pub index: u64,
    pub entry: Result<StreamEntry, Malformed>,
}

/// A connection-level event (TCP, issue 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionEvent {
    pub meta: PacketMeta,
    pub event: ConnectionEventKind,
    pub closed: bool,
    pub detail: Option<String>,
    /// The message this event is about: the message itself for a per-message event,
    /// the request for an "end of ..." event. None otherwise.
    pub message_id: Option<u64>,
    /// Node id the sender (`meta.src`) proved in this connection's handshake (a
    /// node_id_handshake response whose signature verifies against the cookie the
    /// other side sent). None until proved.
    pub src_node_id: Option<[u8; 32]>,
    /// Same for the receiver (`meta.dst`).
    pub dst_node_id: Option<[u8; 32]>,
}

/// Something wrong or lost, recorded instead of failing: truncated file, undecodable
/// frame, reassembly conflict, desync, eviction...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyEvent {
    pub frame: u64,
    pub time_usec: i64,
    /// Present when the anomaly belongs to a flow.
    pub meta: Option<PacketMeta>,
    pub kind: AnomalyKind,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message(MessageEvent),
    StreamItem(StreamItemEvent),
    Connection(ConnectionEvent),
    Anomaly(AnomalyEvent),
}

/// The bootstrap request a headerless stream answers (or, for bulk_push, carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamRequest {
    FrontierReq,
    BulkPull,
    BulkPullAccount,
    /// bulk_pull_blocks (0x09, nodes up to V17): answered by a block stream.
    BulkPullBlocks,
    BulkPush,
}

impl StreamRequest {
    pub fn message_type(self) -> MessageType {
        match self {
            StreamRequest::FrontierReq => MessageType::FrontierReq,
            StreamRequest::BulkPull => MessageType::BulkPull,
            StreamRequest::BulkPullAccount => MessageType::BulkPullAccount,
            StreamRequest::BulkPullBlocks => MessageType::BulkPullBlocks,
            StreamRequest::BulkPush => MessageType::BulkPush,
        }
    }

    /// The request's message name, as rows show it.
    pub fn as_str(self) -> &'static str {
        self.message_type().name()
    }
}

/// What a connection event reports. `as_str` is the text of the `event` column, the
/// original tool's names (its users query `event like 'end of %'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionEventKind {
    /// SYN, SYN-ACK or first data of a connection whose start was missed.
    Open,
    /// A FIN, delivered in order.
    Close,
    /// An RST.
    Reset,
    /// Bytes never captured.
    Gap,
    /// State dropped: table full, idle, or the ports reused by a new SYN.
    Evicted,
    /// Still open when the input ended.
    OpenAtEndOfCapture,
    /// One per framed message (with `'details'`), named after its message type.
    Message(MessageType),
    /// A bootstrap stream ended (terminator, or stopped early: the detail says why).
    EndOfStream(StreamRequest),
}

impl ConnectionEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionEventKind::Open => "open",
            ConnectionEventKind::Close => "close",
            ConnectionEventKind::Reset => "reset",
            ConnectionEventKind::Gap => "gap",
            ConnectionEventKind::Evicted => "evicted",
            ConnectionEventKind::OpenAtEndOfCapture => "open at end of capture",
            ConnectionEventKind::Message(t) => t.name(),
            ConnectionEventKind::EndOfStream(r) => match r {
                StreamRequest::FrontierReq => "end of frontier_req",
                StreamRequest::BulkPull => "end of bulk_pull",
                StreamRequest::BulkPullAccount => "end of bulk_pull_account",
                StreamRequest::BulkPullBlocks => "end of bulk_pull_blocks",
                StreamRequest::BulkPush => "end of bulk_push",
            },
        }
    }
}

/// What went wrong, by layer. `as_str` is the stable code of the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyKind {
    // The capture file.
    /// The file ends inside a record.
    TruncatedRecord,
    /// A record longer than the read buffer (a corrupt length): reading stops.
    RecordTooLarge,
    /// A record that cannot be used (or a file structure that cannot be read on).
    BadRecord,
    ReadError,
    // Link, IP and transport headers.
    /// A frame the capture cut short (snap length) cannot be read past the cut.
    SnaplenTruncated,
    BadLink,
    BadIp,
    BadUdp,
    BadTcp,
    // IP fragment reassembly.
    BadFragment,
    FragConflict,
    FragOverlap,
    FragEvicted,
    FragTimeout,
    FragIncomplete,
    // TCP reassembly, framing and bootstrap streams.
    TcpConflict,
    TcpGap,
    TcpDesync,
    Resync,
    StreamDesync,
    TcpTruncated,
    TcpUnframed,
    TcpOverflow,
    TcpEvicted,
    /// Bytes arrived for a hole already given up as lost: not read.
    TcpLate,
    // Filtering.
    /// The BPF filter cannot be compiled for a link type met in the capture: its
    /// frames are left out.
    FilterNotApplicable,
}

impl AnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::TruncatedRecord => "truncated_record",
            AnomalyKind::RecordTooLarge => "record_too_large",
            AnomalyKind::BadRecord => "bad_record",
            AnomalyKind::ReadError => "read_error",
            AnomalyKind::SnaplenTruncated => "snaplen_truncated",
            AnomalyKind::BadLink => "bad_link",
            AnomalyKind::BadIp => "bad_ip",
            AnomalyKind::BadUdp => "bad_udp",
            AnomalyKind::BadTcp => "bad_tcp",
            AnomalyKind::BadFragment => "bad_fragment",
            AnomalyKind::FragConflict => "frag_conflict",
            AnomalyKind::FragOverlap => "frag_overlap",
            AnomalyKind::FragEvicted => "frag_evicted",
            AnomalyKind::FragTimeout => "frag_timeout",
            AnomalyKind::FragIncomplete => "frag_incomplete",
            AnomalyKind::TcpConflict => "tcp_conflict",
            AnomalyKind::TcpGap => "tcp_gap",
            AnomalyKind::TcpDesync => "tcp_desync",
            AnomalyKind::Resync => "resync",
            AnomalyKind::StreamDesync => "stream_desync",
            AnomalyKind::TcpTruncated => "tcp_truncated",
            AnomalyKind::TcpUnframed => "tcp_unframed",
            AnomalyKind::TcpOverflow => "tcp_overflow",
            AnomalyKind::TcpEvicted => "tcp_evicted",
            AnomalyKind::TcpLate => "tcp_late",
            AnomalyKind::FilterNotApplicable => "filter_not_applicable",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(StreamRequest, ConnectionEventKind, AnomalyKind);
