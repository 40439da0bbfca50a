//! TCP connections: a conversation (messages and headerless stream items in order,
//! each from client or server) is laid out as two byte streams, cut into segments,
//! shaped (coalescing, arbitrary splits, retransmissions, overlaps, reordering, loss,
//! mid-stream capture start, sequence wrap), written, and its completion truth derived.

use std::io::{self, Write};

use super::emit::{Emitter, Flow};
use super::frames::{self, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN};
use super::messages::Msg;
use super::truth::{BlockTruth, StreamItemTruth, StreamTruth};

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// FIN from the client, FIN-ACK, ACK.
    Fin,
    /// RST from the server.
    Rst,
    /// Capture ends with the connection open.
    Open,
}

/// Segmentation and impairment knobs for one connection.
#[derive(Debug, Clone, Copy)]
pub struct TcpShaping {
    /// Largest payload per segment.
    pub max_segment: usize,
    /// Several consecutive messages of one direction share a segment.
    pub coalesce: bool,
    /// Segments are cut at arbitrary byte offsets (inside headers too).
    pub split_anywhere: bool,
    /// Probability of an exact duplicate after a segment.
    pub retransmit_rate: f64,
    /// Probability of an overlapping retransmission (half of one segment + half the next).
    pub overlap_rate: f64,
    /// Probability of swapping a segment with the next one of the same direction.
    pub reorder_rate: f64,
    /// Drop one data segment in the middle (a gap).
    pub lose_segment: bool,
    /// Capture starts mid-connection: no handshake, first segments missing.
    pub mid_stream: bool,
    /// Initial sequence numbers just below 2^32 so they wrap.
    pub wrap_seq: bool,
    pub close: Close,
}

impl TcpShaping {
    /// One message per segment, in order, FIN close.
    pub fn plain() -> Self {
        TcpShaping {
            max_segment: 1448,
            coalesce: false,
            split_anywhere: false,
            retransmit_rate: 0.0,
            overlap_rate: 0.0,
            reorder_rate: 0.0,
            lose_segment: false,
            mid_stream: false,
            wrap_seq: false,
            close: Close::Fin,
        }
    }

    /// Coalesced messages, cut at arbitrary points, some duplicates, overlaps and
    /// reordering (no loss: every message stays decodable).
    pub fn messy() -> Self {
        TcpShaping {
            max_segment: 700,
            coalesce: true,
            split_anywhere: true,
            retransmit_rate: 0.05,
            overlap_rate: 0.05,
            reorder_rate: 0.05,
            ..Self::plain()
        }
    }
}

/// What an item of a conversation is.
#[derive(Debug, Clone)]
pub enum ItemKind {
    Message(Box<Msg>),
    /// A headerless stream item answering (or following) the message at conversation
    /// index `request`.
    Stream {
        request: usize,
        request_type: u8,
        index: u64,
        kind: &'static str,
        block: Option<BlockTruth>,
    },
}

#[derive(Debug, Clone)]
pub struct Item {
    pub from_client: bool,
    pub bytes: Vec<u8>,
    pub kind: ItemKind,
}

/// Summary of one headerless stream in a conversation.
#[derive(Debug, Clone)]
pub struct StreamMeta {
    pub request: usize,
    pub request_type: u8,
    pub entries: u64,
    pub terminated: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub items: Vec<Item>,
    pub streams: Vec<StreamMeta>,
}

impl Conversation {
    /// Appends a message; returns its conversation index (for stream requests).
    pub fn msg(&mut self, from_client: bool, m: Msg) -> usize {
        self.items.push(Item {
            from_client,
            bytes: m.bytes.clone(),
            kind: ItemKind::Message(Box::new(m)),
        });
        self.items.len() - 1
    }

