#!/usr/bin/env bash
# Scans the engine's HTTPS port with testssl.sh (Debian package testssl.sh, /usr/bin/testssl):
# starts `callscope-mediation serve` on a temporary data directory with only the HTTPS listener
# on a free loopback port, runs testssl against it, stops the engine. For humans: the CI check
# of the same policy is mediation/tests/tls_policy.rs (openssl s_client).
#
#   ./scripts/tls-scan.sh                 # full scan, report on stdout
#   ./scripts/tls-scan.sh -p -s -E        # only protocols, cipher categories, ciphers per protocol
#   CALLSCOPE_BIN=target/release/callscope-mediation ./scripts/tls-scan.sh
#
# Extra arguments go to testssl (default: its full run). The report is also kept in
# tls-scan.log and tls-scan.json in the directory the script is started from.
set -euo pipefail
out_dir="$PWD"
cd "$(dirname "$0")/.."

command -v testssl >/dev/null 2>&1 || { echo "testssl not found: apt-get install testssl.sh" >&2; exit 1; }

bin="${CALLSCOPE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build -q -p callscope-mediation --bin callscope-mediation
  bin="${CARGO_TARGET_DIR:-target}/debug/callscope-mediation"
fi
[ -x "$bin" ] || { echo "$bin is not an executable" >&2; exit 1; }

dir="$(mktemp -d)"
engine_pid=""
cleanup() {
  if [ -n "$engine_pid" ]; then kill "$engine_pid" 2>/dev/null || true; wait "$engine_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$dir/engine.toml" <<EOF
data_dir = "$dir/data"
[hep]
tls_listen = ""
[sbc]
tls_listen = ""
[https]
listen = "127.0.0.1:$port"
EOF

NO_COLOR=1 "$bin" serve --config "$dir/engine.toml" >"$dir/engine.log" 2>&1 &
engine_pid=$!
for _ in $(seq 1 300); do
  grep -q "REST API on https://" "$dir/engine.log" 2>/dev/null && break
  kill -0 "$engine_pid" 2>/dev/null || { cat "$dir/engine.log" >&2; exit 1; }
  sleep 0.2
done
grep -q "REST API on https://" "$dir/engine.log" || { echo "engine not listening" >&2; cat "$dir/engine.log" >&2; exit 1; }

rm -f "$out_dir/tls-scan.log" "$out_dir/tls-scan.json"
testssl --quiet --color 0 --warnings off --logfile "$out_dir/tls-scan.log" \
  --jsonfile "$out_dir/tls-scan.json" "$@" "127.0.0.1:$port"
