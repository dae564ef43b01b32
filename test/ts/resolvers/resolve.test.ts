import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { loadPrivateKey, unwrapGrant } from '../../../src/crypto/grant.js';
import { resolveInputs } from '../../../src/resolvers/resolve.js';
import type { ResolveContext } from '../../../src/resolvers/types.js';
import { encV1, loadVectors } from '../crypto/fixtures.js';
import { fakeDeps, storeKey } from './fakes.js';

const mdkBytes = randomBytes(32);
const mdk = createSecretKey(mdkBytes);
const enc = (v: unknown) => encV1(mdkBytes, v);
const ctx = (allow: string[]): ResolveContext =>
  ({ missionId: 'm1', iterationId: 'it-1', mdk, allowlist: new Set(allow) });

describe('resolveInputs: each module', () => {
  const records = {
    [storeKey('notes', 'notes', 'n1')]: { id: 'n1', title: enc('Einkauf'), content: enc('Milch') },
    [storeKey('todo', 'tasks', 't1')]: { id: 't1', title: enc('Steuer'), description: enc('Belege'), status: 'open', dueDate: '2026-05-31' },
    [storeKey('calendar', 'events', 'e1')]: { id: 'e1', title: enc('Zahnarzt'), location: enc('Praxis'), startDate: '2026-01-02' },
    [storeKey('journal', 'journalEntries', 'j1')]: { id: 'j1', title: enc('Montag'), content: enc('Heute …') },
    [storeKey('kontext', 'kontextDoc', 'singleton')]: { id: 'singleton', title: 'ignored', content: enc({ about: 'me' }) },
    [storeKey('companion', 'companionGoals', 'g1')]: { id: 'g1', title: 'Laufen', currentValue: 3, target: { value: 10, period: 'week' } },
  };
  const refs = [
    { module: 'notes', table: 'notes', id: 'n1' },
    { module: 'todo', table: 'tasks', id: 't1' },
    { module: 'tasks', table: 'tasks', id: 't1' },
    { module: 'calendar', table: 'events', id: 'e1' },
    { module: 'journal', table: 'journalEntries', id: 'j1' },
    { module: 'kontext', table: 'kontextDoc', id: 'singleton' },
    { module: 'goals', table: 'companionGoals', id: 'g1' },
  ];
  const allow = ['notes:n1', 'tasks:t1', 'events:e1', 'journalEntries:j1', 'kontextDoc:singleton'];

  test('titles and contents per docs/resolvers.md §3, read under the right app ids', async () => {
    const deps = fakeDeps(records);
    const { inputs, unavailable } = await resolveInputs(refs, ctx(allow), deps);
    assert.deepEqual(unavailable, []);
    assert.deepEqual(inputs, [
      { id: 'n1', module: 'notes', table: 'notes', title: 'Einkauf', content: 'Milch' },
      { id: 't1', module: 'todo', table: 'tasks', title: 'Steuer', content: '[open] Steuer — Belege (fällig: 2026-05-31)' },
      { id: 't1', module: 'tasks', table: 'tasks', title: 'Steuer', content: '[open] Steuer — Belege (fällig: 2026-05-31)' },
      { id: 'e1', module: 'calendar', table: 'events', title: 'Zahnarzt', content: 'Zahnarzt @ 2026-01-02 in Praxis' },
      { id: 'j1', module: 'journal', table: 'journalEntries', title: 'Montag', content: 'Heute …' },
      { id: 'singleton', module: 'kontext', table: 'kontextDoc', title: 'Mana-Kontext', content: '{"about":"me"}' },
      { id: 'g1', module: 'goals', table: 'companionGoals', title: 'Laufen', content: 'Fortschritt: 3 / 10 (unbekannt)' },
    ]);
    assert.deepEqual([...deps.replays].sort(), [
      'calendar/events/e1', 'companion/companionGoals/g1', 'journal/journalEntries/j1', 'kontext/kontextDoc/singleton',
      'notes/notes/n1', 'todo/tasks/t1', 'todo/tasks/t1',
    ]);
  });

  test('one ok audit row per encrypted record, decrypt metrics per table, none for goals', async () => {
    const deps = fakeDeps(records);
    await resolveInputs(refs, ctx(allow), deps);
    const audits = deps.audits.map((a) => `${a.tableName}:${a.recordId}:${a.status}:${a.reason}`).sort();
    assert.deepEqual(audits, [
      'events:e1:ok:null', 'journalEntries:j1:ok:null', 'kontextDoc:singleton:ok:null',
      'notes:n1:ok:null', 'tasks:t1:ok:null', 'tasks:t1:ok:null',
    ]);
    assert.deepEqual(deps.decrypts.sort(), [
      ['events', 2], ['journalEntries', 2], ['kontextDoc', 1], ['notes', 2], ['tasks', 2], ['tasks', 2],
    ]);
  });

  test('fallback titles; kontext is always Mana-Kontext', async () => {
    const deps = fakeDeps({
      [storeKey('notes', 'notes', 'n')]: { id: 'n' },
      [storeKey('todo', 'tasks', 't')]: { id: 't', title: null },
      [storeKey('calendar', 'events', 'e')]: { id: 'e' },
      [storeKey('journal', 'journalEntries', 'j')]: { id: 'j', content: enc({ not: 'a string' }) },
      [storeKey('kontext', 'kontextDoc', 'k')]: { id: 'k' },
      [storeKey('companion', 'companionGoals', 'g')]: { id: 'g', title: null },
    });
    const { inputs } = await resolveInputs([
      { module: 'notes', table: 'notes', id: 'n' }, { module: 'todo', table: 'tasks', id: 't' },
      { module: 'calendar', table: 'events', id: 'e' }, { module: 'journal', table: 'journalEntries', id: 'j' },
      { module: 'kontext', table: 'kontextDoc', id: 'k' }, { module: 'goals', table: 'companionGoals', id: 'g' },
    ], ctx(['notes:n', 'tasks:t', 'events:e', 'journalEntries:j', 'kontextDoc:k']), deps);
    assert.deepEqual(inputs.map((i) => [i.title, i.content]), [
      ['Notiz', '""'], ['Task', '(ohne Titel)'], ['Termin', '(ohne Titel)'], ['Journal-Eintrag', ''],
      ['Mana-Kontext', '""'], ['Goal', 'Fortschritt: 0 / ? (unbekannt)'],
    ]);
  });

  test('truncation: notes at 500, kontext at 1500', async () => {
    const deps = fakeDeps({
      [storeKey('notes', 'notes', 'a')]: { content: enc('x'.repeat(500)) },
      [storeKey('notes', 'notes', 'b')]: { content: enc('x'.repeat(501)) },
      [storeKey('kontext', 'kontextDoc', 'k')]: { content: enc('y'.repeat(1501)) },
      [storeKey('kontext', 'kontextDoc', 'l')]: { content: 'z'.repeat(1500) },
    });
    const { inputs } = await resolveInputs([
      { module: 'notes', table: 'notes', id: 'a' }, { module: 'notes', table: 'notes', id: 'b' },
      { module: 'kontext', table: 'kontextDoc', id: 'k' }, { module: 'kontext', table: 'kontextDoc', id: 'l' },
    ], ctx(['notes:a', 'notes:b', 'kontextDoc:k', 'kontextDoc:l']), deps);
    assert.deepEqual(inputs.map((i) => i.content), [
      'x'.repeat(500), `${'x'.repeat(500)}…`, `${'y'.repeat(1500)}…`, 'z'.repeat(1500),
    ]);
  });

  test('the spec vectors: unwrap the grant, then resolve both records', async () => {
    const v = loadVectors();
    const unwrapped = unwrapGrant(v.grant, 'mission-abc', new Date('2030-01-01T00:00:00Z'), loadPrivateKey(v.rsa.privatePkcs8Pem));
    assert.ok(unwrapped.ok);
    const deps = fakeDeps({
      [storeKey('notes', 'notes', 'n1')]: { id: 'n1', ...v.records['notes:n1']!.encrypted },
      [storeKey('todo', 'tasks', 't1')]: { id: 't1', ...v.records['tasks:t1']!.encrypted },
    });
    const { inputs } = await resolveInputs(
      [{ module: 'notes', table: 'notes', id: 'n1' }, { module: 'todo', table: 'tasks', id: 't1' }],
      { missionId: 'mission-abc', iterationId: 'it', mdk: unwrapped.mdk, allowlist: unwrapped.recordIds }, deps);
    assert.deepEqual(inputs.map((i) => [i.title, i.content]), [
      ['Einkaufsliste', 'Milch, Brot, 3 Äpfel'], ['Steuer', 'Steuer'],
    ]);
  });
});
