#!/usr/bin/env bash
# Benchmark devloop against the docker CLI on the same fixtures, and print two tables:
# - `devloop build` against `docker build` (classic and DOCKER_BUILDKIT=1): wall time per case, and
#   devloop's peak memory;
# - the deploy loop on examples/hello after a one-file change: `devloop release && devloop deploy`
#   and `devloop ship` against a plain script (docker build, docker rm -f, docker run, poll /healthz);
# - `devloop dev` on examples/hello: from writing www/index.html to the new page being served, with
#   BuildKit and the classic builder, against the same plain script started right after the write.
# - many services on examples/shop (store, api, web) against docker-compose 1.29: a cold build of
#   every built service, and one api file changed → the app serving again, with how many of its
#   containers were restarted.
#
#   scripts/bench.sh            # tiny context and 20,000 files / ~400 MB
#   FILES=2000 scripts/bench.sh # a smaller large fixture
#   ONLY_DEPLOY=1 scripts/bench.sh # only the deploy-loop and dev tables
#   ONLY_DEV=1 scripts/bench.sh    # only the `devloop dev` table
#   ONLY_SERVICES=1 scripts/bench.sh # only the many-services table (examples/shop, docker-compose)
#   DEVLOOP_BIN=PATH scripts/bench.sh # this devloop binary instead of building target/release/devloop
#   RUNS=5 scripts/bench.sh     # more rounds of the one-file-changed case (median shown)
#
# Needs a running Docker daemon (scripts/services.sh starts one) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

FILES="${FILES:-20000}"
FILE_KB="${FILE_KB:-20}"
# Rounds of the one-file-changed case; the table shows the median.
RUNS="${RUNS:-3}"
WORK="${BENCH_DIR:-/tmp/devloop-bench}"
# The 20.10 client from Debian's docker.io speaks BuildKit without the buildx plugin.
DOCKER_BIN="${DOCKER_BIN:-$(command -v /usr/bin/docker || command -v docker)}"

scripts/services.sh >/dev/null
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null; }
if [ -n "${DEVLOOP_BIN:-}" ]; then
  DEVLOOP=$(realpath "$DEVLOOP_BIN")
else
  cargo build --release --quiet
  DEVLOOP="$PWD/target/release/devloop"
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# time_cmd DIR CMD... → prints seconds; fails loudly if the command fails. Dirty pages are flushed
# first, so no build pays for the previous one's writeback.
time_cmd() {
  local dir=$1; shift
  local t0 t1
  sync
  t0=$(now)
  (cd "$dir" && "$@" >/dev/null 2>"$WORK/last.err") || { cat "$WORK/last.err" >&2; exit 1; }
  t1=$(now)
  secs "$t0" "$t1"
}

# Peak RSS of a devloop build (extra arguments are passed on), in MiB.
devloop_peak() {
  local dir=$1; shift
  (cd "$dir" && /usr/bin/time -f '%M' -o "$WORK/rss" "$DEVLOOP" -q build "$@" >/dev/null 2>&1)
  awk '{ printf "%.1f", $1 / 1024 }' "$WORK/rss"
}

# The median of the arguments.
median() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

make_fixture() {
  local dir=$1 files=$2
  rm -rf "$dir"
  mkdir -p "$dir/data"
  cp /bin/busybox "$dir/busybox"
  printf 'FROM scratch\nCOPY busybox /busybox\nCOPY data /data\n' >"$dir/Dockerfile"
  printf '[app]\nname = "bench-%s"\n[build]\ntags = ["bench"]\n' "$(basename "$dir")" >"$dir/devloop.toml"
  printf '.devloop\ndevloop.toml\n' >"$dir/.dockerignore"
  python3 - "$dir/data" "$files" "$FILE_KB" <<'PY'
import os, sys
root, n, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, f"d{i // 500:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(kb * 1024))
PY
}

touch_one() {
  python3 -c 'import os,sys; p=sys.argv[1]; open(p,"ab").write(os.urandom(16))' "$1/data/d000/f00000.bin"
}

