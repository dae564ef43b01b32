#!/usr/bin/env bash
# Prepares the databases tests run against, inside the cluster named by PG* (see with-cluster.sh):
#   - $PGDATABASE (the pg_cron database): migrated through the CLI, test clock on, pgTAP and the
#     `tests` helper schema installed. pgTAP files run here, each in a rolled-back transaction.
#   - mana_template: migrated the same way in a database without pg_cron; node:test files clone it
#     (CREATE DATABASE … TEMPLATE) so each test file gets a fresh database.
# --template-only skips the first part. Idempotent: a second run re-migrates (a no-op) only.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PGHOST:?run inside test/support/with-cluster.sh}"

url_for() { printf 'postgresql://%s@localhost/%s?host=%s' "${PGUSER:-postgres}" "$1" "$PGHOST"; }
migrate() {
  MANA_AI_ADMIN_DATABASE_URL=$(url_for "$1") MANA_AI_TIMEZONE=Europe/Berlin LOG_LEVEL=warn \
    node --import tsx src/cli/main.ts migrate --create-sync-changes
  psql -Xq -v ON_ERROR_STOP=1 -d "$1" -c 'update mana_ai_private.settings set allow_test_clock = true'
}

if [ "${1:-}" != --template-only ]; then
  migrate "$PGDATABASE"
  psql -Xq -v ON_ERROR_STOP=1 -d "$PGDATABASE" -c 'create extension if not exists pgtap' -f test/support/helpers.sql
fi

if ! psql -Xqtc "select 1 from pg_database where datname = 'mana_template'" -d postgres | grep -q 1; then
  createdb mana_template
fi
migrate mana_template
psql -Xq -v ON_ERROR_STOP=1 -d mana_template -f test/support/helpers.sql

# A LOGIN role that is a member of mana_ai_runner, as deployments create it (roles are cluster-wide).
psql -Xq -v ON_ERROR_STOP=1 -d postgres -c "do \$\$ begin
  if not exists (select from pg_roles where rolname = 'mana_ai_test_listener') then
    create role mana_ai_test_listener login in role mana_ai_runner;
  end if; end \$\$"
