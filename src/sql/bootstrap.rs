//! Legacy bootstrap requests: `nano_frontier_requests`, `nano_bulk_pull_requests`,
//! `nano_bulk_pull_account_requests` (their headerless responses come with TCP).

use super::messages::message_payload;
use super::table::{Col, ScanState, TableDef};
use super::values::*;
use crate::capture::Event;
use crate::protocol::Payload;
use rusqlite::types::Value;

columns!(FR {
    Start => ("start", "TEXT"),
    Age => ("age", "INTEGER"),
    Count => ("count", "INTEGER"),
    OnlyConfirmed => ("only_confirmed", "INTEGER"),
});

pub struct FrontierRequests;

impl TableDef for FrontierRequests {
    const NAME: &'static str = "nano_frontier_requests";

    fn columns() -> &'static [Col] {
        with_meta!(FR::COLS)
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
        match FR::ALL[col - META_COLUMNS] {
            FR::Start => account(&f.start),
            FR::Age => int(f.age),
            FR::Count => int(f.count),
            FR::OnlyConfirmed => bool_int(f.only_confirmed),
        }
    }
}

columns!(BP {
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
        with_meta!(BP::COLS)
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
        match BP::ALL[col - META_COLUMNS] {
            // start may be an account or a block hash; the server tries both, so both
            // readings are offered (bug B9 showed only the account form).
            BP::Start => hex(&b.start),
            BP::StartAsAccount => account(&b.start),
            BP::End => hex(&b.end),
            BP::Count => b.count.map_or(Value::Null, int),
            BP::Ascending => bool_int(b.ascending),
        }
    }
}

columns!(BPA {
    Account => ("account", "TEXT"),
    MinimumAmount => ("minimum_amount", "TEXT"),
    Flags => ("flags", "INTEGER"),
});

pub struct BulkPullAccountRequests;

impl TableDef for BulkPullAccountRequests {
    const NAME: &'static str = "nano_bulk_pull_account_requests";

    fn columns() -> &'static [Col] {
        with_meta!(BPA::COLS)
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
        match BPA::ALL[col - META_COLUMNS] {
            BPA::Account => account(&b.account),
            BPA::MinimumAmount => amount(b.minimum_amount),
            BPA::Flags => int(b.flags),
        }
    }
}
