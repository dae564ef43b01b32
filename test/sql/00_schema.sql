-- Pins the shape of the deployed schema: tables and columns, roles, RLS switches and policies, and the
-- privilege model (definers with a pinned search_path; the runtime role executes mana_ai.* and touches
-- no table). The privilege checks query the catalog generically, so a function or table added later
-- is covered without editing this file. Runs in the pg_cron database after `mana-ai migrate`.
begin;
select plan(73);

-- schemas and tables ---------------------------------------------------------
select has_schema('mana_ai', 'schema mana_ai exists');
select has_schema('mana_ai_private', 'schema mana_ai_private exists');

select has_table('mana_ai_private', 'settings', 'settings exists');
select columns_are('mana_ai_private', 'settings', array[
  'singleton', 'timezone', 'max_attempts', 'retry_base_ms', 'retry_max_ms', 'default_lease_ms',
  'runs_keep', 'quarantine_keep', 'audit_keep', 'cron_history_keep', 'allow_test_clock', 'token_usage_keep'],
  'settings has exactly its columns');
select has_table('mana_ai_private', 'projections', 'projections exists');
select columns_are('mana_ai_private', 'projections', array[
  'user_id', 'table_name', 'record_id', 'present', 'fields', 'vals', 'updated_at_us', 'deleted_at_us',
  'last_created_at', 'last_change_id', 'rows_applied', 'deleted', 'state', 'agent_id', 'next_run_at',
  'cadence_error', 'due_at', 'name', 'max_concurrent', 'projected_at'],
  'projections has exactly its columns');
select has_table('mana_ai_private', 'quarantine', 'quarantine exists');
select columns_are('mana_ai_private', 'quarantine', array[
  'quarantine_id', 'change_id', 'user_id', 'app_id', 'table_name', 'record_id', 'reason', 'applied',
  'quarantined_at'],
  'quarantine has exactly its columns');
select has_table('mana_ai_private', 'counters', 'counters exists');
select columns_are('mana_ai_private', 'counters', array['name', 'value'], 'counters has exactly its columns');
select has_table('mana_ai_private', 'counter_deltas', 'counter_deltas exists');
select columns_are('mana_ai_private', 'counter_deltas', array['name', 'delta'],
  'counter_deltas has exactly its columns');
select has_table('mana_ai_private', 'tick_state', 'tick_state exists');
select columns_are('mana_ai_private', 'tick_state', array['singleton', 'ticks', 'last_tick_at', 'last_stats'],
  'tick_state has exactly its columns');
select has_table('mana_ai_private', 'sql_objects', 'sql_objects exists');
select columns_are('mana_ai_private', 'sql_objects', array['sha1', 'applied_at'],
  'sql_objects has exactly its columns');
select has_table('mana_ai_private', 'migrations', 'postgres-migrations keeps its table in mana_ai_private');
select has_table('mana_ai_private', 'run_tokens', 'run_tokens (the token ledger) exists');
select columns_are('mana_ai_private', 'run_tokens', array[
  'token_row_id', 'user_id', 'agent_id', 'mission_id', 'run_id', 'attempt', 'tokens', 'recorded_at'],
  'run_tokens has exactly its columns');
select has_table('mana_ai', 'runs', 'runs exists');
select columns_are('mana_ai', 'runs', array[
  'run_id', 'user_id', 'mission_id', 'slot', 'agent_id', 'status', 'attempts', 'lease_token', 'lease_until',
  'worker', 'retry_at', 'iteration_id', 'error_class', 'last_error', 'next_run_at', 'schedule_advanced',
  'became_due_at', 'enqueued_at', 'claimed_at', 'finished_at', 'updated_at'],
  'runs has exactly its columns');

-- decrypt_audit exactly as docs/data-model.md §4 ------------------------------------
select has_table('mana_ai', 'decrypt_audit', 'decrypt_audit exists');
select columns_are('mana_ai', 'decrypt_audit', array[
  'id', 'user_id', 'mission_id', 'iteration_id', 'table_name', 'record_id', 'status', 'reason', 'ts'],
  'decrypt_audit has exactly the spec columns');
