//! Events as typed values, without SQLite: every table's columns and how an event
//! turns into rows of values (uppercase hex, `nano_` accounts, UTC times, JSON
//! details). The virtual tables (`sql`), the store writer and the HTTP API all read
//! these definitions, so what they show cannot drift apart.

#[macro_use]
pub mod values;
mod address;
pub mod json;
pub mod per_message;
pub mod signatures;
pub mod table;
pub mod tables;
pub mod text;

#[cfg(test)]
mod tests;

pub use per_message::{MessageTable, PerMessage};
pub use table::{col, row_values, Col, MessageColumns, Options, ScanState, TableDef};
pub use text::{Inline, Text};
pub use values::Value;
