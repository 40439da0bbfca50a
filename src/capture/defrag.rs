//! IP fragment reassembly (IPv4 and IPv6) by (src, dst, id, protocol), in any order,
//! with overlaps checked, and bounded: datagrams in progress, bytes buffered and age
//! (capture time). Whatever is given up is reported as an anomaly, never dropped silently.

use super::ip::IpPacket;
use super::{AnomalyEvent, AnomalyKind, Event};
use foldhash::HashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Largest reassembled payload: the IP length fields are 16 bits.
const MAX_DATAGRAM: usize = 65_535;
/// Buffers kept for reuse once a datagram has been handed out.
const POOL_SIZE: usize = 8;

#[derive(Debug, Clone)]
pub struct DefragLimits {
    /// Most datagrams in progress at once; a new one evicts the oldest.
    pub max_datagrams: usize,
    /// Most payload bytes buffered over all datagrams in progress.
    pub max_bytes: usize,
    /// A datagram still incomplete this long (capture time) after its first fragment
    /// is given up (Linux's default ipfrag_time is 30 s).
    pub timeout_usec: i64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagrams: 1024,
            max_bytes: 16 << 20,
            timeout_usec: 30_000_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

#[derive(Debug)]
struct Partial {
    /// Payload bytes 0..data.len(); only the `filled` ranges are meaningful.
    data: Vec<u8>,
    /// Received byte ranges, sorted, disjoint and not touching.
    filled: Vec<(usize, usize)>,
    /// Payload length, known once the last fragment (MF clear) is seen.
    total: Option<usize>,
    first_usec: i64,
    first_frame: u64,
    fragments: u32,
}

/// Reassembly state of one capture.
#[derive(Debug, Default)]
pub struct Defrag {
    limits: DefragLimits,
    partials: HashMap<Key, Partial>,
    /// Sum of `data.len()` over `partials`.
    bytes: usize,
    /// Smallest `first_usec` in `partials` (a lower bound, exact after each expiry scan).
    earliest_usec: i64,
    pool: Vec<Vec<u8>>,
    /// Datagrams completed so far.
    pub reassembled: u64,
}

impl Defrag {
    pub fn new(limits: DefragLimits) -> Self {
        Defrag {
            limits,
            ..Default::default()
        }
    }

    /// Datagrams in progress.
    pub fn in_progress(&self) -> usize {
        self.partials.len()
    }

