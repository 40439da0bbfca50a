//! Legacy bootstrap requests: `nano_frontier_requests`, `nano_bulk_pull_requests`,
//! `nano_bulk_pull_account_requests` (their headerless responses come with TCP).

use super::messages::message_payload;
use super::table::{Col, ScanState, TableDef};
use super::values::*;
use crate::capture::Event;
use crate::protocol::Payload;
use rusqlite::types::Value;

columns!(FrontierReqCol {
    Start => ("start", "TEXT"),
    Age => ("age", "INTEGER"),
    Count => ("count", "INTEGER"),
    OnlyConfirmed => ("only_confirmed", "INTEGER"),
});

pub struct FrontierRequests;

impl TableDef for FrontierRequests {
    const NAME: &'static str = "nano_frontier_requests";

    fn columns() -> &'static [Col] {
        with_meta!(FrontierReqCol::COLS)
    }

    fn rows(ev: &Event) -> usize {
        usize::from(matches!(
            message_payload(ev),
            Some((_, Payload::FrontierReq(_)))
        ))
    }

    fn column(ev: &Event, _row: usize, col: usize, _scan: &ScanState) -> Value {
        let Some((m, Payload::FrontierReq(f))) = message_payload(ev) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(Some(m.id), &m.meta, col);
        }
        match FrontierReqCol::ALL[col - META_COLUMNS] {
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

impl TableDef for BulkPullRequests {
    const NAME: &'static str = "nano_bulk_pull_requests";

    fn columns() -> &'static [Col] {
        with_meta!(PullReq::COLS)
    }

    fn rows(ev: &Event) -> usize {
        usize::from(matches!(
            message_payload(ev),
            Some((_, Payload::BulkPull(_)))
        ))
    }

    fn column(ev: &Event, _row: usize, col: usize, _scan: &ScanState) -> Value {
        let Some((m, Payload::BulkPull(b))) = message_payload(ev) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(Some(m.id), &m.meta, col);
        }
        match PullReq::ALL[col - META_COLUMNS] {
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

impl TableDef for BulkPullAccountRequests {
    const NAME: &'static str = "nano_bulk_pull_account_requests";

    fn columns() -> &'static [Col] {
        with_meta!(AccountReq::COLS)
    }

    fn rows(ev: &Event) -> usize {
        usize::from(matches!(
            message_payload(ev),
            Some((_, Payload::BulkPullAccount(_)))
        ))
    }

    fn column(ev: &Event, _row: usize, col: usize, _scan: &ScanState) -> Value {
        let Some((m, Payload::BulkPullAccount(b))) = message_payload(ev) else {
            return Value::Null;
        };
        if col < META_COLUMNS {
            return meta_value(Some(m.id), &m.meta, col);
        }
        match AccountReq::ALL[col - META_COLUMNS] {
            AccountReq::Account => account(&b.account),
            AccountReq::MinimumAmount => amount(b.minimum_amount),
            AccountReq::Flags => int(b.flags),
        }
    }
}
