/**
 * Benchmark databases and the rows written into them. Every benchmark gets a fresh clone of
 * mana_template (test/support/db.ts) with the production clock (allow_test_clock off) and a `bench`
 * schema of SQL helpers, so rows are built inside Postgres (generate_series) and the client is never
 * the bottleneck:
 *   bench.iso(t)                  the web app's 24-character ISO stamp
 *   bench.blob                    a ~25 KB `iterations` array (20 varied iterations)
 *   bench.mission_record(…)       a full aiMissions record as the web app inserts it
 *   bench.change_rows(…)          a batch of sync rows: ai mission/agent changes and, optionally,
 *                                 notes/todo/calendar changes (one function for B1 and B5)
 * Nothing here touches mana_ai's schemas except through public.sync_changes (and its capture trigger) and
 * mana_ai.fold().
 */
import pg from 'pg';
import { freshDatabase, type TestDb } from '../../test/support/db.js';

export type { TestDb };

const HELPERS = String.raw`
create schema bench;

create function bench.iso(p_t timestamptz) returns text
  language sql stable
  as $$ select to_char(p_t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;

-- Field stamps for an update row: every key of the data stamped with p_stamp.
create function bench.stamps(p_data jsonb, p_stamp text) returns jsonb
  language sql stable
  as $$ select coalesce(jsonb_object_agg(k, p_stamp), '{}') from jsonb_object_keys(p_data) k $$;

create function bench.mission_record(p_id text, p_user text, p_agent text, p_state text, p_next text, p_stamp text)
  returns jsonb
  language sql stable
  as $$
    select jsonb_build_object(
      'id', p_id, 'title', 'Mission ' || p_id,
      'conceptMarkdown', '## Konzept' || chr(10) || 'Jeden Morgen die offenen Aufgaben und Termine sichten, ' ||
        'Prioritäten vorschlagen und Konflikte markieren. ' || md5(p_id) || md5(p_user),
      'objective', 'Ziel von ' || p_id || ': den Tag planbar machen',
      'state', p_state, 'cadence', '{"kind": "interval", "everyMinutes": 60}'::jsonb, 'nextRunAt', p_next,
      'inputs', '[]'::jsonb, 'iterations', '[]'::jsonb, 'createdAt', p_stamp, 'updatedAt', p_stamp,
      'userId', p_user, 'agentId', p_agent)
  $$;

create table bench.blob (name text primary key, value jsonb not null);
insert into bench.blob
select 'iterations', jsonb_agg(jsonb_build_object(
         'id', md5('it' || i), 'startedAt', bench.iso(now() - i * interval '1 hour'),
         'finishedAt', bench.iso(now() - i * interval '1 hour' + interval '4 seconds'),
         'overallStatus', 'proposed',
         'summary', 'Drei Vorschläge für heute: ' || md5('s' || i) || md5('t' || i) || md5('u' || i),
         'plan', (select jsonb_agg(jsonb_build_object(
                    'toolName', (array['create_task', 'create_event', 'complete_tasks_by_title'])[s],
                    'params', jsonb_build_object('title', 'Vorschlag ' || md5(i || '-' || s), 'priority', 'medium',
                                                 'dueDate', bench.iso(now() + s * interval '1 day')),
                    'rationale', 'Weil ' || md5('r' || i || s) || ' ' || md5('q' || i || s) || ' ' || md5('p' || i || s),
                    'status', 'proposed'))
                  from generate_series(1, 3) s)) order by i)
  from generate_series(1, 21) i;

-- One batch of sync rows, numbered p_first .. p_first + p_n - 1 (g). With p_ai_every = 1 every row is an
-- ai row; with 10, rows with g % 10 = 0 are ai rows and the others notes/todo/calendar changes.
-- ai rows by k % 20 (k = g, or g / 10): 0, 10 agent rename (10 %); 1 mission update carrying the
-- ~25 KB iterations array (5 %); 5, 15 a new mission (10 %); else a mission update of title, objective,
-- nextRunAt (75 %). Every nextRunAt lies two days ahead: nothing becomes due. Existing records are
-- bm<m> / ba<u> of users bu<u> (seeded by seedRecords).
-- PL/pgSQL with a forced generic plan: as an inlined SQL function the query was re-planned on every
-- call (~0.8 ms). bench/pgbench/sync-mix.sql writes the same mix one row at a time.
create function bench.change_rows(p_batch int, p_first int, p_n int, p_missions int, p_users int, p_ai_every int)
  returns table (app_id text, table_name text, record_id text, user_id text, op text, data jsonb, field_timestamps jsonb)
  language plpgsql volatile
  set plan_cache_mode = force_generic_plan
  as $$
  #variable_conflict use_column
  begin
    return query
    with c as materialized (
      select bench.iso(clock_timestamp()) as s,
             bench.iso(now() + interval '2 days') as later
    ), g as materialized (
      select g.g,
             case when p_ai_every = 1 or g.g % 10 = 0 then
               case (case when p_ai_every = 1 then g.g else g.g / 10 end) % 20
                 when 0 then 'agent' when 10 then 'agent' when 1 then 'iterations' when 5 then 'new' when 15 then 'new'
                 else 'mission' end
             else (array['notes', 'todo', 'calendar'])[g.g % 3 + 1] end as kind,
             floor(random() * p_missions)::int as m,
             floor(random() * p_users)::int as u,
             floor(random() * 100000)::int as r
        from generate_series(p_first, p_first + p_n - 1) g(g)
    ), d as (
      select g.kind, g.g, g.m, g.u, g.r, c.s,
             case g.kind
               when 'agent' then jsonb_build_object('name', 'Agent ' || g.u || ' ' || c.s, 'updatedAt', c.s)
               when 'iterations' then jsonb_build_object('iterations', (select b.value from bench.blob b where b.name = 'iterations'),
                                                         'nextRunAt', c.later, 'updatedAt', c.s)
               when 'new' then bench.mission_record('bn' || p_batch || '-' || g.g, 'bu' || g.u, 'ba' || g.u, 'active', c.later, c.s)
               when 'mission' then jsonb_build_object('title', 'Mission bm' || g.m || ' ' || c.s,
                                                      'objective', 'Ziel ' || md5(g.g::text), 'nextRunAt', c.later, 'updatedAt', c.s)
               when 'notes' then jsonb_build_object('id', 'note-' || g.r, 'title', 'Notiz ' || g.r,
                                                    'content', repeat(md5(g.g::text || c.s), 16), 'updatedAt', c.s)
               when 'todo' then jsonb_build_object('id', 'task-' || g.r, 'title', 'Aufgabe ' || md5(g.g::text),
                                                   'completed', g.g % 2 = 0, 'dueDate', c.later, 'updatedAt', c.s)
               else jsonb_build_object('id', 'event-' || g.r, 'title', 'Termin ' || md5(g.g::text), 'startTime', c.later,
                                       'endTime', c.later, 'location', 'Raum ' || g.u, 'updatedAt', c.s)
             end as data,
             g.kind = 'new' or (g.kind in ('notes', 'todo', 'calendar') and g.g % 4 = 0) as is_insert
        from g cross join c
    )
    select case d.kind when 'notes' then 'notes' when 'todo' then 'todo' when 'calendar' then 'calendar' else 'ai' end,
           case d.kind when 'notes' then 'notes' when 'todo' then 'tasks' when 'calendar' then 'events'
                       when 'agent' then 'agents' else 'aiMissions' end,
           case d.kind when 'agent' then 'ba' || d.u when 'new' then 'bn' || p_batch || '-' || d.g
                       when 'mission' then 'bm' || d.m when 'iterations' then 'bm' || d.m
                       else d.data ->> 'id' end,
           case when d.kind in ('mission', 'iterations') then 'bu' || (d.m % p_users) else 'bu' || d.u end,
           case when d.is_insert then 'insert' else 'update' end,
           d.data,
           case when d.is_insert then '{}'::jsonb else bench.stamps(d.data, d.s) end
      from d;
  end
  $$;
`;

