//! Typed tables for the message families that are not blocks or votes:
//! keepalive peers, handshakes, telemetry, confirm_req pairs.

use crate::capture::{Event, MessageEvent};
use crate::present::per_message::MessageTable;
use crate::present::table::Col;
use crate::present::values::*;
use crate::protocol::MessageType;
use crate::protocol::{ConfirmReq, Hash, Keepalive, List, NodeIdHandshake, Payload, TelemetryAck};
use std::net::{IpAddr, Ipv6Addr};

/// The message of an event, if it decoded cleanly.
pub fn message_payload(ev: &Event) -> Option<(&MessageEvent, &Payload)> {
    match ev {
        Event::Message(m) => m.payload.as_ref().ok().map(|p| (m, p)),
        _ => None,
    }
}

/// The address a peer slot holds, IPv4-mapped ones as IPv4.
pub fn endpoint_ip(addr: &[u8; 16]) -> IpAddr {
    let v6 = Ipv6Addr::from(*addr);
    v6.to_ipv4_mapped().map_or(v6.into(), Into::into)
}

columns!(K {
    Slot => ("slot", "INTEGER"),
    Address => ("address", "TEXT"),
    Ip => ("ip", "TEXT"),
    Port => ("port", "INTEGER"),
    Empty => ("empty", "INTEGER"),
});

/// `nano_keepalive_peers(path)`: the 8 peer slots of every keepalive.
pub struct KeepalivePeers;

impl MessageTable for KeepalivePeers {
    const NAME: &'static str = "nano_keepalive_peers";
    const TYPE: MessageType = MessageType::Keepalive;
    type Item = Keepalive;

    fn columns() -> &'static [Col] {
        with_meta!(K::COLS)
    }

    fn pick(p: &Payload) -> Option<&Keepalive> {
        match p {
            Payload::Keepalive(k) => Some(k),
            _ => None,
        }
    }

    fn count(k: &Keepalive) -> usize {
        k.peers.len()
    }

    fn value<'e>(_m: &'e MessageEvent, k: &'e Keepalive, row: usize, col: usize) -> Value<'e> {
        let Some(peer) = k.peers.get(row) else {
            return Value::Null;
        };
        match K::ALL[col] {
            K::Slot => int(row as i64),
            K::Address => ip(Ipv6Addr::from(peer.addr).into()),
            K::Ip => ip(endpoint_ip(&peer.addr)),
            K::Port => int(peer.port),
            K::Empty => bool_int(peer.addr == [0; 16] && peer.port == 0),
        }
    }
}

columns!(HS {
    Extensions => ("extensions", "INTEGER"),
    V2 => ("v2", "INTEGER"),
    Query => ("query", "INTEGER"),
    Cookie => ("cookie", "TEXT"),
    Response => ("response", "INTEGER"),
    NodeId => ("node_id", "TEXT"),
    NodeIdAccount => ("node_id_account", "TEXT"),
    Salt => ("salt", "TEXT"),
    Genesis => ("genesis", "TEXT"),
    Signature => ("signature", "TEXT"),
    PeerCookie => ("peer_cookie", "TEXT"),
    SignatureValid => ("signature_valid", "INTEGER"),
});

/// `nano_handshakes(path)`: node_id_handshake messages, query and response parts.
pub struct Handshakes;

impl MessageTable for Handshakes {
    const NAME: &'static str = "nano_handshakes";
    const TYPE: MessageType = MessageType::NodeIdHandshake;
    type Item = NodeIdHandshake;

    fn columns() -> &'static [Col] {
        with_meta!(HS::COLS)
    }

    fn pick(p: &Payload) -> Option<&NodeIdHandshake> {
        match p {
            Payload::NodeIdHandshake(h) => Some(h),
            _ => None,
        }
    }

    fn value<'e>(
        m: &'e MessageEvent,
        hs: &'e NodeIdHandshake,
        _row: usize,
        col: usize,
    ) -> Value<'e> {
        let r = hs.response.as_ref();
        match HS::ALL[col] {
            HS::Extensions => int(m.header.extensions),
            HS::V2 => bool_int(hs.v2),
            HS::Query => bool_int(hs.query.is_some()),
            HS::Cookie => opt_hex(hs.query.as_ref().map(|c| &c[..])),
            HS::Response => bool_int(r.is_some()),
            HS::NodeId => opt_hex(r.map(|r| &r.node_id[..])),
            HS::NodeIdAccount => r.map_or(Value::Null, |r| node_id(&r.node_id)),
            HS::Salt => opt_hex(r.and_then(|r| r.v2.as_ref()).map(|(s, _)| &s[..])),
            HS::Genesis => opt_hex(r.and_then(|r| r.v2.as_ref()).map(|(_, g)| &g[..])),
            HS::Signature => opt_hex(r.map(|r| &r.signature[..])),
            HS::PeerCookie => opt_hex(m.peer_cookie.as_ref().map(|c| &c[..])),
            // NULL when there is no response, or the cookie it signs was not captured.
            HS::SignatureValid => match (r, m.peer_cookie.as_ref()) {
                (Some(r), Some(c)) => bool_int(r.verify(c)),
                _ => Value::Null,
            },
        }
    }
}

