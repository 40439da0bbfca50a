#!/usr/bin/env bash
# Datasette over a capture file: builds the extension, installs Datasette into a venv of
# Debian's Python (target/venv, once), and serves http://127.0.0.1:8001 with nanocap
# loaded. Query any capture from the SQL box of the `_memory` database, for example
#   SELECT msg_name, count(*) FROM nano_packets('tests/fixtures/sample.pcapng') GROUP BY 1
#
#   bash examples/datasette.sh [PORT]
#
# Paths in queries are relative to the repository root (Datasette's working directory).
# Datasette stops a query after 1 s by default, too short for a count(*) over a capture
# of hundreds of MB: the limit is raised to 60 s here (--setting sql_time_limit_ms).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-8001}

cargo build --release
venv=target/venv
if [ ! -x "$venv/bin/datasette" ]; then
    # Debian's python3 allows extension loading; its venv module is python3-venv.
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q datasette
fi
sql="SELECT msg_name, count(*) AS messages FROM nano_packets('tests/fixtures/sample.pcapng') GROUP BY 1 ORDER BY 2 DESC"
echo "open http://127.0.0.1:$port/_memory?sql=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$sql")"
exec "$venv/bin/datasette" serve --memory --host 127.0.0.1 --port "$port" \
    --load-extension target/release/libnanocap \
    --setting sql_time_limit_ms 60000
