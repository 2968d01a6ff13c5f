#!/usr/bin/env bash
# Checks the shop without devloop: builds the api and web images with `docker build`, runs the
# three containers on a network of their own, adds an item through the web page (web → api → store)
# and reads it back, checks that the item outlives the store container (named volume) and that
# every container stops at once on SIGTERM, then removes all it made.
#
#   examples/shop/check.sh            # plain docker
#   COMPOSE=1 examples/shop/check.sh  # the same check on compose.yaml with docker-compose
#
# The store's command is read from devloop.toml, so the check runs what devloop would run.
set -euo pipefail
cd "$(dirname "$0")"

P=shopcheck
PORT="${SHOP_PORT:-8090}"
URL="http://127.0.0.1:$PORT"
item="check-$RANDOM-$$"

say() { printf '[check] %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# wait_url URL: up to 30 s for a 2xx.
wait_url() {
  for _ in $(seq 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  fail "$1 never answered"
}

# through: add an item through the web page and find it on the page (and in the API's list).
through() {
  curl -fsS -L -o /dev/null "$URL/add?item=$1" || fail "GET /add?item=$1"
  curl -fsS "$URL/" | grep -q "<li>$1</li>" || fail "the page does not list $1"
  say "added $1 through web, read it back on the page"
}

store_command() {
  python3 -c 'import tomllib; print(tomllib.load(open("devloop.toml", "rb"))["services"]["store"]["deploy"]["docker"]["command"][2])'
}

cleanup_docker() {
  docker rm -f "$P-web" "$P-api" "$P-store" >/dev/null 2>&1 || true
  docker network rm "$P" >/dev/null 2>&1 || true
  docker volume rm "$P-store" >/dev/null 2>&1 || true
  docker rmi "$P-api" "$P-web" >/dev/null 2>&1 || true
}

run_store() {
  docker run -d --name "$P-store" --network "$P" --network-alias store \
    -v "$P-store:/data" busybox:1.36 sh -c "$(store_command)" >/dev/null
}

# stops_fast CONTAINER...: each stops on SIGTERM well within docker's 10 s grace period.
stops_fast() {
  local c t0 t1
  for c in "$@"; do
    t0=$(date +%s%N)
    docker stop "$c" >/dev/null
    t1=$(date +%s%N)
    [ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "$c took $(((t1 - t0) / 1000000)) ms to stop"
    say "$c stopped in $(((t1 - t0) / 1000000)) ms"
  done
}

check_docker() {
  trap cleanup_docker EXIT
  cleanup_docker
  say "docker build api, web"
  docker build -q -t "$P-api" api >/dev/null
  docker build -q -t "$P-web" web >/dev/null
  docker network create "$P" >/dev/null
  run_store
  docker run -d --name "$P-api" --network "$P" --network-alias api -e STORE_URL=http://store:7000 "$P-api" >/dev/null
  docker run -d --name "$P-web" --network "$P" --network-alias web -e API_URL=http://api:8080 \
    -p "127.0.0.1:$PORT:80" "$P-web" >/dev/null
  wait_url "$URL/healthz"
  through "$item"
  # The API on its own, from inside the network.
  docker exec "$P-web" wget -q -O - http://api:8080/items | grep -qx "$item" || fail "GET api:8080/items"
  # A new store container on the same volume still has the item.
  docker rm -f "$P-store" >/dev/null
  run_store
  sleep 1
  curl -fsS "$URL/" | grep -q "<li>$item</li>" || fail "the item did not outlive the store container"
  say "a new store container on the volume still has $item"
  stops_fast "$P-web" "$P-api" "$P-store"
}

check_compose() {
  command -v docker-compose >/dev/null || fail "docker-compose is not installed (apt-get install -y docker-compose)"
  # compose.yaml carries the same store command as devloop.toml ($ written $$ there).
  python3 - <<'PY' || fail "the store command in compose.yaml differs from the one in devloop.toml"
import tomllib, yaml
toml = tomllib.load(open("devloop.toml", "rb"))["services"]["store"]["deploy"]["docker"]["command"]
compose = yaml.safe_load(open("compose.yaml"))["services"]["store"]["command"]
raise SystemExit(0 if [c.replace("$$", "$") for c in compose] == toml else 1)
PY
  trap 'docker-compose -p "$P" down -v --rmi local >/dev/null 2>&1 || true' EXIT
  say "docker-compose -p $P up -d --build"
  SHOP_PORT=$PORT docker-compose -p "$P" up -d --build
  wait_url "$URL/healthz"
  through "$item"
  SHOP_PORT=$PORT docker-compose -p "$P" up -d --force-recreate --no-deps store
  sleep 1
  curl -fsS "$URL/" | grep -q "<li>$item</li>" || fail "the item did not outlive the store container"
  say "a recreated store container on the volume still has $item"
  stops_fast "${P}_web_1" "${P}_api_1" "${P}_store_1"
  docker-compose -p "$P" down -v --rmi local
}

if [ -n "${COMPOSE:-}" ]; then check_compose; else check_docker; fi
say "ok"
