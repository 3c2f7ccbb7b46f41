#!/usr/bin/env bash
# Runs each fuzz target for N seconds (default 10) with cargo-fuzz on nightly.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-10}"
for t in $(cargo +nightly fuzz list); do
  echo "fuzz $t for ${secs}s"
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | tail -n 3
done
