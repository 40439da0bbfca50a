//! Most typed tables have the same shape: rows drawn from one kind of cleanly
//! decoded message (one row per message, or one per item in it), starting with the
//! meta columns. `MessageTable` says only what differs; `PerMessage<T>` does the rest.

use super::table::{Col, MessageColumns, ScanState, TableDef};
use super::values::{meta_value, Value, META_COLUMNS};
use crate::capture::selection::MessageFilter;
use crate::capture::{Event, MessageEvent};
use crate::protocol::{MessageType, Payload};
use std::marker::PhantomData;

pub trait MessageTable: 'static {
    const NAME: &'static str;
    /// The one message type whose payload `pick` takes items from.
    const TYPE: MessageType;
    /// The part of the payload the rows come from.
    type Item: 'static;
    /// Every column, meta columns first (`with_meta!`).
    fn columns() -> &'static [Col];
    /// The item, when the payload is of this table's kind.
    fn pick(p: &Payload) -> Option<&Self::Item>;
    /// Rows per item.
    fn count(_item: &Self::Item) -> usize {
        1
    }
    /// Value of own column `col` (0-based after the meta columns) of row `row`.
    fn value<'e>(m: &'e MessageEvent, item: &'e Self::Item, row: usize, col: usize) -> Value<'e>;
}

pub struct PerMessage<T>(PhantomData<T>);

fn picked<T: MessageTable>(ev: &Event) -> Option<(&MessageEvent, &T::Item)> {
    match ev {
        Event::Message(m) => m.payload.as_ref().ok().and_then(T::pick).map(|i| (m, i)),
        _ => None,
    }
}

impl<T: MessageTable> TableDef for PerMessage<T> {
    const NAME: &'static str = T::NAME;

    fn columns() -> &'static [Col] {
        T::columns()
    }

    fn rows(ev: &Event, _scan: &ScanState) -> usize {
        picked::<T>(ev).map_or(0, |(_, item)| T::count(item))
    }

    fn payload_types(filter: &mut MessageFilter) {
        filter.only_types(&[T::TYPE as u8]);
    }

    /// Every row is an item of one message, placed where the message is.
    fn message_columns() -> MessageColumns {
        MessageColumns {
            only_messages: true,
            ..MessageColumns::META
        }
    }

    fn column<'e>(ev: &'e Event, row: usize, col: usize, _scan: &ScanState) -> Value<'e> {
        match picked::<T>(ev) {
            None => Value::Null,
            Some((m, _)) if col < META_COLUMNS => meta_value(Some(m.id), &m.meta, col),
            Some((m, item)) => T::value(m, item, row, col - META_COLUMNS),
        }
    }
}
