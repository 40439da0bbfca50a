//! The connection table: one entry per TCP 4-tuple (both directions), bounded in
//! number and idle time, with the open/close/reset/evicted events of a connection's life.

use super::classify::{client_by_ports, ListeningPorts};
use super::emit::{ConnInfo, Ctx, Gate};
use super::reassembly::{At, Flags, Piece, Reassembler};
use super::session::Session;
use super::{Reporting, TcpLimits, TcpSegment};
use crate::capture::{flow_key, AnomalyKind, ConnectionEventKind, Event, Transport};
use foldhash::{HashMap, HashMapExt};
use std::collections::VecDeque;
use std::net::IpAddr;

type Endpoint = (IpAddr, u16);

/// Delivered bytes kept per direction to notice retransmissions that disagree.
const RETRANSMIT_CHECK_BYTES: usize = 2048;

/// The two endpoints in canonical order, so both directions find the same entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key(Endpoint, Endpoint);

impl Key {
    /// The key and the direction of a segment from `src` (0: from the lower endpoint).
    fn of(src: Endpoint, dst: Endpoint) -> (Key, usize) {
        if src <= dst {
            (Key(src, dst), 0)
        } else {
            (Key(dst, src), 1)
        }
    }
}

/// One tracked connection. Side `d` is `ends[d]`; direction `d` is what it sends.
#[derive(Debug)]
struct Connection {
    /// Creation order, for deterministic output when several end at once.
    serial: u64,
    ends: [Endpoint; 2],
    ipv: u8,
    flow_key: i64,
    reasm: [Reassembler; 2],
    session: Session,
    /// ISN of the client's SYN, to tell a retransmitted SYN from a new connection.
    client_isn: Option<u32>,
    fin_reported: [bool; 2],
    /// Over (both FINs delivered, RST, or replaced): kept as a tombstone so that late
    /// segments are not taken for a new connection, buffers freed.
    closed: bool,
    last_time: i64,
    /// Events held until the connection shows Nano traffic.
    gate: Gate,
    /// Bytes buffered as last counted into the table's total (`footprint`).
    counted: usize,
    /// Segments of this connection seen so far (both directions): the clock of the
    /// reorder window.
    ticks: u64,
    /// A segment with payload was seen.
    carried_data: bool,
}

/// Where events of the current call go.
struct Sink<'a> {
    frame: u64,
    time_usec: i64,
    next_id: &'a mut u64,
    out: &'a mut VecDeque<Event>,
    listening: &'a mut ListeningPorts,
    report: Reporting,
}

impl<'a> Sink<'a> {
    fn new(
        frame: u64,
        time_usec: i64,
        next_id: &'a mut u64,
        out: &'a mut VecDeque<Event>,
        listening: &'a mut ListeningPorts,
        report: Reporting,
    ) -> Self {
        Sink {
            frame,
            time_usec,
            next_id,
            out,
            listening,
            report,
        }
    }
}

impl Connection {
    /// Runs `f` with the event context of this connection: its endpoints, its gate
    /// (moved out meanwhile, so that `f` may use the connection freely) and the sink.
    fn with_ctx<R>(
        &mut self,
        sink: &mut Sink<'_>,
        f: impl FnOnce(&mut Connection, &mut Ctx<'_>) -> R,
    ) -> R {
        let mut gate = std::mem::take(&mut self.gate);
        let was_nano = gate.confirmed();
        let result = {
            let mut ctx = Ctx {
                frame: sink.frame,
                time_usec: sink.time_usec,
                ipv: self.ipv,
                ends: self.ends,
                flow_key: self.flow_key,
                next_id: &mut *sink.next_id,
                out: &mut *sink.out,
                listening: &mut *sink.listening,
                gate: &mut gate,
                report: sink.report,
            };
            f(self, &mut ctx)
        };
        if !was_nano && gate.confirmed() {
            if let Some(c) = self.session.client() {
                sink.listening.learn_nano(self.ends[1 - c].1);
            }
        }
        if self.closed {
            gate.release();
        }
        self.gate = gate;
        result
    }

    /// A SYN from side `d` with a new ISN on this live 4-tuple: the port was reused.
    fn is_new_syn(&self, d: usize, seq: u32) -> bool {
        self.client_isn != Some(seq) && (self.client_isn.is_some() || self.reasm[d].started())
    }

    fn side_name(&self, d: usize) -> &'static str {
        match self.session.client() {
            Some(c) if c == d => "client",
            Some(_) => "server",
            None => "peer",
        }
    }

