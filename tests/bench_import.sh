#!/bin/sh
# Import benchmarks (see BENCHMARKS.md, "Imports"): nano_import of a generated capture
# with every detail on/off and signatures on/off, beside the table-function scans of the
# same file, plain SQLite inserts and tshark, measured in the same run; then the peak
# RSS of an import on a 0.25 GB and a 1 GB file. Prints Markdown on stdout.
#
#   tests/bench_import.sh
#
# Knobs: BENCH_MESSAGES (default 1000000), BENCH_RUNS (imports per variant, best kept;
# default 1), BENCH_SIZES_GB (memory series, default "0.25 1"), BENCH_TMPDIR (needs about
# 12 GB free: a 1 GB capture makes a 6 GB database). About 12 minutes on a 2-core machine once built. Not part of CI.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MESSAGES=${BENCH_MESSAGES:-1000000}
RUNS=${BENCH_RUNS:-1}
SIZES=${BENCH_SIZES_GB:-0.25 1}

. "$ROOT/tests/bench_build.sh"

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/nanocap-bench-import.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP
FREE_KB=$(df -Pk "$TMP" | awk 'NR==2 {print $4}')
if [ "$FREE_KB" -lt 12000000 ]; then
    say "need about 12 GB free in $TMP, have $((FREE_KB / 1024)) MB (set BENCH_TMPDIR)"
    exit 1
fi

gen() { # gen OUT MESSAGES: the generator's default traffic (UDP and TCP mixed)
    "$GEN" --messages "$2" --link ethernet --truth - "$1" >/dev/null
    say "   generated $(basename "$1"): $2 messages, $(du -m "$1" | cut -f1) MB"
}

echo "### Imports: $MESSAGES messages, UDP and TCP mixed"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'), \
$(free -g | awk '/^Mem:/ {print $2}') GB RAM; $(tshark --version 2>/dev/null | head -1 | sed "s/\.$//" || echo no tshark); \
nanocap $(git rev-parse --short HEAD)"
echo
say "== 1. import rates"
gen "$TMP/mixed.pcapng" "$MESSAGES"
"$BENCH" import "$TMP/mixed.pcapng" --runs "$RUNS" --dir "$TMP"
rm -f "$TMP/mixed.pcapng"

say "== 2. peak memory of an import"
gen "$TMP/probe.pcapng" 50000
PER_MSG=$(($(wc -c <"$TMP/probe.pcapng") / 50000))
rm -f "$TMP/probe.pcapng"
FILES=""
for gb in $SIZES; do
    n=$(awk -v gb="$gb" -v b="$PER_MSG" 'BEGIN { printf "%d", gb * 1e9 / b }')
    f="$TMP/mixed-${gb}GB.pcapng"
    gen "$f" "$n"
    FILES="$FILES $f"
done
echo "### Peak memory of \`nano_import\` (defaults) on files of growing size"
echo
# shellcheck disable=SC2086 # FILES is a list of paths without spaces (our temp dir)
"$BENCH" import-memory $FILES
say "== done"
