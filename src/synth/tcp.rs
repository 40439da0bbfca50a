//! TCP connections: a conversation (messages and headerless stream items in order,
//! each from client or server) is laid out as two byte streams, cut into segments,
//! shaped (coalescing, arbitrary splits, retransmissions, overlaps, reordering, loss,
//! mid-stream capture start, sequence wrap), written, and its completion truth derived.

use std::io::{self, Write};

use super::emit::{Emitter, Flow};
use super::frames::{self, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN};
use super::messages::Msg;
use super::tcp_sim::{ConnSim, DirSim, SegView};
use super::truth::{BlockTruth, StreamItemTruth, StreamTruth};

/// The reorder window of the decoder's default limits (README, TCP): segments of a
/// connection during which an acknowledged hole is still waited for. The truth of a
/// shaped connection depends on it when a segment is lost.
pub const DECODER_REORDER_WINDOW: u64 = 128;

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
    /// Probability that the capture records a segment late, after up to
    /// `capture_delay` later segments of the connection (either direction) though the
    /// receiver got it in order: its acknowledgement can be captured before it.
    pub capture_reorder_rate: f64,
    /// Most segments a late-captured segment is recorded after (at least 1).
    pub capture_delay: usize,
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
            capture_reorder_rate: 0.0,
            capture_delay: 1,
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

impl TcpShaping {
    /// Messy, and the capture records 15 % of the segments late (after up to 6 later
    /// segments of the connection, acknowledgements of them included), as multi-queue
    /// NICs and merged captures do. Nothing is lost.
    pub fn reordered() -> Self {
        TcpShaping {
            capture_reorder_rate: 0.15,
            capture_delay: 6,
            ..Self::messy()
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

/// Writes a whole connection and records its truth. `flow.a` is the client.
pub fn emit_connection<W: Write>(
    em: &mut Emitter<W>,
    flow: &Flow,
    conv: &Conversation,
    shaping: &TcpShaping,
) -> io::Result<()> {
    let mut dirs = [DirSim::default(), DirSim::default()];
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
        lost_index = pick;
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

    // What each segment acknowledges: the end of the other direction's data sent before
    // it (the capture missed the lost segment, the receiver did not: the next segment
    // of its direction covers it).
    let mut sent = [0usize; 2];
    let mut wire: Vec<(Seg, usize)> = Vec::with_capacity(shaped.len());
    for (k, sg) in shaped.iter().enumerate() {
        if k < skip_head || Some(k) == lost_index {
            continue;
        }
        let di = d(sg.client);
        wire.push((*sg, sent[1 - di]));
        sent[di] = sent[di].max(sg.end);
    }
    let captured = capture_order(em, wire, shaping);

    let is_message: Vec<bool> = conv
        .items
        .iter()
        .map(|it| matches!(it.kind, ItemKind::Message(_)))
        .collect();
    // With the connection's start captured, the server's items wait for the client's
    // first message (a stream item for its request).
    let first_client = conv.items.iter().position(|it| it.from_client);
    let gate: Vec<Option<usize>> = conv
        .items
        .iter()
        .map(|it| match &it.kind {
            _ if it.from_client => None,
            ItemKind::Stream { request, .. } => Some(*request),
            ItemKind::Message(_) if shaping.mid_stream => None,
            ItemKind::Message(_) => first_client,
        })
        .collect();
    let mut sim = ConnSim::new(dirs, DECODER_REORDER_WINDOW, is_message, gate);
    let control =
        |em: &mut Emitter<W>, sim: &mut ConnSim, v: SegView, flags: u8| -> io::Result<()> {
            let di = d(v.client);
            let seq = isn[di]
                .wrapping_add(u32::from(!v.syn))
                .wrapping_add(v.end as u32);
            let ack = v
                .ack
                .map_or(0, |a| isn[1 - di].wrapping_add(1).wrapping_add(a as u32));
            let (src, dst) = if v.client { (c, s) } else { (s, c) };
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
            let (rec, usec) = em.frame(flow.link, &ip, ipv, v.client)?;
            em.truth.skipped.tcp_control += 1;
            sim.segment(v, rec, usec);
            Ok(())
        };
    let view = |client: bool, at: usize, ack: Option<usize>| SegView {
        client,
        ack,
        start: at,
        end: at,
        ..SegView::default()
    };

    if !shaping.mid_stream {
        let syn = SegView {
            syn: true,
            ..view(true, 0, None)
        };
        control(em, &mut sim, syn, TCP_SYN)?;
        let syn_ack = SegView {
            syn: true,
            ..view(false, 0, Some(0))
        };
        control(em, &mut sim, syn_ack, TCP_SYN | TCP_ACK)?;
        control(em, &mut sim, view(true, 0, Some(0)), TCP_ACK)?;
    }

    for (sg, acked) in captured {
        let di = d(sg.client);
        let seq = isn[di].wrapping_add(1).wrapping_add(sg.start as u32);
        let ack = isn[1 - di].wrapping_add(1).wrapping_add(acked as u32);
        let (src, dst) = if sg.client { (c, s) } else { (s, c) };
        let payload = &sim.dirs[di].stream[sg.start..sg.end];
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
        let v = SegView {
            client: sg.client,
            ack: Some(acked),
            start: sg.start,
            end: sg.end,
            ..SegView::default()
        };
        sim.segment(v, rec, usec);
    }

    let end = [sim.dirs[0].stream.len(), sim.dirs[1].stream.len()];
    match shaping.close {
        Close::Fin => {
            let fin = |client: bool, ack: usize| SegView {
                fin: true,
                ..view(client, end[d(client)], Some(ack))
            };
            control(em, &mut sim, fin(true, end[1]), TCP_FIN | TCP_ACK)?;
            control(em, &mut sim, fin(false, end[0] + 1), TCP_FIN | TCP_ACK)?;
            // The last ACK's sequence number is one past the client's FIN.
            control(
                em,
                &mut sim,
                view(true, end[0] + 1, Some(end[1] + 1)),
                TCP_ACK,
            )?;
        }
        Close::Rst => {
            let rst = SegView {
                rst: true,
                ..view(false, end[1], Some(end[0]))
            };
            control(em, &mut sim, rst, TCP_RST | TCP_ACK)?;
        }
        Close::Open => {}
    }
    let done = std::mem::take(&mut sim.done);
    let lost_msgs = sim.lost_messages;

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

/// The order the capture records the segments in: the wire order, except that a
/// segment is recorded late (after up to `capture_delay` later ones) with probability
/// `capture_reorder_rate`. Draws nothing when the rate is 0, so that other shapings
/// make the same bytes as before this knob existed.
fn capture_order<W: Write>(
    em: &mut Emitter<W>,
    wire: Vec<(Seg, usize)>,
    shaping: &TcpShaping,
) -> Vec<(Seg, usize)> {
    if shaping.capture_reorder_rate <= 0.0 {
        return wire;
    }
    let max = shaping.capture_delay.max(1) as u64;
    // Position * 2, plus 2 * delay + 1 for a late one: it lands just after the segment
    // `delay` places on (a stable sort keeps the others in order).
    let mut keyed: Vec<(u64, (Seg, usize))> = wire
        .into_iter()
        .enumerate()
        .map(|(i, x)| {
            let late = em.rng().chance(shaping.capture_reorder_rate);
            let delay = if late {
                2 * em.rng().range(1, max) + 1
            } else {
                0
            };
            (2 * i as u64 + delay, x)
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, x)| x).collect()
}
