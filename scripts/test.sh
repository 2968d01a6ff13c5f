#!/usr/bin/env bash
# The test command: install and start the services the tests need, then formatting, lints and the
# whole suite. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# A CI build is built once, so incremental compilation's records would only take disk.
if [ -n "${CI:-}" ]; then
  export CARGO_INCREMENTAL=0
fi
# What the disk holds is printed at each stage, so a build that runs out of it says so in the log.
disk() { echo "   disk: $(df -h . | awk 'NR == 2 { print $4 " free of " $2 }'), target $(du -sh target 2>/dev/null | cut -f1)"; }

trap disk EXIT

scripts/services.sh
disk
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${free_kb:-0}" -lt $((5 * 1024 * 1024)) ]; then
  echo "   warning: under 5 GB free here; a clean build takes about 4 GB (target/) and the tests' images and registries some more"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
disk
echo "== AWS peer self-checks (tests/peer)"
python3 tests/peer/test_eb.py
python3 tests/peer/test_ecs.py
echo "== cargo test"
cargo test --all-targets --locked
