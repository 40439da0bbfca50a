//! Rows of events, formatted ahead of their insertion: the part of the writer that
//! needs no database. A [`Formatter`] turns events into a [`Batch`] (every stored
//! value of every row, text in one arena), which any thread can do; the writer's
//! connection then binds the batch's values without copying them and steps the
//! inserts. Splitting the two lets `nano_import` format (and verify signatures) on
//! other cores while one thread inserts, with the rows in capture order.

use super::tables::{column_index, packets_group, Filter, Needs, Src, GROUPS};
use crate::capture::{Event, PipelineStats};
use crate::config::CaptureOptions;
use crate::present::{Options, ScanState, Value};

/// How a stored column gets its value, resolved against the present columns.
#[derive(Clone, Copy, Debug)]
enum Bind {
    Col(usize),
    Global(usize),
    Run,
    Null,
    ContentTable,
    ContentId,
    RowContentTable,
    RowContentId,
}

#[derive(Clone, Copy, Debug)]
enum Check {
    Int(usize, i64),
    Text(usize, &'static str),
    NotPrefix(usize, &'static str),
}

/// One stored table as the formatter and the writer see it.
pub(super) struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Src)],
    binds: Vec<Bind>,
    checks: Vec<Check>,
    pub content_of: &'static [(&'static str, &'static [&'static str])],
    pub is_packet: bool,
    pub is_anomaly: bool,
}

struct GroupSpec {
    def: &'static super::tables::Group,
    /// Indexes into `Formatter::tables`, in write order.
    tables: Vec<usize>,
    /// Only the anomaly group reads stream items when bootstrap details are off.
    anomalies: bool,
    /// The anomaly group's `kind` column, to notice a file cut off in a record.
    kind_col: Option<usize>,
}

/// Everything needed to turn events into rows: immutable for a run, shared by the
/// threads that format (`Send + Sync`).
pub struct Formatter {
    pub(super) tables: Vec<TableSpec>,
    groups: Vec<GroupSpec>,
    bootstrap_details: bool,
    scan: ScanState,
    msg_name_col: usize,
    packet_id_base: i64,
    run_id: i64,
}

/// One value to bind. Links to rows inserted before (content ids) are resolved by
/// the writer, which alone knows the ids SQLite gave them.
#[derive(Clone, Copy, Debug)]
pub(super) enum Cell {
    Null,
    Int(i64),
    Real(f64),
    /// Byte range in `Batch::text`.
    Text(u32, u32),
    /// Byte range in `Batch::blob`.
    Blob(u32, u32),
    ContentTable,
    ContentId,
    RowContentTable,
    RowContentId,
}

/// One row to insert.
#[derive(Clone, Copy, Debug)]
pub(super) struct RowHead {
    /// Index into `Formatter::tables`.
    pub table: u32,
    /// Index into `Batch::events`.
    pub event: u32,
    /// First cell in `Batch::cells` (the table's columns follow in order).
    pub cells: u32,
    /// The first row stored for a row of its present table (resets the row's
    /// content link).
    pub first_of_row: bool,
    /// An anomaly row of kind `truncated_record`.
    pub truncated: bool,
}

/// Formatted rows of consecutive events, with what the pipeline had read when the
/// last of them came out (for progress and for the run's totals at an early stop).
#[derive(Default)]
pub struct Batch {
    pub(super) text: String,
    pub(super) blob: Vec<u8>,
    pub(super) cells: Vec<Cell>,
    pub(super) rows: Vec<RowHead>,
    /// Per event: its `msg_name` as a byte range in `text`.
    pub(super) events: Vec<Option<(u32, u32)>>,
    /// Pipeline counters after the batch's last event (imports fill this in).
    pub stats: Option<PipelineStats>,
    /// Frames a filter had left out by then (`None`: no filter).
    pub filtered_frames: Option<u64>,
    /// Capture bytes read after the batch's last event.
    pub bytes_read: u64,
    /// Events in the batch.
    pub event_count: usize,
}

impl Batch {
    pub fn clear(&mut self) {
        self.text.clear();
        self.blob.clear();
        self.cells.clear();
        self.rows.clear();
        self.events.clear();
        self.stats = None;
        self.filtered_frames = None;
        self.bytes_read = 0;
        self.event_count = 0;
    }

    pub(super) fn text(&self, start: u32, len: u32) -> &str {
        &self.text[start as usize..(start + len) as usize]
    }

    fn push_text(&mut self, s: &str) -> Cell {
        let start = self.text.len();
        self.text.push_str(s);
        Cell::Text(start as u32, s.len() as u32)
    }

    fn push_value(&mut self, v: Value<'_>) -> Cell {
        match v {
            Value::Null => Cell::Null,
            Value::Integer(i) => Cell::Int(i),
            Value::Real(r) => Cell::Real(r),
            Value::Text(t) => self.push_text(&t),
            Value::Blob(b) => {
                let start = self.blob.len();
                self.blob.extend_from_slice(&b);
                Cell::Blob(start as u32, b.len() as u32)
            }
        }
    }
}

