#!/bin/sh
# Filters and joins through the hosts users run them in (the sqlite3 shell and Debian's Python 
# sqlite3 module): a pushed-down filter against the same filter defeated (`+msg_name`,
# which SQLite cannot hand to the table function) and against a full `count(*)`, on a
# generated UDP and TCP capture; and the vote/block join of the README on the real
# capture, served by lookups, rescanning per outer row (`nano_join_cache(0)`, the
# behaviour before lookups) and materialised. Ratios are within one run. Prints Markdown.
#
#   tests/bench_queries.sh
#
# Knobs: BENCH_MESSAGES (default 1000000), BENCH_RUNS (best of N, default 3),
# BENCH_TMPDIR, NANOCAP_CAPTURES (where the real capture is; default ../shared/captures).
# About 3 minutes on a 2-core machine once built. Not part of CI.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MESSAGES=${BENCH_MESSAGES:-1000000}
RUNS=${BENCH_RUNS:-3}
REAL=${NANOCAP_CAPTURES:-$ROOT/../shared/captures}/rsnano_dev_live_small.pcap

. "$ROOT/tests/bench_build.sh"

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/nanocap-bench-queries.XXXXXX")
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

for t in udp tcp; do
    "$GEN" --messages "$MESSAGES" --link ethernet --transport "$t" --truth - "$TMP/$t.pcapng" >/dev/null
    say "   generated $t.pcapng: $MESSAGES messages, $(du -m "$TMP/$t.pcapng" | cut -f1) MB"
done

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); \
sqlite3 $(sqlite3 --version | cut -d' ' -f1), Python $(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])'); \
nanocap $(git rev-parse --short HEAD); best of $RUNS"
echo

EXT=$ROOT/target/release/libnanocap RUNS=$RUNS TMP=$TMP REAL=$REAL /usr/bin/python3 - <<'EOF'
import os, sqlite3, subprocess, time

ext, runs, tmp, real = os.environ["EXT"], int(os.environ["RUNS"]), os.environ["TMP"], os.environ["REAL"]

def shell(setup, sql):
    """Best wall time of `sql` in the sqlite3 shell (its own `.timer`), rows discarded."""
    script = f".load {ext}\n{setup};\n.output /dev/null\n.timer on\n{sql};\n"
    best = None
    for _ in range(runs):
        out = subprocess.run(["sqlite3", ":memory:"], input=script, capture_output=True,
                             text=True, check=True)
        times = [float(l.split()[3]) for l in out.stdout.splitlines() + out.stderr.splitlines()
                 if l.startswith("Run Time: real")]
        t = times[-1]
        best = t if best is None else min(best, t)
    return best

def python(setup, sql):
    """Best wall time of `sql` through Python's sqlite3 module, every row fetched."""
    best, rows = None, 0
    for _ in range(runs):
        c = sqlite3.connect(":memory:")
        c.enable_load_extension(True)
        c.load_extension(ext)
        if setup:
            c.execute(setup).fetchall()
        t0 = time.perf_counter()
        # Every row fetched (each value made a Python object), not kept: a million
        # wide rows held at once would measure Python's memory, not the query.
        rows = sum(1 for _ in c.execute(sql))
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
        c.close()
    return best, rows