    /// Feeds one segment of direction `d`.
    fn segment(&mut self, d: usize, seg: &TcpSegment<'_>, limits: &TcpLimits, sink: &mut Sink<'_>) {
        if seg.syn {
            // A SYN goes to, a SYN-ACK comes from, the listening side.
            let server = if seg.ack_flag { d } else { 1 - d };
            sink.listening.learn(self.ends[server].1);
        }
        if self.closed {
            if let Some((n, first)) = self.reasm[d].late_segment(seg.seq, seg.payload.len()) {
                self.with_ctx(sink, |_, ctx| late_anomaly(d, n, first, ctx));
            }
            return;
        }
        self.last_time = seg.time_usec;
        // One per segment: a u64 does not wrap in any capture.
        self.ticks += 1;
        self.with_ctx(sink, |c, ctx| c.segment_in(d, seg, limits, ctx));
    }

    fn segment_in(
        &mut self,
        d: usize,
        seg: &TcpSegment<'_>,
        limits: &TcpLimits,
        ctx: &mut Ctx<'_>,
    ) {
        let session = &mut self.session;
        let now = self.ticks;
        // What this side acknowledges settles the other direction's holes first: their
        // data was sent before this segment.
        let o = 1 - d;
        if seg.ack_flag {
            self.reasm[o].acked(seg.ack, now, &mut |p| session.piece(o, p, ctx));
        } else {
            self.reasm[o].settle(now, &mut |p| session.piece(o, p, ctx));
        }
        let flags = Flags {
            syn: seg.syn,
            fin: seg.fin,
        };
        let at = At {
            now,
            max_held: limits.max_buffered_per_direction,
        };
        let outcome = self.reasm[d].segment(seg.seq, flags, seg.payload, at, &mut |p| {
            session.piece(d, p, ctx)
        });
        if outcome.late_bytes > 0 {
            late_anomaly(d, outcome.late_bytes, outcome.late_offset, ctx);
        }
        if outcome.conflict_bytes > 0 && limits.report.conflicts {
            ctx.anomaly(
                d,
                AnomalyKind::TcpConflict,
                format!(
                    "{} retransmitted bytes differ from the first copy (first at stream offset {}); the first copy is kept",
                    outcome.conflict_bytes, outcome.conflict_offset
                ),
            );
        }
        self.carried_data |= !seg.payload.is_empty();
        if seg.rst {
            if self.refused_nano(ctx) {
                // Refused or reset before any data, on a Nano port: no message will
                // ever confirm it, but it is a Nano connection attempt.
                ctx.confirm();
            }
            self.end(d, "reset", ctx);
            let info = ConnInfo {
                closed: true,
                detail: Some(format!("RST from the {}", self.side_name(d))),
                node_ids: self.session.node_ids(d),
                ..ConnInfo::default()
            };
            ctx.connection(d, ConnectionEventKind::Reset, info);
            self.release();
            return;
        }
        if self.reasm[0].fin_acked() && self.reasm[1].fin_acked() {
            // Both sides closed and each acknowledged the other's FIN: nothing more is
            // coming, so what is still missing never will.
            for side in [1 - d, d] {
                let session = &mut self.session;
                self.reasm[side].give_up_all(&mut |p| session.piece(side, p, ctx));
            }
        }
        // This segment's FIN, or its ACK settling the other direction up to its FIN.
        self.report_fins([1 - d, d], ctx);
    }