columns!(T {
    Empty => ("empty", "INTEGER"),
    NodeId => ("node_id", "TEXT"),
    NodeIdAccount => ("node_id_account", "TEXT"),
    Signature => ("signature", "TEXT"),
    SignatureValid => ("signature_valid", "INTEGER"),
    BlockCount => ("block_count", "INTEGER"),
    CementedCount => ("cemented_count", "INTEGER"),
    UncheckedCount => ("unchecked_count", "INTEGER"),
    AccountCount => ("account_count", "INTEGER"),
    BandwidthCap => ("bandwidth_cap", "INTEGER"),
    PeerCount => ("peer_count", "INTEGER"),
    ProtocolVersion => ("protocol_version", "INTEGER"),
    Uptime => ("uptime", "INTEGER"),
    GenesisBlock => ("genesis_block", "TEXT"),
    MajorVersion => ("major_version", "INTEGER"),
    MinorVersion => ("minor_version", "INTEGER"),
    PatchVersion => ("patch_version", "INTEGER"),
    PreReleaseVersion => ("pre_release_version", "INTEGER"),
    Maker => ("maker", "INTEGER"),
    TimestampMs => ("timestamp_ms", "INTEGER"),
    Timestamp => ("timestamp", "TEXT"),
    ActiveDifficulty => ("active_difficulty", "TEXT"),
    UnknownData => ("unknown_data", "TEXT"),
});

/// `nano_telemetry(path)`: telemetry_ack contents (one row per ack, empty acks too).
pub struct Telemetry;

impl MessageTable for Telemetry {
    const NAME: &'static str = "nano_telemetry";
    const TYPE: MessageType = MessageType::TelemetryAck;
    type Item = TelemetryAck;

    fn columns() -> &'static [Col] {
        with_meta!(T::COLS)
    }

    fn pick(p: &Payload) -> Option<&TelemetryAck> {
        match p {
            Payload::TelemetryAck(t) => Some(t),
            _ => None,
        }
    }

    fn value<'e>(_m: &'e MessageEvent, t: &'e TelemetryAck, _row: usize, col: usize) -> Value<'e> {
        let c = T::ALL[col];
        let Some(d) = &t.data else {
            return if c == T::Empty {
                bool_int(true)
            } else {
                Value::Null
            };
        };
        match c {
            T::Empty => bool_int(false),
            T::NodeId => hex(&d.node_id),
            T::NodeIdAccount => node_id(&d.node_id),
            T::Signature => hex(&d.signature),
            T::SignatureValid => bool_int(d.verify()),
            T::BlockCount => u64_value(d.block_count),
            T::CementedCount => u64_value(d.cemented_count),
            T::UncheckedCount => u64_value(d.unchecked_count),
            T::AccountCount => u64_value(d.account_count),
            T::BandwidthCap => u64_value(d.bandwidth_cap),
            T::PeerCount => int(d.peer_count),
            T::ProtocolVersion => int(d.protocol_version),
            T::Uptime => u64_value(d.uptime),
            T::GenesisBlock => hex(&d.genesis_block),
            T::MajorVersion => int(d.major_version),
            T::MinorVersion => int(d.minor_version),
            T::PatchVersion => int(d.patch_version),
            T::PreReleaseVersion => int(d.pre_release_version),
            T::Maker => int(d.maker),
            T::TimestampMs => u64_value(d.timestamp),
            T::Timestamp => time_ms_text(d.timestamp),
            T::ActiveDifficulty => hex_u64(d.active_difficulty),
            T::UnknownData => hex(&d.unknown_data),
        }
    }
}

columns!(P {
    PairIndex => ("pair_index", "INTEGER"),
    Hash => ("hash", "TEXT"),
    Root => ("root", "TEXT"),
});

/// `nano_confirm_req_pairs(path)`: the (hash, root) pairs of by-hash confirm_reqs.
pub struct ConfirmReqPairs;

impl MessageTable for ConfirmReqPairs {
    const NAME: &'static str = "nano_confirm_req_pairs";
    const TYPE: MessageType = MessageType::ConfirmReq;
    type Item = List<(Hash, Hash)>;

    fn columns() -> &'static [Col] {
        with_meta!(P::COLS)
    }

    fn pick(p: &Payload) -> Option<&List<(Hash, Hash)>> {
        match p {
            Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. }) => Some(pairs),
            _ => None,
        }
    }

    fn count(pairs: &List<(Hash, Hash)>) -> usize {
        pairs.len()
    }

    fn value<'e>(
        _m: &'e MessageEvent,
        pairs: &'e List<(Hash, Hash)>,
        row: usize,
        col: usize,
    ) -> Value<'e> {
        let Some((hash, root)) = pairs.get(row) else {
            return Value::Null;
        };
        match P::ALL[col] {
            P::PairIndex => int(row as i64 + 1),
            P::Hash => hex(hash),
            P::Root => hex(root),
        }
    }
}
