#!/bin/sh
# nanocap-serve benchmark (see BENCHMARKS.md, "nanocap-serve"; issue 9): requests per
# second and latency percentiles of GET /api/v1/count/packet and of a
# /api/v1/capture/query returning 5000 rows, and the time to last byte of a CSV export
# of every packet row, against a database into which a generated million-message capture
# was imported; once with the server idle, once with a live capture running on `lo`.
# Baselines measured in the same run: the same SQL run directly through rusqlite on the
# same file (same number of client threads), a trivial endpoint (a static file) for the
# HTTP overhead, and the export's rows scanned and CSV-formatted in-process.
#
#   tests/bench_serve.sh      # Markdown on stdout, progress on stderr
#
# What it does:
#  1. builds the generator (tests/bench_build.sh, BENCH_BUILD=generator), nanocap-serve
#     and the load generator (serve/examples/load.rs), release;
#  2. generates MESSAGES messages (gen_capture --messages N --link ethernet --truth -: UDP
#     and TCP mixed, as tests/bench_import.sh) and imports them with the server itself
#     (nanocap-serve --pcap FILE, web disabled in its config; the default capture options);
#  3. starts nanocap-serve on 127.0.0.1 (a free port) over that database, with
#     web.max_query_result 5000, and runs RUNS rounds of: the trivial endpoint (keep-alive,
#     and a new connection per request), count/packet, the 5000-row query, and the two
#     rusqlite baselines, each CLIENTS client threads for DURATION seconds (after 1 s of
#     warm-up), after 3 s without requests (the server's CPU alone: with a live capture,
#     the capture's, which the report takes off the requests' CPU); then RUNS rounds of:
#     the CSV export (one request on its own connection), the same SELECT stepped with
#     every column fetched, and the same CSV-formatted in-process;
#  4. as root only: starts a sender of Nano messages over UDP to 127.0.0.1:UDP_PORT at
#     RATE messages/s, starts a live capture on `lo` (filter "udp dst port UDP_PORT")
#     with POST /api/v1/capture/start, repeats step 3, stops the capture and reports what
#     was sent, stored and dropped. Not root: says so and skips it.
#  5. prints the medians as Markdown tables (`load report`).
#
# Knobs: MESSAGES (default 1000000), CLIENTS (16), DURATION (10 s), RUNS (3), RATE (2000
# messages/s), UDP_PORT (45123), BENCH_TMPDIR (about 4 GB: the capture and the database),
# DB (an existing capture database to use instead of steps 1-2's; it is not removed but
# the live part adds rows to it). About 13 minutes on 2 cores once built. Not part of CI.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MESSAGES=${MESSAGES:-1000000}
CLIENTS=${CLIENTS:-16}
DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
RATE=${RATE:-2000}
UDP_PORT=${UDP_PORT:-45123}

