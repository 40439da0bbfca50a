//! How protocol values look in SQL: uppercase hex, `nano_` accounts, decimal raw
//! amounts, UTC time text. One place, so every table shows a field the same way.

use crate::capture::{format_time_usec, PacketMeta, Transport};
use crate::protocol::{encode_account, encode_node_id, hex_upper};
use rusqlite::types::Value;

pub fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

pub fn int(v: impl Into<i64>) -> Value {
    Value::Integer(v.into())
}

pub fn bool_int(b: bool) -> Value {
    Value::Integer(i64::from(b))
}

pub fn opt_bool(b: Option<bool>) -> Value {
    b.map_or(Value::Null, bool_int)
}

/// A u64 as an INTEGER when it fits, else as decimal text (SQLite integers are
/// signed; storing the bits would turn large values negative, as the original did).
pub fn u64_value(v: u64) -> Value {
    i64::try_from(v).map_or_else(|_| Value::Text(v.to_string()), Value::Integer)
}

pub fn hex(bytes: &[u8]) -> Value {
    Value::Text(hex_upper(bytes))
}

pub fn opt_hex(bytes: Option<&[u8]>) -> Value {
    bytes.map_or(Value::Null, hex)
}

/// A u64 shown the way the node prints work and difficulty: 16 lowercase hex digits.
pub fn hex_u64(v: u64) -> Value {
    Value::Text(format!("{v:016x}"))
}

pub fn account(key: &[u8; 32]) -> Value {
    Value::Text(encode_account(key))
}

pub fn node_id(key: &[u8; 32]) -> Value {
    Value::Text(encode_node_id(key))
}

pub fn amount(v: u128) -> Value {
    Value::Text(v.to_string())
}

pub fn time_text(usec: i64) -> Value {
    Value::Text(format_time_usec(usec))
}

/// Milliseconds since the epoch as UTC text, NULL when out of any sensible range.
pub fn time_ms_text(ms: u64) -> Value {
    match i64::try_from(ms).ok().and_then(|ms| ms.checked_mul(1000)) {
        Some(usec) if ms < 253_402_300_800_000 => Value::Text(format_time_usec(usec)),
        _ => Value::Null,
    }
}

pub fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
    }
}

/// The columns every per-item table starts with, in this order.
pub const META_COLUMNS: usize = 9;

pub const fn meta_columns() -> [super::table::Col; META_COLUMNS] {
    use super::table::col;
    [
        col("packet_id", "INTEGER"),
        col("frame", "INTEGER"),
        col("time", "TEXT"),
        col("time_usec", "INTEGER"),
        col("srcip", "TEXT"),
        col("srcport", "INTEGER"),
        col("dstip", "TEXT"),
        col("dstport", "INTEGER"),
        col("flow_key", "INTEGER"),
    ]
}

/// The place and time of an item, as every table shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Frame,
    Time,
    TimeUsec,
    SrcIp,
    SrcPort,
    DstIp,
    DstPort,
    FlowKey,
}

pub fn place(m: &PacketMeta, which: Place) -> Value {
    match which {
        Place::Frame => u64_value(m.frame),
        Place::Time => time_text(m.time_usec),
        Place::TimeUsec => int(m.time_usec),
        Place::SrcIp => text(m.src_ip.to_string()),
        Place::SrcPort => int(m.src_port),
        Place::DstIp => text(m.dst_ip.to_string()),
        Place::DstPort => int(m.dst_port),
        Place::FlowKey => int(m.flow_key),
    }
}

/// Value of meta column `i` (< META_COLUMNS, in `meta_columns` order) for an item
/// carried by message `packet_id`.
pub fn meta_value(packet_id: Option<u64>, m: &PacketMeta, i: usize) -> Value {
    const PLACES: [Place; META_COLUMNS - 1] = [
        Place::Frame,
        Place::Time,
        Place::TimeUsec,
        Place::SrcIp,
        Place::SrcPort,
        Place::DstIp,
        Place::DstPort,
        Place::FlowKey,
    ];
    match i {
        0 => packet_id.map_or(Value::Null, u64_value),
        _ => PLACES.get(i - 1).map_or(Value::Null, |&p| place(m, p)),
    }
}

/// Declares a table's own columns (after the meta columns, if any) as an enum, so
/// `column()` matches on names the compiler checks rather than on bare indexes.
macro_rules! columns {
    ($E:ident { $($v:ident => ($name:literal, $decl:literal)),* $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $E { $($v),* }
        impl $E {
            pub const ALL: &'static [$E] = &[$($E::$v),*];
            pub const COLS: &'static [$crate::sql::table::Col] =
                &[$($crate::sql::table::col($name, $decl)),*];
        }
    };
}

/// Columns of a table made of the meta columns followed by `own`.
macro_rules! with_meta {
    ($own:expr) => {{
        const OWN: &[$crate::sql::table::Col] = $own;
        const META: [$crate::sql::table::Col; $crate::sql::values::META_COLUMNS] =
            $crate::sql::values::meta_columns();
        const ALL: [$crate::sql::table::Col; $crate::sql::values::META_COLUMNS + OWN.len()] = {
            let mut out = [const { $crate::sql::table::col("", "") };
                $crate::sql::values::META_COLUMNS + OWN.len()];
            let mut i = 0;
            while i < META.len() {
                out[i] = $crate::sql::table::col(META[i].name, META[i].decl);
                i += 1;
            }
            let mut j = 0;
            while j < OWN.len() {
                out[META.len() + j] = $crate::sql::table::col(OWN[j].name, OWN[j].decl);
                j += 1;
            }
            out
        };
        &ALL
    }};
}
