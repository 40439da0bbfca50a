//! What a table is, independent of who reads it: its columns, the rows an event
//! yields, and each column's value. The virtual-table cursor (`sql::table`) asks for
//! one column at a time; a writer binding INSERT parameters or an HTTP handler writing
//! JSON iterates the same definitions.

use super::values::Value;
use crate::capture::pipeline::PipelineOptions;
use crate::capture::selection::MessageFilter;
use crate::capture::tcp::Reporting;
use crate::capture::{Event, PipelineStats};

/// A column: its name and declared type (SQL affinity, `PRAGMA table_info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Col {
    pub name: &'static str,
    pub decl: &'static str,
}

/// Shorthand for column lists.
pub const fn col(name: &'static str, decl: &'static str) -> Col {
    Col { name, decl }
}

/// What a table says about itself. Row values are computed only when a column is
/// asked for, so counting rows never formats hex, builds JSON or verifies a signature.
pub trait TableDef: 'static {
    /// The table function's name, e.g. `nano_packets`.
    const NAME: &'static str;
    fn columns() -> &'static [Col];
    /// How many rows this event yields in this table.
    fn rows(ev: &Event, scan: &ScanState) -> usize;
    /// Checks the optional options argument; tables without options refuse one.
    fn parse_options(options: Option<&str>) -> Result<Options, String> {
        match options {
            None => Ok(Options::default()),
            Some(o) => Err(format!("takes no options, got '{o}'")),
        }
    }
    /// Value of column `col` (< `columns().len()`) of row `row` (< `rows(ev, scan)`,
    /// 0-based within the event). Text borrows from the event where it can.
    fn column<'e>(ev: &'e Event, row: usize, col: usize, scan: &ScanState) -> Value<'e>;
    /// What the pipeline must produce for this table. By default no per-message
    /// connection events: only `nano_connections(path, 'details')` reads them.
    fn pipeline_options(_options: &Options) -> PipelineOptions {
        let mut o = PipelineOptions::default();
        o.tcp.report = Reporting {
            per_message_events: false,
            node_ids: false,
            conflicts: Self::shows_anomalies(),
            ..Reporting::default()
        };
        o
    }
    /// Does the table show anomaly events? Those that do not spare the pipeline the
    /// work done only to report some (`Reporting::conflicts`).
    fn shows_anomalies() -> bool {
        false
    }
    /// Rows emitted at the very end of the scan (e.g. summary tables).
    fn final_rows(_stats: &PipelineStats) -> usize {
        0
    }
    fn final_column(_stats: &PipelineStats, _row: usize, _col: usize) -> Value<'_> {
        Value::Null
    }
    /// Which columns show, on every row made from a message event, that message's own
    /// id, place or header fields, so that a scan may skip messages that cannot match a
    /// filter on them. A table says so only when its other rows do not depend on the
    /// messages it would skip.
    fn message_columns() -> MessageColumns {
        MessageColumns::default()
    }
    /// Narrows `filter` to the messages whose payloads this table reads; the others
    /// are framed but not decoded (`capture::selection`). By default every message.
    fn payload_types(_filter: &mut MessageFilter) {}
    /// Can a statement that reads only the columns `cols` (indexes into `columns()`)
    /// be served without decoding payloads? It then scans headers only
    /// (`MessageFilter::headers_only`). Only a table whose rows do not depend on
    /// payloads may say yes; by default no.
    fn headers_suffice(_cols: impl Iterator<Item = usize>) -> bool {
        false
    }
}

/// See `TableDef::message_columns`: column indexes, `None` for "no such column".
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageColumns {
    /// The message id (`id`, `packet_id`).
    pub id: Option<usize>,
    /// Every row comes from a message event, so rows come in ascending `id` order
    /// and nothing follows the last message: a scan may stop past an upper bound.
    pub only_messages: bool,
    pub frame: Option<usize>,
    pub time_usec: Option<usize>,
    pub transport: Option<usize>,
    pub msg_type: Option<usize>,
    pub msg_name: Option<usize>,
}

impl MessageColumns {
    /// The meta columns every per-item table starts with (`values::meta_columns`).
    pub const META: MessageColumns = MessageColumns {
        id: Some(0),
        only_messages: false,
        frame: Some(1),
        time_usec: Some(3),
        transport: None,
        msg_type: None,
        msg_name: None,
    };
}

/// What the optional options argument of a table asked for.
#[derive(Default, Debug, Clone, Copy)]
pub struct Options {
    /// `nano_connections(path, 'details')`: one event per message too.
    pub details: bool,
}

/// Per-scan facts a column may need beyond its own event.
#[derive(Default, Debug, Clone)]
pub struct ScanState {
    /// 1-based number of the row within the whole result.
    pub row_number: i64,
    pub options: Options,
}

/// Every column of one row, in column order: for writers that want whole rows.
pub fn row_values<'e, T: TableDef>(
    ev: &'e Event,
    row: usize,
    scan: &'e ScanState,
) -> impl Iterator<Item = Value<'e>> + 'e {
    (0..T::columns().len()).map(move |c| T::column(ev, row, c, scan))
}
