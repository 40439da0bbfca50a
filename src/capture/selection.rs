//! Which messages a scan wants (filters a query pushed down): the others are framed
//! and numbered as usual, but their payloads are not decoded and they yield no event.
//!
//! Skipping a message must never change another message's event. So the payloads the
//! pipeline itself depends on are always decoded and their messages always emitted:
//! handshakes (cookies and node ids pair a response with the other side's query),
//! keepalives (peer ports classify connections) and the bootstrap requests (they open
//! the headerless streams). Framing uses only the header, and ids are taken before the
//! decision, so every emitted message keeps its id, frame and payload.
//!
//! A scan that reads no column a payload feeds (`SELECT count(*)`, a histogram of
//! `msg_name` over time) asks for headers only: its messages are emitted with
//! `NOT_DECODED` in place of their payload, except those the pipeline reads itself,
//! which stay decoded.

use super::{PacketMeta, Transport};
use crate::protocol::{Header, Malformed, MessageType, Payload};

/// The payload of a message emitted for a headers-only scan (`MessageFilter::headers_only`).
/// Nothing the scan reads shows it; should it ever be shown, it says what happened.
pub const NOT_DECODED: &str = "not_decoded";

/// What the pipeline does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Numbered and framed, no event.
    Skip,
    /// An event whose payload is `not_decoded()`.
    Header,
    /// An event with its payload decoded.
    Payload,
}

/// The stand-in payload of a headers-only scan's messages (no allocation).
pub fn not_decoded() -> Result<Payload, Malformed> {
    Err(Malformed {
        code: NOT_DECODED,
        detail: String::new(),
    })
}

/// Inclusive bounds on a message's id, frame and capture time, allowed types and
/// transport. `ALL` wants everything (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFilter {
    /// Bit `t` set: message type code `t` is wanted.
    types: [u64; 4],
    transport: Option<Transport>,
    pub ids: (u64, u64),
    pub frames: (u64, u64),
    pub times: (i64, i64),
    /// Are the payloads of wanted messages read? (`headers_only`)
    payloads: bool,
}

impl Default for MessageFilter {
    fn default() -> Self {
        Self::ALL
    }
}

/// Types whose payloads the pipeline reads for other messages' sake: keepalives (ports),
/// handshakes (cookies, node ids) and the bootstrap requests (the streams they call for).
fn pipeline_needs(msg_type: u8) -> bool {
    use MessageType as T;
    MessageType::from_u8(msg_type)
        .is_some_and(|t| matches!(t, T::Keepalive | T::NodeIdHandshake) || t.is_bootstrap_request())
}

impl MessageFilter {
    pub const ALL: MessageFilter = MessageFilter {
        types: [u64::MAX; 4],
        transport: None,
        ids: (0, u64::MAX),
        frames: (0, u64::MAX),
        times: (i64::MIN, i64::MAX),
        payloads: true,
    };

    /// The scan reads no payload: its messages come with `not_decoded()` (those the
    /// pipeline reads itself excepted).
    pub fn headers_only(&mut self) {
        self.payloads = false;
    }

    /// Keeps only type `code` among the allowed ones.
    pub fn only_type(&mut self, code: u8) {
        let mut only = [0u64; 4];
        only[usize::from(code / 64)] = 1 << (code % 64);
        for (t, o) in self.types.iter_mut().zip(only) {
            *t &= o;
        }
    }

    /// Keeps only the types in `codes` among the allowed ones.
    pub fn only_types(&mut self, codes: &[u8]) {
        let mut only = [0u64; 4];
        for &code in codes {
            only[usize::from(code / 64)] |= 1 << (code % 64);
        }
        for (t, o) in self.types.iter_mut().zip(only) {
            *t &= o;
        }
    }

    /// Allows no type at all (e.g. `msg_name = 'no such name'`).
    pub fn no_type(&mut self) {
        self.types = [0; 4];
    }

    /// Keeps only `transport`; two different ones leave nothing.
    pub fn only_transport(&mut self, transport: Transport) {
        match self.transport {
            Some(t) if t != transport => self.no_type(),
            _ => self.transport = Some(transport),
        }
    }

    fn type_allowed(&self, code: u8) -> bool {
        self.types[usize::from(code / 64)] & (1 << (code % 64)) != 0
    }

