#!/usr/bin/env bash
# Runs a command with a pgbouncer (transaction pooling) in front of the throwaway cluster named by
# PGHOST/PGPORT (with-cluster.sh), then stops it. Socket-only like the cluster: pgbouncer listens on
# a socket in its own temporary directory, so parallel runs do not collide. The command sees
# MANA_TEST_PGBOUNCER_HOST and MANA_TEST_PGBOUNCER_PORT; test/support/e2e-kit.ts then sends the
# listener's query pool through pgbouncer and keeps LISTEN on a direct connection
# (MANA_AI_LISTEN_DATABASE_URL). At the end it prints pgbouncer's totals and fails if nothing went
# through it.
set -euo pipefail
: "${PGHOST:?run under test/support/with-cluster.sh}"
port=6432
dir=$(mktemp -d /tmp/mana-ai-pgbouncer.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST port=${PGPORT:-5432}

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 40
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
printf '"postgres" ""\n"mana_ai_test_listener" ""\n' >"$dir/userlist.txt"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"/*
as_pg /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini"
stop() {
  if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 50); do [ -S "$dir/.s.PGSQL.$port" ] && break; sleep 0.1; done
export MANA_TEST_PGBOUNCER_HOST=$dir MANA_TEST_PGBOUNCER_PORT=$port
rc=0
"$@" || rc=$?
stats=$(psql -h "$dir" -p $port -U postgres -d pgbouncer -XAtF' ' -c 'show totals' 2>/dev/null | awk '$1 ~ /total_xact_count|total_query_count/ {print $1"="$2}' | paste -sd' ')
echo "pgbouncer (transaction pooling) totals: ${stats:-unavailable}"
case "$stats" in *total_xact_count=0*|'') echo "nothing went through pgbouncer" >&2; [ $rc = 0 ] && rc=1 ;; esac
exit $rc