    /// No byte of data either way, and the server's port is a Nano port.
    fn refused_nano(&self, ctx: &Ctx<'_>) -> bool {
        !self.carried_data && self.session.to_nano_port(ctx)
    }

    /// Reports the FIN of each side in `order` whose stream is now complete.
    fn report_fins(&mut self, order: [usize; 2], ctx: &mut Ctx<'_>) {
        for side in order {
            if self.reasm[side].finished() && !self.fin_reported[side] && !self.closed {
                self.report_fin(side, ctx);
            }
        }
    }

    /// Memory this connection buffers: what its pieces held out of order cost, and
    /// the framers' buffers.
    fn footprint(&self) -> usize {
        self.reasm[0].held_cost() + self.reasm[1].held_cost() + self.session.footprint()
    }

    /// Memory direction `d` buffers: its held pieces and its framer's buffer.
    fn footprint_of(&self, d: usize) -> usize {
        self.reasm[d].held_cost() + self.session.footprint_of(d)
    }

    /// The memory budget is exceeded by `excess` bytes and this connection buffers the
    /// most: its direction that buffers more gives up its oldest holes (each a gap, as
    /// with the per-direction limit, and the data held behind it read) until `excess`
    /// is freed, then drops what its framer holds if that was not enough. Only what is
    /// needed: every hole given up becomes events queued at once (a gap and its
    /// anomaly, several hundred bytes), so a flood of one-byte holes must not release
    /// a whole direction's worth in one segment. Returns the bytes freed.
    fn shed(&mut self, budget: usize, excess: usize, ctx: &mut Ctx<'_>) -> usize {
        let d = usize::from(self.footprint_of(1) > self.footprint_of(0));
        let before = self.footprint_of(d);
        let held = self.reasm[d].held_bytes();
        let keep = self.reasm[d].held_cost().saturating_sub(excess);
        let session = &mut self.session;
        let mut holes = 0u64;
        self.reasm[d].give_up_holes_down_to(keep, &mut |p| {
            holes += u64::from(matches!(p, Piece::Gap(_)));
            session.piece(d, p, ctx)
        });
        let mut unframed = 0;
        if before.saturating_sub(self.footprint_of(d)) < excess {
            unframed = self.session.drop_unframed(d, "memory budget exceeded", ctx);
        }
        let read = held - self.reasm[d].held_bytes();
        if holes + unframed as u64 > 0 {
            ctx.anomaly(
                d,
                AnomalyKind::TcpOverflow,
                format!(
                    "more than {budget} bytes buffered over all connections, this one \
                     among those holding the most: gave up waiting for {holes} missing \
                     ranges ({read} bytes held behind them read on); {unframed} unframed \
                     bytes dropped"
                ),
            );
        }
        let first = self.session.client().unwrap_or(0);
        self.report_fins([first, 1 - first], ctx);
        before.saturating_sub(self.footprint_of(d))
    }

    fn report_fin(&mut self, d: usize, ctx: &mut Ctx<'_>) {
        self.fin_reported[d] = true;
        self.session.end_direction(d, "closed", ctx);
        let both = self.fin_reported[1 - d];
        let info = ConnInfo {
            closed: true,
            detail: Some(format!(
                "FIN from the {}{}",
                self.side_name(d),
                if both { "; both sides closed" } else { "" }
            )),
            node_ids: self.session.node_ids(d),
            ..ConnInfo::default()
        };
        ctx.connection(d, ConnectionEventKind::Close, info);
        if both {
            self.release();
        }
    }

    /// The connection is over: deliver what is held (with gaps) and end both sides'
    /// streams. `first` is the side whose action ended it.
    fn end(&mut self, first: usize, why: &str, ctx: &mut Ctx<'_>) {
        for d in [first, 1 - first] {
            let session = &mut self.session;
            self.reasm[d].drain(&mut |p| session.piece(d, p, ctx));
        }
        for d in [first, 1 - first] {
            self.session.end_direction(d, why, ctx);
        }
    }

