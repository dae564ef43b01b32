import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createResolverRegistry } from '../../../src/resolvers/registry.js';
import { parseInputRefs, resolveInputs } from '../../../src/resolvers/resolve.js';
import type { ResolveContext, Resolver } from '../../../src/resolvers/types.js';
import { encV1, flipBase64 } from '../crypto/fixtures.js';
import { fakeDeps, storeKey } from './fakes.js';

const master = randomBytes(32);
const mdkBytes = randomBytes(32);
const mdk = createSecretKey(mdkBytes);
const enc = (v: unknown) => encV1(mdkBytes, v);
const ctx = (allow: string[]): ResolveContext => ({ missionId: 'm1', iterationId: 'it-1', mdk, allowlist: new Set(allow) });
const note = (id: string) => ({ module: 'notes', table: 'notes', id });
const noteKey = (id: string) => storeKey('notes', 'notes', id);
const tamperTag = (value: string) => {
  const [iv, ct] = value.slice('enc:1:'.length).split('.');
  return `enc:1:${iv}.${flipBase64(ct!, -1)}`;
};

describe('encrypted flow (docs/crypto.md §5)', () => {
  test('no mdk or no allowlist → nothing, no audit, no replay; goals still resolve', async () => {
    for (const c of [
      { missionId: 'm1', iterationId: 'i' },
      { missionId: 'm1', iterationId: 'i', mdk },
      { missionId: 'm1', iterationId: 'i', allowlist: new Set(['notes:n1']) },
    ] as ResolveContext[]) {
      const deps = fakeDeps({ [noteKey('n1')]: { title: 'x' }, [storeKey('companion', 'companionGoals', 'g')]: { title: 'G' } });
      const r = await resolveInputs([note('n1'), { module: 'goals', table: 'companionGoals', id: 'g' }], c, deps);
      assert.deepEqual(r.inputs.map((i) => i.id), ['g']);
      assert.deepEqual(r.unavailable, [{ ...note('n1'), reason: 'no-grant' }]);
      assert.deepEqual(deps.audits, []);
      assert.deepEqual(deps.replays, ['companion/companionGoals/g']);
    }
  });

  test('not in the allowlist → scope-violation audit and metric, no replay', async () => {
    const deps = fakeDeps({ [noteKey('n2')]: { title: 'secret' } });
    const r = await resolveInputs([note('n2')], ctx(['notes:n1', 'n2', 'tasks:n2']), deps);
    assert.deepEqual(r.inputs, []);
    assert.deepEqual(r.unavailable, [{ ...note('n2'), reason: 'not-in-grant' }]);
    assert.deepEqual(deps.audits, [
      { tableName: 'notes', recordId: 'n2', status: 'scope-violation', reason: 'record-not-in-grant-allowlist' },
    ]);
    assert.deepEqual(deps.violations, ['notes']);
    assert.deepEqual(deps.replays, []);
  });

  test('replay throws → audit failed/record-replay-failed; the other inputs still resolve', async () => {
    const deps = fakeDeps({ [noteKey('ok')]: { title: 'fine' } });
    deps.throwing.add(noteKey('bad'));
    const r = await resolveInputs([note('bad'), note('ok')], ctx(['notes:bad', 'notes:ok']), deps);
    assert.deepEqual(r.inputs.map((i) => i.title), ['fine']);
    assert.deepEqual(r.unavailable, [{ ...note('bad'), reason: 'replay-failed' }]);
    assert.deepEqual(deps.audits.find((a) => a.recordId === 'bad'),
      { tableName: 'notes', recordId: 'bad', status: 'failed', reason: 'record-replay-failed' });
  });

  test('absent or deleted record → nothing, no audit', async () => {
    const deps = fakeDeps({ [noteKey('gone')]: { title: 'x', deletedAt: '2026-01-01T00:00:00.000Z' } });
    const r = await resolveInputs([note('absent'), note('gone')], ctx(['notes:absent', 'notes:gone']), deps);
    assert.deepEqual(r.inputs, []);
    assert.deepEqual(r.unavailable.map((u) => u.reason), ['missing', 'missing']);
    assert.deepEqual(deps.audits, []);
  });

  test('first decrypt failure aborts the record with its reason; no decrypt metric', async () => {
    const good = enc('fine');
    const deps = fakeDeps({
      [noteKey('tampered')]: { title: good, content: tamperTag(enc('x')) },
      [noteKey('master')]: { title: encV1(master, 'encrypted with the master key (KI-2)') },
      [noteKey('nodot')]: { title: good, content: 'enc:1:AAAAAAAAAAAAAAAA' },
      [noteKey('notjson')]: { title: encV1(mdkBytes, null, { plaintext: Buffer.from('{oops') }) },
    });
    const ids = ['tampered', 'master', 'nodot', 'notjson'];
    const r = await resolveInputs(ids.map(note), ctx(ids.map((i) => `notes:${i}`)), deps);
    assert.deepEqual(r.inputs, []);
    assert.deepEqual(r.unavailable.map((u) => [u.id, u.reason, u.detail]), [
      ['tampered', 'decrypt-failed', 'ciphertext-tampered-or-wrong-key'],
      ['master', 'decrypt-failed', 'ciphertext-tampered-or-wrong-key'],
      ['nodot', 'decrypt-failed', 'ciphertext-malformed'],
      ['notjson', 'decrypt-failed', 'decrypt-failed'],
    ]);
    const byId = new Map(deps.audits.map((a) => [a.recordId, a]));
    assert.equal(deps.audits.length, 4);
    assert.deepEqual(byId.get('master'), { tableName: 'notes', recordId: 'master', status: 'failed', reason: 'ciphertext-tampered-or-wrong-key' });
    assert.equal(byId.get('nodot')?.reason, 'ciphertext-malformed');
    assert.equal(byId.get('notjson')?.reason, 'decrypt-failed');
    assert.deepEqual(deps.decrypts, []);
  });

  test('no encrypted field → audit ok/null and no decrypt metric call', async () => {
    const deps = fakeDeps({ [noteKey('plain')]: { title: 'plain', content: 'enc:2:left alone' } });
    const r = await resolveInputs([note('plain')], ctx(['notes:plain']), deps);
    assert.deepEqual(r.inputs.map((i) => i.content), ['enc:2:left alone']);
    assert.deepEqual(deps.audits, [{ tableName: 'notes', recordId: 'plain', status: 'ok', reason: null }]);
    assert.deepEqual(deps.decrypts, []);
  });

  test('the replayed object is not mutated (a cache never holds plaintext)', async () => {
    const stored = { title: enc('secret title') };
    const deps = fakeDeps({ [noteKey('n')]: stored });
    const r = await resolveInputs([note('n')], ctx(['notes:n']), deps);
    assert.equal(r.inputs[0]?.title, 'secret title');
    assert.match(stored.title, /^enc:1:/);
  });

  test('audit failures are logged and never fail the mission', async () => {
    const deps = fakeDeps({ [noteKey('n')]: { title: enc('T') } });
    deps.auditFails = true;
    const r = await resolveInputs([note('n'), note('out')], ctx(['notes:n']), deps);
    assert.deepEqual(r.inputs.map((i) => i.title), ['T']);
    assert.deepEqual(r.unavailable.map((u) => u.reason), ['not-in-grant']);
    const errors = deps.logs.filter((l) => l.msg === 'decrypt audit write failed');
    assert.equal(errors.length, 2);
    assert.equal(errors[0]?.level, 'error');
  });

  test('throwing metric hooks are logged and never fail the input', async () => {
    const deps = fakeDeps({ [noteKey('n')]: { title: enc('T') } });
    deps.metricsFail = true;
    const r = await resolveInputs([note('n'), note('out')], ctx(['notes:n']), deps);
    assert.deepEqual(r.inputs.map((i) => i.title), ['T']);
    assert.equal(deps.logs.filter((l) => l.msg === 'metric hook failed').length, 2);
    assert.equal(deps.audits.length, 2);
  });

  test('logs carry no plaintext or ciphertext', async () => {
    const deps = fakeDeps({ [noteKey('n')]: { title: encV1(mdkBytes, null, { plaintext: Buffer.from('{"leak') }) } });
    await resolveInputs([note('n')], ctx(['notes:n']), deps);
    assert.ok(deps.logs.length > 0);
    assert.doesNotMatch(JSON.stringify(deps.logs), /leak|enc:1:/);
  });
});

