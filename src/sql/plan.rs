//! The query plan of a table function: which constraints `xBestIndex` takes, how
//! they are written into `idxNum`/`idxStr` (what `EXPLAIN QUERY PLAN` shows), and how
//! `xFilter` reads them back into a key lookup and a message filter.
//!
//! Every constraint taken stays checked by SQLite too (never `omit`), so a value the
//! scan cannot interpret exactly (a real, text where an integer is stored) is simply
//! ignored: the scan then returns more rows, never fewer.

use super::lookup::KEY_COLUMNS;
use crate::capture::selection::MessageFilter;
use crate::capture::Transport;
use crate::present::{Col, MessageColumns, TableDef, Value};
use crate::protocol::msg_name;
use rusqlite::types::Value as SqlValue;
use rusqlite::vtab::{Filters, IndexConstraintOp, IndexInfo};
use std::ffi::c_int;

/// `idx_num` bits: the path is an argument; the options are too.
pub const WITH_PATH: c_int = 1;
pub const WITH_OPTIONS: c_int = 2;
/// The statement reads a `signature_valid` column: the scan has the signatures of
/// the rows ahead checked on every core (`table::Ahead`).
pub const CHECKS_SIGNATURES: c_int = 4;
/// The statement reads no column that shows a payload (`TableDef::headers_suffice`):
/// the scan leaves the payloads undecoded (`MessageFilter::headers_only`).
pub const HEADERS_ONLY: c_int = 8;

/// Message attributes a scan can filter on (see `MessageColumns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Frame,
    TimeUsec,
    Transport,
    MsgType,
    MsgName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

const OPS: [(Op, &str); 5] = [
    (Op::Ge, ">="),
    (Op::Le, "<="),
    (Op::Eq, "="),
    (Op::Gt, ">"),
    (Op::Lt, "<"),
];

fn op_of(op: IndexConstraintOp) -> Option<Op> {
    use IndexConstraintOp as C;
    Some(match op {
        C::SQLITE_INDEX_CONSTRAINT_EQ => Op::Eq,
        C::SQLITE_INDEX_CONSTRAINT_GT => Op::Gt,
        C::SQLITE_INDEX_CONSTRAINT_GE => Op::Ge,
        C::SQLITE_INDEX_CONSTRAINT_LT => Op::Lt,
        C::SQLITE_INDEX_CONSTRAINT_LE => Op::Le,
        _ => return None,
    })
}

fn field_of(m: &MessageColumns, col: usize) -> Option<Field> {
    let is = |c: Option<usize>| c == Some(col);
    Some(if is(m.id) {
        Field::Id
    } else if is(m.frame) {
        Field::Frame
    } else if is(m.time_usec) {
        Field::TimeUsec
    } else if is(m.transport) {
        Field::Transport
    } else if is(m.msg_type) {
        Field::MsgType
    } else if is(m.msg_name) {
        Field::MsgName
    } else {
        return None;
    })
}

/// Ranges on numbers, equality on the rest.
fn usable_op(f: Field, op: Op) -> bool {
    matches!(f, Field::Id | Field::Frame | Field::TimeUsec) || op == Op::Eq
}

fn column_index<T: TableDef>(name: &str) -> Option<usize> {
    T::columns().iter().position(|c| c.name == name)
}

