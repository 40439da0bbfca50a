//! `nano_anomalies(path)`: everything that went wrong while reading, so nothing is
//! lost silently: malformed messages, truncated files, undecodable frames,
//! reassembly trouble. `nano_stats(path)`: one row of counters for the whole file.

use crate::capture::{Event, PipelineStats};
use crate::present::table::{Col, ScanState, TableDef};
use crate::present::values::*;

columns!(C {
    Id => ("id", "INTEGER"),
    Frame => ("frame", "INTEGER"),
    Time => ("time", "TEXT"),
    TimeUsec => ("time_usec", "INTEGER"),
    Kind => ("kind", "TEXT"),
    Detail => ("detail", "TEXT"),
    PacketId => ("packet_id", "INTEGER"),
    SrcIp => ("srcip", "TEXT"),
    SrcPort => ("srcport", "INTEGER"),
    DstIp => ("dstip", "TEXT"),
    DstPort => ("dstport", "INTEGER"),
    FlowKey => ("flow_key", "INTEGER"),
});

pub struct Anomalies;

impl TableDef for Anomalies {
    const NAME: &'static str = "nano_anomalies";

    fn columns() -> &'static [Col] {
        C::COLS
    }

    fn shows_anomalies() -> bool {
        true
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        match ev {
            Event::Anomaly(_) => 1,
            Event::Message(m) => usize::from(m.payload.is_err()),
            Event::StreamItem(s) => usize::from(s.entry.is_err()),
            Event::Connection(_) => 0,
        }
    }

    fn column<'e>(ev: &'e Event, _row: usize, col: usize, scan: &ScanState) -> Value<'e> {
        let c = C::ALL[col];
        if c == C::Id {
            return int(scan.row_number);
        }
        // Only the asked column is formatted: the kind text is built for `kind` alone,
        // the detail borrowed from the event.
        let (meta, packet_id) = match ev {
            Event::Anomaly(a) => {
                match c {
                    C::Kind => return text(a.kind.as_str()),
                    C::Detail => return text(a.detail.as_str()),
                    _ => {}
                }
                if a.meta.is_none() {
                    match c {
                        C::Frame => return u64_value(a.frame),
                        C::Time => return time_text(a.time_usec),
                        C::TimeUsec => return int(a.time_usec),
                        _ => {}
                    }
                }
                (a.meta.as_ref(), None)
            }
            Event::Message(m) => match &m.payload {
                Err(e) => match c {
                    C::Kind => return text(format!("malformed_message:{}", e.code)),
                    C::Detail => return text(e.detail.as_str()),
                    _ => (Some(&m.meta), Some(m.id)),
                },
                Ok(_) => return Value::Null,
            },
            Event::StreamItem(s) => match &s.entry {
                Err(e) => match c {
                    C::Kind => return text(format!("malformed_stream_entry:{}", e.code)),
                    C::Detail => return text(e.detail.as_str()),
                    _ => (Some(&s.meta), Some(s.request_id)),
                },
                Ok(_) => return Value::Null,
            },
            Event::Connection(_) => return Value::Null,
        };
        match c {
            C::PacketId => packet_id.map_or(Value::Null, u64_value),
            _ => match meta {
                None => Value::Null,
                Some(m) => match c {
                    C::Frame => place(m, Place::Frame),
                    C::Time => place(m, Place::Time),
                    C::TimeUsec => place(m, Place::TimeUsec),
                    C::SrcIp => place(m, Place::SrcIp),
                    C::SrcPort => place(m, Place::SrcPort),
                    C::DstIp => place(m, Place::DstIp),
                    C::DstPort => place(m, Place::DstPort),
                    C::FlowKey => place(m, Place::FlowKey),
                    _ => Value::Null,
                },
            },
        }
    }
}

columns!(S {
    Frames => ("frames", "INTEGER"),
    NonIpFrames => ("non_ip_frames", "INTEGER"),
    UnknownLinkFrames => ("unknown_link_frames", "INTEGER"),
    BadLinkFrames => ("bad_link_frames", "INTEGER"),
    BadIpFrames => ("bad_ip_frames", "INTEGER"),
    OtherIpPackets => ("other_ip_packets", "INTEGER"),
    IpFragments => ("ip_fragments", "INTEGER"),
    ReassembledDatagrams => ("reassembled_datagrams", "INTEGER"),
    UdpDatagrams => ("udp_datagrams", "INTEGER"),
    TcpSegments => ("tcp_segments", "INTEGER"),
    BadTransport => ("bad_transport", "INTEGER"),
    NonNanoDatagrams => ("non_nano_datagrams", "INTEGER"),
    Messages => ("messages", "INTEGER"),
    Anomalies => ("anomalies", "INTEGER"),
});

pub struct Stats;

impl TableDef for Stats {
    const NAME: &'static str = "nano_stats";

    fn columns() -> &'static [Col] {
        S::COLS
    }

    fn rows(_ev: &Event, _scan: &ScanState) -> usize {
        0
    }

    fn column<'e>(_ev: &'e Event, _row: usize, _col: usize, _scan: &ScanState) -> Value<'e> {
        Value::Null
    }

    fn final_rows(_stats: &PipelineStats) -> usize {
        1
    }

    fn final_column(s: &PipelineStats, _row: usize, col: usize) -> Value<'_> {
        match S::ALL[col] {
            S::Frames => u64_value(s.frames),
            S::NonIpFrames => u64_value(s.non_ip_frames),
            S::UnknownLinkFrames => u64_value(s.unknown_link_frames),
            S::BadLinkFrames => u64_value(s.bad_link_frames),
            S::BadIpFrames => u64_value(s.bad_ip_frames),
            S::OtherIpPackets => u64_value(s.other_ip_packets),
            S::IpFragments => u64_value(s.ip_fragments),
            S::ReassembledDatagrams => u64_value(s.reassembled_datagrams),
            S::UdpDatagrams => u64_value(s.udp_datagrams),
            S::TcpSegments => u64_value(s.tcp_segments),
            S::BadTransport => u64_value(s.bad_transport),
            S::NonNanoDatagrams => u64_value(s.non_nano_datagrams),
            S::Messages => u64_value(s.messages),
            S::Anomalies => u64_value(s.anomalies),
        }
    }
}
