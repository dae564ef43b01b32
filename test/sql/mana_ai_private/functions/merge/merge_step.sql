-- The one LWW merge (docs/data-model.md §3), rule by rule, observed through the single-record replay of an
-- input record (app `notes`) so the mission projection's own decisions do not interfere.
begin;
select plan(20);

create temp table t_now (at timestamptz);
-- r(): the current record of notes/<id> for user u1 (NULL when absent or deleted)
create function pg_temp.r(p_id text) returns jsonb language sql as $$
  select mana_ai_private.replay_record('u1', 'notes', 'notes', p_id)
$$;
create function pg_temp.ins(p_id text, p_data jsonb, p_at text) returns uuid language sql as $$
  select tests.sync('u1', 'notes', p_id, 'insert', p_data, '{}', 'notes', p_at::timestamptz)
$$;
create function pg_temp.upd(p_id text, p_data jsonb, p_ft jsonb, p_at text) returns uuid language sql as $$
  select tests.sync('u1', 'notes', p_id, 'update', p_data, p_ft, 'notes', p_at::timestamptz)
$$;
create function pg_temp.del(p_id text, p_data jsonb, p_at text) returns uuid language sql as $$
  select tests.sync('u1', 'notes', p_id, 'delete', p_data, '{}', 'notes', p_at::timestamptz)
$$;

-- insert on an absent record
select pg_temp.ins('a', '{"id":"ignored","title":"A","updatedAt":"2024-01-01T00:00:00.000Z"}', '2024-01-01 00:00:01+00');
select is(pg_temp.r('a'), '{"id":"a","title":"A","updatedAt":"2024-01-01T00:00:00.000Z"}', 'insert creates the record; id is the record id');

-- an older stamp loses, a newer one wins, equal stamps go to the later row
select pg_temp.upd('a', '{"title":"old"}', '{"title":"2023-12-31T00:00:00.000Z"}', '2024-01-01 00:00:02+00');
select is(pg_temp.r('a') ->> 'title', 'A', 'an update with an older stamp loses');
select pg_temp.upd('a', '{"title":"B"}', '{"title":"2024-01-02T00:00:00.000Z"}', '2024-01-01 00:00:03+00');
select is(pg_temp.r('a') ->> 'title', 'B', 'an update with a newer stamp wins');
select pg_temp.upd('a', '{"title":"C"}', '{"title":"2024-01-02T00:00:00Z"}', '2024-01-01 00:00:04+00');
select is(pg_temp.r('a') ->> 'title', 'C', 'an equal stamp in another format is the same instant: the later row wins');
select pg_temp.upd('a', '{"title":"D"}', '{"title":"2024-01-02T01:00:00+01:00"}', '2024-01-01 00:00:05+00');
select is(pg_temp.r('a') ->> 'title', 'D', 'stamps compare as instants, not strings (offset form)');

-- keys without a stamp are ignored; a new key competes with updatedAt
select pg_temp.upd('a', '{"title":"E","color":"red"}', '{"color":"2025-01-01T00:00:00.000Z"}', '2024-01-01 00:00:06+00');
select ok(pg_temp.r('a') ->> 'title' = 'D' and pg_temp.r('a') ->> 'color' = 'red', 'only keys in both data and field_timestamps are used');
select pg_temp.upd('a', '{"size":1}', '{"size":"2023-06-01T00:00:00.000Z"}', '2024-01-01 00:00:07+00');
select ok(not pg_temp.r('a') ? 'size', 'a new key stamped before the record''s updatedAt loses (current stamp falls back to updatedAt)');

-- unparseable stamps are "no stamp"
select pg_temp.upd('a', '{"title":"X"}', '{"title":"yesterday"}', '2024-01-01 00:00:08+00');
select is(pg_temp.r('a') ->> 'title', 'D', 'an unparseable stamp never beats a real one');
select pg_temp.upd('n', '{"title":"N1"}', '{"title":"garbage"}', '2024-01-01 00:00:09+00');
select pg_temp.upd('n', '{"title":"N2"}', '{"title":"also garbage"}', '2024-01-01 00:00:10+00');
select is(pg_temp.r('n'), '{"id":"n","title":"N2"}', 'update on an absent record creates it; no stamp >= no stamp, so the later row wins');

