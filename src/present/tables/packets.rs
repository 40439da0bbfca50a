//! `nano_packets(path)`: one row per Nano message, header fields and decode status.

use crate::capture::{Event, MessageEvent};
use crate::present::json::payload_json;
use crate::present::table::{Col, MessageColumns, ScanState, TableDef};
use crate::present::values::*;
use crate::protocol::{msg_name, ConfirmReq, Header, MessageType, Payload};

columns!(C {
    Id => ("id", "INTEGER"),
    Frame => ("frame", "INTEGER"),
    Time => ("time", "TEXT"),
    TimeUsec => ("time_usec", "INTEGER"),
    Transport => ("transport", "TEXT"),
    Ipv => ("ipv", "INTEGER"),
    SrcIp => ("srcip", "TEXT"),
    SrcPort => ("srcport", "INTEGER"),
    DstIp => ("dstip", "TEXT"),
    DstPort => ("dstport", "INTEGER"),
    FlowKey => ("flow_key", "INTEGER"),
    Network => ("network", "TEXT"),
    VersionMax => ("version_max", "INTEGER"),
    VersionUsing => ("version_using", "INTEGER"),
    VersionMin => ("version_min", "INTEGER"),
    MsgType => ("msg_type", "INTEGER"),
    MsgName => ("msg_name", "TEXT"),
    Extensions => ("extensions", "INTEGER"),
    BlockType => ("block_type", "INTEGER"),
    ItemCount => ("item_count", "INTEGER"),
    Size => ("size", "INTEGER"),
    Error => ("error", "TEXT"),
    Details => ("details", "TEXT"),
});

pub struct Packets;

/// Header block type, for the messages whose header carries one.
pub fn header_block_type(h: &Header) -> Option<u8> {
    h.message_type()
        .is_some_and(MessageType::has_block_type)
        .then(|| h.block_type())
}

/// Number of hashes, pairs, blocks or entries the message carries, where that is a
/// meaningful count (confirm_req pairs, confirm_ack hashes; asc_pull_ack item counts are
/// in `nano_asc_pull`). For a
/// malformed confirm_* by hash, the count its header claims.
pub fn item_count(m: &MessageEvent) -> Option<i64> {
    let n = match &m.payload {
        Ok(Payload::ConfirmReq(ConfirmReq::ByHash { pairs, .. })) => pairs.len(),
        // Legacy block forms carry a block, not a list: no count.
        Ok(Payload::ConfirmReq(ConfirmReq::Block(_))) => return None,
        Ok(Payload::ConfirmAck(ack)) if ack.vote.block.is_some() => return None,
        Ok(Payload::ConfirmAck(ack)) => ack.vote.hashes.len(),
        Err(_)
            if m.header.message_type().is_some_and(MessageType::is_confirm)
                && header_block_type(&m.header).is_some_and(|t| !(2..=6).contains(&t)) =>
        {
            m.header.item_count()? as usize
        }
        _ => return None,
    };
    Some(n as i64)
}

/// The network's name, or the hex of its byte when it is none the node knows.
pub fn network_name(h: &Header) -> Value<'static> {
    match h.network_name() {
        Some(n) => text(n),
        None => hex(&[(h.network & 0xff) as u8]),
    }
}

impl TableDef for Packets {
    const NAME: &'static str = "nano_packets";

    fn columns() -> &'static [Col] {
        C::COLS
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        usize::from(matches!(ev, Event::Message(_)))
    }

    fn message_columns() -> MessageColumns {
        let at = |c: C| C::ALL.iter().position(|&x| x == c);
        MessageColumns {
            id: at(C::Id),
            only_messages: true,
            frame: at(C::Frame),
            time_usec: at(C::TimeUsec),
            transport: at(C::Transport),
            msg_type: at(C::MsgType),
            msg_name: at(C::MsgName),
        }
    }

    /// One row per message whatever its payload, and only these three columns look
    /// at it: `SELECT count(*)` or a `GROUP BY msg_name` decodes no payload.
    fn headers_suffice(mut cols: impl Iterator<Item = usize>) -> bool {
        cols.all(|c| !matches!(C::ALL[c], C::ItemCount | C::Error | C::Details))
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        let Event::Message(m) = ev else {
            return Value::Null;
        };
        let h = &m.header;
        let meta = &m.meta;
        match C::ALL[col] {
            C::Id => u64_value(m.id),
            C::Frame => place(meta, Place::Frame),
            C::Time => place(meta, Place::Time),
            C::TimeUsec => place(meta, Place::TimeUsec),
            C::Transport => text(transport_name(meta.transport)),
            C::Ipv => int(meta.ipv),
            C::SrcIp => place(meta, Place::SrcIp),
            C::SrcPort => place(meta, Place::SrcPort),
            C::DstIp => place(meta, Place::DstIp),
            C::DstPort => place(meta, Place::DstPort),
            C::FlowKey => place(meta, Place::FlowKey),
            C::Network => network_name(h),
            C::VersionMax => int(h.version_max),
            C::VersionUsing => int(h.version_using),
            C::VersionMin => int(h.version_min),
            C::MsgType => int(h.msg_type),
            C::MsgName => msg_name(h.msg_type).map_or(Value::Null, text),
            C::Extensions => int(h.extensions),
            C::BlockType => header_block_type(h).map_or(Value::Null, int),
            C::ItemCount => item_count(m).map_or(Value::Null, Value::Integer),
            C::Size => u64_value(m.size as u64),
            C::Error => match &m.payload {
                Ok(_) => Value::Null,
                Err(e) => text(e.to_string()),
            },
            C::Details => match &m.payload {
                Ok(p) => text(payload_json(h, p)),
                Err(_) => Value::Null,
            },
        }
    }
}
