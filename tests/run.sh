#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian/Ubuntu, as root or with
# sudo), checks formatting and lints, builds the extension, runs the unit tests and
# the integration tests that load the built extension into real SQLite hosts.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpcap-dev libsqlite3-dev sqlite3 python3 tshark)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== format and lints"
cargo fmt --all --check
cargo fmt --all --check --manifest-path tests/harness/Cargo.toml
# Not --all: that would take in the vendored tiny_http (serve/vendor/), kept as published.
cargo fmt --check --manifest-path serve/Cargo.toml
# The extension as shipped (default features), then with the generator (`synth`).
cargo clippy --all-targets --release -- -D warnings
cargo clippy --all-targets --release --features synth -- -D warnings
cargo clippy --all-targets --release --manifest-path tests/harness/Cargo.toml -- -D warnings
cargo clippy --all-targets --release --manifest-path serve/Cargo.toml -- -D warnings

log=$(mktemp)
# Tests that skip themselves append a line here (tests/harness/src/lib.rs `skip`).
NANOCAP_SKIPPED=$(mktemp)
export NANOCAP_SKIPPED
trap 'rm -f "$log" "$NANOCAP_SKIPPED"' EXIT

echo "== unit tests (decoder, capture layers, generator)"
cargo test --release --features synth 2>&1 | tee -a "$log"

echo "== build the extension"
# After the unit tests, whose build with the generator replaces target/release/libnanocap.so.
cargo build --release
if nm -C target/release/libnanocap.so | grep -q 'nanocap::synth'; then
    echo "target/release/libnanocap.so contains the generator (src/synth)" >&2
    exit 1
fi

# Hosts the integration tests drive when present: Datasette and DuckDB (with its
# sqlite_scanner extension) in a venv of Debian's Python, better-sqlite3 for
# examples/node. Without them those tests count as skipped.
echo "== test hosts (Datasette, DuckDB, Node better-sqlite3)"
venv=target/venv
duckdb_ok() { "$venv/bin/python" -c 'import duckdb, duckdb_extension_sqlite_scanner' >/dev/null 2>&1; }
if [ ! -x "$venv/bin/datasette" ] || ! duckdb_ok; then
    if [ ! -x "$venv/bin/python" ]; then
        if ! /usr/bin/python3 -m venv --help >/dev/null 2>&1; then
            sudo=""
            [ "$(id -u)" -eq 0 ] || sudo="sudo"
            $sudo apt-get update -qq
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
        fi
        /usr/bin/python3 -m venv "$venv" || echo "could not create $venv"
    fi
    # `python -m pip`, not bin/pip: a copied venv keeps its old path in bin/pip's #! line.
    [ -x "$venv/bin/datasette" ] || "$venv/bin/python" -m pip install -q datasette ||
        echo "could not install Datasette: its test will be skipped"
    duckdb_ok || "$venv/bin/python" -m pip install -q duckdb duckdb-extension-sqlite-scanner ||
        echo "could not install DuckDB: its test will be skipped"
fi
[ -x "$venv/bin/datasette" ] && export NANOCAP_DATASETTE="$PWD/$venv/bin/datasette"
duckdb_ok && export NANOCAP_DUCKDB_PYTHON="$PWD/$venv/bin/python"
if command -v npm >/dev/null && [ ! -d examples/node/node_modules/better-sqlite3 ]; then
    (cd examples/node && timeout 600 npm install --no-audit --no-fund --loglevel=error) ||
        echo "npm install failed: the Node example's test will be skipped"
fi
[ -d examples/node/node_modules/better-sqlite3 ] && export NANOCAP_NODE_EXAMPLE="$PWD/examples/node"

echo "== integration tests (load the extension into SQLite hosts)"
cargo test --release --manifest-path tests/harness/Cargo.toml 2>&1 | tee -a "$log"

echo "== nanocap-serve (REST API over HTTP, live capture driven over HTTP, load)"
cargo test --release --manifest-path serve/Cargo.toml 2>&1 | tee -a "$log"

