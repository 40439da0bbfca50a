//! `nano_blocks(path)`: every block, wherever it was carried.

use crate::capture::selection::MessageFilter;
use crate::capture::{Event, PacketMeta, StreamRequest};
use crate::present::table::{Col, MessageColumns, ScanState, TableDef};
use crate::present::values::*;
use crate::protocol::{
    block_type_name, AscPullAckBody, Block, ConfirmReq, MessageType, Payload, StreamEntry,
};

columns!(C {
    Context => ("context", "TEXT"),
    RequestId => ("request_id", "INTEGER"),
    ItemIndex => ("item_index", "INTEGER"),
    BlockType => ("block_type", "INTEGER"),
    TypeName => ("type_name", "TEXT"),
    Hash => ("hash", "TEXT"),
    Account => ("account", "TEXT"),
    Previous => ("previous", "TEXT"),
    Representative => ("representative", "TEXT"),
    Balance => ("balance", "TEXT"),
    Link => ("link", "TEXT"),
    LinkAsAccount => ("link_as_account", "TEXT"),
    Source => ("source", "TEXT"),
    Destination => ("destination", "TEXT"),
    Signature => ("signature", "TEXT"),
    SignatureValid => ("signature_valid", "INTEGER"),
    Work => ("work", "TEXT"),
    WorkValid => ("work_valid", "INTEGER"),
    Originator => ("originator", "INTEGER"),
});

/// One block row: the block and where it came from.
pub struct BlockRow<'a> {
    pub block: &'a Block,
    pub context: &'static str,
    pub packet_id: Option<u64>,
    pub meta: &'a PacketMeta,
    pub network: u16,
    pub request_id: Option<u64>,
    /// 1-based position in a list or stream, NULL for a lone block.
    pub index: Option<u64>,
    pub originator: Option<bool>,
}

/// Blocks an event carries, in order.
pub fn block_count(ev: &Event) -> usize {
    match ev {
        Event::Message(m) => match &m.payload {
            Ok(Payload::Publish(_)) | Ok(Payload::ConfirmReq(ConfirmReq::Block(_))) => 1,
            Ok(Payload::ConfirmAck(a)) => usize::from(a.vote.block.is_some()),
            Ok(Payload::AscPullAck(a)) => match &a.body {
                AscPullAckBody::Blocks(b) => b.len(),
                _ => 0,
            },
            _ => 0,
        },
        Event::StreamItem(s) => usize::from(matches!(s.entry, Ok(StreamEntry::Block(_)))),
        _ => 0,
    }
}

pub fn block_at(ev: &Event, row: usize) -> Option<BlockRow<'_>> {
    match ev {
        Event::Message(m) => {
            let lone = |block, context, originator| BlockRow {
                block,
                context,
                packet_id: Some(m.id),
                meta: &m.meta,
                network: m.header.network,
                request_id: None,
                index: None,
                originator,
            };
            match &m.payload {
                Ok(Payload::Publish(p)) => Some(lone(&p.block, "publish", Some(p.originator))),
                Ok(Payload::ConfirmReq(ConfirmReq::Block(b))) => Some(lone(b, "confirm_req", None)),
                Ok(Payload::ConfirmAck(a)) => {
                    a.vote.block.as_ref().map(|b| lone(b, "confirm_ack", None))
                }
                Ok(Payload::AscPullAck(a)) => match &a.body {
                    AscPullAckBody::Blocks(bs) => bs.get(row).map(|b| BlockRow {
                        index: Some(row as u64 + 1),
                        ..lone(b, "asc_pull_ack", None)
                    }),
                    _ => None,
                },
                _ => None,
            }
        }
        Event::StreamItem(s) => match &s.entry {
            Ok(StreamEntry::Block(b)) => Some(BlockRow {
                block: b,
                context: match s.request_type {
                    StreamRequest::BulkPush => "bulk_push",
                    StreamRequest::BulkPullBlocks => "bulk_pull_blocks",
                    _ => "bulk_pull",
                },
                packet_id: Some(s.request_id),
                meta: &s.meta,
                network: s.network,
                request_id: Some(s.request_id),
                index: Some(s.index),
                originator: None,
            }),
            _ => None,
        },
        _ => None,
    }
}

pub struct Blocks;

impl TableDef for Blocks {
    const NAME: &'static str = "nano_blocks";

    /// Bootstrap stream blocks need only their requests, which are always decoded.
    fn payload_types(filter: &mut MessageFilter) {
        use MessageType as T;
        filter.only_types(
            &[T::Publish, T::ConfirmReq, T::ConfirmAck, T::AscPullAck].map(|t| t as u8),
        );
    }

    fn columns() -> &'static [Col] {
        with_meta!(C::COLS)
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        block_count(ev)
    }

    /// Blocks of a message are placed where the message is; blocks of a bootstrap
    /// stream carry their request's id as `packet_id`, so they arrive after higher
    /// message ids (no early end of the scan), and skipping messages the filter rules
    /// out never touches them (the requests that open streams are always decoded).
    fn message_columns() -> MessageColumns {
        MessageColumns::META
    }

    fn column<'e>(ev: &'e Event, row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        let Some(r) = block_at(ev, row) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(r.packet_id, r.meta, col);
        }
        let b = r.block;
        match C::ALL[col - META_COLUMNS] {
            C::Context => text(r.context),
            C::RequestId => r.request_id.map_or(Value::Null, u64_value),
            C::ItemIndex => r.index.map_or(Value::Null, u64_value),
            C::BlockType => int(b.block_type() as u8),
            C::TypeName => block_type_name(b.block_type() as u8).map_or(Value::Null, text),
            C::Hash => hex(&b.hash()),
            C::Account => b.account().map_or(Value::Null, |a| account(&a)),
            C::Previous => match b {
                Block::Send(x) => hex(&x.previous),
                Block::Receive(x) => hex(&x.previous),
                Block::Change(x) => hex(&x.previous),
                Block::State(x) => hex(&x.previous),
                Block::Open(_) => Value::Null,
            },
            C::Representative => match b {
                Block::Open(x) => account(&x.representative),
                Block::Change(x) => account(&x.representative),
                Block::State(x) => account(&x.representative),
                _ => Value::Null,
            },
            C::Balance => match b {
                Block::Send(x) => amount(x.balance),
                Block::State(x) => amount(x.balance),
                _ => Value::Null,
            },
            C::Link => match b {
                Block::State(x) => hex(&x.link),
                _ => Value::Null,
            },
            C::LinkAsAccount => match b {
                Block::State(x) => account(&x.link),
                _ => Value::Null,
            },
            C::Source => match b {
                Block::Receive(x) => hex(&x.source),
                Block::Open(x) => hex(&x.source),
                _ => Value::Null,
            },
            C::Destination => match b {
                Block::Send(x) => account(&x.destination),
                _ => Value::Null,
            },
            C::Signature => hex(b.signature()),
            C::SignatureValid => opt_bool(b.verify_signature()),
            C::Work => hex_u64(b.work()),
            C::WorkValid => bool_int(b.work_valid(r.network)),
            C::Originator => opt_bool(r.originator),
        }
    }
}