rows=()
bench_fixture() {
  local name=$1 files=$2
  local dir="$WORK/$name"
  echo "== fixture $name: $files files" >&2
  make_fixture "$dir" "$files"
  local size
  size=$(du -sh "$dir" | cut -f1)

  # Warm every tool once so each case measures a rebuild, not a cold cache.
  time_cmd "$dir" "$DEVLOOP" -q build --buildkit=false >/dev/null
  time_cmd "$dir" env DOCKER_BUILDKIT=0 "$DOCKER_BIN" build -q -t "bench-classic-$name" . >/dev/null
  time_cmd "$dir" env DOCKER_BUILDKIT=1 "$DOCKER_BIN" build -q -t "bench-bk-$name" . >/dev/null

  local d_same c_same b_same k_same peak_same kpeak_same
  time_cmd "$dir" "$DEVLOOP" -q build --buildkit >/dev/null
  k_same=$(time_cmd "$dir" "$DEVLOOP" -q build --buildkit)
  kpeak_same=$(devloop_peak "$dir" --buildkit)
  time_cmd "$dir" "$DEVLOOP" -q build --buildkit=false >/dev/null
  d_same=$(time_cmd "$dir" "$DEVLOOP" -q build --buildkit=false)
  c_same=$(time_cmd "$dir" env DOCKER_BUILDKIT=0 "$DOCKER_BIN" build -q -t "bench-classic-$name" .)
  b_same=$(time_cmd "$dir" env DOCKER_BUILDKIT=1 "$DOCKER_BIN" build -q -t "bench-bk-$name" .)
  peak_same=$(devloop_peak "$dir" --buildkit=false)

  # One file changed: RUNS rounds, the four builders taking turns (in reverse order every other
  # round, so none always follows the same one), each after a fresh change.
  local -a t_d=() t_k=() t_c=() t_b=() p_d=() p_k=()
  local round order builder
  for round in $(seq "$RUNS"); do
    order="d k c b"
    [ $((round % 2)) = 0 ] && order="b c k d"
    for builder in $order; do
      touch_one "$dir"
      case $builder in
        d) t_d+=("$(time_cmd "$dir" "$DEVLOOP" -q build --buildkit=false)") ;;
        k) t_k+=("$(time_cmd "$dir" "$DEVLOOP" -q build --buildkit)") ;;
        c) t_c+=("$(time_cmd "$dir" env DOCKER_BUILDKIT=0 "$DOCKER_BIN" build -q -t "bench-classic-$name" .)") ;;
        b) t_b+=("$(time_cmd "$dir" env DOCKER_BUILDKIT=1 "$DOCKER_BIN" build -q -t "bench-bk-$name" .)") ;;
      esac
    done
  done
  touch_one "$dir"; p_d=("$(devloop_peak "$dir" --buildkit=false)")
  touch_one "$dir"; p_k=("$(devloop_peak "$dir" --buildkit)")

  rows+=("$name ($files files, $size)|nothing changed|$d_same s|$k_same s|$c_same s|$b_same s|$peak_same / $kpeak_same MiB")
  rows+=("$name ($files files, $size)|one file changed|$(median "${t_d[@]}") s|$(median "${t_k[@]}") s|$(median "${t_c[@]}") s|$(median "${t_b[@]}") s|${p_d[0]} / ${p_k[0]} MiB")
}