-- (created_at, id) total order: rows of one instant are folded by id
select tests.sync('u1', 'notes', 'o', 'insert', '{"title":"first"}', '{}', 'notes', '2024-01-01 00:00:00+00');
insert into public.sync_changes (id, app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, created_at)
values ('ffffffff-0000-4000-8000-000000000000', 'notes', 'notes', 'o', 'u1', 'update', '{"title":"by high id"}', '{"title":"2024-05-01T00:00:00.000Z"}', 'd', '2024-02-01 00:00:00+00'),
       ('00000000-0000-4000-8000-000000000000', 'notes', 'notes', 'o', 'u1', 'update', '{"title":"by low id"}', '{"title":"2024-05-01T00:00:00.000Z"}', 'd', '2024-02-01 00:00:00+00');
select is(pg_temp.r('o') ->> 'title', 'by high id', 'equal created_at and equal stamps: the higher id is the later row and wins');

-- insert stamps: E = updatedAt, else createdAt, else created_at
select pg_temp.ins('e', '{"title":"T","createdAt":"2024-03-01T00:00:00.000Z"}', '2024-06-01 00:00:00+00');
select pg_temp.upd('e', '{"title":"U"}', '{"title":"2024-04-01T00:00:00.000Z"}', '2024-06-01 00:00:01+00');
select is(pg_temp.r('e') ->> 'title', 'U', 'insert fields are stamped with createdAt when updatedAt is absent (a later edit wins)');
select pg_temp.ins('e2', '{"title":"T"}', '2024-06-01 00:00:00+00');
select pg_temp.upd('e2', '{"title":"U"}', '{"title":"2024-05-31T00:00:00.000Z"}', '2024-06-01 00:00:01+00');
select is(pg_temp.r('e2') ->> 'title', 'T', 'without updatedAt/createdAt the insert is stamped with its row time (an older edit loses)');

-- a second insert competes key by key; web-app bookkeeping keys are unstamped and kept only on creation
select pg_temp.ins('k', '{"title":"K","__lastActor":{"k":1},"updatedAt":"2024-01-01T00:00:00.000Z"}', '2024-01-01 00:00:00+00');
select pg_temp.ins('k', '{"title":"K2","__lastActor":{"k":2},"updatedAt":"2024-01-02T00:00:00.000Z"}', '2024-01-01 00:00:01+00');
select ok(pg_temp.r('k') ->> 'title' = 'K2' and pg_temp.r('k') -> '__lastActor' = '{"k":1}', 'a re-insert offers its stamped keys; __lastActor only counts on creation');

-- soft delete
select pg_temp.ins('s', '{"title":"S","updatedAt":"2024-01-01T00:00:00.000Z"}', '2024-01-01 00:00:00+00');
select pg_temp.del('s', '{"deletedAt":"2024-01-05T00:00:00.000Z"}', '2024-01-01 00:00:01+00');
select is(pg_temp.r('s'), null, 'a delete carrying deletedAt soft-deletes: the record is not resolvable');
select ok((mana_ai_private.replay_state('u1', 'notes', 'notes', 's')).vals @> '{"deletedAt":"2024-01-05T00:00:00.000Z","updatedAt":"2024-01-05T00:00:00.000Z"}',
          'the soft delete sets deletedAt and updatedAt to the deletion time');
select pg_temp.upd('s', '{"deletedAt":null}', '{"deletedAt":"2024-01-04T00:00:00.000Z"}', '2024-01-01 00:00:02+00');
select is(pg_temp.r('s'), null, 'an older undelete loses against the deletion stamp');
select pg_temp.upd('s', '{"deletedAt":null}', '{"deletedAt":"2024-01-06T00:00:00.000Z"}', '2024-01-01 00:00:03+00');
select is(pg_temp.r('s') ->> 'title', 'S', 'a newer undelete restores the record');
select pg_temp.del('never', '{"deletedAt":"2024-01-05T00:00:00.000Z"}', '2024-01-01 00:00:00+00');
select is((mana_ai_private.replay_state('u1', 'notes', 'notes', 'never')).present, false, 'a soft delete of an absent record is ignored');

-- hard delete resets; a later insert starts a new record
select pg_temp.ins('h', '{"title":"H","extra":1,"updatedAt":"2024-01-01T00:00:00.000Z"}', '2024-01-01 00:00:00+00');
select pg_temp.del('h', '{}', '2024-01-01 00:00:01+00');
select is(pg_temp.r('h'), null, 'a delete without deletedAt makes the record absent');
select pg_temp.ins('h', '{"title":"H2","updatedAt":"2023-01-01T00:00:00.000Z"}', '2024-01-01 00:00:02+00');
select is(pg_temp.r('h'), '{"id":"h","title":"H2","updatedAt":"2023-01-01T00:00:00.000Z"}', 'after a hard delete a new insert starts fresh, even with older stamps');

select * from finish();
rollback;