/** A fresh clone of mana_template prepared for benchmarks. */
export async function benchDatabase(): Promise<TestDb> {
  const db = await freshDatabase();
  await db.admin.query('update mana_ai_private.settings set allow_test_clock = false');
  await db.admin.query(HELPERS);
  return db;
}

/** One connection to a benchmark database (superuser), with its own session settings. */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * The records B1/B5 update: `users` agents ba<u> and `missions` missions bm<m> (user bu<m % users>,
 * agent of that user, nextRunAt 30 days ahead), inserted through the trigger in 1,000-row statements
 * like a first sync would, then folded.
 */
export async function seedRecords(db: TestDb, users: number, missions: number): Promise<void> {
  await db.admin.query(
    `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
     select 'ai', 'agents', 'ba' || u, 'bu' || u, 'insert',
            jsonb_build_object('id', 'ba' || u, 'name', 'Agent ' || u, 'role', 'Assistent', 'state', 'active',
                               'maxConcurrentMissions', 2, 'policy', '{"tools": {}, "defaultForAi": "propose"}'::jsonb,
                               'createdAt', c.s, 'updatedAt', c.s), '{}', 'bench-seed'
       from generate_series(0, $1::int - 1) u, (select bench.iso(now() - interval '30 days') as s) c`, [users]);
  for (let from = 0; from < missions; from += 1000) {
    await db.admin.query(
      `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
       select 'ai', 'aiMissions', 'bm' || m, 'bu' || (m % $3::int), 'insert',
              bench.mission_record('bm' || m, 'bu' || (m % $3::int), 'ba' || (m % $3::int), 'active',
                                   bench.iso(now() + interval '30 days'), bench.iso(now() - interval '30 days')),
              '{}', 'bench-seed'
         from generate_series($1::int, least($2::int, $1::int + 1000) - 1) m`, [from, missions, users]);
  }
  await db.fold();
}

