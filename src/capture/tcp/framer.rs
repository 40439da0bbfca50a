//! Cutting one direction's byte stream into units (messages or stream entries): the
//! buffer discipline (decode straight from the segment, copy only split units) and
//! the header framing with its resynchronisation heuristic (docs/protocol.md section 6.5 step 7).

use crate::protocol::{
    decode_payload, is_plausible_header, parse_header, payload_len, DecodeError, Header, Malformed,
    Payload, HEADER_SIZE, MAGIC, MAX_MESSAGE_SIZE,
};

/// Largest header-framed unit: header + MAX_MESSAGE_SIZE, plus the next header that
/// confirms a resync candidate.
pub const MAX_UNIT: usize = HEADER_SIZE + MAX_MESSAGE_SIZE + HEADER_SIZE;

/// What one parse step did with the front of the bytes it was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This many bytes were used (an item emitted or bytes skipped); 0 after a change
    /// of state that makes the next step read differently.
    Consumed(usize),
    /// At least this many more bytes are needed.
    NeedMore(usize),
    /// Nothing can be read in the current state: keep the bytes for later.
    Hold,
}

/// Capacity an empty pending buffer may keep for the next split unit: enough for the
/// usual small messages; the buffer of a large one (up to 66 KB) is freed once read, so
/// idle connections do not keep it (the memory budget counts capacity, not length).
const KEEP_CAPACITY: usize = 4096;

/// Bytes of a unit split across chunks (or held while waiting), read from `start`.
/// Consuming moves `start`, not the bytes: skipping through a full buffer while
/// resynchronising costs what is skipped. The live bytes are moved down only when the
/// consumed prefix is longer than they are, so every byte moved was paid for by more
/// than one byte consumed before it.
#[derive(Debug, Default)]
pub struct Pending {
    buf: Vec<u8>,
    start: usize,
}

impl Pending {
    /// The bytes not consumed yet.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Memory held, consumed prefix and spare capacity included.
    pub fn footprint(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops every byte and frees the memory; returns how many bytes were dropped.
    pub fn discard(&mut self) -> usize {
        let n = self.len();
        *self = Pending::default();
        n
    }

    fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        let live = self.buf.len() - self.start;
        if live == 0 {
            self.start = 0;
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        } else if self.start > live {
            #[cfg(test)]
            count_moved(live);
            self.buf.copy_within(self.start.., 0);
            self.buf.truncate(live);
            self.start = 0;
        }
    }
}

/// Feeds `pending ++ chunk` to `step` until it needs more. Units that lie wholly in
/// `chunk` are read in place; a unit split across chunks is assembled in `pending`
/// by copying only the bytes it still needs. `step` gets the bytes and whether they
/// run to the end of the data available so far. Held bytes beyond `max_hold` are
/// dropped; the count is returned so the caller can report the loss.
pub fn run<F>(pending: &mut Pending, chunk: &[u8], max_hold: usize, step: &mut F) -> usize
where
    F: FnMut(&[u8], bool) -> Step,
{
    let mut rest = chunk;
    // A step that consumes nothing must change state; this bounds a buggy loop.
    let mut idle_steps = 0u32;
    loop {
        let result = if pending.is_empty() {
            if rest.is_empty() {
                return 0;
            }
            step(rest, true)
        } else {
            step(pending.bytes(), rest.is_empty())
        };
        match result {
            Step::Consumed(0) => {
                idle_steps += 1;
                if idle_steps > 16 {
                    debug_assert!(false, "framer step made no progress");
                    return drop_all(pending, rest);
                }
            }
            Step::Consumed(n) => {
                idle_steps = 0;
                if pending.is_empty() {
                    rest = rest.get(n..).unwrap_or(&[]);
                } else {
                    pending.consume(n);
                }
            }
            Step::NeedMore(k) => {
                idle_steps = 0;
                if pending.is_empty() {
                    pending.extend(rest);
                    return 0;
                }
                if rest.is_empty() {
                    return 0;
                }
                if pending.len() >= MAX_UNIT {
                    // Cannot happen with the decoder's bounds; never grow without end.
                    return drop_all(pending, rest);
                }
                let take = k.max(1).min(rest.len()).min(MAX_UNIT - pending.len());
                pending.extend(&rest[..take]);
                rest = &rest[take..];
            }
            Step::Hold => {
                if pending.len() + rest.len() > max_hold {
                    return drop_all(pending, rest);
                }
                pending.extend(rest);
                return 0;
            }
        }
    }
}

