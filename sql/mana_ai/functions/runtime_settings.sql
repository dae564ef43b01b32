-- What the listener must agree with the database on before it starts (docs/operations.md §5): the zone of
-- daily/weekly/cron slots (MANA_AI_TIMEZONE is stored by migrate because the projection trigger needs
-- it inside the sync server's transactions) and the retry bound; plus the last tick (any source:
-- pg_cron, a listener, /internal/tick) for /health. Read-only.
-- Test: test/sql/mana_ai/functions/runtime_settings.sql
create or replace function mana_ai.runtime_settings()
  returns jsonb
  language sql stable
  security definer
  set search_path = pg_catalog, pg_temp
as $$
  select jsonb_build_object('timezone', s.timezone, 'maxAttempts', s.max_attempts, 'defaultLeaseMs', s.default_lease_ms,
                            'pgCron', exists (select from pg_catalog.pg_extension where extname = 'pg_cron'),
                            'lastTickAt', (select t.last_tick_at from mana_ai_private.tick_state t))
    from mana_ai_private.settings s
$$;
revoke all on function mana_ai.runtime_settings() from public;
grant execute on function mana_ai.runtime_settings() to mana_ai_runner;
comment on function mana_ai.runtime_settings() is
  E'Settings the listener checks at start: timezone, maxAttempts, defaultLeaseMs, pgCron; and lastTickAt for /health.';
