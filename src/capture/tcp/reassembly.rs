//! One direction of a TCP connection: turns segments (any order, duplicated, overlapping,
//! sequence numbers wrapping at 2^32) into the in-order byte stream, skipping lost data.
//!
//! A hole (bytes missing before held data, or before the FIN) is waited for as long as
//! it can still be filled. It is given up as lost when:
//! - the receiver acknowledged it and the connection then carried a reorder window of
//!   further segments without it arriving (a capture can record the ACK before the
//!   segment it acknowledges: multi-queue NICs, merged captures);
//! - the bytes held behind it reach the per-direction limit (or the memory budget);
//! - the connection ends (RST, both FINs acknowledged, eviction, end of capture).
//!
//! Bytes that arrive for a hole already given up are counted as late, never delivered.

use std::collections::{BTreeMap, VecDeque};

/// What holding a piece costs besides its bytes: its slot in the map (a B-tree filled in
/// key order leaves its nodes about half full) and its own allocation (at least 32 bytes
/// with the allocator's header). Measured: a one-byte piece costs 98 bytes, a 100-byte
/// piece 178; rounded up here for the allocator's fragmentation as pieces come and go.
/// The limits count a held piece as its length plus this, so that one-byte segments
/// with holes between them cannot hold a hundred times the memory the limits name.
pub const PIECE_OVERHEAD: usize = 112;

/// What the reassembler hands to the framer, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// The next bytes of the stream.
    Data(&'a [u8]),
    /// This many bytes were lost (never captured); the stream goes on after them.
    Gap(u64),
}

/// The flags of a segment that matter to reassembly.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    pub syn: bool,
    pub fin: bool,
}

/// When a segment is fed and how much may be held: `now` is the connection's tick (its
/// segments counted, both directions), `max_held` what the bytes held out of order may
/// cost (`Reassembler::held_cost`).
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub now: u64,
    pub max_held: usize,
}

/// What one segment did besides delivering bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOutcome {
    /// Bytes that repeated earlier data with different values (the first copy was kept).
    pub conflict_bytes: u64,
    /// Stream offset of the first conflicting byte (valid when `conflict_bytes > 0`).
    pub conflict_offset: u64,
    /// Bytes already seen before (retransmissions), whether they agreed or not.
    pub duplicate_bytes: u64,
    /// Bytes for stream offsets already given up as lost: not delivered.
    pub late_bytes: u64,
    /// Stream offset of the first late byte (valid when `late_bytes > 0`).
    pub late_offset: u64,
}

/// Lost ranges remembered per direction to recognise late data for them; older ones are
/// forgotten (their late bytes then count as plain duplicates).
const LOST_RANGES_KEPT: usize = 4;

/// Per-direction reassembly state. Offsets are 64-bit and relative to the first
/// sequence number seen, so wrap-around at 2^32 never reaches the comparisons.
///
/// Invariants the arithmetic below relies on:
/// - every held piece starts at or after `next_off` and they never overlap, so
///   `first held key - next_off` cannot underflow;
/// - `held_bytes` is the sum of the held pieces' lengths;
/// - `history` holds the bytes delivered just before `next_off` (it is cleared on every
///   gap), so `history.len() <= next_off`;
/// - a segment lands within 2^31 of `next_off` (serial-number arithmetic), so offsets
///   grow by less than 2^32 per segment and a u64 offset cannot overflow in any capture.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// Sequence number of the next byte expected (`next_off` in stream offsets).
    next_seq: u32,
    next_off: u64,
    started: bool,
    /// Out-of-order pieces, keyed by stream offset; never overlapping each other.
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// Stream offset of the FIN, once seen.
    fin_off: Option<u64>,
    /// FIN reached: everything before it delivered.
    finished: bool,
    /// Highest stream offset the receiver acknowledged (0 when none).
    acked_off: u64,
    /// The hole at `.0` (= `next_off` then) has been acknowledged since tick `.1`; reset
    /// whenever the stream position moves, so a later hole waits a window of its own.
    acked_since: Option<(u64, u64)>,
    /// Ticks (segments of the connection) an acknowledged hole is waited for.
    reorder_window: u64,
    /// The last ranges given up as lost, `[start, end)` in stream offsets, oldest first.
    lost: VecDeque<(u64, u64)>,
    /// End of the highest data seen, delivered or held.
    seen_end: u64,
    /// The last bytes delivered, kept to notice retransmissions that disagree.
    history: Vec<u8>,
    history_cap: usize,
}

impl Reassembler {
    /// At least `history_cap` (at most twice that) bytes of delivered data are kept to
    /// check retransmissions. An acknowledged hole is given up once `reorder_window`
    /// more ticks have passed (0: at once).
    pub fn new(history_cap: usize, reorder_window: u64) -> Self {
        Reassembler {
            history_cap,
            reorder_window,
            ..Reassembler::default()
        }
    }