/**
 * Inserts `n` missions that are due now (no agent: the legacy principal has no quota) in one statement:
 * the capture trigger queues them and notifies at commit; a listener's fold enqueues one run each. nextRunAt is a minute ago minus
 * i ms, so every mission has its own slot; with `sameSlot` all share one (as daily missions at the same
 * local hour do). Ids `${prefix}${i}`, users `${prefix}u${i % users}`; title "Mission <id>".
 */
export async function insertDueMissions(
  client: pg.Client | pg.Pool, prefix: string, n: number, users = 50, first = 0, sameSlot = false,
): Promise<void> {
  await client.query(
    `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id)
     select 'ai', 'aiMissions', $1 || i, $1 || 'u' || (i % $3::int), 'insert',
            bench.mission_record($1 || i, $1 || 'u' || (i % $3::int), null, 'active',
                                 bench.iso(now() - interval '1 minute' - case when $5 then 0 else i end * interval '1 millisecond'),
                                 bench.iso(now() - interval '1 minute')),
            '{}', 'bench-due'
       from generate_series($4::int, $4::int + $2::int - 1) i`, [prefix, n, users, first, sameSlot]);
}

/** "Mission <id>" of the prompt's `# Mission: <title>` line, or undefined. */
export function missionIdOfPrompt(body: unknown): string | undefined {
  const messages = (body as { messages?: { role: string; content: string }[] } | undefined)?.messages ?? [];
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  return /^# Mission: Mission (\S+)/m.exec(user)?.[1];
}

/** Server facts for the results header. */
export async function serverFacts(db: TestDb): Promise<Record<string, string>> {
  const { rows } = await db.admin.query<{ name: string; setting: string }>(
    `select name, current_setting(name) as setting from pg_settings
      where name in ('server_version', 'shared_buffers', 'work_mem', 'fsync', 'synchronous_commit', 'full_page_writes',
                     'max_connections', 'jit', 'max_parallel_workers_per_gather')`);
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}
