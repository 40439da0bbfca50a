//! What the two byte streams of one connection say: realtime or bootstrap, which side
//! is the client, headered messages, headerless bootstrap streams matched to their
//! requests, handshake cookies and node ids (docs/protocol.md section 6.5).

use super::bootstrap::{stream_for, ActiveStream, Answer, Request};
use super::classify::{self, Mode};
use super::emit::{ConnInfo, Ctx};
use super::framer::{self, HeaderStep, Pending, Resync, Step};
use super::handshake::{self, HandshakeSide};
use super::reassembly::Piece;
use crate::capture::selection::{not_decoded, Wanted};
use crate::capture::{AnomalyKind, ConnectionEventKind, Event, MessageEvent, StreamRequest};
use crate::protocol::header;
use crate::protocol::{decode_stream_entry, DecodeError, Header, Payload, StreamEntry};
use crate::protocol::{StreamKind, HEADER_SIZE};
use std::collections::VecDeque;

/// Requests waiting for their server stream; legacy clients send one at a time, so a
/// long queue means garbage, not traffic.
const MAX_QUEUED_REQUESTS: usize = 64;

/// How one direction is being read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reader {
    /// Header + payload messages. Not `synced`: looking for a header (resync).
    Headers { synced: bool },
    /// A headerless stream, item by item.
    Stream(ActiveStream),
    /// Nothing to read yet (bootstrap server with no request to answer, or a server
    /// whose connection is not classified yet): keep the bytes.
    Waiting,
    /// A headerless stream was lost: drop bytes until the next client request.
    Desynced,
}

#[derive(Debug)]
struct DirState {
    reader: Reader,
    /// Bytes of a unit split across segments (or held while waiting).
    buf: Pending,
    /// Bytes skipped looking for a header, not reported yet.
    skipped: u64,
    /// Headerless bytes dropped while desynced, not reported yet.
    discarded: u64,
    hs: HandshakeSide,
    ended: bool,
}

impl DirState {
    fn new(reader: Reader) -> Self {
        DirState {
            reader,
            buf: Pending::default(),
            skipped: 0,
            discarded: 0,
            hs: HandshakeSide::default(),
            ended: false,
        }
    }
}

/// Framing state of one connection. Direction `d` is the side `d` sending.
#[derive(Debug)]
pub struct Session {
    mode: Mode,
    client: Option<usize>,
    /// The connection start was captured: the first bytes of each side are a unit start.
    start_seen: bool,
    dirs: [DirState; 2],
    requests: VecDeque<Request>,
    max_hold: usize,
    /// A direction whose held bytes may now be readable.
    pump: [bool; 2],
}

impl Session {
    /// `client` if known (SYN, ports); `start_seen` when the SYN was captured.
    pub fn new(client: Option<usize>, start_seen: bool, max_hold: usize) -> Self {
        let reader_for = |d: usize| match client {
            // Until the client's first message says what this is, a server whose
            // start we saw may only be answering it: wait for that message.
            Some(c) if c != d && start_seen => Reader::Waiting,
            _ => Reader::Headers { synced: start_seen },
        };
        Session {
            mode: Mode::Undecided,
            client,
            start_seen,
            dirs: [DirState::new(reader_for(0)), DirState::new(reader_for(1))],
            requests: VecDeque::new(),
            max_hold,
            pump: [false; 2],
        }
    }

    pub fn client(&self) -> Option<usize> {
        self.client
    }

    /// The client is known and talks to a Nano port.
    pub fn to_nano_port(&self, ctx: &Ctx<'_>) -> bool {
        self.client
            .is_some_and(|c| ctx.listening.is_nano(ctx.ends[1 - c].1))
    }

    /// Side `d` is reading headers from a known message start and the bytes it holds
    /// begin like a Nano header (an unfinished message, cut off by a loss or the end).
    fn holds_cut_header(&self, d: usize) -> bool {
        let dir = &self.dirs[d];
        dir.reader == Reader::Headers { synced: true }
            && header::starts_like_header(dir.buf.bytes())
    }

    /// Bytes buffered by the framer of each direction, and requests queued.
    #[cfg(test)]
    pub fn buffered(&self) -> ([usize; 2], usize) {
        (
            [self.dirs[0].buf.len(), self.dirs[1].buf.len()],
            self.requests.len(),
        )
    }

    /// Memory held by the framers of both directions.
    pub fn footprint(&self) -> usize {
        self.footprint_of(0) + self.footprint_of(1)
    }

