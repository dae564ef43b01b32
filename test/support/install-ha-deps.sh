#!/usr/bin/env bash
# The Debian packages `make test-ha` needs on top of install-deps.sh: Patroni (3.0.2 in bookworm) with
# its etcd client library, etcd (3.4.23) and pgbouncer (1.18). Services are never started by this
# script: the test starts its own etcd, Patroni and pgbouncer in a temporary directory.
set -euo pipefail
"$(dirname "$0")/install-deps.sh"
pkgs=(patroni python3-etcd etcd-server etcd-client pgbouncer)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