/// `xBestIndex`. `false` when a path or options constraint is not usable yet (it
/// comes from a table SQLite has not positioned): SQLite then tries an order where
/// it is.
pub fn choose<T: TableDef>(info: &mut IndexInfo) -> bool {
    let ncols = T::columns().len();
    let (path_col, options_col) = (ncols, ncols + 1);
    let messages = T::message_columns();
    let mut path = None;
    let mut options = None;
    let mut unusable = false;
    let mut key: Option<(usize, usize)> = None;
    let mut pushed: Vec<(usize, usize, Op)> = Vec::new();
    for (i, c) in info.constraints().enumerate() {
        let col = c.column();
        let Ok(col) = usize::try_from(col) else {
            continue;
        };
        let op = op_of(c.operator());
        if col == path_col || col == options_col {
            if op != Some(Op::Eq) {
                continue;
            }
            if !c.is_usable() {
                unusable = true;
            } else if col == path_col {
                path = Some(i);
            } else {
                options = Some(i);
            }
            continue;
        }
        let Some(op) = op.filter(|_| c.is_usable() && col < ncols) else {
            continue;
        };
        // A text comparison under another collation is not the byte equality the
        // scan would apply.
        if !info
            .collation(i)
            .is_ok_and(|n| n.eq_ignore_ascii_case("BINARY"))
        {
            continue;
        }
        if key.is_none() && op == Op::Eq && KEY_COLUMNS.contains(&T::columns()[col].name) {
            key = Some((i, col));
        } else if field_of(&messages, col).is_some_and(|f| usable_op(f, op)) {
            pushed.push((i, col, op));
        }
    }
    if unusable {
        return false;
    }
    let Some(path) = path else {
        info.set_estimated_cost(f64::MAX);
        info.set_idx_num(0);
        return true;
    };
    let mut plan = WITH_PATH;
    let col_used = info.col_used();
    if used::<T>(col_used).any(|(_, c)| c.name == "signature_valid") {
        plan |= CHECKS_SIGNATURES;
    }
    if T::headers_suffice(used::<T>(col_used).map(|(i, _)| i)) {
        plan |= HEADERS_ONLY;
    }
    let mut argv = 1;
    let mut take = |info: &mut IndexInfo, i: usize| {
        let mut usage = info.constraint_usage(i);
        usage.set_argv_index(argv);
        usage.set_omit(false);
        argv += 1;
    };
    take(info, path);
    info.constraint_usage(path).set_omit(true);
    if let Some(o) = options {
        take(info, o);
        info.constraint_usage(o).set_omit(true);
        plan |= WITH_OPTIONS;
    }
    let mut terms = Vec::new();
    let mut cost = 1_000_000.0;
    if let Some((i, col)) = key {
        take(info, i);
        terms.push(format!("key:{}", T::columns()[col].name));
    }
    for &(i, col, op) in &pushed {
        take(info, i);
        let sym = OPS.iter().find(|(o, _)| *o == op).map_or("", |(_, s)| s);
        terms.push(format!("{}{sym}", T::columns()[col].name));
        cost /= 2.0;
    }
    if key.is_some() {
        // A lookup in an index of the decoded file (`lookup`) once the cursor is
        // filtered again: what makes SQLite put this table on the inner side of a
        // join instead of rescanning the file per outer row.
        cost = 20.0;
    }
    info.set_estimated_cost(cost);
    info.set_estimated_rows(if key.is_some() { 10 } else { cost as i64 });
    info.set_idx_num(plan);
    if !terms.is_empty() {
        info.set_idx_str(&terms.join(","));
    }
    true
}

/// The table's columns a statement may read, from SQLite's `col_used` (bit `i` for
/// column `i`, bit 63 for every column from 63 on), with their indexes.
fn used<T: TableDef>(col_used: u64) -> impl Iterator<Item = (usize, &'static Col)> {
    T::columns()
        .iter()
        .enumerate()
        .filter(move |(i, _)| col_used & (1u64 << (*i).min(63)) != 0)
}

/// What `xFilter` was asked beyond the path and options.
pub struct Plan {
    /// An equality on a key column: its column and value.
    pub key: Option<(usize, Value<'static>)>,
    /// The messages that can yield a matching row.
    pub filter: MessageFilter,
    /// No row is past this message id, and every row comes from a message: the scan
    /// may stop once every message up to it was yielded.
    pub max_id: Option<u64>,
    /// No row is past this frame, and every row comes from a message: the scan may stop
    /// once the file is read past it (a message's frame is that of the segment that let
    /// it be read, so frames never decrease in scan order).
    pub max_frame: Option<u64>,
}

fn value_of(v: SqlValue) -> Value<'static> {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(i),
        SqlValue::Real(r) => Value::Real(r),
        SqlValue::Text(t) => Value::Text(t.into()),
        SqlValue::Blob(b) => Value::Blob(b.into()),
    }
}

/// Reads the terms `choose` wrote into `idx_str`; their values start at argument
/// `first`.
pub fn read<T: TableDef>(idx_str: Option<&str>, args: &Filters<'_>, first: usize) -> Plan {
    let messages = T::message_columns();
    let mut plan = Plan {
        key: None,
        filter: MessageFilter::ALL,
        max_id: None,
        max_frame: None,
    };
    let terms = idx_str
        .unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty());
    for (k, term) in terms.enumerate() {
        let Ok(v) = args.get::<SqlValue>(first + k) else {
            continue;
        };
        let v = value_of(v);
        if let Some(name) = term.strip_prefix("key:") {
            let Some(col) = column_index::<T>(name) else {
                continue;
            };
            // A key that is also a message attribute narrows the scan as well
            // (the first filter, or a file too big to hold).
            if let Some(f) = field_of(&messages, col) {
                narrow(&mut plan.filter, f, Op::Eq, &v);
            }
            plan.key = Some((col, v));
            continue;
        }
        let Some((name, op)) = OPS
            .iter()
            .find_map(|(op, sym)| term.strip_suffix(sym).map(|n| (n, *op)))
        else {
            continue;
        };
        if let Some(f) = column_index::<T>(name).and_then(|c| field_of(&messages, c)) {
            narrow(&mut plan.filter, f, op, &v);
        }
    }
    if messages.only_messages && plan.filter.ids.1 < u64::MAX {
        plan.max_id = Some(plan.filter.ids.1);
    }
    if messages.only_messages && plan.filter.frames.1 < u64::MAX {
        plan.max_frame = Some(plan.filter.frames.1);
    }
    plan
}

