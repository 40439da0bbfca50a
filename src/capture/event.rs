//! What the pipeline emits. One pipeline feeds every sink, so all tables agree.

use crate::protocol::{Header, Malformed, Payload, StreamEntry};
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
    pub request_type: u8,
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
    /// "open", "close", "reset", "gap", "evicted", "end of frontier_req", ...
    pub event: &'static str,
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
    /// Short stable code, e.g. "truncated_record", "bad_ip", "tcp_conflict".
    pub kind: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Message(MessageEvent),
    StreamItem(StreamItemEvent),
    Connection(ConnectionEvent),
    Anomaly(AnomalyEvent),
}
