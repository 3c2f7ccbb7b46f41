#!/usr/bin/env bash
# Live capture benchmark: the probe captures on loopback while udp-blast sends RTP-sized
# datagrams as fast as one core can; the probe's counters say how many it saw and how many
# the kernel dropped. Needs root (or CAP_NET_RAW). Usage: scripts/bench-live-capture.sh [SECONDS] [PPS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
rate="${2:-}"
cargo build -q --release -p callscope-probe -p callscope-benches
work=$(mktemp -d)
trap 'kill $probe 2>/dev/null || true; rm -rf "$work"' EXIT
port=40555
cat > "$work/probe.toml" <<TOML
[capture.live]
interface = "lo"
filter = "udp dst port $port"
buffer_mib = 256
[engine]
address = "127.0.0.1:9"
[tls]
key = "$work/none"
cert = "$work/none"
engine_trust = "$work/none"
[spool]
dir = "$work/spool"
[status]
socket = "$work/status.sock"
[privileges]
user = ""
TOML
# The probe needs TLS files to start; any self-signed pair will do (the engine is absent).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/none.key" \
  -out "$work/none.crt" -days 1 -subj /CN=bench >/dev/null 2>&1
sed -i "s#$work/none\"\$#X#" "$work/probe.toml"
sed -i "s#^key = .*#key = \"$work/none.key\"#; s#^cert = .*#cert = \"$work/none.crt\"#; s#^engine_trust = .*#engine_trust = \"$work/none.crt\"#" "$work/probe.toml"
taskset -c 0 target/release/callscope-probe run --config "$work/probe.toml" 2>"$work/probe.log" &
probe=$!
sleep 2
taskset -c 1 target/release/udp-blast "127.0.0.1:$port" "$secs" $rate
sleep 2
target/release/callscope-probe status --socket "$work/status.sock"