/// Intersects inclusive bounds `b` with `op value`, in i128 so nothing overflows.
fn bound(b: (i128, i128), op: Op, v: i128) -> (i128, i128) {
    let (lo, hi) = match op {
        Op::Eq => (v, v),
        Op::Gt => (v + 1, i128::MAX),
        Op::Ge => (v, i128::MAX),
        Op::Lt => (i128::MIN, v - 1),
        Op::Le => (i128::MIN, v),
    };
    (b.0.max(lo), b.1.min(hi))
}

/// Bounds clamped into the column's domain; an empty range stays empty.
fn clamp<N: TryFrom<i128> + Copy>(b: (i128, i128), min: N, max: N) -> (N, N)
where
    i128: From<N>,
{
    let (lo_d, hi_d) = (i128::from(min), i128::from(max));
    if b.0 > b.1 || b.0 > hi_d || b.1 < lo_d {
        // Empty: a range no value is in.
        return (max, min);
    }
    let lo = N::try_from(b.0.max(lo_d)).unwrap_or(min);
    let hi = N::try_from(b.1.min(hi_d)).unwrap_or(max);
    (lo, hi)
}

/// Narrows `f` by `field op v`, when `v` is of the type the column holds; any other
/// value leaves it as it is (SQLite compares those itself).
fn narrow(f: &mut MessageFilter, field: Field, op: Op, v: &Value<'_>) {
    match (field, v) {
        (Field::Id, Value::Integer(n)) => {
            let b = (i128::from(f.ids.0), i128::from(f.ids.1));
            f.ids = clamp(bound(b, op, i128::from(*n)), 0u64, u64::MAX);
        }
        (Field::Frame, Value::Integer(n)) => {
            let b = (i128::from(f.frames.0), i128::from(f.frames.1));
            f.frames = clamp(bound(b, op, i128::from(*n)), 0u64, u64::MAX);
        }
        (Field::TimeUsec, Value::Integer(n)) => {
            let b = (i128::from(f.times.0), i128::from(f.times.1));
            f.times = clamp(bound(b, op, i128::from(*n)), i64::MIN, i64::MAX);
        }
        (Field::MsgType, Value::Integer(n)) => match u8::try_from(*n) {
            Ok(code) => f.only_type(code),
            Err(_) => f.no_type(),
        },
        (Field::MsgName, Value::Text(name)) => {
            match (0..=u8::MAX).find(|&c| msg_name(c) == Some(name.as_ref())) {
                Some(code) => f.only_type(code),
                None => f.no_type(),
            }
        }
        (Field::Transport, Value::Text(t)) => match t.as_ref() {
            "udp" => f.only_transport(Transport::Udp),
            "tcp" => f.only_transport(Transport::Tcp),
            _ => f.no_type(),
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_intersect_and_clamp() {
        let all = (i128::MIN, i128::MAX);
        assert_eq!(clamp(bound(all, Op::Gt, 5), 0u64, u64::MAX), (6, u64::MAX));
        assert_eq!(clamp(bound(all, Op::Le, -1), 0u64, u64::MAX), (u64::MAX, 0));
        assert_eq!(clamp(bound(all, Op::Ge, -7), 0u64, u64::MAX), (0, u64::MAX));
        let b = bound(bound(all, Op::Ge, 10), Op::Lt, 20);
        assert_eq!(clamp(b, 0u64, u64::MAX), (10, 19));
        let b = bound(bound(all, Op::Gt, 10), Op::Lt, 11);
        assert_eq!(clamp(b, 0u64, u64::MAX), (u64::MAX, 0));
        let b = bound(all, Op::Lt, i128::from(i64::MIN));
        assert_eq!(clamp(b, i64::MIN, i64::MAX), (i64::MAX, i64::MIN));
    }

    #[test]
    fn values_of_other_types_do_not_narrow() {
        let mut f = MessageFilter::ALL;
        narrow(&mut f, Field::MsgType, Op::Eq, &Value::Text("5".into()));
        narrow(&mut f, Field::Id, Op::Gt, &Value::Real(2.5));
        narrow(&mut f, Field::MsgName, Op::Eq, &Value::Integer(3));
        assert!(f.is_all());
        narrow(
            &mut f,
            Field::MsgName,
            Op::Eq,
            &Value::Text("no_such".into()),
        );
        assert!(!f.is_all());
    }
}