    /// Memory held by the framer of direction `d`.
    pub fn footprint_of(&self, d: usize) -> usize {
        self.dirs[d].buf.footprint()
    }

    /// Drops the bytes side `d`'s framer holds (memory budget), reading on as after a
    /// loss; frees the buffer even when empty. Returns the bytes dropped.
    pub fn drop_unframed(&mut self, d: usize, why: &str, ctx: &mut Ctx<'_>) -> usize {
        let n = self.dirs[d].buf.len();
        if n == 0 {
            self.dirs[d].buf.discard();
        } else {
            // `lose` counts the bytes as skipped or discarded and ends what they belonged to.
            self.lose(d, why, ctx);
        }
        n
    }

    /// Node ids proved by side `d` and by the other side.
    pub fn node_ids(&self, d: usize) -> [Option<[u8; 32]>; 2] {
        [self.dirs[d].hs.node_id, self.dirs[1 - d].hs.node_id]
    }

    /// What the reassembly of side `d` delivered: bytes or a gap.
    pub fn piece(&mut self, d: usize, piece: Piece<'_>, ctx: &mut Ctx<'_>) {
        match piece {
            Piece::Data(bytes) => self.data(d, bytes, ctx),
            Piece::Gap(n) => self.gap(d, n, ctx),
        }
    }

    /// The next in-order bytes sent by side `d`.
    fn data(&mut self, d: usize, bytes: &[u8], ctx: &mut Ctx<'_>) {
        self.feed(d, bytes, ctx);
        // A message of one side can make the other side's held bytes readable (the
        // request a server stream answers, the classification of the connection).
        for _ in 0..4 {
            let mut any = false;
            for o in 0..2 {
                if std::mem::take(&mut self.pump[o]) {
                    any = true;
                    self.feed(o, &[], ctx);
                }
            }
            if !any {
                break;
            }
        }
    }

    fn feed(&mut self, d: usize, bytes: &[u8], ctx: &mut Ctx<'_>) {
        if self.dirs[d].ended {
            return;
        }
        let mut buf = std::mem::take(&mut self.dirs[d].buf);
        let max_hold = self.max_hold;
        let dropped = framer::run(&mut buf, bytes, max_hold, &mut |b: &[u8], at_end| {
            self.step(d, b, at_end, ctx)
        });
        self.dirs[d].buf = buf;
        if dropped > 0 {
            ctx.anomaly(
                d,
                AnomalyKind::TcpOverflow,
                format!("{dropped} bytes dropped: more than {max_hold} bytes could not be read"),
            );
            self.lose(d, "bytes dropped", ctx);
        }
    }

    fn step(&mut self, d: usize, buf: &[u8], at_end: bool, ctx: &mut Ctx<'_>) -> Step {
        match &self.dirs[d].reader {
            Reader::Headers { synced: true } => self.header_step(d, buf, ctx),
            Reader::Headers { synced: false } => match framer::resync(buf, at_end) {
                Resync::Aligned => {
                    self.dirs[d].reader = Reader::Headers { synced: true };
                    self.flush_skipped(d, ctx);
                    Step::Consumed(0)
                }
                Resync::Skip(n) => {
                    self.dirs[d].skipped += n as u64;
                    Step::Consumed(n)
                }
                Resync::NeedMore(k) => Step::NeedMore(k),
            },
            Reader::Stream(_) => self.stream_step(d, buf, ctx),
            Reader::Waiting => {
                if self.mode == Mode::Bootstrap && self.client != Some(d) {
                    if let Some(req) = self.requests.pop_front() {
                        self.dirs[d].reader = Reader::Stream(ActiveStream::for_request(&req));
                        return Step::Consumed(0);
                    }
                }
                Step::Hold
            }
            Reader::Desynced => {
                self.dirs[d].discarded += buf.len() as u64;
                Step::Consumed(buf.len())
            }
        }
    }

    fn header_step(&mut self, d: usize, buf: &[u8], ctx: &mut Ctx<'_>) -> Step {
        match framer::next_message(buf) {
            HeaderStep::NeedMore(k) => Step::NeedMore(k),
            HeaderStep::Desync(m) => {
                ctx.anomaly(
                    d,
                    AnomalyKind::TcpDesync,
                    format!("cannot frame a message: {m}"),
                );
                self.dirs[d].reader = Reader::Headers { synced: false };
                self.dirs[d].skipped += 1;
                Step::Consumed(1)
            }
            HeaderStep::Message(h, n) => {
                self.on_message(d, h, buf, n, ctx);
                Step::Consumed(n)
            }
        }
    }