fn drop_all(pending: &mut Pending, rest: &[u8]) -> usize {
    pending.discard() + rest.len()
}

/// Result of looking for a message at the front of a header-framed stream.
// The big variant is returned once per message and moved straight into its event;
// boxing it would cost an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum HeaderStep {
    /// A whole message: its header and bytes used (header included). The payload is
    /// decoded by the caller (`decode_framed`), which may not want it.
    Message(Header, usize),
    NeedMore(usize),
    /// The header cannot be framed: the stream is out of sync.
    Desync(Malformed),
}

/// In-sync reading: the next bytes are a header.
pub fn next_message(buf: &[u8]) -> HeaderStep {
    let h = match parse_header(buf) {
        Ok(h) => h,
        Err(DecodeError::Incomplete { needed }) => return HeaderStep::NeedMore(needed.max(1)),
        Err(DecodeError::Malformed(m)) => return HeaderStep::Desync(m),
    };
    let len = match payload_len(&h) {
        Ok(len) => len,
        Err(m) => return HeaderStep::Desync(m),
    };
    let total = HEADER_SIZE + len;
    if buf.len() < total {
        return HeaderStep::NeedMore(total - buf.len());
    }
    HeaderStep::Message(h, total)
}

/// The payload of a message `next_message` framed from the front of `buf`.
pub fn decode_framed(h: &Header, buf: &[u8], total: usize) -> Result<Payload, Malformed> {
    decode_payload(h, buf.get(HEADER_SIZE..total).unwrap_or_default())
}

/// Result of looking for a header after a loss or in a capture started midway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resync {
    /// A header lines up at the front: reading can go on in sync.
    Aligned,
    /// These bytes cannot start a confirmed header: skip them.
    Skip(usize),
    /// The front might be a header; this many more bytes would tell.
    NeedMore(usize),
}

/// A plausible header at the front is accepted when the header after its message is
/// plausible too, or when the data ends exactly where its message ends.
pub fn resync(buf: &[u8], at_end: bool) -> Resync {
    let mut i = 0;
    while let Some(cand) = buf.get(i..).filter(|c| !c.is_empty()) {
        if cand[0] != MAGIC {
            i += 1;
            continue;
        }
        if cand.len() < HEADER_SIZE {
            return wait_or_skip(i, HEADER_SIZE - cand.len());
        }
        let len = if is_plausible_header(cand) {
            parse_header(cand).ok().and_then(|h| payload_len(&h).ok())
        } else {
            None
        };
        let Some(len) = len else {
            i += 1;
            continue;
        };
        // The candidate's message, then the header that would confirm it. `len` is at
        // most MAX_MESSAGE_SIZE (a plausible header), so these sums cannot overflow.
        let end = HEADER_SIZE + len;
        let confirmed_by = end + HEADER_SIZE;
        if cand.len() == end && at_end {
            return aligned_or_skip(i);
        }
        if let Some(next) = cand.get(end..confirmed_by) {
            if is_plausible_header(next) {
                return aligned_or_skip(i);
            }
            i += 1;
            continue;
        }
        return wait_or_skip(i, confirmed_by - cand.len());
    }
    Resync::Skip(buf.len())
}

fn wait_or_skip(i: usize, more: usize) -> Resync {
    if i > 0 {
        Resync::Skip(i)
    } else {
        Resync::NeedMore(more)
    }
}

