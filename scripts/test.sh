#!/usr/bin/env bash
# Runs every test of the workspace (unit, corpus, golden captures, property tests), and checks
# that the benches compile and run once in test mode.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets --locked "$@"