    fn on_message(&mut self, d: usize, header: Header, buf: &[u8], n: usize, ctx: &mut Ctx<'_>) {
        let id = ctx.take_id();
        if self.mode == Mode::Undecided {
            self.classify(d, header.msg_type, ctx);
        }
        // A message the scan does not want is numbered and framed, not decoded; what
        // the session reads from payloads is always wanted (`capture::selection`).
        let wanted = ctx.report.decode.wants(id, &ctx.meta(d), &header);
        let mut answer = Answer::Nothing;
        if wanted == Wanted::Skip {
            // Still a Nano message: the connection's held events go out as they would.
            ctx.confirm_nano(d);
        } else {
            // The event is built whole, its payload decoded into it, and read from there:
            // a payload decoded apart and then moved in cost one more copy of a few
            // hundred bytes per message.
            let mut message = MessageEvent {
                id,
                meta: ctx.meta(d),
                header,
                size: n.saturating_sub(HEADER_SIZE),
                payload: match wanted {
                    Wanted::Payload => framer::decode_framed(&header, buf, n),
                    _ => not_decoded(),
                },
                peer_cookie: None,
            };
            if let Ok(p) = &message.payload {
                match p {
                    Payload::NodeIdHandshake(hs) => {
                        let (me, other) = pair_mut(&mut self.dirs, d);
                        message.peer_cookie =
                            handshake::on_handshake(hs, &mut me.hs, &other.hs, ctx.report.node_ids);
                    }
                    Payload::Keepalive(k) => {
                        for peer in &k.peers {
                            ctx.listening.learn_nano(peer.port);
                        }
                    }
                    _ => {}
                }
                if self.mode == Mode::Bootstrap && self.client == Some(d) {
                    answer = stream_for(p);
                }
            }
            ctx.push_nano(Event::Message(message));
        }
        if ctx.report.per_message_events {
            let info = ConnInfo {
                message_id: Some(id),
                node_ids: self.node_ids(d),
                ..ConnInfo::default()
            };
            // The framer frames only headers of a known type.
            if let Some(t) = header.message_type() {
                ctx.connection(d, ConnectionEventKind::Message(t), info);
            }
        }
        match answer {
            Answer::ClientStream => {
                let push = StreamRequest::BulkPush;
                let s = ActiveStream::new(id, push, header.network, StreamKind::Blocks, 0);
                self.dirs[d].reader = Reader::Stream(s);
            }
            Answer::ServerStream {
                request,
                first,
                pending_flags,
            } => {
                self.queue_request(
                    d,
                    Request {
                        id,
                        request,
                        network: header.network,
                        first,
                        pending_flags,
                    },
                    ctx,
                );
            }
            Answer::Nothing => {}
        }
    }

    /// The first message framed decides the mode, as in the node.
    fn classify(&mut self, d: usize, msg_type: u8, ctx: &mut Ctx<'_>) {
        let other = 1 - d;
        if self.client == Some(other) {
            // The server spoke first in headers: only a realtime server does that.
            self.mode = Mode::Realtime;
        } else {
            self.mode = classify::mode_for_first_message(msg_type);
            if self.mode == Mode::Bootstrap {
                self.client = Some(d);
            }
        }
        match self.mode {
            Mode::Realtime => {
                if self.dirs[other].reader == Reader::Waiting {
                    self.dirs[other].reader = Reader::Headers {
                        synced: self.start_seen,
                    };
                    self.pump[other] = true;
                }
            }
            Mode::Bootstrap => {
                if self.client == Some(d) && self.dirs[other].reader != Reader::Waiting {
                    // Bytes the server side sent before this request, read so far as
                    // headers, answer nothing we know of.
                    let lost = self.dirs[other].buf.discard();
                    self.dirs[other].skipped += lost as u64;
                    self.flush_skipped(other, ctx);
                    self.dirs[other].reader = Reader::Waiting;
                }
            }
            Mode::Undecided => {}
        }
    }

    fn queue_request(&mut self, client: usize, req: Request, ctx: &mut Ctx<'_>) {
        let server = 1 - client;
        if self.dirs[server].ended {
            self.end_unanswered(
                server,
                req,
                "no terminator: server side already closed",
                ctx,
            );
            return;
        }
        if self.requests.len() >= MAX_QUEUED_REQUESTS {
            ctx.anomaly(
                client,
                AnomalyKind::TcpOverflow,
                format!("more than {MAX_QUEUED_REQUESTS} bootstrap requests unanswered"),
            );
            self.end_unanswered(server, req, "not tracked: too many requests pending", ctx);
            return;
        }
        self.requests.push_back(req);
        if self.dirs[server].reader == Reader::Desynced {
            // A new request: the server's next byte starts its answer.
            self.flush_discarded(server, ctx);
            self.dirs[server].reader = Reader::Waiting;
        }
        self.pump[server] = true;
    }