    /// Adds one fragment (`ip.fragment` must be Some). Returns the whole payload when
    /// this fragment completes its datagram; hand the buffer back with `recycle`.
    pub fn add(
        &mut self,
        ip: &IpPacket<'_>,
        frame: u64,
        time_usec: i64,
        out: &mut VecDeque<Event>,
    ) -> Option<Vec<u8>> {
        let frag = ip.fragment?;
        let key = Key {
            src: ip.src,
            dst: ip.dst,
            id: frag.id,
            proto: ip.proto,
        };
        let start = frag.offset;
        // The IP layer's offset is at most 8 × 8191 and a payload fits in memory; an
        // overflow would be beyond MAX_DATAGRAM anyway.
        let end = start.saturating_add(ip.payload.len());
        let anomaly = |kind: AnomalyKind, detail: String| {
            Event::Anomaly(AnomalyEvent {
                frame,
                time_usec,
                meta: None,
                kind,
                detail: format!("{}: {detail}", describe(&key)),
            })
        };
        if end > MAX_DATAGRAM {
            out.push_back(anomaly(
                AnomalyKind::BadFragment,
                format!("fragment ends at byte {end}, beyond the 65535-byte maximum"),
            ));
            return None;
        }

        if !self.partials.contains_key(&key) {
            if self.partials.len() >= self.limits.max_datagrams.max(1) {
                self.evict_oldest(
                    None,
                    "too many datagrams in progress",
                    frame,
                    time_usec,
                    out,
                );
            }
            let data = self.pool.pop().unwrap_or_default();
            if self.partials.is_empty() || time_usec < self.earliest_usec {
                self.earliest_usec = time_usec;
            }
            self.partials.insert(
                key,
                Partial {
                    data,
                    filled: Vec::new(),
                    total: None,
                    first_usec: time_usec,
                    first_frame: frame,
                    fragments: 0,
                },
            );
        }
        let p = self.partials.get_mut(&key)?;
        p.fragments = p.fragments.saturating_add(1);

        // Length consistency: the last fragment (MF clear) fixes the total length and
        // no data may lie beyond it.
        let highest = p.filled.last().map_or(0, |r| r.1);
        let conflict = if !frag.more {
            match p.total {
                Some(t) if t != end => Some(format!(
                    "two last fragments disagree on the length ({t} and {end} bytes); the later one is ignored"
                )),
                _ if highest > end => Some(format!(
                    "data up to byte {highest} but the last fragment ends at byte {end}; it is ignored"
                )),
                _ => None,
            }
        } else {
            match p.total {
                Some(t) if end > t => Some(format!(
                    "fragment ends at byte {end} but the datagram ends at byte {t}; it is ignored"
                )),
                _ => None,
            }
        };
        if let Some(detail) = conflict {
            out.push_back(anomaly(AnomalyKind::FragConflict, detail));
            return None;
        }
        if !frag.more {
            p.total = Some(end);
        }

        // Buffer growth, within the byte budget. `data` then reaches `end`, which
        // `write_fragment` relies on.
        if p.data.len() < end {
            let growth = end - p.data.len();
            p.data.resize(end, 0);
            self.bytes += growth;
        }
        let p = self.partials.get_mut(&key)?;
        if write_fragment(p, start, ip.payload) {
            out.push_back(anomaly(
                AnomalyKind::FragOverlap,
                format!("fragment at offset {start} ({} bytes) overlaps earlier data with different bytes; the earlier bytes are kept", ip.payload.len()),
            ));
        }

        if p.total.is_some_and(|t| p.filled.as_slice() == [(0, t)]) {
            let mut done = self.partials.remove(&key)?;
            // `bytes` is the sum of `data.len()` over `partials`, this one's included.
            self.bytes -= done.data.len();
            done.data.truncate(done.total.unwrap_or(0));
            self.reassembled += 1;
            return Some(done.data);
        }
        while self.bytes > self.limits.max_bytes && self.partials.len() > 1 {
            self.evict_oldest(
                Some(key),
                "reassembly byte budget exceeded",
                frame,
                time_usec,
                out,
            );
        }
        None
    }

    /// Gives a buffer returned by `add` back for reuse.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if self.pool.len() < POOL_SIZE && buf.capacity() <= MAX_DATAGRAM {
            buf.clear();
            self.pool.push(buf);
        }
    }

    /// Gives up datagrams older than the timeout at capture time `now_usec`. Cheap when
    /// nothing is due (one comparison), so it can run on every frame.
    pub fn expire(&mut self, now_usec: i64, frame: u64, out: &mut VecDeque<Event>) {
        if self.partials.is_empty()
            || now_usec.saturating_sub(self.earliest_usec) <= self.limits.timeout_usec
        {
            return;
        }
        let timeout = self.limits.timeout_usec;
        let mut due: Vec<Key> = self
            .partials
            .iter()
            .filter(|(_, p)| now_usec.saturating_sub(p.first_usec) > timeout)
            .map(|(k, _)| *k)
            .collect();
        due.sort_by_key(|k| self.partials.get(k).map(|p| (p.first_usec, p.first_frame)));
        for key in due {
            let why = "incomplete after the reassembly timeout";
            self.give_up(key, AnomalyKind::FragTimeout, why, frame, now_usec, out);
        }
        self.earliest_usec = self
            .partials
            .values()
            .map(|p| p.first_usec)
            .min()
            .unwrap_or(0);
    }

    /// End of capture: every datagram still in progress becomes an anomaly.
    pub fn finish(&mut self, frame: u64, time_usec: i64, out: &mut VecDeque<Event>) {
        let mut left: Vec<Key> = self.partials.keys().copied().collect();
        left.sort_by_key(|k| self.partials.get(k).map(|p| (p.first_usec, p.first_frame)));
        for key in left {
            let why = "incomplete at the end of the capture";
            self.give_up(key, AnomalyKind::FragIncomplete, why, frame, time_usec, out);
        }
    }

    fn evict_oldest(
        &mut self,
        keep: Option<Key>,
        why: &'static str,
        frame: u64,
        time_usec: i64,
        out: &mut VecDeque<Event>,
    ) {
        let oldest = self
            .partials
            .iter()
            .filter(|(k, _)| Some(**k) != keep)
            .min_by_key(|(_, p)| (p.first_usec, p.first_frame))
            .map(|(k, _)| *k);
        if let Some(key) = oldest {
            self.give_up(key, AnomalyKind::FragEvicted, why, frame, time_usec, out);
        }
    }

    /// Drops one datagram in progress, with an anomaly saying what was lost and why.
    fn give_up(
        &mut self,
        key: Key,
        kind: AnomalyKind,
        why: &str,
        frame: u64,
        time_usec: i64,
        out: &mut VecDeque<Event>,
    ) {
        let Some(p) = self.partials.remove(&key) else {
            return;
        };
        // As in `add`: this datagram's buffer is part of `bytes`.
        self.bytes -= p.data.len();
        let have: usize = p.filled.iter().map(|(s, e)| e - s).sum();
        let total = p.total.map_or("?".to_string(), |t| t.to_string());
        out.push_back(Event::Anomaly(AnomalyEvent {
            frame,
            time_usec,
            meta: None,
            kind,
            detail: format!(
                "{}: {why}; {} fragment(s) from frame {}, {have} of {total} bytes dropped",
                describe(&key),
                p.fragments,
                p.first_frame
            ),
        }));
        self.recycle(p.data);
    }
}

