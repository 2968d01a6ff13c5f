#!/usr/bin/env bash
# The demo in one command: install and start what it needs (Docker Engine and the offline base
# image, as the tests do), then run the whole loop on examples/hello and show the page it serves.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
port="${HELLO_PORT:-8080}"
echo "== devloop ship (examples/hello, http://127.0.0.1:$port/)"
HELLO_PORT="$port" cargo run --quiet --release -- -C examples/hello ship
echo "== the page it serves"
curl -fsS "http://127.0.0.1:$port/"
echo "== devloop monitor --check"
HELLO_PORT="$port" cargo run --quiet --release -- -C examples/hello monitor --check
