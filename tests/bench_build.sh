# Sourced by tests/bench.sh and tests/bench_import.sh (with ROOT set): builds the
# extension, the generator and the bench binary, and names the last two.

say() { echo "$*" >&2; }

say "== building (release): extension, generator, bench"
cargo build --quiet --release
# The generator is built without the `extension` feature into its own target dir, so it
# never replaces target/release/libnanocap.so (as tests/fixtures/generate.sh does).
CARGO_TARGET_DIR=target/generator cargo build --quiet --release --no-default-features --features synth --example gen_capture
(cd tests/harness && cargo build --quiet --release --bin bench)
GEN=$ROOT/target/generator/release/examples/gen_capture
BENCH=$ROOT/tests/harness/target/release/bench