    /// Starts the stream at `seq` if nothing started it yet: the client's first data
    /// byte is the acknowledgement number of a SYN-ACK whose SYN was not captured.
    pub fn start_at(&mut self, seq: u32) {
        if !self.started {
            self.started = true;
            self.next_seq = seq;
            self.next_off = 0;
        }
    }

    /// The stream has started (SYN or first data seen).
    pub fn started(&self) -> bool {
        self.started
    }

    /// All data up to the FIN has been delivered.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Bytes held out of order.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Memory the bytes held out of order take: their length and each piece's overhead.
    pub fn held_cost(&self) -> usize {
        self.held_bytes + self.held.len() * PIECE_OVERHEAD
    }

    /// Out-of-order pieces held (each a map entry and an allocation).
    #[cfg(test)]
    pub fn held_pieces(&self) -> usize {
        self.held.len()
    }

    /// Stream offset of the next byte to deliver (= bytes delivered or skipped so far).
    #[cfg(test)]
    pub fn offset(&self) -> u64 {
        self.next_off
    }

    /// Turns a sequence number into a stream offset, taking the shorter way round the
    /// 32-bit circle from the current position (serial-number arithmetic).
    fn offset_of(&self, seq: u32) -> i128 {
        // Reinterpreting the wrapped difference as signed is the serial-number rule.
        let delta = seq.wrapping_sub(self.next_seq) as i32;
        i128::from(self.next_off) + i128::from(delta)
    }

    /// Feeds one segment. `at.max_held` bounds what the out-of-order bytes cost
    /// (`held_cost`): beyond it, the oldest hole is given up as lost. Delivered pieces
    /// go to `emit` in order.
    pub fn segment<F: FnMut(Piece<'_>)>(
        &mut self,
        seq: u32,
        flags: Flags,
        payload: &[u8],
        at: At,
        emit: &mut F,
    ) -> SegmentOutcome {
        let Flags { syn, fin } = flags;
        let mut outcome = SegmentOutcome::default();
        if syn {
            // The SYN takes one sequence number; data starts at ISN + 1. A repeated SYN
            // (retransmission) changes nothing once the stream has started.
            if !self.started {
                self.started = true;
                self.next_seq = seq.wrapping_add(1);
                self.next_off = 0;
            }
        } else if !self.started && !payload.is_empty() {
            // Start not captured: the stream begins with the first data seen.
            self.started = true;
            self.next_seq = seq;
            self.next_off = 0;
        }
        if !self.started {
            return outcome;
        }
        let data_seq = if syn { seq.wrapping_add(1) } else { seq };
        let start = self.offset_of(data_seq);
        let end = start + payload.len() as i128;
        // `end` can be negative (a retransmission from before the stream start); only a
        // non-negative one is a stream offset.
        let end_off = u64::try_from(end).ok();
        if let Some(end_off) =
            end_off.filter(|&e| fin && self.fin_off.is_none() && e >= self.next_off)
        {
            self.fin_off = Some(end_off);
            self.seen_end = self.seen_end.max(end_off);
        }
        if !payload.is_empty() {
            if let Some(end_off) = end_off {
                self.seen_end = self.seen_end.max(end_off);
            }
            self.place(start, payload, at.max_held, &mut outcome, emit);
        }
        self.settle(at.now, emit);
        outcome
    }

    /// The receiver acknowledged everything before `ack` (at tick `now`). Bytes it
    /// acknowledged that the capture has not seen were sent: either the capture missed
    /// them or it recorded them out of order, later. Such a hole is waited for during
    /// the reorder window, then given up (see `settle`).
    pub fn acked<F: FnMut(Piece<'_>)>(&mut self, ack: u32, now: u64, emit: &mut F) {
        if !self.started {
            return;
        }
        if let Ok(off) = u64::try_from(self.offset_of(ack)) {
            self.acked_off = self.acked_off.max(off);
        }
        self.settle(now, emit);
    }

    /// Gives up the acknowledged hole at the stream position once it has waited the
    /// reorder window (ticks counted from when it was first seen acknowledged). Only
    /// data seen on the wire counts as acknowledged (an ACK beyond it would be bogus).
    pub fn settle<F: FnMut(Piece<'_>)>(&mut self, now: u64, emit: &mut F) {
        loop {
            let limit = self.acked_off.min(self.seen_end);
            let hole_end = match self.held.keys().next() {
                Some(&first) => Some(first),
                // Data lost just before the FIN: nothing held, the FIN beyond.
                None => self.fin_off.filter(|&f| f > self.next_off),
            };
            let Some(hole_end) = hole_end.filter(|_| limit > self.next_off) else {
                self.acked_since = None;
                break;
            };
            match self.acked_since {
                Some((at, since)) if at == self.next_off => {
                    if now.saturating_sub(since) < self.reorder_window {
                        break;
                    }
                }
                _ => {
                    self.acked_since = Some((self.next_off, now));
                    if self.reorder_window > 0 {
                        break;
                    }
                }
            }
            // `hole_end > next_off` (held pieces start at or after it, never at it after
            // `flush_contiguous`; the FIN is filtered above) and `limit > next_off`.
            let target = limit.min(hole_end);
            self.lose(target.saturating_sub(self.next_off), emit);
            self.flush_contiguous(emit);
            self.acked_since = None;
        }
        self.check_fin();
    }