    fn release(&mut self) {
        self.closed = true;
        for r in &mut self.reasm {
            r.release();
        }
    }

    /// Ends a connection that is still open for a reason of our own (eviction, end of
    /// capture), with a connection event named `event`.
    fn end_with_event(
        &mut self,
        why: &str,
        event: ConnectionEventKind,
        detail: String,
        ctx: &mut Ctx<'_>,
    ) {
        let d = self.session.client().unwrap_or(0);
        self.end(d, why, ctx);
        let info = ConnInfo {
            closed: false,
            detail: Some(detail),
            node_ids: self.session.node_ids(d),
            ..ConnInfo::default()
        };
        ctx.connection(d, event, info);
        self.release();
    }
}

/// Bytes of direction `d` arrived for stream offsets already given up as lost.
fn late_anomaly(d: usize, n: u64, first: u64, ctx: &mut Ctx<'_>) {
    ctx.anomaly(
        d,
        AnomalyKind::TcpLate,
        format!(
            "{n} bytes arrived after their stream offsets were given up as lost (first at \
             stream offset {first}); not read"
        ),
    );
}

/// How connections ended for a reason of our own are reported.
struct Ending {
    /// Given to the streams left unfinished ("evicted", "capture ended").
    why: &'static str,
    event: ConnectionEventKind,
    detail: String,
}

/// All connections of a capture.
#[derive(Debug)]
pub struct ConnectionTable {
    limits: TcpLimits,
    map: HashMap<Key, Connection>,
    /// Sum of the connections' `counted` bytes, kept up to date segment by segment.
    buffered: Buffered,
    listening: ListeningPorts,
    next_serial: u64,
    last_sweep: Option<i64>,
    /// At the end of the capture: the connections still to end, newest first.
    finishing: Option<Vec<Key>>,
}

impl ConnectionTable {
    pub fn new(limits: TcpLimits) -> Self {
        ConnectionTable {
            limits,
            map: HashMap::new(),
            buffered: Buffered::default(),
            listening: ListeningPorts::default(),
            next_serial: 0,
            last_sweep: None,
            finishing: None,
        }
    }

    pub fn on_segment(
        &mut self,
        seg: &TcpSegment<'_>,
        next_id: &mut u64,
        out: &mut VecDeque<Event>,
    ) {
        self.sweep_idle(seg, next_id, out);
        let src = (seg.src_ip, seg.src_port);
        let dst = (seg.dst_ip, seg.dst_port);
        let (key, d) = Key::of(src, dst);
        let opens = seg.syn && !seg.ack_flag;
        let mut sink = Sink::new(
            seg.frame,
            seg.time_usec,
            next_id,
            out,
            &mut self.listening,
            self.limits.report,
        );
        // Fast path, one lookup: a segment of a known connection that is not a new SYN
        // (one that is over only looks for late bytes).
        if let Some(conn) = self.map.get_mut(&key) {
            if !(opens && (conn.closed || conn.is_new_syn(d, seg.seq))) {
                conn.segment(d, seg, &self.limits, &mut sink);
                self.buffered.recount(conn);
                self.buffered
                    .enforce(&mut self.map, &self.limits, &mut sink);
                return;
            }
        }
        let replace = match self.map.get(&key) {
            None => {
                if !seg.syn && seg.payload.is_empty() {
                    // A pure ACK, FIN or RST of a connection we never saw carries nothing.
                    return;
                }
                false
            }
            Some(c) if c.closed => {
                if !opens {
                    return; // late segment of a finished connection
                }
                true
            }
            Some(c) => opens && c.is_new_syn(d, seg.seq),
        };
        if replace {
            if let Some(mut old) = self.map.remove(&key) {
                self.buffered.forget(&old);
                if !old.closed {
                    old.with_ctx(&mut sink, |c, ctx| {
                        c.end_with_event(
                            "replaced",
                            ConnectionEventKind::Evicted,
                            "a new connection (SYN) reused the ports".to_string(),
                            ctx,
                        )
                    });
                }
            }
        }
        if !self.map.contains_key(&key) {
            Self::make_room(&mut self.map, &mut self.buffered, &self.limits, &mut sink);
            let conn = Self::create(&mut self.next_serial, &self.limits, key, d, seg, &mut sink);
            self.map.insert(key, conn);
        }
        if let Some(conn) = self.map.get_mut(&key) {
            conn.segment(d, seg, &self.limits, &mut sink);
            self.buffered.recount(conn);
        }
        self.buffered
            .enforce(&mut self.map, &self.limits, &mut sink);
    }