fn aligned_or_skip(i: usize) -> Resync {
    if i > 0 {
        Resync::Skip(i)
    } else {
        Resync::Aligned
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes moved inside pending buffers by this thread (tests check skipping is linear).
    static MOVED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(test)]
fn count_moved(n: usize) {
    MOVED.with(|m| m.set(m.get() + n as u64));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step that reads fixed 4-byte units and records them.
    fn four_byte_units(seen: &mut Vec<Vec<u8>>) -> impl FnMut(&[u8], bool) -> Step + '_ {
        |buf, _| {
            if buf.len() < 4 {
                Step::NeedMore(4 - buf.len())
            } else {
                seen.push(buf[..4].to_vec());
                Step::Consumed(4)
            }
        }
    }

    #[test]
    fn run_reads_in_place_and_assembles_split_units() {
        let mut seen = Vec::new();
        let mut pending = Pending::default();
        {
            let mut step = four_byte_units(&mut seen);
            run(&mut pending, b"aaaabbbbcc", 100, &mut step);
            assert_eq!(pending.bytes(), b"cc");
            run(&mut pending, b"c", 100, &mut step);
            assert_eq!(pending.bytes(), b"ccc");
            // Completes "cccc", then reads "dddd" in place and keeps "e".
            run(&mut pending, b"cdddde", 100, &mut step);
        }
        assert_eq!(pending.bytes(), b"e");
        let expected: Vec<Vec<u8>> = vec![
            b"aaaa".into(),
            b"bbbb".into(),
            b"cccc".into(),
            b"dddd".into(),
        ];
        assert_eq!(seen, expected);
    }

    #[test]
    fn run_copies_only_what_a_split_unit_needs() {
        let mut pending = Pending::default();
        pending.extend(b"xy");
        let mut shown: Vec<usize> = Vec::new();
        run(&mut pending, b"zwrest", 100, &mut |buf: &[u8], _| {
            shown.push(buf.len());
            if buf.len() < 4 {
                Step::NeedMore(4 - buf.len())
            } else {
                Step::Consumed(4)
            }
        });
        // First the 2 pending bytes, then pending topped up to exactly 4, then the
        // remaining "rest" read from the chunk itself, then "" is never shown.
        assert_eq!(shown, vec![2, 4, 4]);
        assert!(pending.is_empty());
    }

    #[test]
    fn run_hold_is_bounded() {
        let mut pending = Pending::default();
        let dropped = run(&mut pending, b"12345", 8, &mut |_: &[u8], _| Step::Hold);
        assert_eq!(dropped, 0);
        assert_eq!(pending.bytes(), b"12345");
        let dropped = run(&mut pending, b"6789", 8, &mut |_: &[u8], _| Step::Hold);
        assert_eq!(dropped, 9);
        assert!(pending.is_empty());
    }

    /// Resynchronising inside a full buffer: every plausible header claims the largest
    /// payload (asc_pull_ack, ext 0xffff: 9 + 65535 bytes), so each candidate waits for
    /// 65,560 bytes and is then refused (the bytes after its message are not a header:
    /// the 9-byte period puts them mid-pattern). Each refusal skips 9 bytes of a ~64 KB
    /// buffer; the bytes moved to do so must stay proportional to the input, not to
    /// input x buffer.
    #[test]
    fn resync_skipping_is_linear_in_the_input() {
        let unit: [u8; 9] = [MAGIC, 0x43, 0x15, 0x15, 0x14, 0x0f, 0xff, 0xff, 0x00];
        assert!(crate::protocol::is_plausible_header(&unit));
        let input: Vec<u8> = unit.iter().copied().cycle().take(400_000).collect();
        let mut pending = Pending::default();
        let mut skipped = 0usize;
        // Never at the end of the data: a candidate whose message would end exactly at
        // a segment boundary is not taken.
        let mut step = |buf: &[u8], _| match resync(buf, false) {
            Resync::Aligned => panic!("no header lines up in this input"),
            Resync::Skip(n) => {
                skipped += n;
                Step::Consumed(n)
            }
            Resync::NeedMore(k) => Step::NeedMore(k),
        };
        MOVED.with(|m| m.set(0));
        for seg in input.chunks(1448) {
            assert_eq!(run(&mut pending, seg, 1 << 20, &mut step), 0);
        }
        let moved = MOVED.with(|m| m.get());
        // Everything but the last candidate's wait was skipped, 9 bytes at a time.
        assert_eq!(skipped % 9, 0);
        assert!(skipped > input.len() - MAX_UNIT, "skipped {skipped}");
        assert!(
            moved <= 2 * input.len() as u64,
            "{moved} bytes moved for {} bytes of input",
            input.len()
        );
    }
}
