//! Where TCP events go: the segment being processed (frame, time, endpoints) and the
//! event queue, with helpers that orient every event by its real sender.

use super::classify::ListeningPorts;
use crate::capture::{AnomalyEvent, ConnectionEvent, Event, PacketMeta, Transport};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Everything an event needs besides its own content. Direction `d` sends from
/// `ends[d]` to `ends[1 - d]`.
pub struct Ctx<'a> {
    /// Frame and time of the segment whose arrival delivered the bytes: an item's
    /// frame is the segment that completed it.
    pub frame: u64,
    pub time_usec: i64,
    pub ipv: u8,
    pub ends: [(IpAddr, u16); 2],
    pub flow_key: i64,
    pub next_id: &'a mut u64,
    pub out: &'a mut VecDeque<Event>,
    pub listening: &'a mut ListeningPorts,
}

impl Ctx<'_> {
    pub fn meta(&self, d: usize) -> PacketMeta {
        let (src, dst) = (self.ends[d & 1], self.ends[(d & 1) ^ 1]);
        PacketMeta {
            frame: self.frame,
            time_usec: self.time_usec,
            transport: Transport::Tcp,
            ipv: self.ipv,
            src_ip: src.0,
            src_port: src.1,
            dst_ip: dst.0,
            dst_port: dst.1,
            flow_key: self.flow_key,
        }
    }

    /// Takes the next message id.
    pub fn take_id(&mut self) -> u64 {
        let id = *self.next_id;
        *self.next_id += 1;
        id
    }

    pub fn anomaly(&mut self, d: usize, kind: &'static str, detail: String) {
        let meta = self.meta(d);
        self.out.push_back(Event::Anomaly(AnomalyEvent {
            frame: self.frame,
            time_usec: self.time_usec,
            meta: Some(meta),
            kind,
            detail,
        }));
    }

    /// A connection event sent by side `d`; `node_ids` are those of `[d, 1 - d]`.
    pub fn connection(&mut self, d: usize, event: &str, info: ConnInfo) {
        let meta = self.meta(d);
        self.out.push_back(Event::Connection(ConnectionEvent {
            meta,
            event: event.to_string(),
            closed: info.closed,
            detail: info.detail,
            message_id: info.message_id,
            src_node_id: info.node_ids[0],
            dst_node_id: info.node_ids[1],
        }));
    }
}

/// The optional parts of a connection event.
#[derive(Debug, Default)]
pub struct ConnInfo {
    pub closed: bool,
    pub detail: Option<String>,
    pub message_id: Option<u64>,
    /// Proved node ids of the sender and the receiver.
    pub node_ids: [Option<[u8; 32]>; 2],
}
