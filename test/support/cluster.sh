#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests, benchmarks and the demo.
#
#   cluster.sh start DIR     initdb + start a private cluster in DIR (socket-only, pg_cron preloaded),
#                            create the pg_cron database, print the PG* variables to export
#   cluster.sh stop DIR      stop that cluster by its own postmaster PID and leave DIR in place
#   cluster.sh destroy DIR   stop it and remove DIR
#   cluster.sh env DIR       print the PG* variables again
#
# Runs as root through `runuser -u postgres` (initdb and postgres refuse root), or directly as postgres.
# Everything lives under DIR: data, socket and log. Nothing outside DIR is touched, so several clusters
# can run side by side. The pg_cron database is named by CRON_DB (default mana_sync).
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
CRON_DB=${CRON_DB:-mana_sync}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

print_env() {
  local dir=$1
  cat <<ENV
export PGHOST='$dir'
export PGPORT=5432
export PGUSER=postgres
export PGDATABASE='$CRON_DB'
export PGTZ=UTC
export MANA_TEST_CLUSTER='$dir'
ENV
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|destroy|env DIR" >&2; exit 2; }

case "$cmd" in
  start)
    [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL 15 not found in $PGBIN (apt-get install postgresql-15 postgresql-15-cron postgresql-15-pgtap)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
      cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$CRON_DB'
cron.use_background_workers = on
max_worker_processes = 32
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
CONF
    fi
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    as_pg "$PGBIN/psql" -h "$dir" -U postgres -d postgres -Xqtc \
      "select 1 from pg_database where datname = '$CRON_DB'" | grep -q 1 \
      || as_pg "$PGBIN/createdb" -h "$dir" -U postgres "$CRON_DB"
    print_env "$dir"
    ;;
  stop|destroy)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || { pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null || true); [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; }
    fi
    if [ "$cmd" = destroy ]; then rm -rf "$dir"; fi
    ;;
  env)
    print_env "$(cd "$dir" && pwd)"
    ;;
  *) echo "usage: $0 start|stop|destroy|env DIR" >&2; exit 2 ;;
esac