select results_eq(
  $$ select a.attname::text collate "default", pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_catalog.pg_get_expr(d.adbin, d.adrelid) collate "default"
       from pg_catalog.pg_attribute a
       left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = 'mana_ai.decrypt_audit'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum $$,
  $$ values ('id', 'bigint', true, 'nextval(''mana_ai.decrypt_audit_id_seq''::regclass)'),
            ('user_id', 'text', true, null), ('mission_id', 'text', true, null),
            ('iteration_id', 'text', false, null), ('table_name', 'text', true, null),
            ('record_id', 'text', true, null), ('status', 'text', true, null), ('reason', 'text', false, null),
            ('ts', 'timestamp with time zone', true, 'now()') $$,
  'decrypt_audit columns have the spec types, nullability and defaults (id is a bigserial)');
select col_is_pk('mana_ai', 'decrypt_audit', 'id', 'decrypt_audit.id is the primary key');
select results_eq(
  $$ select pg_catalog.pg_get_constraintdef(c.oid) from pg_catalog.pg_constraint c
      where c.conrelid = 'mana_ai.decrypt_audit'::regclass and c.contype = 'c' $$,
  $$ values ('CHECK ((status = ANY (ARRAY[''ok''::text, ''failed''::text, ''scope-violation''::text])))') $$,
  'decrypt_audit has one CHECK: status in (ok, failed, scope-violation)');
select is(pg_catalog.pg_get_indexdef('mana_ai.idx_decrypt_audit_mission'::regclass),
  'CREATE INDEX idx_decrypt_audit_mission ON mana_ai.decrypt_audit USING btree (user_id, mission_id, ts DESC)',
  'idx_decrypt_audit_mission is (user_id, mission_id, ts DESC)');

