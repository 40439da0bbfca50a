//! The capture database: the persistent schema and (next) the batched writer that
//! `nano_import` and live capture share.

pub mod schema;
