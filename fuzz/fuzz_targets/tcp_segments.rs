//! Fuzz target: `nanocap::fuzzing::tcp_segments` (see src/fuzzing.rs for what the bytes mean).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nanocap::fuzzing::tcp_segments(data));
