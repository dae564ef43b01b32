#!/usr/bin/env bash
# make test-pg17 (and test-pg16 where Debian packages 16): the pgTAP and node:test suites (the real
# `make test-sql test-ts` targets) against another PostgreSQL major, inside a Debian chroot made with
# debootstrap from the host's apt mirror. The chroot is cached under .cache/chroot/<name> and reused;
# the repository is bind-mounted at its own path, so the chroot runs the working tree as it is (its
# node_modules and a dist/ built here first); the crypto vectors are in the repository (test/fixtures).
# Usage: test/pg/run.sh MAJOR [COMMAND...]   (COMMAND runs in the chroot's throwaway cluster instead of
# `make test-sql test-ts`, e.g. `node --import tsx --test test/ts/cli/serve.test.ts`)
set -euo pipefail
# Private mount namespace: the bind mounts below exist only for this process tree and vanish with it,
# even on SIGKILL, so no mount of the repository is ever left inside .cache/ (where `rm -rf .cache`
# would follow it into the working tree).
if [ -z "${MANA_AI_PRIVATE_MOUNTS:-}" ]; then
  exec env MANA_AI_PRIVATE_MOUNTS=1 unshare --mount --propagation private "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../docker/lib.sh"

major=${1:?usage: $0 MAJOR [COMMAND...]}
shift
# The default command first proves which server the throwaway cluster runs.
[ $# -gt 0 ] || set -- bash -c 'v=$(psql -XAtc "show server_version_num") && echo "throwaway cluster: PostgreSQL $(psql -XAtc "show server_version")" \
  && [ "${v:0:2}" = "$1" ] && exec make --no-print-directory test-sql test-ts' bash "$major"
case "$major" in
  17) suite=trixie ;;   # Debian 13: postgresql-17, postgresql-17-cron, postgresql-17-pgtap
  *) die "no Debian suite known to package postgresql-$major with pg_cron and pgTAP" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and bind mounts)"
root="$CACHE/chroot/$suite-pg$major"
pkgs=("postgresql-$major" "postgresql-$major-cron" "postgresql-$major-pgtap" libtap-parser-sourcehandler-pgtap-perl
      nodejs ca-certificates make procps prometheus python3-yaml)

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { mkdir -p "$root$2"; mount --bind "$1" "$root$2"; mounts+=("$root$2"); }

if [ ! -f "$root/.mana-ai-ready" ]; then
  t0=$SECONDS
  rootfs "$suite"
  rm -rf "${root:?}"; mkdir -p "$root"
  tar -C "$root" -xf "$ROOTFS_TAR"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # No packaged cluster (the tests make their own); no service starts inside the chroot.
  mkdir -p "$root/etc/postgresql-common/createcluster.d"
  echo 'create_main_cluster = false' >"$root/etc/postgresql-common/createcluster.d/no-main-cluster.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
  bind /proc /proc; bind /dev /dev; bind /dev/pts /dev/pts
  log "chroot $suite: apt-get install ${pkgs[*]}"
  chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null' sh "${pkgs[@]}"
  # npm: Debian's npm package does not configure in a minbase root; npm's own tarball does.
  npm_version=${NPM_VERSION:-10.8.2}
  mkdir -p "$CACHE/npm"
  [ -s "$CACHE/npm/npm-$npm_version.tgz" ] || (cd "$CACHE/npm" && npm pack --silent "npm@$npm_version" >/dev/null)
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$CACHE/npm/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" apt-get clean
  cleanup; mounts=()
  touch "$root/.mana-ai-ready"
  log "chroot ready in $((SECONDS - t0)) s"
fi

# dist/ for the tests that run the built CLI, compiled by the host's toolchain (the same JavaScript).
(cd "$REPO" && { [ -f node_modules/.package-lock.json ] || npm ci --no-audit --no-fund; } && npm run --silent build)

bind /proc /proc; bind /dev /dev; bind /dev/pts /dev/pts; bind "$REPO" "$REPO"
cp /etc/resolv.conf "$root/etc/resolv.conf"
log "PostgreSQL $(chroot "$root" "/usr/lib/postgresql/$major/bin/postgres" --version | awk '{print $3}'), node $(chroot "$root" node --version), in $suite"
chroot "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 TERM=dumb \
  PGBIN="/usr/lib/postgresql/$major/bin" NPM_CONFIG_LOGLEVEL=error \
  bash -c 'cd "$1" && shift && test/support/with-cluster.sh "$@"' bash "$REPO" "$@"
