//! From capture bytes to message events: frame sources (files, later live),
//! link/IP/UDP/TCP layers, reassembly, and the pipeline that emits `Event`s.
//!
//! CONTRACT: `Event`, `Pipeline` and `flow_key` are used by `sql` (and later `store`).

pub mod event;
pub mod flow;
pub mod pipeline;
pub mod tcp;

pub use event::*;
pub use flow::flow_key;
pub use pipeline::{OpenError, Pipeline, PipelineStats};
pub mod time;
pub use time::format_time_usec;
