#!/usr/bin/env bash
# Builds the images `make test-docker` runs, sequentially (CPU is scarce), reusing what exists:
#   mana-ai-debian:bookworm, mana-ai-debian:trixie  docker import of cached debootstrap roots (lib.sh)
#   mana-ai-base-node:local        stand-in for node:20-bookworm-slim      (test/docker/base/node.Dockerfile)
#   mana-ai-base-postgres:15       stand-in for postgres:15-bookworm       (base/postgres.Dockerfile)
#   mana-ai-base-prometheus:local  stand-in for prom/prometheus            (base/prometheus.Dockerfile)
#   mana-ai-compose:local          Docker Compose v2 from Debian 13        (base/compose.Dockerfile)
#   mana-ai-runner:local, mana-ai-postgres:local   the project's images from docker/*.Dockerfile,
#                                  their base images passed as build arguments (the files' defaults
#                                  stay the official images).
# NODE_IMAGE / POSTGRES_IMAGE / PROMETHEUS_IMAGE set (e.g. to the official images, where Docker Hub is
# reachable) skip the stand-ins: `NODE_IMAGE=node:20-bookworm-slim POSTGRES_IMAGE=postgres:15-bookworm
# PROMETHEUS_IMAGE=prom/prometheus:v2.53.1 make test-docker`.
# Needs a running engine (run.sh starts one). Prints nothing but progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
export DOCKER_BUILDKIT=0   # the classic builder: no frontend image to pull, local base images resolve

build() { # build TAG CONTEXT [docker build args...]
  local tag=$1 ctx=$2; shift 2
  local t0=$SECONDS
  docker build -q -t "$tag" "$@" "$ctx" >"$CACHE/build-${tag//[:\/]/_}.log" 2>&1 \
    || { tail -n 30 "$CACHE/build-${tag//[:\/]/_}.log" >&2; die "docker build $tag failed"; }
  log "built $tag in $((SECONDS - t0)) s"
}
base() { # base TAG DOCKERFILE [extra files for the context...]: builds once, reuses the image after
  local tag=$1 file=$2; shift 2
  if docker image inspect "$tag" >/dev/null 2>&1; then return; fi
  local ctx; ctx=$(mktemp -d "$CACHE/ctx.XXXXXX")
  cp "$here/base/$file" "$ctx/Dockerfile"
  local f; for f in "$@"; do cp -r "$f" "$ctx/"; done
  build "$tag" "$ctx"
  rm -rf "${ctx:?}"
}

mkdir -p "$CACHE"
NODE_IMAGE=${NODE_IMAGE:-}
POSTGRES_IMAGE=${POSTGRES_IMAGE:-}
PROMETHEUS_IMAGE=${PROMETHEUS_IMAGE:-}
image_from_rootfs bookworm mana-ai-debian:bookworm
image_from_rootfs trixie mana-ai-debian:trixie
if [ -z "$NODE_IMAGE" ]; then
  NODE_IMAGE=mana-ai-base-node:local
  if ! docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
    npm_version=${NPM_VERSION:-10.8.2}   # the npm that Node 20's official images carry
    mkdir -p "$CACHE/npm"
    [ -s "$CACHE/npm/npm-$npm_version.tgz" ] \
      || (cd "$CACHE/npm" && npm pack --silent "npm@$npm_version" >/dev/null)
    rm -rf "$CACHE/extra-ca"; mkdir -p "$CACHE/extra-ca"
    find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -exec cp {} "$CACHE/extra-ca/" \; 2>/dev/null || true
    cp "$CACHE/npm/npm-$npm_version.tgz" "$CACHE/npm.tgz"
    base "$NODE_IMAGE" node.Dockerfile "$CACHE/npm.tgz" "$CACHE/extra-ca"
    rm -rf "$CACHE/npm.tgz" "$CACHE/extra-ca"
  fi
fi
if [ -z "$POSTGRES_IMAGE" ]; then
  POSTGRES_IMAGE=mana-ai-base-postgres:15
  base "$POSTGRES_IMAGE" postgres.Dockerfile "$here/base/postgres-entrypoint.sh"
fi
if [ -z "$PROMETHEUS_IMAGE" ]; then
  PROMETHEUS_IMAGE=mana-ai-base-prometheus:local
  base "$PROMETHEUS_IMAGE" prometheus.Dockerfile
fi
base mana-ai-compose:local compose.Dockerfile

# The project's images, always rebuilt (the layer cache makes an unchanged rebuild quick).
build mana-ai-runner:local "$REPO" -f "$REPO/docker/listener.Dockerfile" --build-arg "NODE_IMAGE=$NODE_IMAGE"
build mana-ai-postgres:local "$REPO/docker" -f "$REPO/docker/postgres.Dockerfile" --build-arg "POSTGRES_IMAGE=$POSTGRES_IMAGE"
docker image inspect "$PROMETHEUS_IMAGE" >/dev/null 2>&1 || docker pull -q "$PROMETHEUS_IMAGE" >/dev/null
docker tag "$PROMETHEUS_IMAGE" mana-ai-prometheus:local
