#!/bin/sh
# Runs each fuzz target for a fixed time (default 60 s each) with cargo fuzz on the
# nightly toolchain, from the committed seeds (fuzz/corpus/<target>, plus the test
# fixtures for capture_file). Inputs that crash, hang or exceed the memory limit are
# copied to fuzz/regressions/<target>/, which the normal test suite replays
# (`cargo test --features synth fuzzing`): commit them with the fix.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz if missing. New corpus entries found on the way stay in
# fuzz/target/corpus/<target> (not committed).
set -eu
cd "$(dirname "$0")"
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
TARGETS=${*:-decode capture_file tcp_segments}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
status=0
for t in $TARGETS; do
    work=target/corpus/$t
    mkdir -p "$work" "artifacts/$t" "regressions/$t"
    seeds="corpus/$t"
    [ "$t" = capture_file ] && seeds="$seeds ../tests/fixtures"
    echo "== $t for ${SECONDS_EACH}s"
    # -rss_limit_mb: nanocap bounds its memory far below this whatever the input.
    # -timeout: no input may take a second.
    if ! cargo +nightly fuzz run "$t" "$work" $seeds -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -print_final_stats=1; then
        status=1
    fi
    for a in artifacts/"$t"/*; do
        [ -f "$a" ] || continue
        cp "$a" "regressions/$t/"
        echo "found: $a (copied to fuzz/regressions/$t/)"
        status=1
    done
done
exit $status