/// Copies `bytes` to `start` where nothing was received yet and records the range.
/// Returns true when an already received byte differs (first data wins, as checking
/// retransmitted duplicates needs; a difference is reported by the caller).
/// `p.data` must reach `start + bytes.len()` (the caller grows it first).
fn write_fragment(p: &mut Partial, start: usize, bytes: &[u8]) -> bool {
    let end = start + bytes.len();
    debug_assert!(p.data.len() >= end, "fragment buffer not grown");
    if start == end {
        return false;
    }
    let mut conflict = false;
    let mut pos = start;
    // `bytes` over the datagram offsets `[from, to)`. Every range asked for lies in
    // `[start, end)`, so this is `None` only if the caller broke the precondition, and
    // then nothing is written rather than a panic.
    let part = |from: usize, to: usize| bytes.get(from.checked_sub(start)?..to.checked_sub(start)?);
    let fill = |data: &mut [u8], from: usize, to: usize| {
        if let (Some(dst), Some(src)) = (data.get_mut(from..to), part(from, to)) {
            dst.copy_from_slice(src);
        }
    };
    for &(s, e) in &p.filled {
        if e <= pos {
            continue;
        }
        if s >= end {
            break;
        }
        if s > pos {
            fill(&mut p.data, pos, s);
        }
        let (os, oe) = (s.max(pos), e.min(end));
        if p.data.get(os..oe) != part(os, oe) {
            conflict = true;
        }
        pos = oe;
    }
    if pos < end {
        fill(&mut p.data, pos, end);
    }
    // Insert [start, end) and merge touching or overlapping ranges.
    let at = p.filled.partition_point(|r| r.1 < start);
    let mut merged = (start, end);
    let mut upto = at;
    while let Some(&(s, e)) = p.filled.get(upto).filter(|r| r.0 <= merged.1) {
        merged = (merged.0.min(s), merged.1.max(e));
        upto += 1;
    }
    p.filled.splice(at..upto, std::iter::once(merged));
    conflict
}

