//! TCP: per-direction reassembly, connection tracking, realtime/bootstrap
//! classification and framing of messages and headerless stream items.
//!
//! Layers, each in its own module: `reassembly` (bytes in order, per direction) →
//! `session` (what the bytes say, using `framer`, `bootstrap`, `handshake` and
//! `classify`) → events through `emit`; `connection` keeps the table of connections.
//!
//! What comes out, every event oriented by its real sender (`meta.src`):
//! - `Event::Message` per framed message (frame/time = the segment that completed it).
//! - `Event::StreamItem` per headerless bootstrap item, terminator included (`End`, the
//!   last index), with the request's message id, type and network.
//! - `Event::Connection`: "open" (SYN, SYN-ACK, or first data: detail says which),
//!   "close" (a FIN, closed), "reset" (RST, closed), one per message named after it
//!   (`message_id` set), "end of frontier_req|bulk_pull|bulk_push|bulk_pull_account"
//!   (detail "valid: N, invalid: M[; note]", `message_id` = the request), "gap" (detail
//!   "N bytes lost"), "evicted" (table full, idle, or ports reused by a new SYN), "open
//!   at end of capture". `src_node_id` / `dst_node_id`: node ids proved by a verified
//!   handshake response on this connection.
//! - `Event::Anomaly` kinds: tcp_conflict, tcp_gap, tcp_desync, resync, stream_desync,
//!   tcp_truncated, tcp_unframed, tcp_overflow, tcp_evicted, tcp_late.
//!
//! A connection's events are held back until it carries a Nano message or stream item;
//! one that never does (another protocol) leaves no events, except a connection to a
//! Nano port reset before any data (refused): its "open" and "reset" are reported.

mod bootstrap;
mod classify;
mod connection;
mod emit;
mod framer;
mod handshake;
mod reassembly;
mod session;

#[cfg(test)]
mod tests;

/// Largest buffers over the tracked connections (tests check they stay bounded).
#[cfg(test)]
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory {
    pub connections: usize,
    pub max_held_bytes: usize,
    /// What the most costly direction's held pieces cost (bytes and overhead).
    pub max_held_cost: usize,
    pub max_framer_bytes: usize,
    pub max_requests: usize,
    pub max_gate_events: usize,
    /// Bytes buffered over all connections, summed afresh from every buffer.
    pub total_buffered: usize,
    /// The same total as the table keeps it, segment by segment.
    pub tracked_total: usize,
}

use super::selection::MessageFilter;
use super::Event;
use connection::ConnectionTable;
use std::collections::VecDeque;
use std::net::IpAddr;

/// One TCP segment as the IP layer handed it over.
#[derive(Debug, Clone)]
pub struct TcpSegment<'a> {
    pub frame: u64,
    pub time_usec: i64,
    /// 4 or 6.
    pub ipv: u8,
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// Bounds on what the TCP layer keeps. Besides these, each direction keeps at most
/// one unit being framed (8 + 66,560 bytes), 64 queued requests and 8 held events.
#[derive(Debug, Clone)]
pub struct TcpLimits {
    /// Most bytes buffered out of order, or unframed while waiting, per direction. A
    /// piece held out of order counts as its length plus `reassembly::PIECE_OVERHEAD`
    /// (what holding it costs), so the limit bounds memory, not just payload. 4 MiB is about the largest receive window of a Linux peer: data behind a hole
    /// that the capture missed (and no captured ACK settled) is kept that long before
    /// the hole is given up. One connection then holds at most 1/32 of the default total.
    pub max_buffered_per_direction: usize,
    /// Most bytes buffered over all connections together: held out of order (counted
    /// as the per-direction limit counts them) plus the framers' buffers (their
    /// allocated capacity). Over it, the connections holding
    /// the most give up what they hold, reported as the per-direction limit reports it.
    /// A busy node's few hundred peers, in order, hold at most a partial message each
    /// (a few MB in all); 256 MiB leaves room for dozens of connections recovering from
    /// losses while no capture, however hostile, can take more.
    pub max_buffered_total: usize,
    /// Segments of a connection (both directions) during which a hole the receiver has
    /// acknowledged is still waited for: a capture may record the ACK before the segment
    /// it acknowledges (multi-queue NICs, merged captures), a few segments apart. 128 is
    /// far beyond such reordering. A hole the capture really missed costs that delay: the
    /// data behind it is read that many segments later, or when the connection ends if
    /// that comes first.
    pub reorder_window_segments: u64,
    /// Most live connections tracked at once.
    pub max_connections: usize,
    /// A connection idle this long (capture time) may be evicted.
    pub idle_timeout_usec: i64,
    /// What to work out beyond the messages themselves.
    pub report: Reporting,
}

/// Work the tracker can skip when nobody reads its result (a `count(*)` over
/// `nano_packets` should neither build per-message events nor verify signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reporting {
    /// A connection event for every message (`nano_connections(path, 'details')`).
    pub per_message_events: bool,
    /// Verify handshake responses against the other side's cookie, to attach the proved
    /// node ids to connection events.
    pub node_ids: bool,
    /// The messages a scan wants decoded and emitted (see `capture::selection`).
    pub decode: MessageFilter,
    /// Compare retransmitted bytes with the first copy, to report those that differ
    /// (`tcp_conflict`). It costs a copy of every delivered byte, and changes nothing
    /// but those anomalies: the first copy is kept either way. Off, no `tcp_conflict`
    /// is reported at all, not even between out-of-order pieces held side by side.
    pub conflicts: bool,
}

impl Default for Reporting {
    fn default() -> Self {
        Reporting {
            per_message_events: true,
            node_ids: true,
            decode: MessageFilter::ALL,
            conflicts: true,
        }
    }
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_buffered_per_direction: 4 << 20,
            max_buffered_total: 256 << 20,
            reorder_window_segments: 128,
            max_connections: 65_536,
            idle_timeout_usec: 600_000_000,
            report: Reporting::default(),
        }
    }
}

/// All TCP state of one capture.
#[derive(Debug)]
pub struct TcpTracker {
    table: ConnectionTable,
}

impl Default for TcpTracker {
    fn default() -> Self {
        TcpTracker::new(TcpLimits::default())
    }
}

impl TcpTracker {
    pub fn new(limits: TcpLimits) -> Self {
        TcpTracker {
            table: ConnectionTable::new(limits),
        }
    }

    /// Feeds one segment; pushes the events it completes onto `out`. Message ids are
    /// taken from `next_id` (the current value is used, then it is incremented, once
    /// per message) so that stream items can name their request's id.
    pub fn on_segment(
        &mut self,
        seg: &TcpSegment<'_>,
        next_id: &mut u64,
        out: &mut VecDeque<Event>,
    ) {
        self.table.on_segment(seg, next_id, out);
    }

    #[cfg(test)]
    pub fn memory(&self) -> Memory {
        self.table.memory()
    }

    /// End of capture, one connection at a time: reports what the oldest connection
    /// left (open, unfinished streams, holes) and returns true, or returns false when
    /// every connection has been ended. The caller consumes the events in between.
    /// `at` is the frame and time of the capture's last record, where the events go.
    pub fn finish_next(
        &mut self,
        at: (u64, i64),
        next_id: &mut u64,
        out: &mut VecDeque<Event>,
    ) -> bool {
        self.table.finish_next(at, next_id, out)
    }
}