    /// Appends one stream item of the stream opened by `request`.
    #[allow(clippy::too_many_arguments)]
    pub fn stream_item(
        &mut self,
        from_client: bool,
        request: usize,
        request_type: u8,
        index: u64,
        kind: &'static str,
        bytes: Vec<u8>,
        block: Option<BlockTruth>,
    ) {
        self.items.push(Item {
            from_client,
            bytes,
            kind: ItemKind::Stream {
                request,
                request_type,
                index,
                kind,
                block,
            },
        });
    }
}

#[derive(Debug, Clone, Copy)]
struct Seg {
    client: bool,
    start: usize,
    end: usize,
}

/// Per-direction reassembly bookkeeping, mirroring what a correct decoder sees.
#[derive(Default)]
struct DirState {
    stream: Vec<u8>,
    /// Items of this direction: (conversation index, start, end), in stream order.
    items: Vec<(usize, usize, usize)>,
    cursor: usize,
    received: Vec<(usize, usize)>,
    contig: Option<usize>,
    base: usize,
    lost: Vec<(usize, usize)>,
    gap_passed: bool,
    sent_end: usize,
}

impl DirState {
    fn add(&mut self, s: usize, e: usize) {
        if self.contig.is_none() {
            self.contig = Some(s);
            self.base = s;
        }
        self.received.push((s, e));
        self.sent_end = self.sent_end.max(e);
        loop {
            let c = self.contig.unwrap_or(0);
            if let Some(&(_, e2)) = self.received.iter().find(|(s2, e2)| *s2 <= c && *e2 > c) {
                self.contig = Some(e2);
                continue;
            }
            // A known-lost range is skipped once data beyond it has arrived.
            if let Some(&(_, le)) = self.lost.iter().find(|(ls, le)| *ls <= c && *le > c) {
                if self.received.iter().any(|(s2, _)| *s2 >= le) {
                    self.contig = Some(le);
                    self.gap_passed = true;
                    continue;
                }
            }
            break;
        }
    }
}

