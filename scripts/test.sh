#!/usr/bin/env bash
# The test command: install and start the services the tests need, then formatting, lints and the
# whole suite. CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== AWS peer self-checks (tests/peer)"
python3 tests/peer/test_eb.py
python3 tests/peer/test_ecs.py
echo "== cargo test"
cargo test --all-targets --locked
