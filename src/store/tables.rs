//! Which persistent table takes which rows: a declarative mapping from the present
//! table definitions (`present::tables`) to the tables of `sql/schema.sql`. The
//! writer interprets it; neither knows anything of byte layouts, and a value is
//! formatted in exactly one place (the present definition), so a stored row can
//! never differ from the row the table function shows.

use crate::capture::{Event, PipelineStats};
use crate::present::tables::{
    anomalies, asc_pull, blocks, bootstrap, connections, messages, packets, votes,
};
use crate::present::{Col, PerMessage, ScanState, TableDef, Value};

/// Where a stored column's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// The present column of this name, as it is.
    Col(&'static str),
    /// The present column of this name holds a message number of this capture
    /// (`packet_id`, `request_id`, `message_id`, `id`): stored as the run's
    /// `packet_id_base` plus it, so it is unique across runs. NULL stays NULL.
    Global(&'static str),
    /// The run's id (`runs.id_multiplier`).
    Run,
    /// NULL: for an `id` column, SQLite numbers the row itself.
    Auto,
    /// The table and row id that hold the content of this row's message, for this
    /// table (see [`Stored::content_of`]); NULL when there is none.
    ContentTable,
    ContentId,
    /// The table and row id written just before, for the same present row (a
    /// bulk_pull_response row points to the block row of the same stream block).
    RowContentTable,
    RowContentId,
}

/// Which option a table's rows depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    Always,
    /// `block_details`.
    Blocks,
    /// `bootstrap_details` (headerless answers to legacy bootstrap requests).
    Bootstrap,
    /// Both: rows that point to the block row of a stream block.
    BootstrapBlocks,
}

/// Rows of the present table that a stored table takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// The present column equals this integer.
    Int(&'static str, i64),
    /// The present column equals this text.
    Text(&'static str, &'static str),
    /// Only without `bootstrap_details`: the present column does not start with this
    /// text (the "end of ..." connection events are bootstrap details).
    NotPrefixUnlessBootstrap(&'static str, &'static str),
}

/// One persistent table.
#[derive(Debug)]
pub struct Stored {
    pub name: &'static str,
    pub needs: Needs,
    pub filters: &'static [Filter],
    /// The stored columns, in any order, each with where its value comes from.
    pub columns: &'static [(&'static str, Src)],
    /// This table's row is the content of a row of the first table for messages
    /// named like the second (`msg_name`): e.g. a block_state row is the packet's
    /// content for a publish and the vote's content for a legacy confirm_ack.
    pub content_of: &'static [(&'static str, &'static [&'static str])],
}

type RowsFn = fn(&Event, &ScanState) -> usize;
type ColumnFn = for<'e> fn(&'e Event, usize, usize, &ScanState) -> Value<'e>;

/// A present table and the stored tables its rows go to, in the order they are
/// written for each row.
pub struct Group {
    pub present: &'static str,
    pub columns: fn() -> &'static [Col],
    pub rows: RowsFn,
    pub column: ColumnFn,
    pub tables: &'static [Stored],
}

const fn group<T: TableDef>(tables: &'static [Stored]) -> Group {
    Group {
        present: T::NAME,
        columns: T::columns,
        rows: T::rows,
        column: T::column,
        tables,
    }
}

use Src::*;

/// The place and time columns of an item (after `packet_id`).
macro_rules! place {
    () => {
        [
            ("frame", Col("frame")),
            ("time", Col("time")),
            ("time_usec", Col("time_usec")),
            ("srcip", Col("srcip")),
            ("srcport", Col("srcport")),
            ("dstip", Col("dstip")),
            ("dstport", Col("dstport")),
            ("flow_key", Col("flow_key")),
        ]
    };
}

