//! Legacy bootstrap requests: `nano_frontier_requests`, `nano_bulk_pull_requests`,
//! `nano_bulk_pull_account_requests`, and the headerless responses to them:
//! `nano_frontier_responses`, `nano_bulk_pull_account_responses` (bulk_pull and
//! bulk_push blocks are in `nano_blocks`).

use crate::capture::selection::MessageFilter;
use crate::capture::{Event, MessageEvent, StreamItemEvent};
use crate::present::per_message::MessageTable;
use crate::present::table::{Col, ScanState, TableDef};
use crate::present::values::*;
use crate::protocol::MessageType;
use crate::protocol::{BulkPull, BulkPullAccount, FrontierReq, Payload, StreamEntry};

columns!(FrontierReqCol {
    Start => ("start", "TEXT"),
    Age => ("age", "INTEGER"),
    Count => ("count", "INTEGER"),
    OnlyConfirmed => ("only_confirmed", "INTEGER"),
});

pub struct FrontierRequests;

impl MessageTable for FrontierRequests {
    const NAME: &'static str = "nano_frontier_requests";
    const TYPE: MessageType = MessageType::FrontierReq;
    type Item = FrontierReq;

    fn columns() -> &'static [Col] {
        with_meta!(FrontierReqCol::COLS)
    }

    fn pick(p: &Payload) -> Option<&FrontierReq> {
        match p {
            Payload::FrontierReq(f) => Some(f),
            _ => None,
        }
    }

    fn value<'e>(_m: &'e MessageEvent, f: &'e FrontierReq, _row: usize, col: usize) -> Value<'e> {
        match FrontierReqCol::ALL[col] {
            FrontierReqCol::Start => account(&f.start),
            FrontierReqCol::Age => int(f.age),
            FrontierReqCol::Count => int(f.count),
            FrontierReqCol::OnlyConfirmed => bool_int(f.only_confirmed),
        }
    }
}

columns!(PullReq {
    Start => ("start", "TEXT"),
    StartAsAccount => ("start_as_account", "TEXT"),
    End => ("end", "TEXT"),
    Count => ("count", "INTEGER"),
    Ascending => ("ascending", "INTEGER"),
});

pub struct BulkPullRequests;

impl MessageTable for BulkPullRequests {
    const NAME: &'static str = "nano_bulk_pull_requests";
    const TYPE: MessageType = MessageType::BulkPull;
    type Item = BulkPull;

    fn columns() -> &'static [Col] {
        with_meta!(PullReq::COLS)
    }

    fn pick(p: &Payload) -> Option<&BulkPull> {
        match p {
            Payload::BulkPull(b) => Some(b),
            _ => None,
        }
    }

    fn value<'e>(_m: &'e MessageEvent, b: &'e BulkPull, _row: usize, col: usize) -> Value<'e> {
        match PullReq::ALL[col] {
            // start may be an account or a block hash; the server tries both, so both
            // readings are offered (bug B9 showed only the account form).
            PullReq::Start => hex(&b.start),
            PullReq::StartAsAccount => account(&b.start),
            PullReq::End => hex(&b.end),
            PullReq::Count => b.count.map_or(Value::Null, int),
            PullReq::Ascending => bool_int(b.ascending),
        }
    }
}

columns!(AccountReq {
    Account => ("account", "TEXT"),
    MinimumAmount => ("minimum_amount", "TEXT"),
    Flags => ("flags", "INTEGER"),
});

pub struct BulkPullAccountRequests;

impl MessageTable for BulkPullAccountRequests {
    const NAME: &'static str = "nano_bulk_pull_account_requests";
    const TYPE: MessageType = MessageType::BulkPullAccount;
    type Item = BulkPullAccount;

    fn columns() -> &'static [Col] {
        with_meta!(AccountReq::COLS)
    }

    fn pick(p: &Payload) -> Option<&BulkPullAccount> {
        match p {
            Payload::BulkPullAccount(b) => Some(b),
            _ => None,
        }
    }

    fn value<'e>(
        _m: &'e MessageEvent,
        b: &'e BulkPullAccount,
        _row: usize,
        col: usize,
    ) -> Value<'e> {
        match AccountReq::ALL[col] {
            AccountReq::Account => account(&b.account),
            AccountReq::MinimumAmount => amount(b.minimum_amount),
            AccountReq::Flags => int(b.flags),
        }
    }
}

