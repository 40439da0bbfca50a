#!/usr/bin/env bash
# Quick start: build the extension and nanocap-serve, load the extension into
# Debian's sqlite3 shell and query the bundled sample capture, then import the sample
# with nanocap-serve --pcap and serve the console on http://127.0.0.1:8077/ until
# Ctrl-C. NANOCAP_QUICKSTART_NO_SERVE=1 stops after the import (for scripts).
set -euo pipefail
cd "$(dirname "$0")/.."

# The sqlite3 shell, and libpcap (BPF filters and live capture) to build against.
missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
dpkg -s libpcap-dev >/dev/null 2>&1 || missing+=(libpcap-dev)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cargo build --release
cargo build --release --manifest-path serve/Cargo.toml

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

# The same capture, imported into a database file that any SQLite client can open,
# by nanocap-serve, which then serves the console and the REST API over it.
db=target/quickstart.db
rm -f "$db" "$db-wal" "$db-shm"
serve=(serve/target/release/nanocap-serve --config nanocap.config --db "$db")
if [ "${NANOCAP_QUICKSTART_NO_SERVE:-}" = 1 ]; then
    # Import only: web off, nothing captured live.
    printf '{"capture": {"enabled": false}, "web": {"enabled": false}}' > target/quickstart.config
    serve=(serve/target/release/nanocap-serve --config target/quickstart.config --db "$db")
fi
echo
echo "\$ ${serve[*]} --pcap $sample"
if [ "${NANOCAP_QUICKSTART_NO_SERVE:-}" = 1 ]; then
    "${serve[@]}" --pcap "$sample"
    echo
    echo "sqlite3 $db> SELECT msg_name, count(*) FROM packet GROUP BY 1 ORDER BY 2 DESC LIMIT 5;"
    sqlite3 -header -column "$db" "SELECT msg_name, count(*) FROM packet GROUP BY 1 ORDER BY 2 DESC LIMIT 5;"
    sqlite3 -header -column "$db" "SELECT kind, source, end_reason, messages FROM runs;"
    exit 0
fi
echo "Open http://127.0.0.1:8077/ for the console (sqlite3 $db works too); Ctrl-C stops the server."
exec "${serve[@]}" --pcap "$sample"