    fn create(
        next_serial: &mut u64,
        limits: &TcpLimits,
        key: Key,
        d: usize,
        seg: &TcpSegment<'_>,
        sink: &mut Sink<'_>,
    ) -> Connection {
        let ends = [key.0, key.1];
        let (client, start_seen, how) = if seg.syn && !seg.ack_flag {
            (Some(d), true, "SYN")
        } else if seg.syn {
            (Some(1 - d), true, "SYN-ACK (SYN not captured)")
        } else {
            let c = client_by_ports([ends[0].1, ends[1].1], sink.listening);
            (c, false, "start not captured")
        };
        let serial = *next_serial;
        // One per connection created: a u64 does not wrap in any capture.
        *next_serial += 1;
        let history = if limits.report.conflicts {
            RETRANSMIT_CHECK_BYTES
        } else {
            0
        };
        let mut conn = Connection {
            serial,
            ends,
            ipv: seg.ipv,
            flow_key: flow_key(Transport::Tcp, ends[0], ends[1]),
            reasm: [
                Reassembler::new(history, limits.reorder_window_segments),
                Reassembler::new(history, limits.reorder_window_segments),
            ],
            session: Session::new(client, start_seen, limits.max_buffered_per_direction),
            // From a SYN-ACK alone the client's ISN is what it acknowledges minus one.
            client_isn: match (seg.syn, seg.ack_flag) {
                (true, false) => Some(seg.seq),
                (true, true) => Some(seg.ack.wrapping_sub(1)),
                _ => None,
            },
            fin_reported: [false; 2],
            closed: false,
            last_time: seg.time_usec,
            gate: Gate::default(),
            counted: 0,
            ticks: 0,
            carried_data: false,
        };
        if seg.syn && seg.ack_flag {
            // The client's data starts at what the SYN-ACK acknowledges.
            conn.reasm[1 - d].start_at(seg.ack);
        }
        let from = client.unwrap_or(d);
        let info = ConnInfo {
            detail: Some(how.to_string()),
            ..ConnInfo::default()
        };
        conn.with_ctx(sink, |_, ctx| {
            ctx.connection(from, ConnectionEventKind::Open, info)
        });
        conn
    }

    /// Keeps the table under `max_connections`: forgets finished connections first,
    /// then evicts the least recently active ones (a sixteenth of the table at once,
    /// so that a flood of new connections costs one scan per batch, not per SYN).
    fn make_room(
        map: &mut HashMap<Key, Connection>,
        buffered: &mut Buffered,
        limits: &TcpLimits,
        sink: &mut Sink<'_>,
    ) {
        let max = limits.max_connections.max(1);
        if map.len() < max {
            return;
        }
        map.retain(|_, c| {
            if c.closed {
                buffered.forget(c);
            }
            !c.closed
        });
        if map.len() < max {
            return;
        }
        let mut by_age: Vec<(i64, u64, Key)> = map
            .iter()
            .map(|(k, c)| (c.last_time, c.serial, *k))
            .collect();
        by_age.sort_unstable();
        // `map.len() >= max` here (checked above): no underflow.
        let count = (max / 16).max(1).max(map.len() + 1 - max);
        for (_, _, key) in by_age.into_iter().take(count) {
            if let Some(mut conn) = map.remove(&key) {
                buffered.forget(&conn);
                let detail =
                    format!("connection table full ({max} connections); least recently active");
                conn.with_ctx(sink, |c, ctx| {
                    let side = c.session.client().unwrap_or(0);
                    ctx.anomaly(side, AnomalyKind::TcpEvicted, detail.clone());
                    c.end_with_event("evicted", ConnectionEventKind::Evicted, detail, ctx);
                });
            }
        }
    }

