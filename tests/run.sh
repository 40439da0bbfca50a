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
cargo clippy --all-targets --release -- -D warnings
cargo clippy --all-targets --release --manifest-path tests/harness/Cargo.toml -- -D warnings

echo "== build the extension"
cargo build --release

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== unit tests (decoder, capture layers, generator)"
cargo test --release 2>&1 | tee -a "$log"

echo "== integration tests (load the extension into SQLite hosts)"
cargo test --release --manifest-path tests/harness/Cargo.toml 2>&1 | tee -a "$log"

# One closing line for the whole suite (every cargo test run above passed, or set -e
# and pipefail would have stopped us).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