# The console's browser tests (tests/browser, node:test): Debian's chromium driven by
# playwright-core from npm, against a real nanocap-serve. Without chromium, the npm
# package or the server they count as skipped; their counts join the closing line.
echo "== browser tests (the console in headless Chromium)"
browser_pass=0 browser_fail=0 browser_skip=0 browser_why=""
if ! command -v chromium >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; } ||
        echo "could not install chromium: the browser tests will be skipped"
fi
if command -v npm >/dev/null && [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && timeout 600 npm ci --no-audit --no-fund --loglevel=error) ||
        echo "npm ci failed: the browser tests will be skipped"
fi
# The binary the tests start (cargo test above built its test profile's copy).
cargo build --release --manifest-path serve/Cargo.toml
# The import-progress test imports a generated capture large enough to watch (built as
# tests/bench_build.sh does, so target/release/libnanocap.so stays the shipped one).
CARGO_TARGET_DIR=target/generator cargo build --quiet --release --no-default-features --features synth --example gen_capture
if ! command -v chromium >/dev/null; then
    browser_why="no chromium"
elif ! command -v node >/dev/null || [ ! -d tests/browser/node_modules/playwright-core ]; then
    browser_why="no node or no playwright-core (npm ci in tests/browser)"
elif [ ! -x "${NANOCAP_SERVE:-serve/target/release/nanocap-serve}" ]; then
    browser_why="no nanocap-serve binary"
fi
if [ -n "$browser_why" ]; then
    browser_skip=1
else
    browser_log=$(mktemp)
    (cd tests/browser && node --test --test-reporter=tap --test-concurrency=1 console.test.mjs) 2>&1 |
        tee "$browser_log" || true
    count() { awk -v k="$1" '$1 == "#" && $2 == k { n = $3 } END { print n + 0 }' "$browser_log"; }
    browser_pass=$(count pass)
    browser_fail=$(($(count fail) + $(count cancelled)))
    browser_skip=$(count skipped)
    # A runner that died before its summary is a failure, not zero tests.
    grep -q '^# tests ' "$browser_log" || browser_fail=$((browser_fail + 1))
    rm -f "$browser_log"
    echo "screenshots: target/browser-artifacts/"
fi

# One closing line for the whole suite (every cargo test run above passed, or set -e
# and pipefail would have stopped us). A test that skipped itself shows as `ok` to
# cargo: it is counted as skipped, not passed, when its `test NAME ... ok` line is in
# the output of the test binary that recorded the skip.
echo "== summary"
awk -F'\t' -v skipped="$NANOCAP_SKIPPED" \
    -v bp="$browser_pass" -v bf="$browser_fail" -v bs="$browser_skip" -v bwhy="$browser_why" '
    BEGIN { while ((getline line < skipped) > 0) { split(line, part, "\t"); skip[part[1] "\t" part[2]] = part[3] } }
    / Running .*\(.*\)$/ { bin = $0; sub(/^.*\(/, "", bin); sub(/\)$/, "", bin); sub(/^.*\//, "", bin) }
    /^test .* \.\.\. ok$/ {
        name = $0; sub(/^test /, "", name); sub(/ \.\.\. ok$/, "", name); k = bin "\t" name
        if ((k in skip) && !(k in counted)) { counted[k] = 1; s++; list = list "  skipped: " bin " " name ": " skip[k] "\n" }
    }
    /^test result:/ { n = split($0, w, " "); for (i = 2; i <= n; i++) { if (w[i] ~ /^passed;?$/) p += w[i-1]; if (w[i] ~ /^failed;?$/) f += w[i-1] } }
    END {
        if (bwhy != "") list = list "  skipped: browser tests: " bwhy "\n"
        printf "%s", list; printf "tests: %d passed, %d failed, %d skipped\n", p - s + bp, f + bf, s + bs
    }
' "$log"
# cargo's failures stopped the script already (set -e); the browser tests' do it here.
[ "$browser_fail" -eq 0 ]