    fn stream_step(&mut self, d: usize, buf: &[u8], ctx: &mut Ctx<'_>) -> Step {
        let Reader::Stream(s) = &mut self.dirs[d].reader else {
            return Step::Hold;
        };
        match decode_stream_entry(s.kind, buf) {
            Err(DecodeError::Incomplete { needed }) => Step::NeedMore(needed.max(1)),
            Ok((StreamEntry::End, n)) => {
                // The terminator is an item too (its frame tells when the stream ended);
                // "valid" counts the entries before it.
                s.index += 1;
                let item = s.item(ctx.meta(d), Ok(StreamEntry::End));
                let detail = s.end_detail(None);
                let (event, request_id) = (s.end_event(), s.request_id);
                ctx.push_nano(Event::StreamItem(item));
                self.end_event(d, event, detail, request_id, ctx);
                self.dirs[d].reader = self.reader_after_stream(d, true);
                Step::Consumed(n)
            }
            Ok((entry, n)) => {
                s.index += 1;
                s.valid += 1;
                let item = s.item(ctx.meta(d), Ok(entry));
                s.after_item();
                ctx.push_nano(Event::StreamItem(item));
                Step::Consumed(n)
            }
            Err(DecodeError::Malformed(m)) => {
                s.index += 1;
                s.invalid += 1;
                let detail = s.end_detail(Some("stopped at a malformed entry"));
                let (event, request_id) = (s.end_event(), s.request_id);
                ctx.anomaly(
                    d,
                    AnomalyKind::StreamDesync,
                    format!(
                        "{event}: item {} malformed ({m}); stream abandoned",
                        s.index
                    ),
                );
                ctx.push_nano(Event::StreamItem(s.item(ctx.meta(d), Err(m))));
                self.end_event(d, event, detail, request_id, ctx);
                self.dirs[d].reader = self.reader_after_stream(d, false);
                Step::Consumed(0)
            }
        }
    }

    /// After a stream: the client's bulk_push stream returns to headers; a server goes
    /// idle (`clean`) or drops bytes until the next request (desync).
    fn reader_after_stream(&self, d: usize, clean: bool) -> Reader {
        if self.client == Some(d) {
            Reader::Headers { synced: clean }
        } else if clean {
            Reader::Waiting
        } else {
            Reader::Desynced
        }
    }

    fn end_event(
        &mut self,
        d: usize,
        event: ConnectionEventKind,
        detail: String,
        request_id: u64,
        ctx: &mut Ctx<'_>,
    ) {
        let info = ConnInfo {
            detail: Some(detail),
            message_id: Some(request_id),
            node_ids: self.node_ids(d),
            ..ConnInfo::default()
        };
        ctx.connection(d, event, info);
    }

    fn end_unanswered(&mut self, server: usize, req: Request, note: &str, ctx: &mut Ctx<'_>) {
        let detail = format!("valid: 0, invalid: 0; {note}");
        let event = ConnectionEventKind::EndOfStream(req.request);
        self.end_event(server, event, detail, req.id, ctx);
    }

    /// Side `d` lost data (a gap): whatever was buffered or being read is unusable.
    /// A loss in a connection that carried nothing whole yet is still reported when
    /// what it holds starts like a Nano message or it talks to a Nano port: bytes of a
    /// Nano connection were lost, whether or not anything else of it is ever read.
    fn gap(&mut self, d: usize, lost: u64, ctx: &mut Ctx<'_>) {
        if self.holds_cut_header(d) || self.to_nano_port(ctx) {
            ctx.confirm_nano(d);
        }
        let info = ConnInfo {
            detail: Some(format!("{lost} bytes lost")),
            node_ids: self.node_ids(d),
            ..ConnInfo::default()
        };
        ctx.connection(d, ConnectionEventKind::Gap, info);
        ctx.anomaly(
            d,
            AnomalyKind::TcpGap,
            format!("{lost} bytes never captured; skipped"),
        );
        if !self.dirs[d].ended {
            self.lose(d, &format!("{lost} bytes lost"), ctx);
        }
    }

