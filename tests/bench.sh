#!/bin/sh
# Benchmarks of nanocap against baselines measured in the same run (see BENCHMARKS.md).
# Builds the extension, the generator and the bench binary, generates the captures into
# a temporary directory (removed on exit, also on Ctrl-C: files of GBs are never left
# behind), runs the benches and prints Markdown tables on stdout.
#
#   tests/bench.sh
#
# Knobs (environment): BENCH_MESSAGES (throughput files, default 1000000), BENCH_RUNS
# (best of N, default 3), BENCH_TSHARK_FRAMES (tshark prefix, default 200000; 0 = the
# whole file), BENCH_SIZES_GB (peak-memory series, default "0.25 0.5 1 2"),
# BENCH_TMPDIR (default $TMPDIR or /tmp; needs about 5 GB free).
# About 4 minutes on a 2-core machine once built.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MESSAGES=${BENCH_MESSAGES:-1000000}
RUNS=${BENCH_RUNS:-3}
TSHARK_FRAMES=${BENCH_TSHARK_FRAMES:-200000}
SIZES=${BENCH_SIZES_GB:-0.25 0.5 1 2}
PORT=44000 # the generator's default node port for the dev network

. "$ROOT/tests/bench_build.sh"
command -v tshark >/dev/null || say "tshark not found: the tshark rows will be missing"

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/nanocap-bench.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP
FREE_KB=$(df -Pk "$TMP" | awk 'NR==2 {print $4}')
if [ "$FREE_KB" -lt 5000000 ]; then
    say "need about 5 GB free in $TMP, have $((FREE_KB / 1024)) MB (set BENCH_TMPDIR)"
    exit 1
fi

gen() { # gen OUT MESSAGES [generator options...]
    out=$1 n=$2
    shift 2
    "$GEN" --messages "$n" --link ethernet --truth - "$@" "$out" >/dev/null
    say "   generated $(basename "$out"): $n messages, $(du -m "$out" | cut -f1) MB"
}

throughput() { # throughput TITLE FILE
    echo "### $1"
    echo
    "$BENCH" throughput "$2" --runs "$RUNS" --port "$PORT" --tshark-frames "$TSHARK_FRAMES"
}

echo "# nanocap benchmarks"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'), \
$(free -g | awk '/^Mem:/ {print $2}') GB RAM; tshark: $(tshark --version 2>/dev/null | head -1 | sed "s/\.$//" || echo none); \
nanocap $(git rev-parse --short HEAD)"
echo

say "== 1. UDP throughput"
gen "$TMP/udp.pcapng" "$MESSAGES" --transport udp
throughput "UDP: $MESSAGES messages, one per datagram (issue 1)" "$TMP/udp.pcapng"
rm -f "$TMP/udp.pcapng"

say "== 2. TCP throughput (reassembly + framing + decoding)"
gen "$TMP/tcp.pcapng" "$MESSAGES" --transport tcp
throughput "TCP: $MESSAGES messages, coalesced segments (issue 2)" "$TMP/tcp.pcapng"
rm -f "$TMP/tcp.pcapng"
gen "$TMP/tcp-messy.pcapng" "$MESSAGES" --transport tcp --tcp-shaping messy
throughput "TCP, messy shaping (splits, retransmissions, overlaps, reordering, losses): $MESSAGES messages (issue 2)" "$TMP/tcp-messy.pcapng"
rm -f "$TMP/tcp-messy.pcapng"

say "== 3. peak memory series"
# Bytes per message of this TCP traffic, from a small probe, to size the series.
gen "$TMP/probe.pcapng" 50000 --transport tcp
PER_MSG=$(($(wc -c <"$TMP/probe.pcapng") / 50000))
rm -f "$TMP/probe.pcapng"
FILES=""
for gb in $SIZES; do
    n=$(awk -v gb="$gb" -v b="$PER_MSG" 'BEGIN { printf "%d", gb * 1e9 / b }')
    f="$TMP/tcp-${gb}GB.pcapng"
    gen "$f" "$n" --transport tcp
    FILES="$FILES $f"
done
echo "### Peak memory of \`SELECT count(*) FROM nano_packets(f)\` on TCP files of growing size (issue 2)"
echo
# shellcheck disable=SC2086 # FILES is a list of paths without spaces (our temp dir)
"$BENCH" memory $FILES
say "== done"
