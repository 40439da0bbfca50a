//! nanocap: Nano node-to-node traffic as SQL tables.

pub mod capture;
pub mod protocol;
pub mod synth;