BENCH_BUILD=generator
. "$ROOT/tests/bench_build.sh"
say "== building (release): nanocap-serve, serve/examples/load.rs"
(cd serve && cargo build --quiet --release --bin nanocap-serve --example load)
SERVE=$ROOT/serve/target/release/nanocap-serve
LOAD=$ROOT/serve/target/release/examples/load

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/nanocap-bench-serve.XXXXXX")
SERVE_PID=""
SENDER_PID=""
cleanup() {
    rc=$?
    if [ "$rc" -ne 0 ] && [ -s "$TMP/serve.log" ]; then
        say "== failed ($rc); the server's log:"
        tail -20 "$TMP/serve.log" >&2
    fi
    [ -n "$SENDER_PID" ] && kill "$SENDER_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# 2. The database.
if [ -n "${DB:-}" ]; then
    say "== using the existing database $DB"
else
    DB=$TMP/capture.db
    say "== generating $MESSAGES messages"
    "$GEN" --messages "$MESSAGES" --link ethernet --truth - "$TMP/mixed.pcapng" >/dev/null
    PCAP_MB=$(du -m "$TMP/mixed.pcapng" | cut -f1)
    cat >"$TMP/import.config" <<'CFG'
// bench_serve.sh: import only (the default capture options and filter), no web server
{ "capture": {"enabled": false}, "web": {"enabled": false} }
CFG
    say "== importing with nanocap-serve --pcap (web disabled)"
    T0=$(date +%s.%N)
    "$SERVE" --config "$TMP/import.config" --db "$DB" --pcap "$TMP/mixed.pcapng" 2>"$TMP/import.log" || {
        cat "$TMP/import.log" >&2
        exit 1
    }
    T1=$(date +%s.%N)
    IMPORT_S=$(echo "$T1 $T0" | awk '{printf "%.1f", $1 - $2}')
    say "   $(tail -1 "$TMP/import.log") in ${IMPORT_S} s"
    rm -f "$TMP/mixed.pcapng"
fi

# 3. The server.
cat >"$TMP/serve.config" <<CFG
// bench_serve.sh: the server under test; capture on lo when started over the API
{
  "capture": {"enabled": false, "device_ip": "lo", "filter": "udp dst port $UDP_PORT"},
  "web": {"enabled": true, "bind": "127.0.0.1", "max_query_result": 5000,
          "query_time_limit_ms": 120000, "token": ""}
}
CFG
"$SERVE" --config "$TMP/serve.config" --db "$DB" --port 0 2>"$TMP/serve.log" &
SERVE_PID=$!
ADDR=""
for _ in $(seq 100); do
    ADDR=$(sed -n 's|.*console at http://\([^/]*\)/.*|\1|p' "$TMP/serve.log")
    [ -n "$ADDR" ] && break
    sleep 0.1
done
[ -n "$ADDR" ] || { cat "$TMP/serve.log" >&2; exit 1; }
say "== nanocap-serve at $ADDR (pid $SERVE_PID)"

# The trivial endpoint: the console's index.html when web/ has one, else the login
# script (a static text compiled into the binary); neither touches the database.
if [ -f web/index.html ]; then TRIVIAL=/; else TRIVIAL=/api/v1/login.js; fi
Q5000='SELECT%20%2A%20FROM%20packet%20LIMIT%205000'
QALL='SELECT%20%2A%20FROM%20packet'
RES=$TMP/results.jsonl
: >"$RES"

measure() { # measure PHASE
    phase=$1
    opts="--clients $CLIENTS --duration $DURATION --phase $phase"
    srv="--server-pid $SERVE_PID"
    for r in $(seq "$RUNS"); do
        say "   $phase: requests, round $r of $RUNS (load $(loadavg))"
        # shellcheck disable=SC2086 # opts is a list of options
        {
            "$LOAD" cpu $srv --duration 3 --phase "$phase" --label "server alone, no requests"
            "$LOAD" http "$ADDR" "$TRIVIAL" $opts $srv --label "trivial endpoint"
            "$LOAD" http "$ADDR" "$TRIVIAL" $opts $srv --new-conn --label "trivial endpoint, new connection per request"
            "$LOAD" http "$ADDR" /api/v1/count/packet $opts $srv --label "count/packet"
            "$LOAD" http "$ADDR" "/api/v1/capture/query?query=$Q5000" $opts $srv --label "capture/query, 5000 rows"
            "$LOAD" sql "$DB" "SELECT count(*) FROM packet" $opts --label "rusqlite: SELECT count(*) FROM packet"
            "$LOAD" sql "$DB" "SELECT * FROM packet LIMIT 5000" $opts --label "rusqlite: SELECT * FROM packet LIMIT 5000"
        } >>"$RES"
    done
    # shellcheck disable=SC2086 # srv is a list of options
    for r in $(seq "$RUNS"); do
        say "   $phase: export, round $r of $RUNS (load $(loadavg))"
        {
            "$LOAD" get "$ADDR" "/api/v1/capture/query?format=csv&query=$QALL" $srv --phase "$phase" --label "CSV export"
            "$LOAD" scan "$DB" "SELECT * FROM packet" --phase "$phase" --label "rusqlite: SELECT * FROM packet, every column fetched"
            "$LOAD" scan "$DB" "SELECT * FROM packet" --csv --phase "$phase" --label "rusqlite: SELECT * FROM packet, CSV formatted in-process"
        } >>"$RES"
    done
}

ROWS=$("$LOAD" request "$ADDR" GET /api/v1/count/packet | sed 's/.*"count":\([0-9]*\).*/\1/')
DB_MB=$(($(stat -c %s "$DB") / 1000000))
echo "### nanocap-serve: $ROWS packet rows"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'), \
$(free -g | awk '/^Mem:/ {print $2}') GB RAM; nanocap $(git rev-parse --short HEAD)"
echo
echo "Database: $DB_MB MB, $ROWS rows in packet${IMPORT_S:+; imported from a ${PCAP_MB} MB capture of $MESSAGES generated messages by \`nanocap-serve --pcap\` in $IMPORT_S s}."
echo "$CLIENTS client threads, $DURATION s per measurement after 1 s of warm-up, $RUNS runs of each (medians shown); keep-alive connections unless said."
echo

say "== idle: no capture running"
L0=$(loadavg)
measure idle
L1=$(loadavg)
echo "- idle phase: load average $L0 before, $L1 after."

if [ "$(id -u)" -eq 0 ]; then
    say "== live: capture on lo, $RATE messages/s over UDP to port $UDP_PORT"
    "$LOAD" request "$ADDR" POST /api/v1/capture/start >"$TMP/start.json"
    say "   $(cat "$TMP/start.json")"
    "$LOAD" send "$UDP_PORT" --rate "$RATE" >"$TMP/sent.json" &
    SENDER_PID=$!
    sleep 2
    L0=$(loadavg)
    measure live
    L1=$(loadavg)
    kill -INT "$SENDER_PID"
    wait "$SENDER_PID" || true
    SENDER_PID=""
    sleep 2
    "$LOAD" request "$ADDR" GET /api/v1/status >"$TMP/status.json"
    "$LOAD" request "$ADDR" POST /api/v1/capture/stop >"$TMP/stop.json"
    echo "- live phase: load average $L0 before, $L1 after. Sender: $(cat "$TMP/sent.json")."
    echo "- capture status before the stop: $(sed 's/^200 //; s/.*"capture":\({[^}]*}\).*/\1/' "$TMP/status.json")"
    echo "- capture stop: $(sed 's/^200 //' "$TMP/stop.json")"
else
    say "== live part skipped: capturing on lo needs root (run as root for it)"
    echo "- live part skipped: not root (capturing on lo needs root)."
fi
if grep -q -i locked "$RES" "$TMP/serve.log"; then
    echo "- **\"database is locked\" seen** (see the errors column)."
fi
echo
"$LOAD" report "$RES"
say "== done"