/// Concatenates column lists at compile time.
macro_rules! cols {
    ($($part:expr),* $(,)?) => {{
        const PARTS: &[&[(&str, Src)]] = &[$(&$part),*];
        const N: usize = {
            let mut n = 0;
            let mut i = 0;
            while i < PARTS.len() {
                n += PARTS[i].len();
                i += 1;
            }
            n
        };
        const ALL: [(&str, Src); N] = {
            let mut out = [("", Auto); N];
            let mut k = 0;
            let mut i = 0;
            while i < PARTS.len() {
                let mut j = 0;
                while j < PARTS[i].len() {
                    out[k] = PARTS[i][j];
                    k += 1;
                    j += 1;
                }
                i += 1;
            }
            out
        };
        &ALL
    }};
}

/// Every block table starts like this.
macro_rules! block_head {
    () => {
        [
            ("id", Auto),
            ("packet_id", Global("packet_id")),
            ("frame", Col("frame")),
            ("time", Col("time")),
            ("time_usec", Col("time_usec")),
            ("srcip", Col("srcip")),
            ("srcport", Col("srcport")),
            ("dstip", Col("dstip")),
            ("dstport", Col("dstport")),
            ("flow_key", Col("flow_key")),
            ("context", Col("context")),
            ("request_id", Global("request_id")),
            ("item_index", Col("item_index")),
            ("hash", Col("hash")),
        ]
    };
}

macro_rules! block_tail {
    () => {
        [
            ("signature", Col("signature")),
            ("signature_valid", Col("signature_valid")),
            ("work", Col("work")),
            ("work_valid", Col("work_valid")),
            ("originator", Col("originator")),
        ]
    };
}

/// A block is the packet's content for a publish or a legacy confirm_req, the
/// vote's for a legacy vote-by-block; in a stream or an asc_pull_ack it is
/// reached through bulk_pull_response / bulk_push_entry / its packet_id.
const BLOCK_CONTENT: &[(&str, &[&str])] = &[
    ("packet", &["publish", "confirm_req"]),
    ("vote", &["confirm_ack"]),
];

const fn block_table(
    name: &'static str,
    columns: &'static [(&'static str, Src)],
    filters: &'static [Filter],
) -> Stored {
    Stored {
        name,
        needs: Needs::Blocks,
        filters,
        columns,
        content_of: BLOCK_CONTENT,
    }
}

/// A table with at most one row per message: its id is the message's packet id.
const OWN_ID: [(&str, Src); 2] = [
    ("id", Global("packet_id")),
    ("packet_id", Global("packet_id")),
];