# The deploy loop on a copy of examples/hello: after a one-file change (committed, outside the timing),
# `devloop release && devloop deploy`, `devloop ship` (with its three tests), and a plain script doing
# what a careful shell user would: build, remove the old container, run the new one, poll /healthz.
# Both use BuildKit. RUNS rounds, taking turns; the medians are shown.
deploy_rows=()
bench_deploy() {
  local dir="$WORK/hello" port_d port_s
  port_d=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  port_s=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "== deploy loop: examples/hello" >&2
  docker rm -f bench-hello-local bench-hello-script >/dev/null 2>&1 || true
  rm -rf "$dir"
  cp -r examples/hello "$dir"
  rm -rf "$dir/.devloop"
  sed -i 's/^name = "hello"/name = "bench-hello"/' "$dir/devloop.toml"
  local git=(git -c user.name=bench -c user.email=bench@devloop.invalid)
  (cd "$dir" && git init -q && git add -A && "${git[@]}" commit -qm init)
  change() {
    (cd "$dir" && sed -i "s|</body>|<p>$RANDOM</p></body>|" www/index.html && "${git[@]}" commit -qam change)
  }
  plain_script() {
    DOCKER_BUILDKIT=1 "$DOCKER_BIN" build -q -t bench-hello-script:latest . >/dev/null &&
      "$DOCKER_BIN" rm -f bench-hello-script >/dev/null 2>&1
    "$DOCKER_BIN" run -d --name bench-hello-script -p "127.0.0.1:$port_s:80" bench-hello-script:latest >/dev/null &&
      until curl -fsS -o /dev/null "http://127.0.0.1:$port_s/healthz" 2>/dev/null; do sleep 0.05; done
  }
  release_deploy() { "$DEVLOOP" -q release && "$DEVLOOP" -q deploy; }
  export -f plain_script release_deploy
  export DOCKER_BIN DEVLOOP port_s HELLO_PORT="$port_d"
  # Warm-up: the first deploy of each.
  time_cmd "$dir" bash -c release_deploy >/dev/null
  time_cmd "$dir" bash -c plain_script >/dev/null
  local -a t_rd=() t_ship=() t_plain=()
  local round tool order
  for round in $(seq "$RUNS"); do
    order="rd ship plain"
    [ $((round % 2)) = 0 ] && order="plain ship rd"
    for tool in $order; do
      change
      case $tool in
        rd) t_rd+=("$(time_cmd "$dir" bash -c release_deploy)") ;;
        ship) t_ship+=("$(time_cmd "$dir" "$DEVLOOP" -q ship)") ;;
        plain) t_plain+=("$(time_cmd "$dir" bash -c plain_script)") ;;
      esac
    done
  done
  local rd ship plain
  rd=$(median "${t_rd[@]}"); ship=$(median "${t_ship[@]}"); plain=$(median "${t_plain[@]}")
  deploy_rows+=("devloop release && devloop deploy|$rd s|$(awk -v a="$rd" -v b="$plain" 'BEGIN { printf "%.2f", a / b }')×")
  deploy_rows+=("devloop ship (three tests too)|$ship s|$(awk -v a="$ship" -v b="$plain" 'BEGIN { printf "%.2f", a / b }')×")
  deploy_rows+=("plain script: docker build, rm -f, run, poll /healthz|$plain s|1.00×")
  "$DOCKER_BIN" rm -f bench-hello-local bench-hello-script >/dev/null 2>&1 || true
}