describe('registry rules (docs/resolvers.md §1)', () => {
  test('unknown module dropped silently and listed as unknown-module', async () => {
    const deps = fakeDeps({ [noteKey('n')]: { title: 'N' } });
    const r = await resolveInputs([{ module: 'photos', table: 'photos', id: 'p' }, note('n')], ctx(['notes:n', 'photos:p']), deps);
    assert.deepEqual(r.inputs.map((i) => i.id), ['n']);
    assert.deepEqual(r.unavailable, [{ module: 'photos', table: 'photos', id: 'p', reason: 'unknown-module' }]);
    assert.deepEqual(deps.logs, []);
    assert.deepEqual(deps.audits.map((a) => a.recordId), ['n']);
  });

  test('resolved concurrently; output keeps input order whatever finishes first', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const deps = fakeDeps(Object.fromEntries(ids.map((id) => [noteKey(id), { title: id }])));
    ids.forEach((id, i) => deps.delays.set(noteKey(id), (ids.length - i) * 15)); // the first one is the slowest
    const r = await resolveInputs(ids.map(note), ctx(ids.map((id) => `notes:${id}`)), deps);
    assert.deepEqual(r.inputs.map((i) => i.title), ids);
    assert.equal(deps.maxInFlight, ids.length, 'all five in flight at once: the total is the slowest, not the sum');
  });

  test('a throwing resolver is logged and dropped; the rest still resolve', async () => {
    const registry = new Map<string, Resolver>(createResolverRegistry());
    registry.set('boom', async () => { throw new Error('resolver exploded'); });
    const deps = fakeDeps({ [noteKey('n')]: { title: 'N' } });
    const r = await resolveInputs([{ module: 'boom', table: 't', id: 'x' }, note('n')], ctx(['notes:n']), deps, registry);
    assert.deepEqual(r.inputs.map((i) => i.id), ['n']);
    assert.deepEqual(r.unavailable, [{ module: 'boom', table: 't', id: 'x', reason: 'resolver-error' }]);
    const line = deps.logs.find((l) => l.msg === 'input resolver failed; input dropped');
    assert.deepEqual(line?.error, { code: 'INTERNAL', message: 'resolver exploded' });
  });

  test('goals replay throwing → resolver-error, logged, no audit', async () => {
    const deps = fakeDeps();
    deps.throwing.add(storeKey('companion', 'companionGoals', 'g'));
    const r = await resolveInputs([{ module: 'goals', table: 'companionGoals', id: 'g' }], ctx([]), deps);
    assert.deepEqual(r.unavailable.map((u) => u.reason), ['resolver-error']);
    assert.deepEqual(deps.audits, []);
    assert.equal(deps.logs.length, 1);
  });

  test('goals absent → missing', async () => {
    const r = await resolveInputs([{ module: 'goals', table: 'companionGoals', id: 'g' }], ctx([]), fakeDeps());
    assert.deepEqual(r.unavailable.map((u) => u.reason), ['missing']);
  });

  test('inputs that are not a list, or malformed refs, are ignored; duplicates resolve once', async () => {
    for (const refs of [undefined, null, 'notes', { module: 'notes' }]) {
      assert.deepEqual(await resolveInputs(refs, ctx([]), fakeDeps()), { inputs: [], unavailable: [] });
    }
    const invalid: number[] = [];
    const parsed = parseInputRefs([note('a'), null, { module: 'notes', table: 'notes' }, { module: 'notes', table: 'notes', id: 5 },
      { module: '', table: 'notes', id: 'x' }, note('a'), note('b')], (i) => invalid.push(i));
    assert.deepEqual(parsed, [note('a'), note('b')]);
    assert.deepEqual(invalid, [1, 2, 3, 4]);
  });
});