    /// Does message `id` (header `h`, placed at `meta`) match every bound?
    pub fn matches(&self, id: u64, meta: &PacketMeta, h: &Header) -> bool {
        self.type_allowed(h.msg_type)
            && self.transport.is_none_or(|t| t == meta.transport)
            && (self.ids.0..=self.ids.1).contains(&id)
            && (self.frames.0..=self.frames.1).contains(&meta.frame)
            && (self.times.0..=self.times.1).contains(&meta.time_usec)
    }

    /// Should the pipeline decode and emit this message? Those it depends on always.
    pub fn wants(&self, id: u64, meta: &PacketMeta, h: &Header) -> Wanted {
        if *self == Self::ALL || pipeline_needs(h.msg_type) {
            Wanted::Payload
        } else if !self.matches(id, meta, h) {
            Wanted::Skip
        } else if self.payloads {
            Wanted::Payload
        } else {
            Wanted::Header
        }
    }

    /// Does every message match? (Payloads may still be left undecoded.)
    pub fn is_all(&self) -> bool {
        Self {
            payloads: true,
            ..*self
        } == Self::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn meta(frame: u64, transport: Transport) -> PacketMeta {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        PacketMeta {
            frame,
            time_usec: 1_000 + frame as i64,
            transport,
            ipv: 4,
            src_ip: ip,
            src_port: 7075,
            dst_ip: ip,
            dst_port: 7075,
            flow_key: 1,
        }
    }

    fn header(msg_type: u8) -> Header {
        crate::protocol::parse_header(&[b'R', b'C', 21, 21, 18, msg_type, 0, 0]).unwrap()
    }

    #[test]
    fn all_wants_everything() {
        let f = MessageFilter::ALL;
        assert!(f.is_all());
        assert_eq!(
            f.wants(1, &meta(1, Transport::Udp), &header(0x05)),
            Wanted::Payload
        );
        assert!(f.matches(u64::MAX, &meta(u64::MAX, Transport::Tcp), &header(0xff)));
    }

    #[test]
    fn bounds_and_types_combine() {
        let mut f = MessageFilter::ALL;
        f.only_type(0x05);
        f.ids = (10, 20);
        f.only_transport(Transport::Tcp);
        let m = meta(5, Transport::Tcp);
        assert!(f.matches(10, &m, &header(0x05)));
        assert!(!f.matches(9, &m, &header(0x05)));
        assert!(!f.matches(21, &m, &header(0x05)));
        assert!(!f.matches(15, &m, &header(0x03)));
        assert!(!f.matches(15, &meta(5, Transport::Udp), &header(0x05)));
        f.only_type(0x03);
        assert!(!f.matches(15, &m, &header(0x05)), "two types: none left");
    }

    #[test]
    fn what_the_pipeline_reads_is_always_wanted() {
        let mut f = MessageFilter::ALL;
        f.no_type();
        let m = meta(1, Transport::Tcp);
        for t in [0x02, 0x06, 0x07, 0x08, 0x0a, 0x0b] {
            assert_eq!(f.wants(1, &m, &header(t)), Wanted::Payload, "type {t:#x}");
            assert!(!f.matches(1, &m, &header(t)));
        }
        for t in [0x03, 0x04, 0x05, 0x0d, 0x0f, 0x10] {
            assert_eq!(f.wants(1, &m, &header(t)), Wanted::Skip, "type {t:#x}");
        }
    }

    #[test]
    fn headers_only_leaves_payloads_but_those_the_pipeline_reads() {
        let mut f = MessageFilter::ALL;
        f.headers_only();
        assert!(f.is_all(), "every message still yields its rows");
        let m = meta(1, Transport::Tcp);
        for t in [0x03, 0x04, 0x05, 0x0d, 0x0f, 0x10] {
            assert_eq!(f.wants(1, &m, &header(t)), Wanted::Header, "type {t:#x}");
        }
        for t in [0x02, 0x06, 0x07, 0x08, 0x0a, 0x0b] {
            assert_eq!(f.wants(1, &m, &header(t)), Wanted::Payload, "type {t:#x}");
        }
        f.ids = (5, 9);
        assert_eq!(f.wants(1, &m, &header(0x05)), Wanted::Skip);
        assert_eq!(f.wants(5, &m, &header(0x05)), Wanted::Header);
    }

    #[test]
    fn conflicting_transports_leave_nothing() {
        let mut f = MessageFilter::ALL;
        f.only_transport(Transport::Udp);
        f.only_transport(Transport::Tcp);
        assert!(!f.matches(1, &meta(1, Transport::Udp), &header(0x05)));
        assert!(!f.matches(1, &meta(1, Transport::Tcp), &header(0x05)));
    }
}