# `devloop dev` on a copy of examples/hello: the time from writing www/index.html to the page with
# the new text being served, RUNS saves each (medians shown), with BuildKit and with the classic
# builder; and the plain script run right after the write, as a shell user would by hand.
dev_rows=()
bench_dev() {
  local dir="$WORK/hello-dev" port name
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "== devloop dev: examples/hello" >&2
  docker rm -f bench-dev-local bench-dev-script >/dev/null 2>&1 || true
  rm -rf "$dir"
  cp -r examples/hello "$dir"
  rm -rf "$dir/.devloop"
  sed -i 's/^name = "hello"/name = "bench-dev"/' "$dir/devloop.toml"
  (cd "$dir" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@devloop.invalid commit -qm init)
  # The page as the container itself serves it: polling the published port instead goes through
  # docker-proxy, and a client hammering it slows the daemon's stop and start of containers.
  page_has() {
    local ip
    ip=$("$DOCKER_BIN" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$name" 2>/dev/null) || return 1
    [ -n "$ip" ] && curl -fsS --max-time 0.3 "http://$ip:80/" 2>/dev/null | grep -q "$1"
  }
  # save MARKER [COMMAND…]: write the page, run the command (if any), wait until it is served.
  save() {
    local marker=$1 t0; shift
    t0=$(now)
    sed -i "s|</body>|<p>$marker</p></body>|" "$dir/www/index.html"
    if [ $# -gt 0 ]; then (cd "$dir" && "$@" >/dev/null 2>&1); fi
    local n=0
    # Every 50 ms, each try bounded: a connection the port accepts while no container answers
    # behind it must not hold the clock.
    until page_has "$marker"; do
      sleep 0.05
      n=$((n + 1))
      [ "$n" -lt 600 ] || { echo "bench: $marker was never served" >&2; exit 1; }
    done
    secs "$t0" "$(now)"
  }
  dev_script() {
    DOCKER_BUILDKIT=1 "$DOCKER_BIN" build -q -t bench-dev-script:latest . >/dev/null &&
      "$DOCKER_BIN" rm -f bench-dev-script >/dev/null 2>&1
    "$DOCKER_BIN" run -d --name bench-dev-script -p "127.0.0.1:$port:80" bench-dev-script:latest >/dev/null
  }
  local mode pid round
  for mode in BuildKit classic; do
    local -a args=() t=()
    [ "$mode" = classic ] && args=(--buildkit=false)
    name=bench-dev-local
    (cd "$dir" && HELLO_PORT=$port exec "$DEVLOOP" dev "${args[@]}" >"$WORK/dev-$mode.log" 2>&1) &
    pid=$!
    save "start-$mode" >/dev/null
    for round in $(seq "$RUNS"); do
      t+=("$(save "$mode-$round-$RANDOM")")
      sleep 1
    done
    kill -INT "$pid"
    wait "$pid" || true
    dev_rows+=("devloop dev ($mode)|$(median "${t[@]}") s")
  done
  export -f dev_script
  export DOCKER_BIN port
  local -a t=()
  name=bench-dev-script
  save "warm-script" bash -c dev_script >/dev/null
  for round in $(seq "$RUNS"); do
    t+=("$(save "script-$round-$RANDOM" bash -c dev_script)")
  done
  dev_rows+=("plain script after the write: docker build, rm -f, run (BuildKit)|$(median "${t[@]}") s")
  "$DOCKER_BIN" rm -f bench-dev-local bench-dev-script >/dev/null 2>&1 || true
}

print_dev() {
  printf '\n| save to served (examples/hello) | median of %s |\n|---|---|\n' "$RUNS"
  for r in "${dev_rows[@]}"; do
    IFS='|' read -r a b <<<"$r"
    printf '| %s | %s |\n' "$a" "$b"
  done
}

# Many services: a copy of examples/shop (store, api, web) in a git repo of its own, devloop against
# docker-compose 1.29 with its default classic builder and with BuildKit (through the docker CLI):
# - a cold build of api and web: before each, the images of both tools removed and the build cache
#   emptied (`docker builder prune -af`, and devloop's own record of past builds);
# - one file of the api changed (committed, outside the timing), then `devloop ship --no-tests`
#   (compose runs no tests either) against `docker-compose up -d --build`, each timed
#   until the page answers again through web → api → store; the containers whose id or start time
#   changed are counted.
# RUNS rounds, taking turns; medians shown. devloop runs the multi-service config only where it is
# supported: when it fails, its cells say "n/a (first error line)" and compose is measured anyway.
svc_rows=()
bench_services() {
  # Three copies of the app side by side, each with its own images and port: devloop's, and one
  # compose project per builder (so neither builder's images are the other's to replace).
  local dir="$WORK/shop" app=bench-shop proj_c=bench-shop-compose proj_k=bench-shop-composebk
  local port_d port_c port_k
  port_d=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  port_c=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  port_k=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  echo "== many services: examples/shop" >&2
  if ! command -v docker-compose >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  fi
  local git=(git -c user.name=bench -c user.email=bench@devloop.invalid)
  svc_compose() { (cd "$dir" && SHOP_PORT=$port_c docker-compose -p "$proj_c" "$@"); }
  # BuildKit through the docker CLI: the client on PATH must have it (see DOCKER_BIN above).
  svc_compose_bk() {
    (cd "$dir" && PATH="$(dirname "$DOCKER_BIN"):$PATH" COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 \
      SHOP_PORT=$port_k docker-compose -p "$proj_k" "$@")
  }
  svc_down() {
    svc_compose down -v >/dev/null 2>&1 || true
    svc_compose_bk down -v >/dev/null 2>&1 || true
    "$DOCKER_BIN" ps -aq --filter "name=^/$app-local-" | xargs -r "$DOCKER_BIN" rm -f >/dev/null
    "$DOCKER_BIN" network rm "$app-local" >/dev/null 2>&1 || true
    "$DOCKER_BIN" volume rm "$app-store" >/dev/null 2>&1 || true
  }
  # No image of either tool and no build cache: the next build starts cold (busybox:1.36 is kept).
  svc_cold() {
    "$DOCKER_BIN" images -q --filter "reference=$app-*" | sort -u | xargs -r "$DOCKER_BIN" rmi -f >/dev/null
    "$DOCKER_BIN" image prune -f >/dev/null
    "$DOCKER_BIN" builder prune -af >/dev/null
    rm -rf "$dir/.devloop/cache"
  }
  # svc_try_time CMD...: like time_cmd, but a failure prints "n/a (first error line)" and returns 1.
  svc_try_time() {
    local t0
    sync
    t0=$(now)
    if (cd "$dir" && "$@" >/dev/null 2>"$WORK/last.err"); then
      secs "$t0" "$(now)"
    else
      printf 'n/a (%s)' "$({ grep -m1 -i error "$WORK/last.err" || grep -m1 -v '^[[:space:]]*$' "$WORK/last.err" || echo "no message"; } | tr '|' '/' | cut -c1-100)"
      return 1
    fi
  }
  # svc_served PORT: the page answers through web → api → store (every 50 ms, each try bounded).
  svc_served() {
    local n=0
    until curl -fsS --max-time 0.5 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; do
      sleep 0.05
      n=$((n + 1))
      [ "$n" -lt 1200 ] || { echo "bench: the shop on port $1 never served its page" >&2; return 1; }
    done
  }
  # svc_snapshot FILTER: "name id start" of the running containers of one side.
  svc_snapshot() {
    "$DOCKER_BIN" ps -q --filter "$1" | xargs -r "$DOCKER_BIN" inspect -f '{{.Name}} {{.Id}} {{.State.StartedAt}}' | sort
  }
  svc_d_ship() {
    SHOP_PORT=$port_d "$DEVLOOP" -q ship --no-tests && svc_served "$port_d"
  }
  svc_c_ship() { svc_compose up -d --build && svc_served "$port_c"; }
  svc_k_ship() { svc_compose_bk up -d --build && svc_served "$port_k"; }

  svc_down
  rm -rf "$dir"
  cp -r examples/shop "$dir"
  rm -rf "$dir/.devloop"
  sed -i "s/^name = \"shop\"/name = \"$app\"/; s/\"shop-store:/\"$app-store:/" "$dir/devloop.toml"
  (cd "$dir" && git init -q && git add -A && "${git[@]}" commit -qm init)

  # (a) Cold builds.
  local -a b_d=() b_c=() b_k=()
  local round tool order t d_ok=1
  for round in $(seq "$RUNS"); do
    order="d c k"
    [ $((round % 2)) = 0 ] && order="k c d"
    for tool in $order; do
      svc_cold
      case $tool in
        d)
          [ "$d_ok" = 1 ] || continue
          if t=$(svc_try_time "$DEVLOOP" -q build); then b_d+=("$t"); else b_d=("$t"); d_ok=0; fi ;;
        c) b_c+=("$(time_cmd "$dir" svc_compose build)") ;;
        k) b_k+=("$(time_cmd "$dir" svc_compose_bk build)") ;;
      esac
    done
  done

  # (b) One api file changed → serving. Warm-up: the first deploy of each side.
  local -a s_d=() s_c=() s_k=() r_d=() r_c=() r_k=()
  local before after marker filter
  if t=$(svc_try_time svc_d_ship); then :; else s_d=("$t"); d_ok=0; fi
  time_cmd "$dir" svc_c_ship >/dev/null
  time_cmd "$dir" svc_k_ship >/dev/null
  for round in $(seq "$RUNS"); do
    order="d c k"
    [ $((round % 2)) = 0 ] && order="k c d"
    for tool in $order; do
      [ "$tool" = d ] && [ "$d_ok" = 0 ] && continue
      marker="bench-$round-$tool-$RANDOM"
      printf '# %s\n' "$marker" >>"$dir/api/app.sh"
      (cd "$dir" && "${git[@]}" commit -qam "$marker")
      case $tool in
        d) filter="name=^/$app-local-" ;;
        c) filter="label=com.docker.compose.project=$proj_c" ;;
        k) filter="label=com.docker.compose.project=$proj_k" ;;
      esac
      before=$(svc_snapshot "$filter")
      case $tool in
        d) if t=$(svc_try_time svc_d_ship); then s_d+=("$t"); else s_d=("$t"); d_ok=0; continue; fi ;;
        c) s_c+=("$(time_cmd "$dir" svc_c_ship)") ;;
        k) s_k+=("$(time_cmd "$dir" svc_k_ship)") ;;
      esac
      after=$(svc_snapshot "$filter")
      # The api that answers runs the change.
      "$DOCKER_BIN" ps -q --filter "$filter" | while read -r id; do
        "$DOCKER_BIN" exec "$id" grep -qs "$marker" /app/app.sh </dev/null && echo found || true
      done | grep found >/dev/null || { echo "bench: $tool deployed without the change $marker" >&2; exit 1; }
      t=$(comm -13 <(echo "$before") <(echo "$after") | grep -c . || true)
      t="$t of $(echo "$after" | grep -c .)"
      case $tool in d) r_d+=("$t") ;; c) r_c+=("$t") ;; k) r_k+=("$t") ;; esac
    done
  done
  svc_down

  svc_cell() { # a median in seconds, or the n/a message
    case $1 in n/a*) echo "$1" ;; *) echo "$(median "$@") s" ;; esac
  }
  svc_restarts() { # the restart counts: the middle one
    [ $# -gt 0 ] && printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }' || echo n/a
  }
  svc_rows+=("devloop (BuildKit): build / ship --no-tests|$(svc_cell "${b_d[@]}")|$(svc_cell "${s_d[@]:-n/a}")|$(svc_restarts "${r_d[@]}")")
  svc_rows+=("docker-compose 1.29 (classic builder): build / up -d --build|$(svc_cell "${b_c[@]}")|$(svc_cell "${s_c[@]}")|$(svc_restarts "${r_c[@]}")")
  svc_rows+=("docker-compose 1.29 with BuildKit (COMPOSE_DOCKER_CLI_BUILD=1)|$(svc_cell "${b_k[@]}")|$(svc_cell "${s_k[@]}")|$(svc_restarts "${r_k[@]}")")
}