    /// Both ends closed: stops waiting for anything (every hole, and the bytes missing
    /// before the FIN, reported lost).
    pub fn give_up_all<F: FnMut(Piece<'_>)>(&mut self, emit: &mut F) {
        self.give_up_holes(emit);
        if let Some(fin) = self.fin_off {
            if fin > self.next_off {
                self.lose(fin - self.next_off, emit);
            }
        }
        self.check_fin();
    }

    /// The FIN was seen and the other side acknowledged it.
    pub fn fin_acked(&self) -> bool {
        self.fin_off.is_some_and(|f| self.acked_off > f)
    }

    /// Reports `n` bytes at the stream position lost and moves past them, remembering
    /// the range to recognise data that arrives for it later.
    fn lose<F: FnMut(Piece<'_>)>(&mut self, n: u64, emit: &mut F) {
        if n == 0 {
            return;
        }
        emit(Piece::Gap(n));
        let start = self.next_off;
        match self.lost.back_mut() {
            Some(last) if last.1 == start => last.1 = start + n,
            _ => {
                if self.lost.len() == LOST_RANGES_KEPT {
                    self.lost.pop_front();
                }
                self.lost.push_back((start, start + n));
            }
        }
        self.advance(n);
        self.history.clear();
    }

    /// Bytes of `[from, to)` (stream offsets, `to <= next_off`) that fall in ranges
    /// given up as lost: their count and the first of them.
    fn late(&self, from: i128, to: i128) -> Option<(u64, u64)> {
        let mut count = 0u64;
        let mut first: Option<u64> = None;
        for &(ls, le) in &self.lost {
            let s = from.max(i128::from(ls));
            let e = to.min(i128::from(le));
            if e > s {
                // Both within `[ls, le)`, u64 offsets: the conversions are exact.
                count += u64::try_from(e - s).unwrap_or(0);
                let s = u64::try_from(s).unwrap_or(ls);
                first = Some(first.map_or(s, |f| f.min(s)));
            }
        }
        first.map(|f| (count, f))
    }

    /// For a connection that is over: the bytes of a segment that fall in ranges given
    /// up as lost (count, first stream offset), or None.
    pub fn late_segment(&self, seq: u32, len: usize) -> Option<(u64, u64)> {
        if !self.started || len == 0 {
            return None;
        }
        let start = self.offset_of(seq);
        self.late(start, start + len as i128)
    }

    fn place<F: FnMut(Piece<'_>)>(
        &mut self,
        start: i128,
        payload: &[u8],
        max_held: usize,
        outcome: &mut SegmentOutcome,
        emit: &mut F,
    ) {
        let next = i128::from(self.next_off);
        let end = start + payload.len() as i128;
        // Part before the stream position: already delivered (or skipped).
        let mut data = payload;
        let mut off = start;
        if off < next {
            // 0 < old <= data.len(): `off < next` and `end - off == data.len()`.
            let old = usize::try_from(next.min(end) - off)
                .unwrap_or(data.len())
                .min(data.len());
            let (before, after) = data.split_at(old);
            // A one-byte segment just before the stream position is a TCP keepalive
            // probe, whose byte may be garbage: not a conflicting retransmission.
            let probe = payload.len() == 1 && off + 1 == next;
            if !probe {
                self.compare_with_history(off, before, outcome);
            }
            if let Some((n, first)) = self.late(off, off + old as i128) {
                if outcome.late_bytes == 0 {
                    outcome.late_offset = first;
                }
                outcome.late_bytes += n;
            }
            outcome.duplicate_bytes += old as u64;
            data = after;
            off += old as i128;
        }
        if data.is_empty() {
            return;
        }
        // What is left starts at or after the stream position: a stream offset.
        let Ok(off) = u64::try_from(off) else {
            return;
        };
        if off == self.next_off {
            // In order. Deliver straight from the segment up to the first held piece,
            // which was seen first and therefore wins where they overlap.
            let first_held = self.held.keys().next().copied();
            let direct = match first_held {
                // Below data.len(), so the cast back to usize is exact.
                Some(h) => h.saturating_sub(off).min(data.len() as u64) as usize,
                None => data.len(),
            };
            if direct > 0 {
                let (now, later) = data.split_at(direct);
                self.deliver(now, emit);
                data = later;
            }
            if !data.is_empty() {
                let at = self.next_off;
                self.hold(at, data, outcome);
            }
        } else {
            self.hold(off, data, outcome);
        }
        self.flush_contiguous(emit);
        while self.held_cost() > max_held {
            self.skip_first_hole(emit);
        }
    }