    /// Forgets connections idle (in capture time) longer than the timeout; checked a
    /// few times per timeout period, not per segment.
    fn sweep_idle(&mut self, seg: &TcpSegment<'_>, next_id: &mut u64, out: &mut VecDeque<Event>) {
        let timeout = self.limits.idle_timeout_usec;
        if timeout <= 0 {
            return;
        }
        let now = seg.time_usec;
        let last = *self.last_sweep.get_or_insert(now);
        if now.saturating_sub(last) < (timeout / 4).max(1) {
            return;
        }
        self.last_sweep = Some(now);
        let sink = Sink::new(
            seg.frame,
            now,
            next_id,
            out,
            &mut self.listening,
            self.limits.report,
        );
        let ending = Ending {
            why: "evicted",
            event: ConnectionEventKind::Evicted,
            detail: format!("idle for more than {} s", timeout / 1_000_000),
        };
        let idle = |c: &Connection| now.saturating_sub(c.last_time) > timeout;
        Self::end_where(&mut self.map, &mut self.buffered, sink, idle, &ending);
    }

    /// End of capture: ends the oldest connection still tracked and returns true, or
    /// returns false when none is left. One at a time, so that what ending each one
    /// releases (every hole it still held becomes a gap event) is consumed before the
    /// next: ending them all at once could queue millions of events. What it releases
    /// is placed at `at` (frame, time): the capture's last record, which may be later
    /// than the last TCP segment.
    pub fn finish_next(
        &mut self,
        at: (u64, i64),
        next_id: &mut u64,
        out: &mut VecDeque<Event>,
    ) -> bool {
        let map = &self.map;
        let order = self.finishing.get_or_insert_with(|| {
            let mut all: Vec<(u64, Key)> = map.iter().map(|(k, c)| (c.serial, *k)).collect();
            // Newest first, so that popping from the end takes the oldest.
            all.sort_unstable_by(|a, b| b.cmp(a));
            all.into_iter().map(|(_, k)| k).collect()
        });
        let Some(key) = order.pop() else {
            return false;
        };
        let (frame, time) = at;
        let mut sink = Sink::new(
            frame,
            time,
            next_id,
            out,
            &mut self.listening,
            self.limits.report,
        );
        let ending = Ending {
            why: "capture ended",
            event: ConnectionEventKind::OpenAtEndOfCapture,
            detail: "the capture ended with the connection open".to_string(),
        };
        Self::end_one(&mut self.map, &mut self.buffered, &mut sink, key, &ending);
        true
    }

    /// Removes the connections `pick` selects, oldest first; those still open are
    /// ended with `ending` (finished ones are tombstones, dropped silently).
    fn end_where(
        map: &mut HashMap<Key, Connection>,
        buffered: &mut Buffered,
        mut sink: Sink<'_>,
        pick: impl Fn(&Connection) -> bool,
        ending: &Ending,
    ) {
        let mut picked: Vec<(u64, Key)> = map
            .iter()
            .filter(|(_, c)| pick(c))
            .map(|(k, c)| (c.serial, *k))
            .collect();
        picked.sort_unstable();
        for (_, key) in picked {
            Self::end_one(map, buffered, &mut sink, key, ending);
        }
    }

