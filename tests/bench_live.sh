#!/bin/sh
# Live-capture benchmark (see BENCHMARKS.md, "Live capture"): a generated capture is
# replayed on the loopback interface with tcpreplay at increasing packet rates while
# nanocap captures it (every detail on, signatures checked) in a Python process that
# loaded the extension; for each rate: what tcpreplay sent, what nanocap stored, what
# was dropped and where (libpcap's counters, nanocap's queue), and the CPU time of the
# capture process. Prints Markdown on stdout.
#
#   sudo tests/bench_live.sh
#
# Knobs: BENCH_MESSAGES (default 300000), BENCH_RATES (packets per second, "top" for
# tcpreplay --topspeed; default "10000 25000 50000 100000 top"). Needs root (capture
# and tcpreplay on lo), tcpreplay and Debian's /usr/bin/python3. About 3 minutes once
# built. Not part of CI.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MESSAGES=${BENCH_MESSAGES:-300000}
RATES=${BENCH_RATES:-10000 25000 50000 100000 top}

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/bench_live.sh needs root (live capture and tcpreplay on lo)" >&2
    exit 1
fi
command -v tcpreplay >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay >/dev/null
}

. "$ROOT/tests/bench_build.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nanocap-bench-live.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

# The generator's default traffic (UDP and TCP, IPv4 and IPv6, dev network port 44000).
CAP=$TMP/live.pcap
"$GEN" --messages "$MESSAGES" --link ethernet --format pcap --truth - "$CAP" >/dev/null
PACKETS=$(tcpdump -nr "$CAP" 2>/dev/null | wc -l || true)
[ "$PACKETS" -gt 0 ] || PACKETS=$(capinfos -c -M "$CAP" 2>/dev/null | awk '/Number of packets/ {print $NF}')
say "   generated $(basename "$CAP"): $MESSAGES messages in $PACKETS packets, $(du -m "$CAP" | cut -f1) MB"

# The capture process: starts a capture on lo, says "ready", waits for a line on
# stdin, stops, prints the summary with its CPU time and the stored counts as JSON.
cat >"$TMP/capture.py" <<'EOF'
import json, resource, sqlite3, sys, time
db, ext = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
c.enable_load_extension(True)
c.load_extension(ext)
ru0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
c.execute("SELECT nano_capture_start('lo', 'port 44000')").fetchone()
print("ready", flush=True)
sys.stdin.readline()
summary = json.loads(c.execute("SELECT nano_capture_stop()").fetchone()[0])
ru1 = resource.getrusage(resource.RUSAGE_SELF)
summary["cpu_s"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
summary["wall_s"] = time.monotonic() - t0
summary["stored"] = c.execute("SELECT count(*) FROM packet WHERE msg_type IS NOT NULL").fetchone()[0]
summary["gaps"] = c.execute("SELECT count(*) FROM anomaly WHERE kind = 'tcp_gap'").fetchone()[0]
print(json.dumps(summary), flush=True)
EOF

echo "### Live capture on lo: $MESSAGES generated messages ($PACKETS packets) replayed by tcpreplay"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores: $(lscpu | sed -n 's/^Model name: *//p'); \
$(tcpreplay --version 2>&1 | head -1); nanocap $(git rev-parse --short HEAD); load average before: \
$(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| asked (packets/s) | sent (packets/s) | messages/s | stored / sent messages | libpcap received | kernel dropped | interface dropped | nanocap queue dropped | tcp_gap anomalies | capture CPU (cores) |"
echo "|---|---|---|---|---|---|---|---|---|---|"

for rate in $RATES; do
    DB=$TMP/live-$rate.db
    rm -f "$DB" "$DB-wal" "$DB-shm"
    mkfifo "$TMP/in"
    /usr/bin/python3 "$TMP/capture.py" "$DB" "$ROOT/target/release/libnanocap" <"$TMP/in" >"$TMP/out" &
    PY=$!
    exec 3>"$TMP/in"
    while ! grep -q ready "$TMP/out" 2>/dev/null; do sleep 0.1; done
    if [ "$rate" = top ]; then speed=--topspeed; else speed=--pps=$rate; fi
    tcpreplay -q -i lo "$speed" "$CAP" >"$TMP/replay" 2>&1 || true
    # Let the queue drain and the last second commit.
    sleep 3
    echo >&3
    exec 3>&-
    wait "$PY"
    rm -f "$TMP/in"
    # "Actual: N packets (B bytes) sent in T seconds" / "Rated: ... X pps"
    sent_pps=$(sed -n 's/.*Rated: .*, \([0-9.]*\) pps.*/\1/p' "$TMP/replay" | head -1)
    secs=$(sed -n 's/.*sent in \([0-9.]*\) seconds.*/\1/p' "$TMP/replay" | head -1)
    tail -1 "$TMP/out" | /usr/bin/python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
rate, sent_pps, secs, messages = sys.argv[1], float(sys.argv[2] or 0), float(sys.argv[3] or 0), int(sys.argv[4])
cpu = s["cpu_s"] / s["wall_s"]
print(f"| {rate} | {sent_pps:,.0f} | {messages / secs if secs else 0:,.0f} | {s['"'"'stored'"'"']:,} / {messages:,} | "
      f"{s['"'"'packets_received'"'"']:,} | {s['"'"'packets_dropped'"'"']:,} | {s['"'"'packets_if_dropped'"'"']:,} | "
      f"{s['"'"'queue_dropped'"'"']:,} | {s['"'"'gaps'"'"']:,} | {cpu:.2f} |")
' "$rate" "$sent_pps" "$secs" "$MESSAGES"
done
echo
echo "libpcap counts each packet on lo twice (the outgoing copy, which it skips, included): \"libpcap received\" is about twice the packets sent. Capture CPU is the capture process's user + system time over its life (replay, 3 s drain and stop included), in cores."