/// Writes a whole connection and records its truth. `flow.a` is the client.
pub fn emit_connection<W: Write>(
    em: &mut Emitter<W>,
    flow: &Flow,
    conv: &Conversation,
    shaping: &TcpShaping,
) -> io::Result<()> {
    let mut dirs = [DirState::default(), DirState::default()];
    let d = |client: bool| if client { 0 } else { 1 };
    for (i, it) in conv.items.iter().enumerate() {
        let ds = &mut dirs[d(it.from_client)];
        let s = ds.stream.len();
        ds.stream.extend_from_slice(&it.bytes);
        ds.items.push((i, s, ds.stream.len()));
    }

    // Flights (runs of one direction) cut into segments.
    let mut segs: Vec<Seg> = Vec::new();
    let mut i = 0;
    let mut off = [0usize; 2];
    while i < conv.items.len() {
        let client = conv.items[i].from_client;
        let mut bounds = vec![off[d(client)]];
        while i < conv.items.len() && conv.items[i].from_client == client {
            off[d(client)] += conv.items[i].bytes.len();
            bounds.push(off[d(client)]);
            i += 1;
        }
        let (fs, fe) = (bounds[0], *bounds.last().unwrap_or(&bounds[0]));
        let mut cuts = vec![fs];
        if shaping.split_anywhere {
            let mut p = fs;
            while p < fe {
                p = (p + em.rng().range(1, shaping.max_segment as u64) as usize).min(fe);
                cuts.push(p);
            }
        } else {
            let mut last = fs;
            let mut k = 1;
            while k < bounds.len() {
                let mut end = bounds[k];
                if shaping.coalesce {
                    let n = em.rng().range(1, 4) as usize;
                    let mut j = k;
                    while j + 1 < bounds.len()
                        && j < k + n - 1
                        && bounds[j + 1] - last <= shaping.max_segment
                    {
                        j += 1;
                    }
                    end = bounds[j];
                    k = j;
                }
                // Messages longer than a segment are split at the MSS.
                while end - last > shaping.max_segment {
                    last += shaping.max_segment;
                    cuts.push(last);
                }
                cuts.push(end);
                last = end;
                k += 1;
            }
        }
        for w in cuts.windows(2) {
            if w[1] > w[0] {
                segs.push(Seg {
                    client,
                    start: w[0],
                    end: w[1],
                });
            }
        }
    }

    // Impairments.
    let mut shaped: Vec<Seg> = Vec::with_capacity(segs.len() + 8);
    let mut j = 0;
    while j < segs.len() {
        let s = segs[j];
        if j + 1 < segs.len()
            && segs[j + 1].client == s.client
            && em.rng().chance(shaping.reorder_rate)
        {
            shaped.push(segs[j + 1]);
            shaped.push(s);
            j += 2;
            continue;
        }
        shaped.push(s);
        if em.rng().chance(shaping.retransmit_rate) {
            shaped.push(s);
        }
        if j + 1 < segs.len()
            && segs[j + 1].client == s.client
            && em.rng().chance(shaping.overlap_rate)
        {
            let n = segs[j + 1];
            shaped.push(n);
            shaped.push(Seg {
                client: s.client,
                start: s.start + (s.end - s.start) / 2,
                end: n.start + (n.end - n.start).div_ceil(2),
            });
            j += 2;
            continue;
        }
        j += 1;
    }
    let mut lost_index = None;
    if shaping.lose_segment && shaped.len() > 6 {
        // A segment in the middle of the server's direction (or any), seen only once.
        let mid = shaped.len() / 2;
        let pick = (mid..shaped.len() - 2).find(|&k| {
            let s = shaped[k];
            shaped
                .iter()
                .filter(|o| o.client == s.client && o.start < s.end && o.end > s.start)
                .count()
                == 1
        });
        if let Some(k) = pick {
            let s = shaped[k];
            dirs[d(s.client)].lost.push((s.start, s.end));
            lost_index = Some(k);
        }
    }
    let skip_head = if shaping.mid_stream {
        3.min(shaped.len() / 3)
    } else {
        0
    };

    let (isn_c, isn_s) = if shaping.wrap_seq {
        (u32::MAX - 40, u32::MAX - 2000)
    } else {
        (em.rng().next_u32(), em.rng().next_u32())
    };
    let isn = [isn_c, isn_s];
    let (c, s) = (flow.a, flow.b);
    let ipv = flow.ipv();

    let control =
        |em: &mut Emitter<W>, client: bool, flags: u8, seq: u32, ack: u32| -> io::Result<()> {
            let (src, dst) = if client { (c, s) } else { (s, c) };
            let t = frames::tcp_segment(
                src.ip(),
                src.port(),
                dst.ip(),
                dst.port(),
                seq,
                ack,
                flags,
                &[],
            );
            let id = em.next_ip_id();
            let ip = frames::ip_packet(src.ip(), dst.ip(), 6, id, &t);
            em.frame(flow.link, &ip, ipv, client)?;
            em.truth.skipped.tcp_control += 1;
            Ok(())
        };

    if !shaping.mid_stream {
        control(em, true, TCP_SYN, isn_c, 0)?;
        control(em, false, TCP_SYN | TCP_ACK, isn_s, isn_c.wrapping_add(1))?;
        control(
            em,
            true,
            TCP_ACK,
            isn_c.wrapping_add(1),
            isn_s.wrapping_add(1),
        )?;
    }

    // Completed items in capture order: (conv index, frame, usec, after_gap).
    let mut done: Vec<(usize, u64, i64, bool)> = Vec::new();
    let mut lost_msgs = 0u64;
    for (k, sg) in shaped.iter().enumerate() {
        if k < skip_head || Some(k) == lost_index {
            continue;
        }
        let di = d(sg.client);
        let other = 1 - di;
        let seq = isn[di].wrapping_add(1).wrapping_add(sg.start as u32);
        let ack = isn[other]
            .wrapping_add(1)
            .wrapping_add(dirs[other].sent_end as u32);
        let (src, dst) = if sg.client { (c, s) } else { (s, c) };
        let payload = &dirs[di].stream[sg.start..sg.end];
        let t = frames::tcp_segment(
            src.ip(),
            src.port(),
            dst.ip(),
            dst.port(),
            seq,
            ack,
            TCP_PSH | TCP_ACK,
            payload,
        );
        let id = em.next_ip_id();
        let ip = frames::ip_packet(src.ip(), dst.ip(), 6, id, &t);
        let (rec, usec) = em.frame(flow.link, &ip, ipv, sg.client)?;
        let ds = &mut dirs[di];
        ds.add(sg.start, sg.end);
        let contig = ds.contig.unwrap_or(0);
        while ds.cursor < ds.items.len() && ds.items[ds.cursor].2 <= contig {
            let (ci, is, ie) = ds.items[ds.cursor];
            ds.cursor += 1;
            if is < ds.base {
                continue;
            }
            if ds.lost.iter().any(|(ls, le)| is < *le && ie > *ls) {
                if matches!(conv.items[ci].kind, ItemKind::Message(_)) {
                    lost_msgs += 1;
                }
                continue;
            }
            done.push((ci, rec, usec, ds.gap_passed || ds.base > 0));
        }
    }

    let end = [
        isn_c
            .wrapping_add(1)
            .wrapping_add(dirs[0].stream.len() as u32),
        isn_s
            .wrapping_add(1)
            .wrapping_add(dirs[1].stream.len() as u32),
    ];
    match shaping.close {
        Close::Fin => {
            control(em, true, TCP_FIN | TCP_ACK, end[0], end[1])?;
            control(em, false, TCP_FIN | TCP_ACK, end[1], end[0].wrapping_add(1))?;
            control(
                em,
                true,
                TCP_ACK,
                end[0].wrapping_add(1),
                end[1].wrapping_add(1),
            )?;
        }
        Close::Rst => control(em, false, TCP_RST | TCP_ACK, end[1], end[0])?,
        Close::Open => {}
    }

    // Truth, in completion order.
    let mut ids = vec![0u64; conv.items.len()];
    // Whether each side's handshake query (its cookie) was captured: a response can only
    // be checked against a cookie the capture holds.
    let mut cookie_captured = [false, false];
    for (ci, rec, usec, gap) in done {
        let it = &conv.items[ci];
        let (src, dst) = if it.from_client { (c, s) } else { (s, c) };
        match &it.kind {
            ItemKind::Message(m) => {
                let mut t = m.truth.clone();
                let side = d(it.from_client);
                let is_response = t.msg_type == 0x0a && t.extensions & 0x0002 != 0;
                if is_response && !cookie_captured[1 - side] {
                    t.signature_valid = None;
                }
                if m.cookie.is_some() {
                    cookie_captured[side] = true;
                }
                Emitter::<W>::place(&mut t, rec, usec, "tcp", src, dst);
                t.after_gap = gap;
                ids[ci] = em.truth.push_message(t);
            }
            ItemKind::Stream {
                request,
                request_type,
                index,
                kind,
                block,
            } => {
                if em.truth.messages_kept {
                    em.truth.stream_items.push(StreamItemTruth {
                        frame: rec,
                        request_id: ids[*request],
                        request_type: *request_type,
                        index: *index,
                        kind: kind.to_string(),
                        block: block.clone(),
                    });
                }
            }
        }
    }
    if em.truth.messages_kept {
        for st in &conv.streams {
            em.truth.streams.push(StreamTruth {
                request_id: ids[st.request],
                request_type: st.request_type,
                entries: st.entries,
                terminated: st.terminated,
            });
        }
    }
    em.truth.lost_messages += lost_msgs;
    em.truth.tcp_connections += 1;
    Ok(())
}
