//! How protocol values look in a table: uppercase hex, `nano_` accounts, decimal raw
//! amounts, UTC time text. One place, so every table shows a field the same way.

use super::text::{string_with_capacity, Inline, Text};
use crate::capture::{time_usec_ascii, PacketMeta, Transport};
use crate::protocol::{
    encoded_body, hex_lower_u64, hex_upper_into, push_hex_upper, ACCOUNT_PREFIX, NODE_ID_PREFIX,
};
use std::borrow::Cow;

/// One column value, in SQLite's five storage classes but with no SQLite behind it.
/// Text and blobs borrow (from the event, or static names) where that is free; short
/// formatted text is written in place (`Text::Inline`), so a column allocates only
/// for long text, and a sink hands it on without another copy.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(Text<'a>),
    Blob(Cow<'a, [u8]>),
}

impl Value<'_> {
    /// The same value owning its bytes, e.g. to keep it past the event (a batch).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(i),
            Value::Real(r) => Value::Real(r),
            Value::Text(t) => Value::Text(t.into_owned()),
            Value::Blob(b) => Value::Blob(Cow::Owned(b.into_owned())),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

/// Text: a `&'static str` or a borrowed `&str` is not copied, a `String` is moved.
pub fn text<'a>(s: impl Into<Text<'a>>) -> Value<'a> {
    Value::Text(s.into())
}

/// Decimal text of an integer, in place.
pub fn decimal(v: impl itoa::Integer) -> Value<'static> {
    let mut digits = itoa::Buffer::new();
    let mut t = Inline::new();
    // 40 digits at most (u128): always fits.
    t.push_str(digits.format(v));
    Value::Text(Text::Inline(t))
}

pub fn int(v: impl Into<i64>) -> Value<'static> {
    Value::Integer(v.into())
}

pub fn bool_int(b: bool) -> Value<'static> {
    Value::Integer(i64::from(b))
}

pub fn opt_bool(b: Option<bool>) -> Value<'static> {
    b.map_or(Value::Null, bool_int)
}

/// A u64 as an INTEGER when it fits, else as decimal text (SQLite integers are
/// signed; storing the bits would turn large values negative, as the original did).
pub fn u64_value(v: u64) -> Value<'static> {
    i64::try_from(v).map_or_else(|_| decimal(v), Value::Integer)
}

/// Uppercase hex, in place when it fits (a hash does).
pub fn hex(bytes: &[u8]) -> Value<'static> {
    let n = 2 * bytes.len();
    if n > Inline::MAX_LEN {
        let mut long = string_with_capacity(n);
        push_hex_upper(&mut long, bytes);
        return text(long);
    }
    let mut digits = [0u8; Inline::MAX_LEN];
    hex_upper_into(bytes, &mut digits[..n]);
    let mut t = Inline::new();
    t.push_ascii(&digits[..n]);
    Value::Text(Text::Inline(t))
}

pub fn opt_hex(bytes: Option<&[u8]>) -> Value<'static> {
    bytes.map_or(Value::Null, hex)
}

/// A u64 shown the way the node prints work and difficulty: 16 lowercase hex digits.
pub fn hex_u64(v: u64) -> Value<'static> {
    let mut t = Inline::new();
    t.push_ascii(&hex_lower_u64(v));
    Value::Text(Text::Inline(t))
}

/// `prefix` and the base32 body of `key`, in place.
fn key_text(prefix: &str, key: &[u8; 32]) -> Value<'static> {
    let mut t = Inline::new();
    t.push_str(prefix);
    t.push_ascii(&encoded_body(key));
    Value::Text(Text::Inline(t))
}

pub fn account(key: &[u8; 32]) -> Value<'static> {
    key_text(ACCOUNT_PREFIX, key)
}

pub fn node_id(key: &[u8; 32]) -> Value<'static> {
    key_text(NODE_ID_PREFIX, key)
}

pub fn amount(v: u128) -> Value<'static> {
    decimal(v)
}

pub fn time_text(usec: i64) -> Value<'static> {
    match time_usec_ascii(usec) {
        Some(ascii) => {
            let mut t = Inline::new();
            t.push_ascii(&ascii);
            Value::Text(Text::Inline(t))
        }
        None => text(crate::capture::format_time_usec(usec)),
    }
}

/// Milliseconds since the epoch as UTC text, NULL when out of any sensible range.
pub fn time_ms_text(ms: u64) -> Value<'static> {
    match i64::try_from(ms).ok().and_then(|ms| ms.checked_mul(1000)) {
        Some(usec) if ms < 253_402_300_800_000 => time_text(usec),
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

/// An IP address as the text `Display` gives it, in place.
pub fn ip(addr: std::net::IpAddr) -> Value<'static> {
    let mut t = Inline::new();
    super::address::push_ip(&mut t, addr);
    Value::Text(Text::Inline(t))
}

pub fn place(m: &PacketMeta, which: Place) -> Value<'static> {
    match which {
        Place::Frame => u64_value(m.frame),
        Place::Time => time_text(m.time_usec),
        Place::TimeUsec => int(m.time_usec),
        Place::SrcIp => ip(m.src_ip),
        Place::SrcPort => int(m.src_port),
        Place::DstIp => ip(m.dst_ip),
        Place::DstPort => int(m.dst_port),
        Place::FlowKey => int(m.flow_key),
    }
}

/// Value of meta column `i` (< META_COLUMNS, in `meta_columns` order) for an item
/// carried by message `packet_id`.
pub fn meta_value(packet_id: Option<u64>, m: &PacketMeta, i: usize) -> Value<'static> {
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
            pub const COLS: &'static [$crate::present::table::Col] =
                &[$($crate::present::table::col($name, $decl)),*];
        }
    };
}

/// Columns of a table made of the meta columns followed by `own`.
macro_rules! with_meta {
    ($own:expr) => {{
        const OWN: &[$crate::present::table::Col] = $own;
        const META: [$crate::present::table::Col; $crate::present::values::META_COLUMNS] =
            $crate::present::values::meta_columns();
        const ALL: [$crate::present::table::Col;
            $crate::present::values::META_COLUMNS + OWN.len()] = {
            let mut out = [const { $crate::present::table::col("", "") };
                $crate::present::values::META_COLUMNS + OWN.len()];
            let mut i = 0;
            while i < META.len() {
                out[i] = $crate::present::table::col(META[i].name, META[i].decl);
                i += 1;
            }
            let mut j = 0;
            while j < OWN.len() {
                out[META.len() + j] = $crate::present::table::col(OWN[j].name, OWN[j].decl);
                j += 1;
            }
            out
        };
        &ALL
    }};
}
