//! Fuzz target: `nanocap::fuzzing::capture_file` (see src/fuzzing.rs for what the bytes mean).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nanocap::fuzzing::capture_file(data));