/// Every group, in the order the writer goes through them for each event: content
/// rows before the rows that link to them, the packet row last.
pub static GROUPS: &[Group] = &[
    group::<blocks::Blocks>(&[
        block_table(
            "block_state",
            cols!(
                block_head!(),
                [
                    ("account", Col("account")),
                    ("previous", Col("previous")),
                    ("representative", Col("representative")),
                    ("balance", Col("balance")),
                    ("link", Col("link")),
                    ("link_as_account", Col("link_as_account")),
                ],
                block_tail!()
            ),
            &[Filter::Text("type_name", "state")],
        ),
        block_table(
            "block_send",
            cols!(
                block_head!(),
                [
                    ("previous", Col("previous")),
                    ("destination", Col("destination")),
                    ("balance", Col("balance")),
                ],
                block_tail!()
            ),
            &[Filter::Text("type_name", "send")],
        ),
        block_table(
            "block_receive",
            cols!(
                block_head!(),
                [("previous", Col("previous")), ("source", Col("source"))],
                block_tail!()
            ),
            &[Filter::Text("type_name", "receive")],
        ),
        block_table(
            "block_open",
            cols!(
                block_head!(),
                [
                    ("source", Col("source")),
                    ("representative", Col("representative")),
                    ("account", Col("account")),
                ],
                block_tail!()
            ),
            &[Filter::Text("type_name", "open")],
        ),
        block_table(
            "block_change",
            cols!(
                block_head!(),
                [
                    ("previous", Col("previous")),
                    ("representative", Col("representative")),
                ],
                block_tail!()
            ),
            &[Filter::Text("type_name", "change")],
        ),
        // After the block row of the same stream block, which they point to.
        Stored {
            name: "bulk_pull_response",
            needs: Needs::BootstrapBlocks,
            filters: &[Filter::Text("context", "bulk_pull")],
            columns: &[
                ("id", Auto),
                ("bulk_pull_request_id", Global("request_id")),
                ("item_index", Col("item_index")),
                ("content_table", RowContentTable),
                ("content_id", RowContentId),
            ],
            content_of: &[],
        },
        Stored {
            name: "bulk_push_entry",
            needs: Needs::BootstrapBlocks,
            filters: &[Filter::Text("context", "bulk_push")],
            columns: &[
                ("id", Auto),
                ("packet_id", Global("request_id")),
                ("item_index", Col("item_index")),
                ("content_table", RowContentTable),
                ("content_id", RowContentId),
            ],
            content_of: &[],
        },
    ]),
    group::<PerMessage<votes::Votes>>(&[Stored {
        name: "vote",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("content_table", ContentTable),
                ("content_id", ContentId),
                ("vote_count", Col("vote_count")),
                ("vbh", Col("vbh")),
                ("account", Col("account")),
                ("signature", Col("signature")),
                ("signature_valid", Col("signature_valid")),
                ("vote_hash", Col("vote_hash")),
                ("timestamp_raw", Col("timestamp_raw")),
                ("final", Col("final")),
                ("timestamp_ms", Col("timestamp_ms")),
                ("timestamp", Col("timestamp")),
                ("duration_ms", Col("duration_ms")),
                ("sequence", Col("sequence")),
                ("hashes", Col("hashes")),
                ("block_hash", Col("block_hash")),
                ("rebroadcasted", Col("rebroadcasted")),
                ("version_using", Col("version_using")),
            ]
        ),
        content_of: &[("packet", &["confirm_ack"])],
    }]),
    group::<PerMessage<votes::VoteHashes>>(&[Stored {
        name: "vote_hash",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Auto),
            ("packet_id", Global("packet_id")),
            ("account", Col("account")),
            ("hash_index", Col("hash_index")),
            ("hash", Col("hash")),
            ("final", Col("final")),
            ("timestamp_ms", Col("timestamp_ms")),
            ("rebroadcasted", Col("rebroadcasted")),
            ("timestamp", Col("timestamp")),
        ],
        content_of: &[],
    }]),
    group::<PerMessage<messages::KeepalivePeers>>(&[Stored {
        name: "keepalive_host",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Auto),
            ("packet_id", Global("packet_id")),
            ("slot", Col("slot")),
            ("address", Col("address")),
            ("ip", Col("ip")),
            ("port", Col("port")),
            ("empty", Col("empty")),
            ("time", Col("time")),
        ],
        content_of: &[],
    }]),
    group::<PerMessage<messages::Handshakes>>(&[
        Stored {
            name: "nodeid_query",
            needs: Needs::Always,
            filters: &[Filter::Int("query", 1)],
            columns: cols!(OWN_ID, [("cookie", Col("cookie"))]),
            content_of: &[],
        },
        Stored {
            name: "nodeid_response",
            needs: Needs::Always,
            filters: &[Filter::Int("response", 1)],
            columns: cols!(
                OWN_ID,
                [
                    ("nodeid", Col("node_id")),
                    ("nodeid_as_account", Col("node_id_account")),
                    ("signature", Col("signature")),
                    ("v2", Col("v2")),
                    ("salt", Col("salt")),
                    ("genesis", Col("genesis")),
                    ("peer_cookie", Col("peer_cookie")),
                    ("signature_valid", Col("signature_valid")),
                ]
            ),
            content_of: &[],
        },
    ]),
    group::<PerMessage<messages::Telemetry>>(&[Stored {
        name: "telemetry",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("empty", Col("empty")),
                ("signature", Col("signature")),
                ("signature_valid", Col("signature_valid")),
                ("nodeid", Col("node_id")),
                ("nodeid_as_account", Col("node_id_account")),
                ("blockcount", Col("block_count")),
                ("cementedcount", Col("cemented_count")),
                ("uncheckedcount", Col("unchecked_count")),
                ("accountcount", Col("account_count")),
                ("bandwidthcap", Col("bandwidth_cap")),
                ("peercount", Col("peer_count")),
                ("protocolversion", Col("protocol_version")),
                ("uptime", Col("uptime")),
                ("genesisblock", Col("genesis_block")),
                ("majorversion", Col("major_version")),
                ("minorversion", Col("minor_version")),
                ("patchversion", Col("patch_version")),
                ("prereleaseversion", Col("pre_release_version")),
                ("maker", Col("maker")),
                ("timestamp", Col("timestamp_ms")),
                ("timestamp_utc", Col("timestamp")),
                ("activedifficulty", Col("active_difficulty")),
                ("unknown_data", Col("unknown_data")),
            ]
        ),
        content_of: &[("packet", &["telemetry_ack"])],
    }]),
    group::<PerMessage<messages::ConfirmReqPairs>>(&[Stored {
        name: "confirm_req_pair",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Auto),
            ("packet_id", Global("packet_id")),
            ("pair_index", Col("pair_index")),
            ("hash", Col("hash")),
            ("root", Col("root")),
        ],
        content_of: &[],
    }]),
    group::<asc_pull::AscPull>(&[Stored {
        name: "asc_pull",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("kind", Col("kind")),
                ("request_id", Col("request_id")),
                ("pull_type", Col("pull_type")),
                ("pull_type_name", Col("pull_type_name")),
                ("start", Col("start")),
                ("start_type", Col("start_type")),
                ("count", Col("count")),
                ("target", Col("target")),
                ("target_type", Col("target_type")),
                ("blocks", Col("blocks")),
                ("entries", Col("entries")),
                ("account", Col("account")),
                ("open_block", Col("open_block")),
                ("head_block", Col("head_block")),
                ("account_block_count", Col("account_block_count")),
                ("conf_frontier", Col("conf_frontier")),
                ("conf_height", Col("conf_height")),
            ]
        ),
        content_of: &[("packet", &["asc_pull_req", "asc_pull_ack"])],
    }]),
    group::<PerMessage<asc_pull::AscPullFrontiers>>(&[Stored {
        name: "asc_pull_frontier",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Auto),
            ("packet_id", Global("packet_id")),
            ("request_id", Col("request_id")),
            ("entry_index", Col("entry_index")),
            ("account", Col("account")),
            ("hash", Col("hash")),
        ],
        content_of: &[],
    }]),
    group::<PerMessage<bootstrap::FrontierRequests>>(&[Stored {
        name: "frontier_request",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("start", Col("start")),
                ("age", Col("age")),
                ("count", Col("count")),
                ("only_confirmed", Col("only_confirmed")),
            ]
        ),
        content_of: &[("packet", &["frontier_req"])],
    }]),
    group::<PerMessage<bootstrap::BulkPullRequests>>(&[Stored {
        name: "bulk_pull_request",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("start", Col("start")),
                ("start_as_account", Col("start_as_account")),
                ("end", Col("end")),
                ("extended_count", Col("count")),
                ("ascending", Col("ascending")),
            ]
        ),
        content_of: &[("packet", &["bulk_pull"])],
    }]),
    group::<PerMessage<bootstrap::BulkPullAccountRequests>>(&[Stored {
        name: "bulk_pull_account_request",
        needs: Needs::Always,
        filters: &[],
        columns: cols!(
            OWN_ID,
            [
                ("account", Col("account")),
                ("minimum_amount", Col("minimum_amount")),
                ("flags", Col("flags")),
            ]
        ),
        content_of: &[("packet", &["bulk_pull_account"])],
    }]),
    group::<bootstrap::FrontierResponses>(&[Stored {
        name: "frontier_response",
        needs: Needs::Bootstrap,
        filters: &[],
        columns: cols!(
            [("id", Auto), ("frontier_request_id", Global("request_id"))],
            place!(),
            [
                ("entry_index", Col("entry_index")),
                ("account", Col("account")),
                ("frontier_hash", Col("frontier_hash")),
            ]
        ),
        content_of: &[],
    }]),
    group::<bootstrap::BulkPullAccountResponses>(&[
        Stored {
            name: "bulk_pull_account_response",
            needs: Needs::Bootstrap,
            filters: &[Filter::Text("kind", "frontier")],
            columns: cols!(
                [
                    ("id", Auto),
                    ("bulk_pull_account_request_id", Global("request_id"))
                ],
                place!(),
                [
                    ("frontier_hash", Col("frontier_hash")),
                    ("balance", Col("balance")),
                ]
            ),
            content_of: &[],
        },
        Stored {
            name: "bulk_pull_account_response_entry",
            needs: Needs::Bootstrap,
            filters: &[Filter::Text("kind", "pending")],
            columns: cols!(
                [
                    ("id", Auto),
                    ("bulk_pull_account_request_id", Global("request_id"))
                ],
                place!(),
                [
                    ("entry_index", Col("entry_index")),
                    ("hash", Col("hash")),
                    ("amount", Col("amount")),
                    ("source", Col("source")),
                ]
            ),
            content_of: &[],
        },
    ]),
    group::<connections::Connections>(&[Stored {
        name: "connection",
        needs: Needs::Always,
        filters: &[Filter::NotPrefixUnlessBootstrap("event", "end of")],
        columns: &[
            ("id", Auto),
            ("run_id", Run),
            ("frame", Col("frame")),
            ("time", Col("time")),
            ("time_usec", Col("time_usec")),
            ("ipv", Col("ipv")),
            ("srcip", Col("srcip")),
            ("srcport", Col("srcport")),
            ("dstip", Col("dstip")),
            ("dstport", Col("dstport")),
            ("flowkey", Col("flow_key")),
            ("event", Col("event")),
            ("closed", Col("closed")),
            ("detail", Col("detail")),
            ("message_id", Global("message_id")),
            ("src_node_id", Col("src_node_id")),
            ("dst_node_id", Col("dst_node_id")),
        ],
        content_of: &[],
    }]),
    group::<anomalies::Anomalies>(&[Stored {
        name: "anomaly",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Auto),
            ("run_id", Run),
            ("frame", Col("frame")),
            ("time", Col("time")),
            ("time_usec", Col("time_usec")),
            ("kind", Col("kind")),
            ("detail", Col("detail")),
            ("packet_id", Global("packet_id")),
            ("srcip", Col("srcip")),
            ("srcport", Col("srcport")),
            ("dstip", Col("dstip")),
            ("dstport", Col("dstport")),
            ("flow_key", Col("flow_key")),
        ],
        content_of: &[],
    }]),
    // Last: its content link points to rows written above for the same message.
    group::<packets::Packets>(&[Stored {
        name: "packet",
        needs: Needs::Always,
        filters: &[],
        columns: &[
            ("id", Global("id")),
            ("run_id", Run),
            ("frame", Col("frame")),
            ("time", Col("time")),
            ("time_usec", Col("time_usec")),
            ("transport", Col("transport")),
            ("ipv", Col("ipv")),
            ("srcip", Col("srcip")),
            ("srcport", Col("srcport")),
            ("dstip", Col("dstip")),
            ("dstport", Col("dstport")),
            ("flow_key", Col("flow_key")),
            ("network", Col("network")),
            ("version_max", Col("version_max")),
            ("version_using", Col("version_using")),
            ("version_min", Col("version_min")),
            ("msg_type", Col("msg_type")),
            ("msg_name", Col("msg_name")),
            ("extensions", Col("extensions")),
            ("block_type", Col("block_type")),
            ("item_count", Col("item_count")),
            ("size", Col("size")),
            ("error", Col("error")),
            ("content_table", ContentTable),
            ("content_id", ContentId),
        ],
        content_of: &[],
    }]),
];

