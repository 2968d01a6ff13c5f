#!/usr/bin/env bash
# Benchmark devloop against the docker CLI on the same fixtures, and print two tables:
# - `devloop build` against `docker build` (classic and DOCKER_BUILDKIT=1): wall time per case, and
#   devloop's peak memory;
# - the deploy loop on examples/hello after a one-file change: `devloop release && devloop deploy`
#   and `devloop ship` against a plain script (docker build, docker rm -f, docker run, poll /healthz);
# - `devloop dev` on examples/hello: from writing www/index.html to the new page being served, with
#   BuildKit and the classic builder, against the same plain script started right after the write.
#
#   scripts/bench.sh            # tiny context and 20,000 files / ~400 MB
#   FILES=2000 scripts/bench.sh # a smaller large fixture
#   ONLY_DEPLOY=1 scripts/bench.sh # only the deploy-loop and dev tables
#   ONLY_DEV=1 scripts/bench.sh    # only the `devloop dev` table
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
cargo build --release --quiet
DEVLOOP="$PWD/target/release/devloop"

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

mkdir -p "$WORK"
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

printf '\n| deploy loop, one file changed (examples/hello) | median of %s | against the plain script |\n|---|---|---|\n' "$RUNS"
for r in "${deploy_rows[@]}"; do
  IFS='|' read -r a b c <<<"$r"
  printf '| %s | %s | %s |\n' "$a" "$b" "$c"
done
print_dev
[ -n "${ONLY_DEPLOY:-}" ] && exit 0

printf '\n| fixture | case | devloop build (classic) | devloop build (BuildKit) | docker build (classic) | DOCKER_BUILDKIT=1 docker build | devloop peak RSS (classic / BuildKit) |\n'
printf '|---|---|---|---|---|---|---|\n'
for r in "${rows[@]}"; do
  IFS='|' read -r a b c d e f g <<<"$r"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g"
done
printf '\n(%s; %s; wall time after a warm-up build: one run when nothing changed, the median of %s rounds when one file changed)\n' \
  "$("$DOCKER_BIN" version --format 'Docker Engine {{.Server.Version}}')" "$("$DEVLOOP" --version)" "$RUNS"
