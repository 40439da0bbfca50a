//! The capture database: the persistent schema, the mapping from the present table
//! definitions to its tables, and the batched writer that `nano_import` and live
//! capture share.

pub mod batch;
pub mod capture;
pub mod import;
pub mod parallel;
pub mod schema;
pub mod status;
pub mod tables;
pub mod writer;
