//! When a correct decoder completes each item of a shaped connection, derived from the
//! generator's own knowledge of the two byte streams and the documented reassembly
//! rules (README, TCP):
//! - bytes are read in stream order: a segment's bytes once everything before them has
//!   been captured, the first copy winning where segments overlap; what arrives out of
//!   order is held and read, piece by piece, when the hole before it is filled;
//! - a hole is given up as lost only when the receiver has acknowledged it and the
//!   connection then carried `window` more segments without it, when the connection
//!   closes (both FINs acknowledged) or when it is reset;
//! - a server whose connection start was captured answers the client: its items wait
//!   until the client's first message has been read (a bootstrap stream item, until its
//!   request), and are read right after the piece of the client's stream that completed
//!   it.
//!
//! Items that touch lost bytes are not decoded. Simplifications the shaping presets
//! respect: a direction's stream after a gap goes on at an item boundary (the lost
//! segment held whole items), and the per-direction buffer limits are never reached.

use std::collections::BTreeMap;

/// One segment of the connection's capture, as the rules see it.
#[derive(Debug, Clone, Copy, Default)]
pub struct SegView {
    pub client: bool,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    /// The acknowledgement, as an offset in the other direction's stream.
    pub ack: Option<usize>,
    /// Payload `[start, end)` in this direction's stream (`end` is where a FIN sits).
    pub start: usize,
    pub end: usize,
}

/// One direction: its stream, its items and how far a decoder has read it.
#[derive(Default)]
pub struct DirSim {
    pub stream: Vec<u8>,
    /// Items of this direction: (conversation index, start, end), in stream order.
    pub items: Vec<(usize, usize, usize)>,
    cursor: usize,
    started: bool,
    /// Everything before this has been delivered or given up (the decoder's position).
    next: usize,
    /// Out-of-order pieces `start -> end`, never overlapping.
    held: BTreeMap<usize, usize>,
    /// First byte of the stream the capture has (0 unless it started mid-stream).
    base: usize,
    acked: usize,
    seen_end: usize,
    fin: Option<usize>,
    /// The hole at `.0` has been acknowledged since tick `.1`.
    since: Option<(usize, u64)>,
    lost: Vec<(usize, usize)>,
    gap_passed: bool,
}

/// Where each piece delivered by one step ends (a gap is a piece too), in order.
type Pieces = Vec<usize>;

impl DirSim {
    fn start(&mut self, at: usize) {
        if !self.started {
            self.started = true;
            self.next = at;
            self.base = at;
            self.acked = at;
            self.seen_end = at;
        }
    }

    fn data(&mut self, s: usize, e: usize, out: &mut Pieces) {
        if e <= s {
            return;
        }
        self.start(s);
        self.seen_end = self.seen_end.max(e);
        // Bytes before the position were read already.
        let s = s.max(self.next);
        if e <= s {
            return;
        }
        if s == self.next {
            let direct = self.held.keys().next().map_or(e, |&h| h.min(e));
            out.push(direct);
            self.next = direct;
            self.hold(direct, e);
        } else {
            self.hold(s, e);
        }
        self.flush(out);
    }

    /// Keeps the parts of `[s, e)` no held piece covers (the first copy wins).
    fn hold(&mut self, s: usize, e: usize) {
        let mut cur = s;
        let overlapping: Vec<(usize, usize)> = self
            .held
            .iter()
            .filter(|&(&hs, &he)| hs < e && he > s)
            .map(|(&hs, &he)| (hs, he))
            .collect();
        for (hs, he) in overlapping {
            if hs > cur {
                self.held.insert(cur, hs);
            }
            cur = cur.max(he);
        }
        if cur < e {
            self.held.insert(cur, e);
        }
    }

    fn flush(&mut self, out: &mut Pieces) {
        while let Some((&s, &e)) = self.held.iter().next() {
            if s != self.next {
                break;
            }
            self.held.remove(&s);
            out.push(e);
            self.next = e;
        }
    }

    fn fin_at(&mut self, at: usize) {
        if self.started && self.fin.is_none() && at >= self.next {
            self.fin = Some(at);
            self.seen_end = self.seen_end.max(at);
        }
    }

    fn ack(&mut self, at: usize) {
        if self.started {
            self.acked = self.acked.max(at);
        }
    }

    fn fin_acked(&self) -> bool {
        self.fin.is_some_and(|f| self.acked > f)
    }

    /// Where the hole at the read position ends: the first held byte, or the FIN.
    fn hole_end(&self) -> Option<usize> {
        let held = self.held.keys().next().copied();
        held.or(self.fin.filter(|&f| f > self.next))
    }