def table(title, rows, base):
    print(f"#### {title}\n")
    print("| query | rows | sqlite3 shell (s) | ÷ baseline | Python (s) | ÷ baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    results = []
    for label, setup, sql in rows:
        s = shell(setup, sql)
        p, n = python(setup, sql)
        results.append((label, n, s, p))
    bs, bp = results[base][2], results[base][3]
    for label, n, s, p in results:
        print(f"| {label} | {n} | {s:.3f} | {s / bs:.2f} | {p:.3f} | {p / bp:.2f} |")
    print()

# Every column of nano_packets but `details`, and nano_votes' columns but the check.
NO_DETAILS = ("id, frame, time, time_usec, transport, ipv, srcip, srcport, dstip, dstport, "
              "flow_key, network, version_max, version_using, version_min, msg_type, msg_name, "
              "extensions, block_type, item_count, size, error")
VOTE_COLUMNS = ("packet_id, frame, time, time_usec, srcip, srcport, dstip, dstport, flow_key, "
                "account, signature, vote_hash, timestamp_raw, final, timestamp_ms, timestamp, "
                "duration_ms, sequence, vbh, vote_count, hashes, block_hash, rebroadcasted, "
                "version_using")

for t in ["udp", "tcp"]:
    f = f"'{tmp}/{t}.pcapng'"
    table(f"Columns, {t.upper()} file (baseline: `count(*)`, the first row)", [
        ("`SELECT count(*) FROM nano_packets(f)`", "", f"SELECT count(*) FROM nano_packets({f})"),
        ("`SELECT` every column but `details`", "", f"SELECT {NO_DETAILS} FROM nano_packets({f})"),
        ("`SELECT * FROM nano_packets(f)`", "", f"SELECT * FROM nano_packets({f})"),
        ("`SELECT` votes' columns but `signature_valid`, `packet_id <= 100000`", "",
         f"SELECT {VOTE_COLUMNS} FROM nano_votes({f}) WHERE packet_id <= 100000"),
        ("`SELECT * FROM nano_votes(f) WHERE packet_id <= 100000` (signatures checked)", "",
         f"SELECT * FROM nano_votes({f}) WHERE packet_id <= 100000"),
    ], 0)

for t in ["udp", "tcp"]:
    f = f"'{tmp}/{t}.pcapng'"
    table(f"Filters, {t.upper()} file (baseline: `count(*)`, the first row)", [
        ("`SELECT count(*) FROM nano_packets(f)`", "", f"SELECT count(*) FROM nano_packets({f})"),
        ("`… WHERE msg_name = 'publish'` (count)", "",
         f"SELECT count(*) FROM nano_packets({f}) WHERE msg_name = 'publish'"),
        ("`… WHERE +msg_name = 'publish'` (count, not pushed)", "",
         f"SELECT count(*) FROM nano_packets({f}) WHERE +msg_name = 'publish'"),
        ("`SELECT * … WHERE msg_name = 'publish'`", "",
         f"SELECT * FROM nano_packets({f}) WHERE msg_name = 'publish'"),
        ("`SELECT * … WHERE +msg_name = 'publish'` (not pushed)", "",
         f"SELECT * FROM nano_packets({f}) WHERE +msg_name = 'publish'"),
        ("`SELECT * … WHERE id <= 1000`", "",
         f"SELECT * FROM nano_packets({f}) WHERE id <= 1000"),
        ("`SELECT * FROM nano_votes(f) WHERE packet_id > 990000`", "",
         f"SELECT * FROM nano_votes({f}) WHERE packet_id > 990000"),
    ], 0)

if os.path.exists(real):
    f = f"'{real}'"
    join = (f"SELECT v.account, v.hash, b.type_name FROM nano_vote_hashes({f}) v "
            f"JOIN nano_blocks({f}) b ON b.hash = v.hash")
    table("The README's join on the real capture (baseline: rescanning, the first row)", [
        ("join, rescanning per outer row (`nano_join_cache(0)`)", "SELECT nano_join_cache(0)", join),
        ("join, lookups (default)", "", join),
        ("join, one side `MATERIALIZED`", "",
         f"WITH b AS MATERIALIZED (SELECT hash, type_name FROM nano_blocks({f})) "
         f"SELECT v.account, v.hash, b.type_name FROM nano_vote_hashes({f}) v "
         f"JOIN b ON b.hash = v.hash"),
        ("`SELECT count(*) FROM nano_vote_hashes(f)`", "",
         f"SELECT count(*) FROM nano_vote_hashes({f})"),
    ], 0)
else:
    print(f"(the real capture {real} is not there: no join figures)\n")
EOF
say "== done"
