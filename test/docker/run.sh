#!/usr/bin/env bash
# make test-docker: the container images built and run for real (not part of `make test`).
#   1. a Docker engine: the running one, else Debian's docker.io (installed if missing) started here
#      and stopped again at the end (only the dockerd this script started);
#   2. the images (test/docker/build.sh): stand-in base images from Debian packages via debootstrap
#      (cached in .cache/), then both project images from docker/*.Dockerfile;
#   3. test/docker/stack.test.ts: the stack with `docker run`, then with Docker Compose v2 and
#      Prometheus; measurements are printed at the end.
# Containers, networks and volumes of the run are removed afterwards (KEEP_CONTAINERS=1 keeps them);
# images stay, so the next run reuses them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (engine, debootstrap)"
t0=$SECONDS
mkdir -p "$CACHE"
trap stop_engine EXIT
start_engine
"$here/build.sh"
log "images ready after $((SECONDS - t0)) s"
cd "$REPO"
[ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund
report="$CACHE/docker-report.txt"
: >"$report"
rc=0
DOCKER_REPORT=$report node --import tsx --test --test-concurrency=1 test/docker/stack.test.ts || rc=$?
echo
echo "== make test-docker: measurements"
sed 's/^/  /' "$report"
echo "  engine: $(docker version -f 'Docker {{.Server.Version}}') ($( [ -n "$ENGINE_PID" ] && echo "started by this run" || echo "already running"))"
echo "  total: $((SECONDS - t0)) s"
exit $rc