    fn lose_to(&mut self, target: usize, out: &mut Pieces) {
        if target > self.next {
            self.lost.push((self.next, target));
            self.gap_passed = true;
            self.next = target;
            out.push(target);
        }
        self.flush(out);
    }

    fn settle(&mut self, now: u64, window: u64, out: &mut Pieces) {
        loop {
            let limit = self.acked.min(self.seen_end);
            let Some(hole_end) = self.hole_end().filter(|_| limit > self.next) else {
                self.since = None;
                return;
            };
            match self.since {
                Some((at, t)) if at == self.next => {
                    if now.saturating_sub(t) < window {
                        return;
                    }
                }
                _ => {
                    self.since = Some((self.next, now));
                    if window > 0 {
                        return;
                    }
                }
            }
            self.lose_to(limit.min(hole_end), out);
            self.since = None;
        }
    }

    fn give_up_all(&mut self, out: &mut Pieces) {
        while let Some(end) = self.hole_end() {
            self.lose_to(end, out);
        }
    }
}

/// A completed item: (conversation index, record, time in µs, read after a gap or a
/// mid-stream start).
pub type Done = (usize, u64, i64, bool);

/// Both directions of one connection and the clock of the reorder window.
pub struct ConnSim {
    pub dirs: [DirSim; 2],
    window: u64,
    ticks: u64,
    closed: bool,
    /// Per conversation item: a message (not a headerless stream item).
    is_message: Vec<bool>,
    /// Per conversation item: the item that must be read before it (see the module).
    gate: Vec<Option<usize>>,
    read: Vec<bool>,
    /// Items completed, in the order a decoder reports them.
    pub done: Vec<Done>,
    /// Messages that touched lost bytes.
    pub lost_messages: u64,
}

impl ConnSim {
    pub fn new(
        dirs: [DirSim; 2],
        window: u64,
        is_message: Vec<bool>,
        gate: Vec<Option<usize>>,
    ) -> Self {
        let n = is_message.len();
        ConnSim {
            dirs,
            window,
            ticks: 0,
            closed: false,
            is_message,
            gate,
            read: vec![false; n],
            done: Vec::new(),
            lost_messages: 0,
        }
    }

    /// One captured segment (record `rec` at `usec`).
    pub fn segment(&mut self, v: SegView, rec: u64, usec: i64) {
        if self.closed {
            return;
        }
        self.ticks += 1;
        let now = self.ticks;
        let at = (rec, usec);
        let d = usize::from(!v.client);
        let o = 1 - d;
        // The acknowledgement settles the other direction first, then this segment's
        // own bytes are read.
        let mut out = Pieces::new();
        if let Some(a) = v.ack {
            self.dirs[o].ack(a);
        }
        self.dirs[o].settle(now, self.window, &mut out);
        self.read_pieces(o, &out, at);
        out.clear();
        if v.syn {
            self.dirs[d].start(v.start);
        }
        self.dirs[d].data(v.start, v.end, &mut out);
        if v.fin {
            self.dirs[d].fin_at(v.end);
        }
        self.dirs[d].settle(now, self.window, &mut out);
        self.read_pieces(d, &out, at);
        let ends = if v.rst {
            Some([d, o])
        } else if self.dirs[0].fin_acked() && self.dirs[1].fin_acked() {
            Some([o, d])
        } else {
            None
        };
        if let Some(order) = ends {
            for side in order {
                out.clear();
                self.dirs[side].give_up_all(&mut out);
                self.read_pieces(side, &out, at);
            }
            self.closed = true;
        }
    }

    /// Reads what each delivered piece of direction `di` completes, then what it lets
    /// the other direction read.
    fn read_pieces(&mut self, di: usize, pieces: &Pieces, at: (u64, i64)) {
        let o = 1 - di;
        for &upto in pieces {
            self.collect(di, upto, at);
            // The other direction has delivered everything up to its position.
            let upto_o = self.dirs[o].next;
            self.collect(o, upto_o, at);
        }
    }

    fn collect(&mut self, di: usize, upto: usize, (rec, usec): (u64, i64)) {
        loop {
            let ds = &self.dirs[di];
            let Some(&(ci, is, ie)) = ds.items.get(ds.cursor) else {
                return;
            };
            if ie > upto {
                return;
            }
            if self.gate[ci].is_some_and(|g| !self.read[g]) {
                return;
            }
            let after_gap = ds.gap_passed || ds.base > 0;
            let lost = ds.lost.iter().any(|&(ls, le)| is < le && ie > ls);
            let partial = is < ds.base;
            self.dirs[di].cursor += 1;
            if partial {
                continue;
            }
            if lost {
                if self.is_message[ci] {
                    self.lost_messages += 1;
                }
                continue;
            }
            self.read[ci] = true;
            self.done.push((ci, rec, usec, after_gap));
        }
    }
}
