//! Where TCP events go: the segment being processed (frame, time, endpoints) and the
//! event queue, with helpers that orient every event by its real sender.

use super::classify::ListeningPorts;
use crate::capture::{
    AnomalyEvent, AnomalyKind, ConnectionEvent, ConnectionEventKind, Event, PacketMeta, Transport,
};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Holds a connection's events back until it carries Nano traffic: a TCP conversation
/// that never yields a message or stream item (RPC, SSH) is not a Nano connection and
/// leaves no rows, as a non-Nano UDP datagram leaves none. The exceptions, reported
/// though nothing whole was read, are losses of what may be Nano: a connection to a
/// Nano port reset before any data (refused), bytes lost on a connection to a Nano
/// port, and an unfinished message (cut by a loss or the end) that starts like a
/// Nano header.
#[derive(Debug, Default)]
pub struct Gate {
    confirmed: bool,
    /// At most `MAX_HELD` `tcp_conflict` anomalies and as many other events: conflicts
    /// have their own bound so that turning conflict checks off
    /// (`Reporting::conflicts`) never changes which other events are kept.
    held: Vec<Event>,
    /// Events beyond `MAX_HELD`, not kept: other events, conflicts.
    dropped: u64,
    dropped_conflicts: u64,
}

/// Events kept for a connection not yet known to be Nano (open, gap, resync...).
const MAX_HELD: usize = 8;

fn is_conflict(event: &Event) -> bool {
    matches!(event, Event::Anomaly(a) if a.kind == AnomalyKind::TcpConflict)
}

impl Gate {
    /// Frees what an unconfirmed connection held.
    pub fn release(&mut self) {
        self.held = Vec::new();
    }

    /// The connection carried Nano traffic (its events are not held back).
    pub fn confirmed(&self) -> bool {
        self.confirmed
    }

    #[cfg(test)]
    pub fn held_len(&self) -> usize {
        self.held.len()
    }
}

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
    pub gate: &'a mut Gate,
    /// What to work out beyond the messages (see `Reporting`).
    pub report: super::Reporting,
}

impl Ctx<'_> {
    /// Queues a connection-level event (held back until the connection is Nano).
    pub fn push(&mut self, event: Event) {
        if self.gate.confirmed {
            self.out.push_back(event);
            return;
        }
        let gate = &mut *self.gate;
        let conflict = is_conflict(&event);
        // Counted afresh: the list is short and only unconfirmed connections hold.
        let kept = gate
            .held
            .iter()
            .filter(|e| is_conflict(e) == conflict)
            .count();
        let dropped = if conflict {
            &mut gate.dropped_conflicts
        } else {
            &mut gate.dropped
        };
        if kept < MAX_HELD {
            gate.held.push(event);
        } else {
            *dropped += 1;
        }
    }

    /// The connection is to be reported though it carried no message (a connection to
    /// a Nano port refused or reset before any data): what was held back goes out.
    pub fn confirm(&mut self) {
        if !self.gate.confirmed {
            self.gate.confirmed = true;
            self.out.extend(self.gate.held.drain(..));
            self.gate.held = Vec::new();
        }
    }

    /// Queues a message or stream item: the connection is Nano, so what was held
    /// back goes out first.
    #[inline]
    pub fn push_nano(&mut self, event: Event) {
        if !self.gate.confirmed {
            let d = self.side_of(&event);
            self.confirm_nano(d);
        }
        self.out.push_back(event);
    }

    /// The connection carries Nano traffic (sent by side `d`): what it held goes out.
    pub fn confirm_nano(&mut self, d: usize) {
        if !self.gate.confirmed {
            self.gate.confirmed = true;
            self.out.extend(self.gate.held.drain(..));
            self.gate.held = Vec::new();
            let dropped = std::mem::take(&mut self.gate.dropped);
            if dropped > 0 {
                self.anomaly(
                    d,
                    AnomalyKind::TcpOverflow,
                    format!("{dropped} connection events before the first message not kept"),
                );
            }
            let dropped = std::mem::take(&mut self.gate.dropped_conflicts);
            if dropped > 0 {
                self.anomaly(
                    d,
                    AnomalyKind::TcpConflict,
                    format!("{dropped} more retransmissions that differ from the first copy, before the first message, not reported one by one"),
                );
            }
        }
    }

    fn side_of(&self, event: &Event) -> usize {
        let src = match event {
            Event::Message(m) => (m.meta.src_ip, m.meta.src_port),
            Event::StreamItem(i) => (i.meta.src_ip, i.meta.src_port),
            _ => self.ends[0],
        };
        usize::from(src != self.ends[0])
    }

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

    pub fn anomaly(&mut self, d: usize, kind: AnomalyKind, detail: String) {
        let meta = self.meta(d);
        self.push(Event::Anomaly(AnomalyEvent {
            frame: self.frame,
            time_usec: self.time_usec,
            meta: Some(meta),
            kind,
            detail,
        }));
    }

    /// A connection event sent by side `d`; `node_ids` are those of `[d, 1 - d]`.
    pub fn connection(&mut self, d: usize, event: ConnectionEventKind, info: ConnInfo) {
        let meta = self.meta(d);
        self.push(Event::Connection(ConnectionEvent {
            meta,
            event,
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
