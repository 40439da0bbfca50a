//! One file per table family. Each table is a `TableDef`: its columns, how many rows
//! an event yields, and each column's value, computed only when asked for.

pub mod anomalies;
pub mod asc_pull;
pub mod blocks;
pub mod bootstrap;
pub mod connections;
pub mod messages;
pub mod packets;
pub mod votes;