print_services() {
  printf '\n| many services (examples/shop: store, api, web) | cold build of api and web | one api file changed → serving | containers restarted |\n|---|---|---|---|\n'
  for r in "${svc_rows[@]}"; do
    IFS='|' read -r a b c d <<<"$r"
    printf '| %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d"
  done
  printf '\n(median of %s rounds; %s; %s)\n' "$RUNS" "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')" \
    "$("$DEVLOOP" --version)"
}

mkdir -p "$WORK"
if [ -n "${ONLY_SERVICES:-}" ]; then
  bench_services
  print_services
  exit 0
fi
if [ -n "${ONLY_DEV:-}" ]; then
  bench_dev
  print_dev
  exit 0
fi
if [ -z "${ONLY_DEPLOY:-}" ]; then
  bench_fixture tiny 1
  bench_fixture large "$FILES"
fi
bench_deploy
bench_dev
[ -n "${ONLY_DEPLOY:-}" ] || bench_services

printf '\n| deploy loop, one file changed (examples/hello) | median of %s | against the plain script |\n|---|---|---|\n' "$RUNS"
for r in "${deploy_rows[@]}"; do
  IFS='|' read -r a b c <<<"$r"
  printf '| %s | %s | %s |\n' "$a" "$b" "$c"
done
print_dev
[ -n "${ONLY_DEPLOY:-}" ] && exit 0
print_services

printf '\n| fixture | case | devloop build (classic) | devloop build (BuildKit) | docker build (classic) | DOCKER_BUILDKIT=1 docker build | devloop peak RSS (classic / BuildKit) |\n'
printf '|---|---|---|---|---|---|---|\n'
for r in "${rows[@]}"; do
  IFS='|' read -r a b c d e f g <<<"$r"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done
printf '\n(%s; %s; wall time after a warm-up build: one run when nothing changed, the median of %s rounds when one file changed)\n' \
  "$("$DOCKER_BIN" version --format 'Docker Engine {{.Server.Version}}')" "$("$DEVLOOP" --version)" "$RUNS"
