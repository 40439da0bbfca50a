//! `nano_asc_pull(path)`: ascending-bootstrap requests and acks, one row each;
//! `nano_asc_pull_frontiers(path)`: the entries of frontiers acks. Blocks of
//! blocks-acks are in `nano_blocks` (context `asc_pull_ack`).

use super::messages::message_payload;
use crate::capture::selection::MessageFilter;
use crate::capture::{Event, MessageEvent};
use crate::present::per_message::MessageTable;
use crate::present::table::{Col, ScanState, TableDef};
use crate::present::values::*;
use crate::protocol::MessageType;
use crate::protocol::{AscPullAck, AscPullAckBody, AscPullReqBody, Hash, Payload, PublicKey};

columns!(A {
    Kind => ("kind", "TEXT"),
    RequestId => ("request_id", "TEXT"),
    PullType => ("pull_type", "INTEGER"),
    PullTypeName => ("pull_type_name", "TEXT"),
    Start => ("start", "TEXT"),
    StartType => ("start_type", "INTEGER"),
    Count => ("count", "INTEGER"),
    Target => ("target", "TEXT"),
    TargetType => ("target_type", "INTEGER"),
    Blocks => ("blocks", "INTEGER"),
    Entries => ("entries", "INTEGER"),
    Account => ("account", "TEXT"),
    OpenBlock => ("open_block", "TEXT"),
    HeadBlock => ("head_block", "TEXT"),
    AccountBlockCount => ("account_block_count", "INTEGER"),
    ConfFrontier => ("conf_frontier", "TEXT"),
    ConfHeight => ("conf_height", "INTEGER"),
});

enum Item<'a> {
    Req(&'a MessageEvent, &'a crate::protocol::AscPullReq),
    Ack(&'a MessageEvent, &'a crate::protocol::AscPullAck),
}

fn item(ev: &Event) -> Option<Item<'_>> {
    match message_payload(ev)? {
        (m, Payload::AscPullReq(r)) => Some(Item::Req(m, r)),
        (m, Payload::AscPullAck(a)) => Some(Item::Ack(m, a)),
        _ => None,
    }
}

fn type_name(t: u8) -> &'static str {
    match t {
        1 => "blocks",
        2 => "account_info",
        3 => "frontiers",
        _ => "unknown",
    }
}

pub struct AscPull;

impl TableDef for AscPull {
    const NAME: &'static str = "nano_asc_pull";

    fn payload_types(filter: &mut MessageFilter) {
        filter.only_types(&[MessageType::AscPullReq as u8, MessageType::AscPullAck as u8]);
    }

    fn columns() -> &'static [Col] {
        with_meta!(A::COLS)
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        usize::from(item(ev).is_some())
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        let Some(it) = item(ev) else {
            return Value::Null;
        };
        let (m, id, pull_type) = match &it {
            Item::Req(m, r) => (
                *m,
                r.id,
                match r.body {
                    AscPullReqBody::Blocks { .. } => 1,
                    AscPullReqBody::AccountInfo { .. } => 2,
                    AscPullReqBody::Frontiers { .. } => 3,
                },
            ),
            Item::Ack(m, a) => (
                *m,
                a.id,
                match a.body {
                    AscPullAckBody::Blocks(_) => 1,
                    AscPullAckBody::AccountInfo(_) => 2,
                    AscPullAckBody::Frontiers(_) => 3,
                },
            ),
        };
        if col < META_COLUMNS {
            return meta_value(Some(m.id), &m.meta, col);
        }
        let c = A::ALL[col - META_COLUMNS];
        match c {
            A::Kind => {
                return text(if matches!(it, Item::Req(..)) {
                    "req"
                } else {
                    "ack"
                })
            }
            // Hex text: the id is a u64 chosen at random, often above i64::MAX.
            A::RequestId => return hex(&id.to_be_bytes()),
            A::PullType => return int(pull_type),
            A::PullTypeName => return text(type_name(pull_type)),
            _ => {}
        }
        match it {
            Item::Req(_, r) => match (&r.body, c) {
                (AscPullReqBody::Blocks { start, .. }, A::Start) => hex(start),
                (AscPullReqBody::Blocks { start_type, .. }, A::StartType) => int(*start_type),
                (AscPullReqBody::Blocks { count, .. }, A::Count) => int(*count),
                (AscPullReqBody::AccountInfo { target, .. }, A::Target) => hex(target),
                (AscPullReqBody::AccountInfo { target_type, .. }, A::TargetType) => {
                    int(*target_type)
                }
                (AscPullReqBody::Frontiers { start, .. }, A::Start) => hex(start),
                (AscPullReqBody::Frontiers { count, .. }, A::Count) => int(*count),
                _ => Value::Null,
            },
            Item::Ack(_, a) => match (&a.body, c) {
                (AscPullAckBody::Blocks(b), A::Blocks) => int(b.len() as i64),
                (AscPullAckBody::Frontiers(f), A::Entries) => int(f.len() as i64),
                (AscPullAckBody::AccountInfo(i), A::Account) => account(&i.account),
                (AscPullAckBody::AccountInfo(i), A::OpenBlock) => hex(&i.open),
                (AscPullAckBody::AccountInfo(i), A::HeadBlock) => hex(&i.head),
                (AscPullAckBody::AccountInfo(i), A::AccountBlockCount) => u64_value(i.block_count),
                (AscPullAckBody::AccountInfo(i), A::ConfFrontier) => hex(&i.conf_frontier),
                (AscPullAckBody::AccountInfo(i), A::ConfHeight) => u64_value(i.conf_height),
                _ => Value::Null,
            },
        }
    }
}

columns!(F {
    RequestId => ("request_id", "TEXT"),
    EntryIndex => ("entry_index", "INTEGER"),
    Account => ("account", "TEXT"),
    Hash => ("hash", "TEXT"),
});

pub struct AscPullFrontiers;

fn frontiers(a: &AscPullAck) -> &[(PublicKey, Hash)] {
    match &a.body {
        AscPullAckBody::Frontiers(f) => f,
        _ => &[],
    }
}

impl MessageTable for AscPullFrontiers {
    const NAME: &'static str = "nano_asc_pull_frontiers";
    const TYPE: MessageType = MessageType::AscPullAck;
    type Item = AscPullAck;

    fn columns() -> &'static [Col] {
        with_meta!(F::COLS)
    }

    fn pick(p: &Payload) -> Option<&AscPullAck> {
        match p {
            Payload::AscPullAck(a) => Some(a),
            _ => None,
        }
    }

    fn count(a: &AscPullAck) -> usize {
        frontiers(a).len()
    }

    fn value<'e>(_m: &'e MessageEvent, a: &'e AscPullAck, row: usize, col: usize) -> Value<'e> {
        let Some((acct, hash)) = frontiers(a).get(row) else {
            return Value::Null;
        };
        match F::ALL[col] {
            F::RequestId => hex(&a.id.to_be_bytes()),
            F::EntryIndex => int(row as i64 + 1),
            F::Account => account(acct),
            F::Hash => hex(hash),
        }
    }
}
