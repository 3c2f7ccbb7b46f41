#!/usr/bin/env bash
# End-to-end benchmark on DESIGN.md's workload (2,000 G.711 calls, 500 concurrent, ~11.9 M
# packets, 1 % loss): callscope `analyze` against `tshark -q -z rtp,streams` on the same file,
# one core each, wall time and peak memory. Usage: scripts/bench-e2e.sh [--small] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
small=""
if [ "${1:-}" = "--small" ]; then small="--small"; shift; fi
dir="${1:-/var/tmp/callscope-bench}"
mkdir -p "$dir"
cap="$dir/workload${small:+-small}.pcap"
cargo build --release -q -p callscope-benches --bin gen-capture -p callscope-mediation
bin="${CARGO_TARGET_DIR:-target}/release"
[ -f "$cap" ] || "$bin/gen-capture" $small "$cap"
measure() { # label, command...
  local label="$1"; shift
  local out; out=$( { /usr/bin/time -f "%e %M" taskset -c 0 "$@" > /dev/null; } 2>&1 | tail -n 1)
  echo "$label $out"
}
read -r _ cs_s cs_kb < <(measure callscope "$bin/callscope-mediation" analyze --format json "$cap")
packets=$("$bin/callscope-mediation" analyze --format json "$cap" | python3 -c "import json,sys; print(json.load(sys.stdin)['summary']['packets'])")
echo "capture: $cap, $packets packets, $(du -m "$cap" | cut -f1) MB"
printf 'callscope analyze: %8.2f s  %6.2f M packets/s  peak %6d MB\n' "$cs_s" "$(echo "$packets / $cs_s / 1000000" | bc -l)" $((cs_kb / 1024))
if command -v tshark > /dev/null; then
  read -r _ ts_s ts_kb < <(measure tshark tshark -n -q -z rtp,streams -r "$cap")
  printf 'tshark rtp,streams: %8.2f s  %6.2f M packets/s  peak %6d MB\n' "$ts_s" "$(echo "$packets / $ts_s / 1000000" | bc -l)" $((ts_kb / 1024))
  printf 'ratio: callscope is %.1fx tshark\n' "$(echo "$ts_s / $cs_s" | bc -l)"
fi
