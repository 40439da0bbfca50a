# Sourced by tests/bench.sh, tests/bench_import.sh and tests/bench_serve.sh (with ROOT
# set): builds the extension, the generator and the bench binary, and names the last two.
# BENCH_BUILD lists what to build (default "extension generator bench").

say() { echo "$*" >&2; }

BENCH_BUILD=${BENCH_BUILD:-extension generator bench}
say "== building (release): $BENCH_BUILD"
case " $BENCH_BUILD " in *" extension "*) cargo build --quiet --release ;; esac
# The generator is built without the `extension` feature into its own target dir, so it
# never replaces target/release/libnanocap.so (as tests/fixtures/generate.sh does).
case " $BENCH_BUILD " in *" generator "*)
    CARGO_TARGET_DIR=target/generator cargo build --quiet --release --no-default-features --features synth --example gen_capture ;;
esac
case " $BENCH_BUILD " in *" bench "*) (cd tests/harness && cargo build --quiet --release --bin bench) ;; esac
GEN=$ROOT/target/generator/release/examples/gen_capture
BENCH=$ROOT/tests/harness/target/release/bench