    fn lose(&mut self, d: usize, why: &str, ctx: &mut Ctx<'_>) {
        let held = self.dirs[d].buf.discard() as u64;
        let reader = std::mem::replace(&mut self.dirs[d].reader, Reader::Desynced);
        let bootstrap_server = self.mode == Mode::Bootstrap && self.client != Some(d);
        self.dirs[d].reader = match reader {
            Reader::Headers { .. } => {
                self.dirs[d].skipped += held;
                Reader::Headers { synced: false }
            }
            Reader::Stream(s) => {
                let detail = s.end_detail(Some(&format!("stopped: {why}")));
                self.end_event(d, s.end_event(), detail, s.request_id, ctx);
                if self.client == Some(d) {
                    self.dirs[d].skipped += held;
                    Reader::Headers { synced: false }
                } else {
                    self.dirs[d].discarded += held;
                    self.end_queued(d, &format!("stopped: {why}"), ctx);
                    Reader::Desynced
                }
            }
            Reader::Waiting if bootstrap_server => {
                self.dirs[d].discarded += held;
                self.end_queued(d, &format!("stopped: {why}"), ctx);
                Reader::Desynced
            }
            Reader::Waiting => {
                // Not classified yet: read this side like a capture started midway.
                self.dirs[d].skipped += held;
                Reader::Headers { synced: false }
            }
            Reader::Desynced => {
                self.dirs[d].discarded += held;
                Reader::Desynced
            }
        };
    }

    /// Ends the unanswered requests of server side `d`.
    fn end_queued(&mut self, d: usize, note: &str, ctx: &mut Ctx<'_>) {
        while let Some(req) = self.requests.pop_front() {
            self.end_unanswered(d, req, note, ctx);
        }
    }

    /// Side `d` will send nothing more (`why`: "closed", "reset", "capture ended",
    /// "evicted"): report unfinished messages and streams.
    pub fn end_direction(&mut self, d: usize, why: &str, ctx: &mut Ctx<'_>) {
        if self.dirs[d].ended {
            return;
        }
        let cut_header = self.holds_cut_header(d);
        self.dirs[d].ended = true;
        let held = self.dirs[d].buf.discard();
        let reader = std::mem::replace(&mut self.dirs[d].reader, Reader::Desynced);
        match reader {
            Reader::Headers { synced } => {
                if synced && held > 0 {
                    if cut_header {
                        // A connection whose only data is a cut-off message is still a
                        // Nano connection: its events and this loss are reported.
                        ctx.confirm_nano(d);
                    }
                    ctx.anomaly(
                        d,
                        AnomalyKind::TcpTruncated,
                        format!("{held} bytes of an unfinished message: {why}"),
                    );
                } else {
                    self.dirs[d].skipped += held as u64;
                }
            }
            Reader::Stream(s) => {
                let note = if held > 0 {
                    format!("no terminator ({held} bytes of an unfinished item): {why}")
                } else {
                    format!("no terminator: {why}")
                };
                let detail = s.end_detail(Some(&note));
                self.end_event(d, s.end_event(), detail, s.request_id, ctx);
            }
            Reader::Waiting => {
                if held > 0 {
                    ctx.anomaly(
                        d,
                        AnomalyKind::TcpUnframed,
                        format!("{held} bytes never matched to a request: {why}"),
                    );
                }
            }
            Reader::Desynced => self.dirs[d].discarded += held as u64,
        }
        self.flush_skipped(d, ctx);
        self.flush_discarded(d, ctx);
        if self.mode == Mode::Bootstrap && self.client != Some(d) {
            self.end_queued(d, &format!("no terminator: {why}"), ctx);
        }
    }

    fn flush_skipped(&mut self, d: usize, ctx: &mut Ctx<'_>) {
        let n = std::mem::take(&mut self.dirs[d].skipped);
        if n > 0 {
            ctx.anomaly(
                d,
                AnomalyKind::Resync,
                format!("{n} bytes skipped to the next plausible header"),
            );
        }
    }

    fn flush_discarded(&mut self, d: usize, ctx: &mut Ctx<'_>) {
        let n = std::mem::take(&mut self.dirs[d].discarded);
        if n > 0 {
            ctx.anomaly(
                d,
                AnomalyKind::StreamDesync,
                format!("{n} bytes of a lost headerless stream skipped"),
            );
        }
    }
}

fn pair_mut(dirs: &mut [DirState; 2], d: usize) -> (&mut DirState, &mut DirState) {
    let (a, b) = dirs.split_at_mut(1);
    if d == 0 {
        (&mut a[0], &mut b[0])
    } else {
        (&mut b[0], &mut a[0])
    }
}