fn describe(k: &Key) -> String {
    format!(
        "fragments {} -> {} id {:#x} protocol {}",
        k.src, k.dst, k.id, k.proto
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::ip::Fragment;

    fn frag<'a>(id: u32, offset: usize, more: bool, payload: &'a [u8]) -> IpPacket<'a> {
        IpPacket {
            ipv: 4,
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 17,
            payload,
            fragment: Some(Fragment { id, offset, more }),
        }
    }

    fn anomalies(out: &VecDeque<Event>) -> Vec<(&'static str, u64)> {
        out.iter()
            .map(|e| match e {
                Event::Anomaly(a) => (a.kind.as_str(), a.frame),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    /// 24 bytes 0..24 split in three 8-byte pieces.
    fn pieces() -> (Vec<u8>, [(usize, bool); 3]) {
        ((0u8..24).collect(), [(0, true), (8, true), (16, false)])
    }

    #[test]
    fn in_order() {
        let (data, parts) = pieces();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        for (i, &(off, more)) in parts.iter().enumerate() {
            let r = d.add(
                &frag(7, off, more, &data[off..off + 8]),
                i as u64 + 1,
                0,
                &mut out,
            );
            if i < 2 {
                assert!(r.is_none());
            } else {
                assert_eq!(r.unwrap(), data);
            }
        }
        assert!(out.is_empty());
        assert_eq!(d.in_progress(), 0);
        assert_eq!(d.bytes, 0);
        assert_eq!(d.reassembled, 1);
    }

    #[test]
    fn out_of_order_and_interleaved() {
        let (data, _) = pieces();
        let other: Vec<u8> = (100u8..116).collect();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        assert!(d
            .add(&frag(1, 16, false, &data[16..]), 1, 0, &mut out)
            .is_none());
        assert!(d
            .add(&frag(2, 8, false, &other[8..]), 2, 0, &mut out)
            .is_none());
        assert!(d
            .add(&frag(1, 0, true, &data[..8]), 3, 0, &mut out)
            .is_none());
        assert_eq!(
            d.add(&frag(2, 0, true, &other[..8]), 4, 0, &mut out)
                .unwrap(),
            other
        );
        assert_eq!(
            d.add(&frag(1, 8, true, &data[8..16]), 5, 0, &mut out)
                .unwrap(),
            data
        );
        assert!(out.is_empty());
    }

    #[test]
    fn overlap_same_bytes_is_fine_different_bytes_is_reported() {
        let (data, _) = pieces();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        // 0..16, then 8..24 (overlap 8..16 identical) completes.
        assert!(d
            .add(&frag(1, 0, true, &data[..16]), 1, 0, &mut out)
            .is_none());
        assert_eq!(
            d.add(&frag(1, 8, false, &data[8..]), 2, 0, &mut out)
                .unwrap(),
            data
        );
        assert!(out.is_empty());

        // 0..16, then a last fragment 8..24 whose first 8 bytes differ: first wins.
        let mut bad = data[8..].to_vec();
        bad[0] = 0xff;
        assert!(d
            .add(&frag(2, 0, true, &data[..16]), 3, 0, &mut out)
            .is_none());
        assert_eq!(
            d.add(&frag(2, 8, false, &bad), 4, 0, &mut out).unwrap(),
            data
        );
        assert_eq!(anomalies(&out), vec![("frag_overlap", 4)]);
    }

    #[test]
    fn duplicate_fragment_and_gap_filling() {
        let (data, _) = pieces();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        assert!(d
            .add(&frag(1, 0, true, &data[..8]), 1, 0, &mut out)
            .is_none());
        assert!(d
            .add(&frag(1, 16, false, &data[16..]), 2, 0, &mut out)
            .is_none());
        assert!(d
            .add(&frag(1, 16, false, &data[16..]), 3, 0, &mut out)
            .is_none());
        // One piece spanning the gap and both neighbours.
        assert_eq!(
            d.add(&frag(1, 0, true, &data[..]), 4, 0, &mut out).unwrap(),
            data
        );
        assert!(out.is_empty());
    }

    #[test]
    fn conflicting_lengths() {
        let (data, _) = pieces();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        assert!(d
            .add(&frag(1, 8, false, &data[8..16]), 1, 0, &mut out)
            .is_none());
        // Another "last" fragment ending elsewhere.
        assert!(d
            .add(&frag(1, 16, false, &data[16..]), 2, 0, &mut out)
            .is_none());
        // Data beyond the known end.
        assert!(d
            .add(&frag(1, 16, true, &data[16..]), 3, 0, &mut out)
            .is_none());
        assert_eq!(
            anomalies(&out),
            vec![("frag_conflict", 2), ("frag_conflict", 3)]
        );
        assert_eq!(
            d.add(&frag(1, 0, true, &data[..8]), 4, 0, &mut out)
                .unwrap(),
            data[..16]
        );
        // Beyond 65535 bytes.
        out.clear();
        assert!(d
            .add(&frag(9, 65_528, true, &[0; 16]), 5, 0, &mut out)
            .is_none());
        assert_eq!(anomalies(&out), vec![("bad_fragment", 5)]);
    }

    /// Empty fragments claim buffer space without data; a last fragment that ends
    /// before that space still completes the datagram, at its own length, and the byte
    /// count returns to zero.
    #[test]
    fn empty_fragments_then_a_shorter_datagram() {
        let (data, _) = pieces();
        let mut d = Defrag::new(DefragLimits::default());
        let mut out = VecDeque::new();
        assert!(d.add(&frag(1, 65_528, true, &[]), 1, 0, &mut out).is_none());
        assert!(d
            .add(&frag(1, 0, true, &data[..8]), 2, 0, &mut out)
            .is_none());
        assert_eq!(
            d.add(&frag(1, 8, false, &data[8..16]), 3, 0, &mut out)
                .unwrap(),
            data[..16]
        );
        assert!(out.is_empty());
        assert_eq!(d.bytes, 0);
        assert_eq!(d.in_progress(), 0);
    }

    #[test]
    fn eviction_by_count_and_bytes() {
        let limits = DefragLimits {
            max_datagrams: 2,
            max_bytes: 1 << 20,
            timeout_usec: 1_000_000,
        };
        let mut d = Defrag::new(limits);
        let mut out = VecDeque::new();
        d.add(&frag(1, 0, true, &[1; 8]), 1, 10, &mut out);
        d.add(&frag(2, 0, true, &[2; 8]), 2, 20, &mut out);
        d.add(&frag(3, 0, true, &[3; 8]), 3, 30, &mut out);
        assert_eq!(anomalies(&out), vec![("frag_evicted", 3)]);
        match &out[0] {
            Event::Anomaly(a) => assert!(a.detail.contains("id 0x1"), "{}", a.detail),
            _ => unreachable!(),
        }
        assert_eq!(d.in_progress(), 2);
        // Id 1 is gone: its last fragment alone does not complete anything.
        out.clear();
        assert!(d
            .add(&frag(1, 8, false, &[1; 8]), 4, 40, &mut out)
            .is_none());

        let limits = DefragLimits {
            max_datagrams: 100,
            max_bytes: 3000,
            timeout_usec: 1_000_000,
        };
        let mut d = Defrag::new(limits);
        let mut out = VecDeque::new();
        let big = vec![0u8; 1600];
        d.add(&frag(1, 0, true, &big), 1, 0, &mut out);
        assert!(out.is_empty());
        d.add(&frag(2, 0, true, &big), 2, 0, &mut out);
        assert_eq!(anomalies(&out), vec![("frag_evicted", 2)]);
        assert_eq!(d.bytes, 1600);
    }

    #[test]
    fn timeout_and_end_of_capture() {
        let limits = DefragLimits {
            max_datagrams: 10,
            max_bytes: 1 << 20,
            timeout_usec: 1_000_000,
        };
        let mut d = Defrag::new(limits);
        let mut out = VecDeque::new();
        d.add(&frag(1, 0, true, &[1; 8]), 1, 0, &mut out);
        d.add(&frag(2, 0, true, &[2; 8]), 2, 500_000, &mut out);
        d.expire(1_000_000, 3, &mut out);
        assert!(out.is_empty());
        d.expire(1_000_001, 4, &mut out);
        assert_eq!(anomalies(&out), vec![("frag_timeout", 4)]);
        assert_eq!(d.in_progress(), 1);
        out.clear();
        d.finish(9, 2_000_000, &mut out);
        assert_eq!(anomalies(&out), vec![("frag_incomplete", 9)]);
        assert_eq!(d.in_progress(), 0);
        assert_eq!(d.bytes, 0);
    }
}