-- sync_changes compat (docs/data-model.md §1) ----------------------------------------
select has_table('public', 'sync_changes', 'sync_changes exists');
select results_eq(
  $$ select a.attname::text collate "default", pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_catalog.pg_get_expr(d.adbin, d.adrelid) collate "default"
       from pg_catalog.pg_attribute a
       left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = 'public.sync_changes'::regclass and a.attnum > 0 and not a.attisdropped
      order by a.attnum $$,
  $$ values ('id', 'uuid', true, 'gen_random_uuid()'), ('app_id', 'text', true, null),
            ('table_name', 'text', true, null), ('record_id', 'text', true, null),
            ('user_id', 'text', true, null), ('op', 'text', true, null), ('data', 'jsonb', false, null),
            ('field_timestamps', 'jsonb', false, '''{}''::jsonb'), ('client_id', 'text', true, null),
            ('created_at', 'timestamp with time zone', true, 'now()'), ('schema_version', 'integer', true, '1'),
            ('actor', 'jsonb', false, null) $$,
  'sync_changes columns have the spec types, nullability and defaults');
select has_index('public', 'sync_changes', 'idx_sync_changes_user_app', array['user_id', 'app_id', 'created_at'],
  'idx_sync_changes_user_app is (user_id, app_id, created_at)');
select has_index('public', 'sync_changes', 'idx_sync_changes_table_record',
  array['table_name', 'record_id', 'created_at'], 'idx_sync_changes_table_record is (table_name, record_id, created_at)');
select has_index('public', 'sync_changes', 'idx_sync_changes_since',
  array['user_id', 'app_id', 'table_name', 'created_at'],
  'idx_sync_changes_since is (user_id, app_id, table_name, created_at)');
select ok((select c.relrowsecurity and c.relforcerowsecurity from pg_catalog.pg_class c
            where c.oid = 'public.sync_changes'::regclass),
  'sync_changes has RLS enabled and forced');
select policies_are('public', 'sync_changes', array['sync_changes_user_isolation'],
  'sync_changes has exactly the policy sync_changes_user_isolation');
select results_eq(
  $$ select p.cmd, p.roles::text[] collate "default", p.qual collate "default", p.with_check collate "default" from pg_catalog.pg_policies p
      where p.schemaname = 'public' and p.tablename = 'sync_changes' $$,
  $$ values ('ALL', array['public'],
             '(user_id = current_setting(''app.current_user_id''::text, true))',
             '(user_id = current_setting(''app.current_user_id''::text, true))') $$,
  'sync_changes_user_isolation scopes every command to app.current_user_id');

-- roles (docs/operations.md §2, docs/architecture.md §4) ----------------------------------------
select has_role('mana_ai_owner', 'role mana_ai_owner exists');
select has_role('mana_ai_runner', 'role mana_ai_runner exists');
select isnt_superuser('mana_ai_owner', 'mana_ai_owner is not a superuser');
select isnt_superuser('mana_ai_runner', 'mana_ai_runner is not a superuser');
select is((select r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = 'mana_ai_owner'), false,
  'mana_ai_owner does not bypass RLS');
select is((select r.rolbypassrls from pg_catalog.pg_roles r where r.rolname = 'mana_ai_runner'), false,
  'mana_ai_runner does not bypass RLS');
select is((select r.rolcanlogin from pg_catalog.pg_roles r where r.rolname = 'mana_ai_owner'), false,
  'mana_ai_owner cannot log in');
select is((select r.rolcanlogin from pg_catalog.pg_roles r where r.rolname = 'mana_ai_runner'), false,
  'mana_ai_runner cannot log in (the listener logs in as a member of it)');
select is_empty(
  $$ select d.classid::regclass, d.objid from pg_catalog.pg_shdepend d
      where d.refclassid = 'pg_catalog.pg_authid'::regclass and d.refobjid = 'mana_ai_runner'::regrole
        and d.deptype = 'o' $$,
  'mana_ai_runner owns nothing, in any database');
select is_empty(
  $$ select c.oid::regclass::text from pg_catalog.pg_class c
      where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and c.relowner <> 'mana_ai_owner'::regrole
     union all
     select p.oid::regprocedure::text from pg_catalog.pg_proc p
      where p.pronamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and p.proowner <> 'mana_ai_owner'::regrole $$,
  'mana_ai_owner owns every relation and function of both schemas');

-- RLS: enabled and forced everywhere but the migrator's bookkeeping -------------
select is_empty(
  $$ select c.oid::regclass from pg_catalog.pg_class c
      where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and c.relkind in ('r', 'p') and c.oid <> 'mana_ai_private.migrations'::regclass
        and not (c.relrowsecurity and c.relforcerowsecurity) $$,
  'every table of mana_ai and mana_ai_private (but migrations) has RLS enabled and forced');
select ok((select count(*) >= 9 from pg_catalog.pg_class c
            where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
              and c.relkind in ('r', 'p') and c.relrowsecurity and c.relforcerowsecurity),
  'the RLS check above covers at least the nine tables of 00001');
select ok((select not c.relrowsecurity from pg_catalog.pg_class c
            where c.oid = 'mana_ai_private.migrations'::regclass),
  'postgres-migrations'' own table stays without RLS (it is read before any policy exists)');

-- policies per table -------------------------------------------------------------
select policies_are('mana_ai_private', 'settings', array['select_system', 'update_system'],
  'settings: the owner reads and updates the row, never inserts or deletes');
select policies_are('mana_ai_private', 'projections', array['all_system'], 'projections: all_system');
select policies_are('mana_ai_private', 'quarantine', array['all_system'], 'quarantine: all_system');
select policies_are('mana_ai_private', 'counters', array['all_system'], 'counters: all_system');
select policies_are('mana_ai_private', 'counter_deltas', array['all_system'], 'counter_deltas: all_system');
select policies_are('mana_ai_private', 'tick_state', array['select_system', 'update_system'],
  'tick_state: the owner reads and updates the row, never inserts or deletes');
select policies_are('mana_ai_private', 'sql_objects', array['select_system', 'insert_system'],
  'sql_objects: the owner reads and appends hashes');
select policies_are('mana_ai', 'runs', array['all_system'], 'runs: all_system');
select policies_are('mana_ai', 'decrypt_audit',
  array['decrypt_audit_user_scope', 'delete_retention', 'delete_retention_only', 'update_never'],
  'decrypt_audit: the spec''s user scope plus retention-only delete and no update');
select is_empty(
  $$ select p.schemaname || '.' || p.tablename || '.' || p.policyname from pg_catalog.pg_policies p
      where p.schemaname in ('mana_ai', 'mana_ai_private')
        and p.policyname not in ('decrypt_audit_user_scope', 'delete_retention_only', 'update_never')
        and p.roles <> array['mana_ai_owner']::name[] $$,
  'every policy of ours but the spec''s and the two restrictive ones names mana_ai_owner only');
select results_eq(
  $$ select p.permissive, p.cmd, p.roles::text[] collate "default", p.qual collate "default", p.with_check collate "default" from pg_catalog.pg_policies p
      where p.schemaname = 'mana_ai' and p.tablename = 'decrypt_audit' and p.policyname = 'decrypt_audit_user_scope' $$,
  $$ values ('PERMISSIVE', 'ALL', array['public'],
             '(user_id = current_setting(''app.current_user_id''::text, true))', null::text) $$,
  'decrypt_audit_user_scope is the spec''s: USING user_id = app.current_user_id');
select results_eq(
  $$ select p.policyname::text collate "default", p.permissive, p.cmd from pg_catalog.pg_policies p
      where p.schemaname = 'mana_ai' and p.tablename = 'decrypt_audit'
        and p.policyname in ('delete_retention_only', 'update_never')
      order by 1 $$,
  $$ values ('delete_retention_only', 'RESTRICTIVE', 'DELETE'), ('update_never', 'RESTRICTIVE', 'UPDATE') $$,
  'decrypt_audit''s delete limit and update ban are restrictive (they bind every permissive policy)');

-- functions: definers with a pinned search_path ----------------------------------
select ok((select count(*) >= 3 from pg_catalog.pg_proc p where p.pronamespace = 'mana_ai'::regnamespace),
  'schema mana_ai has functions to check');
select is_empty(
  $$ select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace = 'mana_ai'::regnamespace and not p.prosecdef $$,
  'every function in mana_ai is SECURITY DEFINER');
select is_empty(
  $$ select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and (p.pronamespace = 'mana_ai'::regnamespace or p.prosecdef)
        and not coalesce('search_path=pg_catalog, pg_temp' = any (p.proconfig), false) $$,
  'every function in mana_ai, and every definer anywhere in our schemas, pins search_path=pg_catalog, pg_temp');

-- privileges of the runtime role and of PUBLIC -----------------------------------
-- The API is every function in mana_ai except the admin's: maintenance jobs (pg_cron or psql) and the
-- operator's read functions (mana-ai status|explain, psql).
select is_empty(
  $$ select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace = 'mana_ai'::regnamespace
        and p.proname not in ('run_retention', 'explain_mission', 'read_status')
        and not pg_catalog.has_function_privilege('mana_ai_runner', p.oid, 'EXECUTE') $$,
  'mana_ai_runner may execute every API function in mana_ai');
select is_empty(
  $$ select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and not (p.pronamespace = 'mana_ai'::regnamespace and p.proname not in ('run_retention', 'explain_mission', 'read_status'))
        and pg_catalog.has_function_privilege('mana_ai_runner', p.oid, 'EXECUTE') $$,
  'mana_ai_runner may execute nothing else: no maintenance job, nothing in mana_ai_private');
select ok(not pg_catalog.has_function_privilege('mana_ai_runner', 'mana_ai.run_retention()', 'EXECUTE'),
  'mana_ai_runner cannot run retention');
select is_empty(
  $$ select p.oid::regprocedure from pg_catalog.pg_proc p
      where p.pronamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and (p.proacl is null
             or exists (select from pg_catalog.aclexplode(p.proacl) a
                         where a.grantee = 0 and a.privilege_type = 'EXECUTE')) $$,
  'PUBLIC may execute no function in mana_ai or mana_ai_private');
select is_empty(
  $$ select c.oid::regclass from pg_catalog.pg_class c
      where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and (pg_catalog.has_table_privilege('mana_ai_runner', c.oid,
               'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
             or pg_catalog.has_any_column_privilege('mana_ai_runner', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
     union all
     select c.oid::regclass from pg_catalog.pg_class c
      where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and case when c.relkind = 'S'
                 then pg_catalog.has_sequence_privilege('mana_ai_runner', c.oid, 'USAGE, SELECT, UPDATE')
                 else false end $$,
  'mana_ai_runner has no privilege on any table, view, column or sequence of our schemas');
select is_empty(
  $$ select c.oid::regclass from pg_catalog.pg_class c
      where c.relnamespace in ('mana_ai'::regnamespace, 'mana_ai_private'::regnamespace)
        and exists (select from pg_catalog.aclexplode(c.relacl) a where a.grantee = 0) $$,
  'PUBLIC has no privilege on any relation of our schemas');
select ok(not pg_catalog.has_table_privilege('mana_ai_runner', 'public.sync_changes',
            'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'),
  'mana_ai_runner has no privilege on sync_changes');
select ok(not pg_catalog.has_schema_privilege('mana_ai_runner', 'mana_ai_private', 'USAGE, CREATE'),
  'mana_ai_runner cannot even look into mana_ai_private');
select ok(not pg_catalog.has_schema_privilege('mana_ai_runner', 'mana_ai', 'CREATE'),
  'mana_ai_runner cannot create objects in mana_ai');
select ok(not pg_catalog.has_table_privilege('mana_ai_owner', 'mana_ai.decrypt_audit', 'UPDATE, TRUNCATE'),
  'not even the owner holds UPDATE or TRUNCATE on decrypt_audit');

select * from finish();
rollback;
