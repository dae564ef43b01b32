#!/usr/bin/env bash
# Run a command against a fresh throwaway cluster, then remove the cluster (also on failure or Ctrl-C).
# The command sees PGHOST/PGPORT/PGUSER/PGDATABASE of the cluster; PGDATABASE is the pg_cron database.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/mana-ai-cluster.XXXXXX)
trap '"$here/cluster.sh" destroy "$dir"' EXIT
eval "$("$here/cluster.sh" start "$dir")"
"$@"