    /// Removes connection `key`; ends it with `ending` if it is still open.
    fn end_one(
        map: &mut HashMap<Key, Connection>,
        buffered: &mut Buffered,
        sink: &mut Sink<'_>,
        key: Key,
        ending: &Ending,
    ) {
        if let Some(mut conn) = map.remove(&key) {
            buffered.forget(&conn);
            if !conn.closed {
                conn.with_ctx(sink, |c, ctx| {
                    c.end_with_event(ending.why, ending.event, ending.detail.clone(), ctx)
                });
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// What the table holds now, for tests that check it stays bounded.
    #[cfg(test)]
    pub fn memory(&self) -> super::Memory {
        let mut m = super::Memory {
            connections: self.map.len(),
            tracked_total: self.buffered.total,
            ..Default::default()
        };
        for c in self.map.values() {
            let (bufs, requests) = c.session.buffered();
            for (r, buf) in c.reasm.iter().zip(bufs) {
                m.max_held_bytes = m.max_held_bytes.max(r.held_bytes());
                m.max_held_cost = m.max_held_cost.max(r.held_cost());
                m.max_framer_bytes = m.max_framer_bytes.max(buf);
            }
            m.max_requests = m.max_requests.max(requests);
            m.total_buffered += c.footprint();
            m.max_gate_events = m.max_gate_events.max(c.gate.held_len());
        }
        m
    }
}

/// The bytes buffered over all connections, against `TcpLimits::max_buffered_total`.
/// Kept up to date from the one connection each segment touches, so that checking the
/// budget costs nothing per segment; only going over it looks at every connection.
#[derive(Debug, Default)]
struct Buffered {
    total: usize,
}

impl Buffered {
    /// Counts what `conn` buffers now in place of what it buffered before.
    fn recount(&mut self, conn: &mut Connection) {
        let now = conn.footprint();
        // `total` is the sum of the `counted` of the connections in the table, this
        // one's included, so it is at least `conn.counted`.
        debug_assert!(self.total >= conn.counted);
        self.total = self.total - conn.counted + now;
        conn.counted = now;
    }

    /// `conn` leaves the table.
    fn forget(&mut self, conn: &Connection) {
        // As in `recount`: `conn.counted` is part of `total`.
        debug_assert!(self.total >= conn.counted);
        self.total -= conn.counted;
    }

    /// Over the budget, the connection buffering the most gives up what it holds,
    /// oldest holes first, until the total is down to the budget less 1/1024 of it
    /// (256 KiB by default); then the next if that was not enough. The largest goes
    /// first: it is the likeliest to be stuck or hostile (a connection reading in order
    /// holds at most one partial message), and it has the most to give, so the fewest
    /// connections lose data; ties go to the oldest, for a deterministic result. Going
    /// a little below the budget means a flood that keeps pushing costs one look over
    /// the table per 256 KiB, not per segment; not further, because what one segment
    /// sheds becomes events queued at once.
    fn enforce(
        &mut self,
        map: &mut HashMap<Key, Connection>,
        limits: &TcpLimits,
        sink: &mut Sink<'_>,
    ) {
        let budget = limits.max_buffered_total;
        if self.total <= budget {
            return;
        }
        let target = budget - budget / 1024;
        while self.total > target {
            let largest = map
                .iter()
                .filter(|(_, c)| c.counted > 0)
                .min_by_key(|(_, c)| (std::cmp::Reverse(c.counted), c.serial))
                .map(|(k, _)| *k);
            let Some(conn) = largest.and_then(|k| map.get_mut(&k)) else {
                return;
            };
            let excess = self.total - target;
            let freed = conn.with_ctx(sink, |c, ctx| c.shed(budget, excess, ctx));
            self.recount(conn);
            if freed == 0 {
                // Nothing left to give (cannot happen while it counts bytes): stop
                // rather than loop.
                return;
            }
        }
    }
}
