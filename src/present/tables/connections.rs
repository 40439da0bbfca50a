//! `nano_connections(path [, 'details'])`: TCP connection events: open, close,
//! reset, gaps, evictions, the end of each bootstrap stream, and with 'details' one
//! event per message. The node ids proved by a connection's handshake are on every
//! event after the proof, so address and port map to node id.

use crate::capture::pipeline::PipelineOptions;
use crate::capture::selection::MessageFilter;
use crate::capture::tcp::Reporting;
use crate::capture::{ConnectionEvent, ConnectionEventKind, Event};
use crate::present::table::{Col, Options, ScanState, TableDef};
use crate::present::values::*;

columns!(C {
    Id => ("id", "INTEGER"),
    Frame => ("frame", "INTEGER"),
    Time => ("time", "TEXT"),
    TimeUsec => ("time_usec", "INTEGER"),
    Ipv => ("ipv", "INTEGER"),
    SrcIp => ("srcip", "TEXT"),
    SrcPort => ("srcport", "INTEGER"),
    DstIp => ("dstip", "TEXT"),
    DstPort => ("dstport", "INTEGER"),
    FlowKey => ("flow_key", "INTEGER"),
    Event => ("event", "TEXT"),
    Closed => ("closed", "INTEGER"),
    Detail => ("detail", "TEXT"),
    MessageId => ("message_id", "INTEGER"),
    SrcNodeId => ("src_node_id", "TEXT"),
    DstNodeId => ("dst_node_id", "TEXT"),
});

/// An event about one message (as opposed to the connection or a whole stream).
fn is_per_message(c: &ConnectionEvent) -> bool {
    matches!(c.event, ConnectionEventKind::Message(_))
}

pub struct Connections;

impl TableDef for Connections {
    const NAME: &'static str = "nano_connections";

    /// Connection events read no payload but handshakes, which are always decoded.
    fn payload_types(filter: &mut MessageFilter) {
        filter.only_types(&[]);
    }

    fn columns() -> &'static [Col] {
        C::COLS
    }

    fn parse_options(options: Option<&str>) -> Result<Options, String> {
        match options.map(str::trim) {
            None | Some("") => Ok(Options::default()),
            Some("details") => Ok(Options { details: true }),
            Some(other) => Err(format!(
                "unknown option '{other}' (the only option is 'details')"
            )),
        }
    }

    fn pipeline_options(options: &Options) -> PipelineOptions {
        let mut o = PipelineOptions::default();
        o.tcp.report = Reporting {
            per_message_events: options.details,
            node_ids: true,
            conflicts: Self::shows_anomalies(),
            ..Reporting::default()
        };
        o
    }

    fn rows(ev: &Event, scan: &ScanState) -> usize {
        match ev {
            Event::Connection(c) => usize::from(scan.options.details || !is_per_message(c)),
            _ => 0,
        }
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, scan: &ScanState) -> Value<'e> {
        let Event::Connection(c) = ev else {
            return Value::Null;
        };
        let m = &c.meta;
        match C::ALL[col] {
            C::Id => int(scan.row_number),
            C::Frame => place(m, Place::Frame),
            C::Time => place(m, Place::Time),
            C::TimeUsec => place(m, Place::TimeUsec),
            C::Ipv => int(m.ipv),
            C::SrcIp => place(m, Place::SrcIp),
            C::SrcPort => place(m, Place::SrcPort),
            C::DstIp => place(m, Place::DstIp),
            C::DstPort => place(m, Place::DstPort),
            C::FlowKey => place(m, Place::FlowKey),
            C::Event => text(c.event.as_str()),
            C::Closed => bool_int(c.closed),
            C::Detail => c.detail.as_deref().map_or(Value::Null, text),
            C::MessageId => c.message_id.map_or(Value::Null, u64_value),
            C::SrcNodeId => c.src_node_id.as_ref().map_or(Value::Null, node_id),
            C::DstNodeId => c.dst_node_id.as_ref().map_or(Value::Null, node_id),
        }
    }
}