    /// Remembers out-of-order bytes, keeping earlier copies where they overlap.
    fn hold(&mut self, off: u64, data: &[u8], outcome: &mut SegmentOutcome) {
        debug_assert!(
            off >= self.next_off,
            "held data starts before the stream position"
        );
        if data.is_empty() {
            return;
        }
        let end = off + data.len() as u64;
        // Held pieces that may overlap [off, end): the one starting at or before `off`
        // and all starting inside the range (`off + 1 <= end`: data is not empty).
        let mut covering: Vec<(u64, u64)> = Vec::new();
        if let Some((&k, v)) = self.held.range(..=off).next_back() {
            if k + v.len() as u64 > off {
                covering.push((k, k + v.len() as u64));
            }
        }
        for (&k, v) in self.held.range(off + 1..end) {
            covering.push((k, k + v.len() as u64));
        }
        let mut cur = off;
        for (k, kend) in covering {
            if k > cur {
                if let Some(piece) = span(data, off, cur, k) {
                    self.held_bytes += piece.len();
                    self.held.insert(cur, piece.to_vec());
                }
            }
            let o_start = k.max(cur);
            let o_end = kend.min(end);
            if o_end > o_start {
                let new = span(data, off, o_start, o_end);
                let old = self.held.get(&k).and_then(|v| span(v, k, o_start, o_end));
                if let (Some(new), Some(old)) = (new, old) {
                    outcome.duplicate_bytes += new.len() as u64;
                    note_conflict(old, new, o_start, outcome);
                }
            }
            cur = cur.max(kend);
        }
        if cur < end {
            if let Some(piece) = span(data, off, cur, end) {
                self.held_bytes += piece.len();
                self.held.insert(cur, piece.to_vec());
            }
        }
    }

    /// Delivers held pieces that now continue the stream.
    fn flush_contiguous<F: FnMut(Piece<'_>)>(&mut self, emit: &mut F) {
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() != self.next_off {
                break;
            }
            let piece = entry.remove();
            // `held_bytes` counts every held piece, this one included.
            debug_assert!(self.held_bytes >= piece.len());
            self.held_bytes -= piece.len();
            self.deliver(&piece, emit);
        }
    }

    /// Gives up the hole before the first held piece: reports it lost and goes on.
    fn skip_first_hole<F: FnMut(Piece<'_>)>(&mut self, emit: &mut F) {
        let Some(&first) = self.held.keys().next() else {
            return;
        };
        if first > self.next_off {
            self.lose(first - self.next_off, emit);
        }
        self.flush_contiguous(emit);
    }

    /// Stops waiting for the missing bytes: every hole before held data is reported
    /// lost and the held data delivered, as the per-direction limit does one hole at a
    /// time. Nothing is held afterwards.
    pub fn give_up_holes<F: FnMut(Piece<'_>)>(&mut self, emit: &mut F) {
        self.give_up_holes_down_to(0, emit);
    }

    /// Gives up the oldest holes, one at a time, until what is held costs `keep` or
    /// less (`held_cost`).
    pub fn give_up_holes_down_to<F: FnMut(Piece<'_>)>(&mut self, keep: usize, emit: &mut F) {
        // Nothing held costs nothing: the loop ends with the last piece at the latest.
        while self.held_cost() > keep {
            self.skip_first_hole(emit);
        }
        self.check_fin();
    }

    /// The connection is over (RST, eviction, end of capture): deliver everything held,
    /// reporting each hole as a gap, and a final gap if the FIN lies beyond the data.
    pub fn drain<F: FnMut(Piece<'_>)>(&mut self, emit: &mut F) {
        self.give_up_all(emit);
        self.history = Vec::new();
    }

    /// Frees the buffers of a connection that is over; later segments are ignored by the
    /// caller (the lost ranges are kept: late data for them is still recognised).
    pub fn release(&mut self) {
        self.held = BTreeMap::new();
        self.held_bytes = 0;
        self.history = Vec::new();
    }

    fn deliver<F: FnMut(Piece<'_>)>(&mut self, data: &[u8], emit: &mut F) {
        emit(Piece::Data(data));
        self.remember(data);
        self.advance(data.len() as u64);
    }

    fn advance(&mut self, n: u64) {
        // Offsets grow by less than 2^32 a segment (see the invariants): no overflow.
        self.next_off += n;
        // Sequence numbers are modulo 2^32: the truncation is the wrap.
        self.next_seq = self.next_seq.wrapping_add(n as u32);
    }

    fn check_fin(&mut self) {
        if let Some(fin) = self.fin_off {
            if self.next_off >= fin {
                self.finished = true;
            }
        }
    }

    fn remember(&mut self, data: &[u8]) {
        let cap = self.history_cap;
        if cap == 0 {
            return;
        }
        if data.len() >= cap {
            self.history.clear();
            self.history.extend_from_slice(&data[data.len() - cap..]);
        } else {
            // Keep between `cap` and twice `cap` bytes, trimming back to `cap` only when
            // the history would pass twice `cap`: each byte is then moved at most once,
            // where trimming to `cap` on every segment shifted the whole history each time.
            let total = self.history.len() + data.len();
            if total > cap.saturating_mul(2) {
                let drop = (total - cap).min(self.history.len());
                self.history.drain(..drop);
            }
            self.history.extend_from_slice(data);
        }
    }

    /// Compares retransmitted bytes at stream offset `off` with what was delivered, as far
    /// as the history reaches.
    fn compare_with_history(&self, off: i128, data: &[u8], outcome: &mut SegmentOutcome) {
        // `history` ends at `next_off` and `data` at or before it (the caller's split).
        let hist_start = i128::from(self.next_off) - self.history.len() as i128;
        let from = off.max(hist_start);
        let to = off + data.len() as i128;
        if to <= from {
            return;
        }
        let new = span(data, off, from, to);
        let old = span(&self.history, hist_start, from, to);
        if let (Some(new), Some(old), Ok(at)) = (new, old, u64::try_from(from)) {
            note_conflict(old, new, at, outcome);
        }
    }
}

