# Shared by test/docker/run.sh (make test-docker) and test/pg/run.sh (make test-pg17): Debian root
# filesystems made with debootstrap from the mirror apt already uses, cached under .cache/ (git- and
# docker-ignored) and reused between runs, and a Docker engine started only when none is running.
# Source it; it defines functions only.

# Command substitutions fail the script like any other command (bash does not do that by default).
shopt -s inherit_errexit
REPO=${REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE=${MANA_AI_CACHE_DIR:-$REPO/.cache}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The first URI apt's sources give for the main archive and for security updates (deb822 or one-line).
apt_uri() {
  local want=$1 f files=() uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && files+=("$f")
  done
  uri=$({ cat "${files[@]}" </dev/null | grep -v '^\s*#' | grep -oE 'https?://[^ ]+' | sed 's:/*$::' \
    | grep -E "/${want}\$" | head -n1; } || true)
  [ -n "$uri" ] || die "no /${want} URI in apt's sources (${files[*]})"
  printf '%s\n' "$uri"
}

# rootfs SUITE: sets ROOTFS_TAR to a cached tarball of `debootstrap --variant=minbase SUITE`, made on
# first use. Call it directly, not in $(...): it must be able to stop the script. Trimmed like Debian's
# -slim images (no docs, man pages or locales; no recommends); apt's sources are the suite, its
# -updates and -security from the host's mirrors.
ROOTFS_TAR=
rootfs() {
  local suite=$1 tar="$CACHE/debootstrap/$1-minbase.tar"
  ROOTFS_TAR=
  if [ ! -s "$tar" ]; then
    command -v debootstrap >/dev/null || apt_install debootstrap
    local mirror security tmp
    mirror=$(apt_uri debian); security=$(apt_uri debian-security)
    mkdir -p "$CACHE/debootstrap"
    tmp=$(mktemp -d "$CACHE/debootstrap/$suite.XXXXXX")
    # Everything below writes under $tmp/root: never let an empty $tmp make that /root.
    case "$tmp" in "$CACHE"/debootstrap/"$suite".*) ;; *) die "unexpected temporary directory '$tmp'" ;; esac
    log "debootstrap --variant=minbase $suite from $mirror (once; cached in ${tar#"$REPO"/})"
    debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -n 20 "$tmp/debootstrap.log" >&2; die "debootstrap $suite failed"; }
    cat >"$tmp/root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
    cat >"$tmp/root/etc/dpkg/dpkg.cfg.d/01-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
SLIM
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$tmp/root/etc/apt/apt.conf.d/01-no-recommends"
    # Downloaded .debs and apt's binary caches never stay in a layer (as in Debian's official images).
    cat >"$tmp/root/etc/apt/apt.conf.d/02-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/cache/apt/"*.bin "$tmp/root/var/lib/apt/lists/"* \
      "$tmp/root/usr/share/man/"* "$tmp/root/usr/share/info/"* "$tmp/root/usr/share/locale/"*
    find "$tmp/root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    tar -C "$tmp/root" --numeric-owner -cf "$tmp/rootfs.tar" .
    mv "$tmp/rootfs.tar" "$tar"
    rm -rf "$tmp"
  fi
  ROOTFS_TAR=$tar
}

apt_install() {
  log "apt-get install $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Docker engine: use a running one; else install Debian's docker.io if needed and start dockerd in
# the background. ENGINE_PID is set only when this script started it; stop_engine stops only that.
ENGINE_PID=
start_engine() {
  if docker info >/dev/null 2>&1; then log "using the running Docker engine"; return; fi
  command -v dockerd >/dev/null || apt_install docker.io
  log "starting dockerd (log: $CACHE/dockerd.log)"
  mkdir -p "$CACHE"
  dockerd >"$CACHE/dockerd.log" 2>&1 &
  ENGINE_PID=$!
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return
    kill -0 "$ENGINE_PID" 2>/dev/null || { tail -n 20 "$CACHE/dockerd.log" >&2; die "dockerd exited"; }
    sleep 1
  done
  die "dockerd did not answer within 60 s"
}
stop_engine() {
  [ -n "$ENGINE_PID" ] || return 0
  log "stopping the dockerd this run started (pid $ENGINE_PID)"
  kill -TERM "$ENGINE_PID" 2>/dev/null || true
  wait "$ENGINE_PID" 2>/dev/null || true
  ENGINE_PID=
}

# image_from_rootfs SUITE NAME: `docker import` of the cached rootfs, unless NAME exists.
image_from_rootfs() {
  local suite=$1 name=$2
  docker image inspect "$name" >/dev/null 2>&1 && return
  rootfs "$suite"
  log "docker import ${ROOTFS_TAR#"$REPO"/} $name"
  docker import --change 'CMD ["bash"]' "$ROOTFS_TAR" "$name" >/dev/null
}
