//! From capture bytes to message events: frame sources behind one trait
//! (`source::FrameSource`: files now, live libpcap later), link/IP/UDP/TCP layers,
//! reassembly, and the pipeline that emits `Event`s.
//!
//! CONTRACT: `Event` is read by `present`; `Pipeline` and `flow_key` by `sql` (and later
//! `store`).

pub mod cookies;
pub mod defrag;
pub mod event;
pub mod filter;
pub mod flow;
pub mod ip;
pub mod link;
pub mod pipeline;
pub mod segment;
pub mod selection;
pub mod source;
pub mod tcp;
pub mod time;
pub mod udp;

#[cfg(test)]
mod tests;

pub use event::*;
pub use flow::flow_key;
pub use pipeline::{OpenError, Pipeline, PipelineOptions, PipelineStats, Progress};
pub use time::{format_time_usec, time_usec_ascii};