/// The bytes at stream offsets `[from, to)` of `bytes`, which start at offset `base`;
/// `None` when they are not all inside `bytes` (never a panic: the offsets come from
/// sequence numbers in packets).
fn span<T: Into<i128>>(bytes: &[u8], base: T, from: T, to: T) -> Option<&[u8]> {
    let base = base.into();
    let start = usize::try_from(from.into() - base).ok()?;
    let end = usize::try_from(to.into() - base).ok()?;
    bytes.get(start..end)
}

fn note_conflict(old: &[u8], new: &[u8], at: u64, outcome: &mut SegmentOutcome) {
    if old == new {
        return;
    }
    let mut first = None;
    let mut count = 0u64;
    for (i, (a, b)) in old.iter().zip(new).enumerate() {
        if a != b {
            count += 1;
            first.get_or_insert(i);
        }
    }
    if outcome.conflict_bytes == 0 {
        outcome.conflict_offset = at + first.unwrap_or(0) as u64;
    }
    outcome.conflict_bytes += count;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects delivered pieces as (data, gap) for easy comparison; each segment fed
    /// is one tick.
    #[derive(Default)]
    struct Sink {
        bytes: Vec<u8>,
        gaps: Vec<(usize, u64)>,
        pieces: usize,
        now: u64,
    }

    impl Sink {
        fn feed(
            &mut self,
            r: &mut Reassembler,
            seq: u32,
            syn: bool,
            fin: bool,
            payload: &[u8],
        ) -> SegmentOutcome {
            self.feed_limited(r, seq, syn, fin, payload, 1 << 20)
        }

        fn feed_limited(
            &mut self,
            r: &mut Reassembler,
            seq: u32,
            syn: bool,
            fin: bool,
            payload: &[u8],
            max: usize,
        ) -> SegmentOutcome {
            self.now += 1;
            let at = At {
                now: self.now,
                max_held: max,
            };
            let flags = Flags { syn, fin };
            r.segment(seq, flags, payload, at, &mut |p| self.take(p))
        }

        /// An acknowledgement of the other direction, captured as one more tick.
        fn ack(&mut self, r: &mut Reassembler, ack: u32) {
            self.now += 1;
            r.acked(ack, self.now, &mut |p| self.take(p));
        }

        fn take(&mut self, p: Piece<'_>) {
            match p {
                Piece::Data(d) => {
                    self.bytes.extend_from_slice(d);
                    self.pieces += 1;
                }
                Piece::Gap(n) => self.gaps.push((self.bytes.len(), n)),
            }
        }
    }

    #[test]
    fn in_order_after_syn_starts_at_isn_plus_one() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 1000, true, false, &[]);
        s.feed(&mut r, 1001, false, false, b"hello ");
        s.feed(&mut r, 1007, false, false, b"world");
        assert_eq!(s.bytes, b"hello world");
        assert_eq!(r.offset(), 11);
        // FIN right after the data.
        s.feed(&mut r, 1012, false, true, &[]);
        assert!(r.finished());
    }

    #[test]
    fn out_of_order_is_held_then_delivered() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, true, false, &[]);
        s.feed(&mut r, 7, false, false, b"world");
        s.feed(&mut r, 12, false, true, b"!");
        assert!(s.bytes.is_empty());
        assert_eq!(r.held_bytes(), 6);
        assert!(!r.finished());
        s.feed(&mut r, 1, false, false, b"hello ");
        assert_eq!(s.bytes, b"hello world!");
        assert_eq!(r.held_bytes(), 0);
        assert!(r.finished());
    }

    #[test]
    fn duplicates_are_delivered_once() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 100, false, false, b"abcd");
        let o = s.feed(&mut r, 100, false, false, b"abcd");
        assert_eq!(o.duplicate_bytes, 4);
        assert_eq!(o.conflict_bytes, 0);
        // Overlapping retransmission carrying new bytes at its end.
        let o = s.feed(&mut r, 102, false, false, b"cdef");
        assert_eq!(o.duplicate_bytes, 2);
        assert_eq!(s.bytes, b"abcdef");
        // Duplicate of held out-of-order data.
        s.feed(&mut r, 110, false, false, b"xy");
        let o = s.feed(&mut r, 110, false, false, b"xy");
        assert_eq!(o.duplicate_bytes, 2);
        s.feed(&mut r, 106, false, false, b"ghij");
        assert_eq!(s.bytes, b"abcdefghijxy");
    }

    #[test]
    fn first_data_wins_and_conflicts_are_reported() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"AAAA");
        // Retransmission of delivered bytes with two differing bytes at offsets 1 and 2.
        let o = s.feed(&mut r, 0, false, false, b"AxyA");
        assert_eq!(o.conflict_bytes, 2);
        assert_eq!(o.conflict_offset, 1);
        // Held piece [8,12) "CCCC", then an in-order segment [4,10) whose tail conflicts.
        s.feed(&mut r, 8, false, false, b"CCCC");
        let o = s.feed(&mut r, 4, false, false, b"BBBBzC");
        assert_eq!(o.conflict_bytes, 1);
        assert_eq!(o.conflict_offset, 8);
        assert_eq!(s.bytes, b"AAAABBBBCCCC");
    }

    #[test]
    fn overlap_spanning_several_held_pieces() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"0");
        s.feed(&mut r, 3, false, false, b"34");
        s.feed(&mut r, 7, false, false, b"7");
        // Covers 2..9 and fills the holes at 2, 5, 6, 8 only.
        let o = s.feed(&mut r, 2, false, false, b"2XY56Z8");
        assert_eq!(o.duplicate_bytes, 3);
        assert_eq!(o.conflict_bytes, 3);
        assert_eq!(s.bytes, b"0");
        s.feed(&mut r, 1, false, false, b"1");
        assert_eq!(s.bytes, b"012345678");
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn sequence_wraps_at_two_to_the_32() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        let isn = u32::MAX - 3; // data starts at 2^32 - 3: w x y at the top, z at 0
        s.feed(&mut r, isn, true, false, &[]);
        // Second segment crosses zero, arrives first.
        s.feed(&mut r, 3, false, false, b"cd");
        s.feed(&mut r, u32::MAX - 2, false, false, b"wxyzab");
        assert_eq!(s.bytes, b"wxyzabcd");
        // A retransmission from before the wrap is a duplicate, not new data.
        let o = s.feed(&mut r, u32::MAX - 2, false, false, b"wx");
        assert_eq!(o.duplicate_bytes, 2);
        s.feed(&mut r, 5, false, true, b"e");
        assert_eq!(s.bytes, b"wxyzabcde");
        assert!(r.finished());
    }

    #[test]
    fn mid_stream_start_begins_at_first_data() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        // Pure ACK before any data does not start the stream.
        s.feed(&mut r, 5000, false, false, &[]);
        assert!(!r.started());
        s.feed(&mut r, 123_456, false, false, b"mid");
        s.feed(&mut r, 123_459, false, false, b"dle");
        assert_eq!(s.bytes, b"middle");
    }

    #[test]
    fn keepalive_probe_is_not_a_conflict() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"abc");
        let o = s.feed(&mut r, 2, false, false, &[0]);
        assert_eq!(o.conflict_bytes, 0);
        assert_eq!(o.duplicate_bytes, 1);
        // Two bytes ending at the same place are a real retransmission.
        let o = s.feed(&mut r, 1, false, false, &[0, 0]);
        assert_eq!(o.conflict_bytes, 2);
        assert_eq!(s.bytes, b"abc");
    }

    #[test]
    fn hole_given_up_when_limit_is_hit() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        // Room for 6 bytes in two pieces.
        let limit = 2 * PIECE_OVERHEAD + 6;
        s.feed(&mut r, 0, false, false, b"ab");
        // Hole of 3 bytes at [2,5); one piece of 4 bytes held: still held.
        s.feed_limited(&mut r, 5, false, false, b"fghi", limit);
        assert_eq!(s.bytes, b"ab");
        assert_eq!(r.held_cost(), 4 + PIECE_OVERHEAD);
        // 4 more bytes after another hole [9,10): 8 held > 6, the first hole is skipped.
        s.feed_limited(&mut r, 10, false, false, b"klmn", limit);
        assert_eq!(s.gaps, vec![(2, 3)]);
        assert_eq!(s.bytes, b"abfghi");
        assert_eq!(r.held_bytes(), 4);
        assert_eq!(r.offset(), 9);
        // The late retransmission of the skipped hole is old data now.
        let o = s.feed(&mut r, 2, false, false, b"cde");
        assert_eq!(o.duplicate_bytes, 3);
        assert_eq!(s.bytes, b"abfghi");
    }

    #[test]
    fn held_pieces_are_counted_at_what_they_cost() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"a");
        // One-byte segments with a hole before each: 1000 bytes would be within a
        // limit of 4096, but 1000 pieces cost far more than that.
        for i in 0..1000u32 {
            s.feed_limited(&mut r, 2 + 2 * i, false, false, b"x", 4096);
            assert!(r.held_cost() <= 4096);
        }
        let fit = 4096 / (1 + PIECE_OVERHEAD);
        assert_eq!(r.held_pieces(), fit);
        assert_eq!(r.held_bytes(), fit);
        // The oldest holes were given up, one at a time, in order.
        assert_eq!(s.gaps.len(), 1000 - fit);
        assert_eq!(s.gaps[0], (1, 1));
        assert_eq!(s.bytes.len(), 1 + 1000 - fit);
        // In-order data that continues the stream is never held and costs nothing.
        let mut r = Reassembler::new(64, 0);
        s.feed_limited(&mut r, 0, false, false, &[0u8; 5000], 4096);
        assert_eq!(r.held_cost(), 0);
    }

    #[test]
    fn acknowledged_hole_waits_the_reorder_window() {
        // [2,5) not captured yet; the receiver acknowledges up to 7 (tick 3), before
        // the segment that fills the hole is captured.
        let mut r = Reassembler::new(64, 4);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 5, false, false, b"fg");
        s.ack(&mut r, 7);
        // Three more ticks (4, 5, 6): still within the window of 4.
        s.ack(&mut r, 7);
        s.feed(&mut r, 7, false, false, b"h");
        s.ack(&mut r, 8);
        assert_eq!(s.bytes, b"ab");
        // Tick 7: the filling segment arrives late, and everything is read in order.
        s.feed(&mut r, 2, false, false, b"cde");
        assert_eq!(s.bytes, b"abcdefgh");
        assert!(s.gaps.is_empty());
        assert_eq!(r.held_bytes(), 0);

        // The same hole never captured: given up on the fourth tick after the ACK.
        let mut r = Reassembler::new(64, 4);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 5, false, false, b"fg");
        s.ack(&mut r, 7); // tick 3
        s.ack(&mut r, 7);
        s.ack(&mut r, 7);
        s.ack(&mut r, 7);
        assert!(s.gaps.is_empty());
        s.ack(&mut r, 7); // tick 7
        assert_eq!(s.gaps, vec![(2, 3)]);
        assert_eq!(s.bytes, b"abfg");
        // The filling segment after that is late: not delivered, counted as such.
        let o = s.feed(&mut r, 2, false, false, b"cde");
        assert_eq!((o.late_bytes, o.late_offset), (3, 2));
        assert_eq!(s.bytes, b"abfg");
        // A plain retransmission of delivered data is not late.
        let o = s.feed(&mut r, 0, false, false, b"ab");
        assert_eq!((o.late_bytes, o.duplicate_bytes), (0, 2));
        // Nor is a segment of it half late: only the lost part counts.
        let o = s.feed(&mut r, 1, false, false, b"bcd");
        assert_eq!((o.late_bytes, o.late_offset), (2, 2));
        assert_eq!(r.late_segment(0, 6), Some((3, 2)));
    }

    #[test]
    fn a_hole_not_acknowledged_is_waited_for() {
        // A reordered segment nobody acknowledged yet is waited for however long.
        let mut r = Reassembler::new(64, 2);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 4, false, false, b"ef");
        for _ in 0..10 {
            s.ack(&mut r, 2);
        }
        assert_eq!(s.bytes, b"ab");
        s.feed(&mut r, 2, false, false, b"cd");
        assert_eq!(s.bytes, b"abcdef");
        assert!(s.gaps.is_empty());
    }

    #[test]
    fn each_hole_waits_a_window_of_its_own() {
        // Holes [2,4) and [6,8), both acknowledged at tick 4: the first is given up at
        // tick 6 (window 2), then the second waits from then on.
        let mut r = Reassembler::new(64, 2);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 4, false, false, b"ef");
        s.feed(&mut r, 8, false, false, b"ij");
        s.ack(&mut r, 10);
        s.ack(&mut r, 10);
        assert!(s.gaps.is_empty());
        s.ack(&mut r, 10);
        assert_eq!(s.gaps, vec![(2, 2)]);
        assert_eq!(s.bytes, b"abef");
        // The second hole is filled in time.
        s.feed(&mut r, 6, false, false, b"gh");
        assert_eq!(s.bytes, b"abefghij");
        assert_eq!(s.gaps, vec![(2, 2)]);
    }

    #[test]
    fn acknowledged_hole_is_given_up_at_once_with_no_window() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        // [2,5) never captured; the receiver acknowledges up to 7 before the data
        // beyond the hole shows up: nothing held yet, nothing to give up.
        s.ack(&mut r, 7);
        assert!(s.gaps.is_empty());
        s.feed(&mut r, 5, false, false, b"fg");
        assert_eq!(s.bytes, b"abfg");
        assert_eq!(s.gaps, vec![(2, 3)]);
        // A reordered segment (not acknowledged) is waited for.
        let mut s = Sink::default();
        let mut r = Reassembler::new(64, 0);
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 4, false, false, b"ef");
        r.acked(2, 9, &mut |_| panic!("nothing to deliver"));
        assert_eq!(s.bytes, b"ab");
        s.feed(&mut r, 2, false, false, b"cd");
        assert_eq!(s.bytes, b"abcdef");
        assert!(s.gaps.is_empty());
        // An acknowledgement beyond anything seen skips only up to the data seen.
        let mut s = Sink::default();
        let mut r = Reassembler::new(64, 0);
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 10, false, false, b"kl");
        s.ack(&mut r, 1000);
        assert_eq!(s.bytes, b"abkl");
        assert_eq!(s.gaps, vec![(2, 8)]);
        assert_eq!(r.offset(), 12);
        // Data lost right before an acknowledged FIN.
        let mut s = Sink::default();
        let mut r = Reassembler::new(64, 0);
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 5, false, true, &[]);
        assert!(!r.finished());
        assert!(!r.fin_acked());
        s.ack(&mut r, 6);
        assert_eq!(s.gaps, vec![(2, 3)]);
        assert!(r.finished());
        assert!(r.fin_acked());
    }

    #[test]
    fn give_up_all_reports_holes_and_the_bytes_before_the_fin() {
        let mut r = Reassembler::new(64, 100);
        let mut s = Sink::default();
        s.feed(&mut r, 0, false, false, b"ab");
        s.feed(&mut r, 4, false, false, b"ef");
        s.feed(&mut r, 9, false, true, &[]);
        s.ack(&mut r, 10);
        assert!(r.fin_acked());
        assert!(!r.finished());
        r.give_up_all(&mut |p| s.take(p));
        assert_eq!(s.bytes, b"abef");
        assert_eq!(s.gaps, vec![(2, 2), (4, 3)]);
        assert!(r.finished());
        // Late data for either range is recognised, after release too.
        r.release();
        assert_eq!(r.late_segment(2, 8), Some((5, 2)));
        assert_eq!(r.late_segment(0, 2), None);
    }

    /// Acknowledgements and FINs behind the stream start are negative stream offsets:
    /// they must neither wrap to huge offsets nor settle anything.
    #[test]
    fn acks_and_fins_behind_the_start_are_ignored() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 1000, false, false, b"ab");
        s.feed(&mut r, 1005, false, false, b"fg");
        r.acked(900, 10, &mut |_| panic!("an old ACK skips nothing"));
        // The next byte expected is seq 1002; half the circle behind it is still behind.
        r.acked(1002u32.wrapping_sub(1 << 31), 11, &mut |_| {
            panic!("nor does the farthest")
        });
        s.feed(&mut r, 990, false, true, b"x");
        assert!(!r.finished());
        // The hole [2, 5) is still waited for, and filled.
        s.feed(&mut r, 1002, false, false, b"cde");
        assert_eq!(s.bytes, b"abcdefg");
        assert!(s.gaps.is_empty());
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn drain_reports_holes_and_missing_data_before_fin() {
        let mut r = Reassembler::new(64, 0);
        let mut s = Sink::default();
        s.feed(&mut r, 10, true, false, &[]);
        s.feed(&mut r, 11, false, false, b"ab");
        s.feed(&mut r, 15, false, false, b"ef");
        s.feed(&mut r, 20, false, true, &[]); // FIN at offset 9
        assert!(!r.finished());
        r.drain(&mut |p| match p {
            Piece::Data(d) => s.bytes.extend_from_slice(d),
            Piece::Gap(n) => s.gaps.push((s.bytes.len(), n)),
        });
        assert_eq!(s.bytes, b"abef");
        assert_eq!(s.gaps, vec![(2, 2), (4, 3)]);
        assert!(r.finished());
    }

    #[test]
    fn in_order_segment_is_one_piece_without_copying() {
        let mut r = Reassembler::new(0, 0);
        let payload = vec![7u8; 3000];
        let mut seen: Vec<*const u8> = Vec::new();
        let at = At {
            now: 1,
            max_held: 100,
        };
        r.segment(1, Flags::default(), &payload, at, &mut |p| {
            if let Piece::Data(d) = p {
                seen.push(d.as_ptr());
            }
        });
        assert_eq!(seen, vec![payload.as_ptr()]);
    }
}
