#!/usr/bin/env bash
# Quick start: build the extension, load it into Debian's sqlite3 shell and query
# the bundled sample capture.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v sqlite3 >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq sqlite3 >/dev/null
fi
cargo build --release

sample=tests/fixtures/sample.pcapng
run() {
    echo
    echo "sqlite> $1"
    sqlite3 -header -column :memory: -cmd ".load ./target/release/libnanocap" "$1"
}
run "SELECT nano_version();"
run "SELECT transport, msg_name, count(*) AS messages FROM nano_packets('$sample') GROUP BY 1, 2 ORDER BY 1, 2;"
run "SELECT id, time, srcip, srcport, dstip, dstport, msg_name, item_count, error FROM nano_packets('$sample') LIMIT 10;"
run "SELECT account, final, timestamp, vote_count, signature_valid FROM nano_votes('$sample') LIMIT 5;"
run "SELECT context, type_name, hash, signature_valid, work_valid FROM nano_blocks('$sample') LIMIT 5;"
run "SELECT kind, count(*) FROM nano_anomalies('$sample') GROUP BY 1;"