/// The stream item of an event, when it decoded to something other than the end.
fn stream_item(ev: &Event) -> Option<(&StreamItemEvent, &StreamEntry)> {
    match ev {
        Event::StreamItem(s) => match &s.entry {
            Ok(StreamEntry::End) | Err(_) => None,
            Ok(e) => Some((s, e)),
        },
        _ => None,
    }
}

columns!(FrontierResp {
    RequestId => ("request_id", "INTEGER"),
    EntryIndex => ("entry_index", "INTEGER"),
    Account => ("account", "TEXT"),
    FrontierHash => ("frontier_hash", "TEXT"),
});

/// `nano_frontier_responses(path)`: the headerless entries answering frontier_reqs.
pub struct FrontierResponses;

impl TableDef for FrontierResponses {
    const NAME: &'static str = "nano_frontier_responses";

    /// Stream entries need only their requests, which are always decoded.
    fn payload_types(filter: &mut MessageFilter) {
        filter.only_types(&[]);
    }

    fn columns() -> &'static [Col] {
        with_meta!(FrontierResp::COLS)
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        usize::from(matches!(
            stream_item(ev),
            Some((_, StreamEntry::Frontier { .. }))
        ))
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        let Some((s, StreamEntry::Frontier { account: a, hash })) = stream_item(ev) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(Some(s.request_id), &s.meta, col);
        }
        match FrontierResp::ALL[col - META_COLUMNS] {
            FrontierResp::RequestId => u64_value(s.request_id),
            FrontierResp::EntryIndex => u64_value(s.index),
            FrontierResp::Account => account(a),
            FrontierResp::FrontierHash => hex(hash),
        }
    }
}

columns!(AccountResp {
    RequestId => ("request_id", "INTEGER"),
    EntryIndex => ("entry_index", "INTEGER"),
    Kind => ("kind", "TEXT"),
    FrontierHash => ("frontier_hash", "TEXT"),
    Balance => ("balance", "TEXT"),
    Hash => ("hash", "TEXT"),
    Amount => ("amount", "TEXT"),
    Source => ("source", "TEXT"),
});

/// `nano_bulk_pull_account_responses(path)`: the account's frontier and balance,
/// then its pending entries, with the fields the request's flags asked for.
pub struct BulkPullAccountResponses;

impl TableDef for BulkPullAccountResponses {
    const NAME: &'static str = "nano_bulk_pull_account_responses";

    /// Stream entries need only their requests, which are always decoded.
    fn payload_types(filter: &mut MessageFilter) {
        filter.only_types(&[]);
    }

    fn columns() -> &'static [Col] {
        with_meta!(AccountResp::COLS)
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        usize::from(matches!(
            stream_item(ev),
            Some((
                _,
                StreamEntry::AccountFrontier { .. } | StreamEntry::PendingEntry { .. }
            ))
        ))
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        let Some((s, entry)) = stream_item(ev) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(Some(s.request_id), &s.meta, col);
        }
        let c = AccountResp::ALL[col - META_COLUMNS];
        match (c, entry) {
            (AccountResp::RequestId, _) => u64_value(s.request_id),
            (AccountResp::EntryIndex, _) => u64_value(s.index),
            (AccountResp::Kind, StreamEntry::AccountFrontier { .. }) => text("frontier"),
            (AccountResp::Kind, _) => text("pending"),
            (AccountResp::FrontierHash, StreamEntry::AccountFrontier { frontier_hash, .. }) => {
                hex(frontier_hash)
            }
            (AccountResp::Balance, StreamEntry::AccountFrontier { balance, .. }) => {
                amount(*balance)
            }
            (AccountResp::Hash, StreamEntry::PendingEntry { hash, .. }) => {
                opt_hex(hash.as_ref().map(|h| &h[..]))
            }
            (AccountResp::Amount, StreamEntry::PendingEntry { amount: a, .. }) => {
                a.map_or(Value::Null, amount)
            }
            (AccountResp::Source, StreamEntry::PendingEntry { source, .. }) => {
                source.as_ref().map_or(Value::Null, account)
            }
            _ => Value::Null,
        }
    }
}