/// The group whose rows are messages: `msg_name` of an event is read from it.
pub fn packets_group() -> &'static Group {
    GROUPS.last().expect("the packet group")
}

/// `capture_stats` columns taken from `nano_stats` (by the same names); the rest
/// (`id`, `run_id`, `time`, live capture's counters) are the writer's.
pub struct StatsDef;

impl StatsDef {
    pub fn columns() -> &'static [Col] {
        anomalies::Stats::columns()
    }
    pub fn value(stats: &PipelineStats, col: usize) -> Value<'_> {
        anomalies::Stats::final_column(stats, 0, col)
    }
}

/// Index of a present column by name.
pub fn column_index(columns: &[Col], name: &str) -> Option<usize> {
    columns.iter().position(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Column names of each table of the schema, read from its DDL text (the unit
    /// tests run without SQLite).
    fn schema_columns() -> Vec<(String, Vec<String>)> {
        let sql: String = crate::store::schema::SCHEMA_SQL
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let mut out = Vec::new();
        for part in sql.split("CREATE TABLE IF NOT EXISTS ").skip(1) {
            let (name, rest) = part.split_once('(').unwrap();
            let (mut depth, mut cols, mut cur) = (0, Vec::new(), String::new());
            for ch in rest.chars() {
                match ch {
                    '(' => depth += 1,
                    ')' if depth == 0 => break,
                    ')' => depth -= 1,
                    ',' if depth == 0 => {
                        cols.push(std::mem::take(&mut cur));
                        continue;
                    }
                    _ => {}
                }
                cur.push(ch);
            }
            cols.push(cur);
            let names = cols
                .iter()
                .filter_map(|c| c.split_whitespace().next().map(str::to_string))
                .collect();
            out.push((name.trim().to_string(), names));
        }
        out
    }

    /// Every present column named in the mapping exists, every stored table and
    /// column exists in the schema, every schema column is written and every schema
    /// table is filled: a rename on either side fails here instead of storing NULLs.
    #[test]
    fn every_name_resolves() {
        let schema = schema_columns();
        assert_eq!(schema.len(), crate::store::schema::table_names().len());
        let columns_of = |t: &str| {
            schema
                .iter()
                .find(|(n, _)| n == t)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| panic!("no table {t} in the schema"))
        };
        let mut written = vec!["runs".to_string(), "capture_stats".to_string()];
        for g in GROUPS {
            let cols = (g.columns)();
            for t in g.tables {
                written.push(t.name.to_string());
                let stored = columns_of(t.name);
                for (name, src) in t.columns {
                    assert!(stored.iter().any(|s| s == name), "{}.{name}", t.name);
                    if let Col(p) | Global(p) = src {
                        assert!(column_index(cols, p).is_some(), "{}: {p}", g.present);
                    }
                }
                for s in &stored {
                    // The generated alias of flowkey.
                    if s == "flow_key" && t.name == "connection" {
                        continue;
                    }
                    assert!(
                        t.columns.iter().any(|(n, _)| n == s),
                        "{}.{s} is never written",
                        t.name
                    );
                }
                for f in t.filters {
                    let (Filter::Int(p, _)
                    | Filter::Text(p, _)
                    | Filter::NotPrefixUnlessBootstrap(p, _)) = *f;
                    assert!(column_index(cols, p).is_some(), "{}: {p}", g.present);
                }
            }
        }
        for (t, _) in &schema {
            assert!(written.contains(t), "schema table {t} is never written");
        }
        let stats = columns_of("capture_stats");
        for c in StatsDef::columns() {
            assert!(
                stats.iter().any(|s| s == c.name),
                "capture_stats.{}",
                c.name
            );
        }
        assert_eq!(packets_group().present, "nano_packets");
        // The groups holding the content other tables link to come before them.
        let pos = |p: &str| GROUPS.iter().position(|g| g.present == p).unwrap();
        assert!(pos("nano_blocks") < pos("nano_votes"));
    }
}