impl Formatter {
    /// Resolves every stored table wanted with these options against the present
    /// columns.
    pub fn new(o: &CaptureOptions, run_id: i64, packet_id_base: i64) -> Result<Formatter, String> {
        let mut tables = Vec::new();
        let mut groups = Vec::new();
        for g in GROUPS {
            let cols = (g.columns)();
            let idx = |name: &str| {
                column_index(cols, name)
                    .ok_or_else(|| format!("internal: {} has no column {name}", g.present))
            };
            let mut mine = Vec::new();
            for t in g.tables {
                let wanted = match t.needs {
                    Needs::Always => true,
                    Needs::Blocks => o.block_details,
                    Needs::Bootstrap => o.bootstrap_details,
                    Needs::BootstrapBlocks => o.bootstrap_details && o.block_details,
                };
                if !wanted {
                    continue;
                }
                let mut binds = Vec::new();
                for (name, src) in t.columns {
                    binds.push(match *src {
                        // Not computed at all: verifying costs more than decoding.
                        Src::Col(_) if *name == "signature_valid" && !o.verify_signatures => {
                            Bind::Null
                        }
                        Src::Col(p) => Bind::Col(idx(p)?),
                        Src::Global(p) => Bind::Global(idx(p)?),
                        Src::Run => Bind::Run,
                        Src::Auto => Bind::Null,
                        Src::ContentTable => Bind::ContentTable,
                        Src::ContentId => Bind::ContentId,
                        Src::RowContentTable => Bind::RowContentTable,
                        Src::RowContentId => Bind::RowContentId,
                    });
                }
                let mut checks = Vec::new();
                for f in t.filters {
                    match *f {
                        Filter::Int(p, v) => checks.push(Check::Int(idx(p)?, v)),
                        Filter::Text(p, v) => checks.push(Check::Text(idx(p)?, v)),
                        Filter::NotPrefixUnlessBootstrap(p, v) => {
                            if !o.bootstrap_details {
                                checks.push(Check::NotPrefix(idx(p)?, v));
                            }
                        }
                    }
                }
                mine.push(tables.len());
                tables.push(TableSpec {
                    name: t.name,
                    columns: t.columns,
                    binds,
                    checks,
                    content_of: t.content_of,
                    is_packet: t.name == "packet",
                    is_anomaly: t.name == "anomaly",
                });
            }
            if !mine.is_empty() {
                let anomalies = g.present == "nano_anomalies";
                groups.push(GroupSpec {
                    def: g,
                    tables: mine,
                    anomalies,
                    kind_col: if anomalies {
                        column_index(cols, "kind")
                    } else {
                        None
                    },
                });
            }
        }
        let msg_name_col = column_index((packets_group().columns)(), "msg_name")
            .ok_or("internal: nano_packets has no msg_name")?;
        Ok(Formatter {
            tables,
            groups,
            bootstrap_details: o.bootstrap_details,
            scan: ScanState {
                row_number: 0,
                // The connection table takes per-message events whenever the
                // pipeline produces them (connection_details).
                options: Options { details: true },
            },
            msg_name_col,
            packet_id_base,
            run_id,
        })
    }

    /// Appends the rows of one event to `out`: content rows first, the packet row
    /// last (the order of `GROUPS`).
    pub fn format(&self, ev: &Event, out: &mut Batch) {
        // Headerless bootstrap answers are bootstrap details; a malformed one is
        // still an anomaly (nothing is dropped silently).
        let stream_item = matches!(ev, Event::StreamItem(_));
        let event = out.events.len() as u32;
        let msg_name = (packets_group().column)(ev, 0, self.msg_name_col, &self.scan);
        let msg_name = match msg_name.as_str() {
            Some(s) => match out.push_text(s) {
                Cell::Text(a, b) => Some((a, b)),
                _ => None,
            },
            None => None,
        };
        out.events.push(msg_name);
        out.event_count += 1;
        let base = self.packet_id_base;
        for g in &self.groups {
            if stream_item && !self.bootstrap_details && !g.anomalies {
                continue;
            }
            let n = (g.def.rows)(ev, &self.scan);
            for row in 0..n {
                let column = |c: usize| (g.def.column)(ev, row, c, &self.scan);
                let mut first = true;
                for &ti in &g.tables {
                    let t = &self.tables[ti];
                    let keep = t.checks.iter().all(|c| match *c {
                        Check::Int(i, v) => column(i).as_i64() == Some(v),
                        Check::Text(i, v) => column(i).as_str() == Some(v),
                        Check::NotPrefix(i, v) => {
                            !column(i).as_str().is_some_and(|s| s.starts_with(v))
                        }
                    });
                    if !keep {
                        continue;
                    }
                    let cells = out.cells.len() as u32;
                    for b in &t.binds {
                        let cell = match *b {
                            Bind::Col(i) => out.push_value(column(i)),
                            Bind::Global(i) => match column(i) {
                                Value::Integer(v) => Cell::Int(base + v),
                                other => out.push_value(other),
                            },
                            Bind::Run => Cell::Int(self.run_id),
                            Bind::Null => Cell::Null,
                            Bind::ContentTable => Cell::ContentTable,
                            Bind::ContentId => Cell::ContentId,
                            Bind::RowContentTable => Cell::RowContentTable,
                            Bind::RowContentId => Cell::RowContentId,
                        };
                        out.cells.push(cell);
                    }
                    let truncated = t.is_anomaly
                        && g.kind_col
                            .is_some_and(|i| column(i).as_str() == Some("truncated_record"));
                    out.rows.push(RowHead {
                        table: ti as u32,
                        event,
                        cells,
                        first_of_row: first,
                        truncated,
                    });
                    first = false;
                }
            }
        }
    }
}
