/**
 * Grants end to end (docs/crypto.md §7): fixtures are built here with node:crypto only (RSA-OAEP wrap,
 * HKDF-SHA-256 MDK, AES-256-GCM `enc:1:` fields), inserted through sync_changes, and the real
 * listener (runner role, loopback fake LLM) unwraps, replays, decrypts, audits and prompts.
 * Each negative case is its own mission; plaintext tokens are random so "never in a request" is a
 * plain substring check on every request body the fake LLM received.
 */
import assert from 'node:assert/strict';
import {
  constants, createCipheriv, generateKeyPairSync, hkdfSync, publicEncrypt, randomBytes,
} from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { loadVectors } from '../crypto/fixtures.js';
import {
  metricValue, missionRow, recordRow, requestsFor, runsOf, scrape, startRunner, userMessage, waitForRun, writeBacksOf,
  type RunningApp,
} from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

// ---- fixtures built with node:crypto only ------------------------------------------------------

const rsaPair = () => generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** docs/crypto.md §2: info string over the sorted lists, salt = mission id, 32 bytes. */
function deriveMdk(master: Buffer, missionId: string, tables: string[], recordIds: string[]): { info: string; mdk: Buffer } {
  const info = `mana-ai-mission-grant:v1:tables=${[...tables].sort().join(',')}:ids=${[...recordIds].sort().join(',')}`;
  return { info, mdk: Buffer.from(hkdfSync('sha256', master, Buffer.from(missionId, 'utf8'), Buffer.from(info, 'utf8'), 32)) };
}

/** docs/crypto.md §3: RSA-OAEP, SHA-256 (Node's oaepHash also selects MGF1-SHA-256), standard base64. */
const wrapKey = (publicPem: string, mdk: Buffer): string =>
  publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, mdk).toString('base64');

/** docs/crypto.md §4: `enc:1:` + base64(iv) + '.' + base64(ct ‖ tag). */
function enc(key: Buffer, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `enc:1:${iv.toString('base64')}.${ct.toString('base64')}`;
}

interface GrantSpec { missionId: string; tables: string[]; recordIds: string[]; expiresAt?: string; wrappedKey?: string }

const token = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

// the spec's vectors, read and typed in one place (test/ts/crypto/fixtures.ts)
const vectors = loadVectors();

describe('grants end to end: unwrap, decrypt, audit, prompt', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let runner: RunningApp;
  const mine = rsaPair();
  const stranger = rsaPair();
  const master = randomBytes(32);

  const grantFor = (spec: GrantSpec) => {
    const { mdk } = deriveMdk(master, spec.missionId, spec.tables, spec.recordIds);
    return {
      mdk,
      grant: {
        wrappedKey: spec.wrappedKey ?? wrapKey(mine.publicKey, mdk),
        derivation: { version: 'v1', missionId: spec.missionId, tables: [...spec.tables].sort(), recordIds: [...spec.recordIds].sort() },
        issuedAt: new Date().toISOString(),
        expiresAt: spec.expiresAt ?? new Date(Date.now() + 3_600_000).toISOString(),
      } as Record<string, unknown>,
    };
  };

  /** Inserts the rows, waits for the mission's run to be done; returns what the listener did. */
  const runMission = async (userId: string, missionId: string, rows: Parameters<TestDb['sync']>[0], mission: Record<string, unknown>) => {
    await db.sync(rows);
    await db.sync(missionRow(userId, missionId, { title: `T ${userId}/${missionId}`, ...mission }));
    const run = await waitForRun(db, userId, missionId, ['done']);
    const requests = requestsFor(llm, `T ${userId}/${missionId}`);
    const audit = (await db.admin.query(
      'select * from mana_ai.decrypt_audit where user_id = $1 and mission_id = $2 order by id', [userId, missionId])).rows;
    return { run, requests, audit, user: requests.length === 1 ? userMessage(requests[0]!) : '' };
  };
  const everyRequestBody = () => llm.requests.map((r) => r.rawBody).join('\n');

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    runner = await startRunner(db, llm, { env: { MANA_AI_PRIVATE_KEY_PEM: mine.privateKey }, worker: 'crypto-1' });
  });
  after(async () => {
    await runner?.stop();
    await llm?.close();
    await db?.drop();
  });

  test('HKDF of the test matches the golden vector of docs/crypto.md §2', () => {
    const ikm = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
    const { info, mdk } = deriveMdk(ikm, 'mission-abc', ['tasks', 'notes'], ['tasks:t1', 'notes:n1']);
    assert.equal(info, 'mana-ai-mission-grant:v1:tables=notes,tasks:ids=notes:n1,tasks:t1');
    assert.equal(mdk.toString('hex'), '7538df66c51d3ddb667c0135feb4ac7c2800ba372babc7e61e9423d6a9a65628');
    assert.equal(ikm.toString('hex'), vectors.masterKeyHex);
  });

  test('a valid grant: plaintext reaches the prompt inside <user_data>, one ok audit row per record, field metrics', async () => {
    const before = await scrape(runner.base);
    const [u, m] = ['user-ok', 'm-ok'];
    const { mdk, grant } = grantFor({ missionId: m, tables: ['notes', 'tasks'], recordIds: ['notes:n-ok', 'tasks:t-ok'] });
    const noteTitle = token('Notiztitel');
    const noteBody = token('Notizinhalt');
    const taskTitle = token('Aufgabe');
    const taskDesc = token('Beschreibung');
    const { run, requests, audit, user } = await runMission(u, m, [
      recordRow(u, 'notes', 'notes', 'n-ok', { title: enc(mdk, noteTitle), content: enc(mdk, noteBody) }),
      recordRow(u, 'todo', 'tasks', 't-ok', { title: enc(mdk, taskTitle), description: enc(mdk, taskDesc), dueDate: '2026-12-01' }),
    ], {
      inputs: [{ module: 'notes', table: 'notes', id: 'n-ok' }, { module: 'todo', table: 'tasks', id: 't-ok' }],
      grant,
    });

    assert.equal(requests.length, 1, 'one LLM request');
    assert.ok(user.includes(`### notes/notes: ${noteTitle}\n<user_data>\n${noteBody}\n</user_data>`), user);
    assert.ok(user.includes(`### todo/tasks: ${taskTitle}\n<user_data>\n${taskTitle} — ${taskDesc} (fällig: 2026-12-01)\n</user_data>`), user);
    assert.ok(!user.includes('Nicht verfügbare Eingaben'), 'nothing listed as unavailable');
    assert.ok(!requests[0]!.rawBody.includes('enc:1:'), 'no ciphertext in the prompt');

    assert.match(run.iteration_id ?? '', /^[0-9a-f-]{36}$/);
    const [row] = await writeBacksOf(db, u, m);
    const iterations = row!.data.iterations as { id: string }[];
    assert.equal(iterations.at(-1)!.id, run.iteration_id, 'the ledger names the written iteration');
    // Audit rows are written concurrently (one per input): compare them ordered by table.
    assert.deepEqual(audit.map((a) => [a.user_id, a.mission_id, a.iteration_id, a.table_name, a.record_id, a.status, a.reason])
      .sort((a, b) => String(a[3]).localeCompare(String(b[3]))), [
      [u, m, run.iteration_id, 'notes', 'n-ok', 'ok', null],
      [u, m, run.iteration_id, 'tasks', 't-ok', 'ok', null],
    ]);
    const after = await scrape(runner.base);
    for (const table of ['notes', 'tasks']) {
      assert.equal(metricValue(after, 'mana_ai_decrypts_total', { table }) - metricValue(before, 'mana_ai_decrypts_total', { table }), 2,
        `two decrypted fields of ${table}`);
    }
  });

  const skipCase = async (label: string, reason: string, grant: Record<string, unknown>, mdk: Buffer, u: string, m: string) => {
    const before = await scrape(runner.base);
    const secret = token(`geheim-${label}`);
    const { run, requests, audit, user } = await runMission(u, m, [
      recordRow(u, 'notes', 'notes', `n-${label}`, { title: enc(mdk, 'Titel'), content: enc(mdk, secret) }),
    ], { inputs: [{ module: 'notes', table: 'notes', id: `n-${label}` }], grant });
    assert.equal(run.status, 'done', 'the mission still plans (KI-15)');
    assert.equal(requests.length, 1, 'the prompt was still produced');
    assert.ok(user.includes(`Nicht verfügbare Eingaben: notes/notes/n-${label} (no-grant)`), user);
    assert.ok(!requests[0]!.rawBody.includes(secret), 'no plaintext of the input in the request');
    assert.deepEqual(audit, [], 'no usable grant: no audit row');
    const after = await scrape(runner.base);
    assert.equal(metricValue(after, 'mana_ai_grant_skips_total', { reason }) - metricValue(before, 'mana_ai_grant_skips_total', { reason }), 1);
    for (const other of ['not-configured', 'expired', 'malformed', 'wrap-rejected'].filter((r) => r !== reason)) {
      assert.equal(metricValue(after, 'mana_ai_grant_skips_total', { reason: other }),
        metricValue(before, 'mana_ai_grant_skips_total', { reason: other }), `no ${other} skip`);
    }
  };

  test('an expired grant → grant skip "expired"; the input is listed as unavailable, its plaintext never sent', async () => {
    const { mdk, grant } = grantFor({ missionId: 'm-exp', tables: ['notes'], recordIds: ['notes:n-exp'], expiresAt: new Date(Date.now() - 1000).toISOString() });
    await skipCase('exp', 'expired', grant, mdk, 'user-exp', 'm-exp');
  });

  test('a grant derived for another mission id → "malformed"', async () => {
    const { mdk, grant } = grantFor({ missionId: 'm-someone-else', tables: ['notes'], recordIds: ['notes:n-other'] });
    await skipCase('other', 'malformed', grant, mdk, 'user-other', 'm-other');
  });

  test('a wrappedKey that is not strict base64 → "malformed"', async () => {
    const { mdk, grant } = grantFor({ missionId: 'm-b64', tables: ['notes'], recordIds: ['notes:n-b64'] });
    const wrapped = grant.wrappedKey as string;
    grant.wrappedKey = `${wrapped.slice(0, 100)}.${wrapped.slice(101, -4)}!!!!`;
    await skipCase('b64', 'malformed', grant, mdk, 'user-b64', 'm-b64');
  });

  test('an MDK wrapped with another public key → "wrap-rejected"', async () => {
    const { mdk, grant } = grantFor({ missionId: 'm-wrap', tables: ['notes'], recordIds: ['notes:n-wrap'] });
    grant.wrappedKey = wrapKey(stranger.publicKey, mdk);
    await skipCase('wrap', 'wrap-rejected', grant, mdk, 'user-wrap', 'm-wrap');
  });

  test('an input outside recordIds → scope-violation audit row and metric; its plaintext is never in any request', async () => {
    const before = await scrape(runner.base);
    const [u, m] = ['user-scope', 'm-scope'];
    const { mdk, grant } = grantFor({ missionId: m, tables: ['notes'], recordIds: ['notes:n-in'] });
    const inside = token('drinnen');
    const outside = token('draussen');
    const { run, audit, user } = await runMission(u, m, [
      recordRow(u, 'notes', 'notes', 'n-in', { title: 'Innen', content: enc(mdk, inside) }),
      // Encrypted under the same MDK: the runner could decrypt it, so only the allowlist keeps it out.
      recordRow(u, 'notes', 'notes', 'n-out', { title: 'Aussen', content: enc(mdk, outside) }),
    ], { inputs: [{ module: 'notes', table: 'notes', id: 'n-in' }, { module: 'notes', table: 'notes', id: 'n-out' }], grant });
    assert.ok(user.includes(inside), 'the allowed record is in the prompt');
    assert.ok(user.includes('notes/notes/n-out (not-in-grant)'), user);
    assert.ok(!everyRequestBody().includes(outside), 'the out-of-grant plaintext never reached the LLM');
    const byRecord = Object.fromEntries(audit.map((a) => [a.record_id, [a.status, a.reason, a.iteration_id]]));
    assert.deepEqual(byRecord, {
      'n-in': ['ok', null, run.iteration_id],
      'n-out': ['scope-violation', 'record-not-in-grant-allowlist', run.iteration_id],
    });
    const after = await scrape(runner.base);
    assert.equal(metricValue(after, 'mana_ai_grant_scope_violations_total', { table: 'notes' })
      - metricValue(before, 'mana_ai_grant_scope_violations_total', { table: 'notes' }), 1);
  });

  const decryptFailCase = async (label: string, content: (mdk: Buffer, secret: string) => string, reason: string) => {
    const before = await scrape(runner.base);
    const [u, m] = [`user-${label}`, `m-${label}`];
    const { mdk, grant } = grantFor({ missionId: m, tables: ['notes'], recordIds: [`notes:n-${label}`] });
    const secret = token(`geheim-${label}`);
    const { run, audit, user, requests } = await runMission(u, m, [
      recordRow(u, 'notes', 'notes', `n-${label}`, { title: enc(mdk, 'Titel'), content: content(mdk, secret) }),
    ], { inputs: [{ module: 'notes', table: 'notes', id: `n-${label}` }], grant });
    assert.equal(requests.length, 1);
    assert.ok(user.includes(`notes/notes/n-${label} (decrypt-failed)`), user);
    assert.ok(!requests[0]!.rawBody.includes(secret));
    assert.deepEqual(audit.map((a) => [a.table_name, a.record_id, a.status, a.reason, a.iteration_id]),
      [['notes', `n-${label}`, 'failed', reason, run.iteration_id]]);
    const after = await scrape(runner.base);
    assert.equal(metricValue(after, 'mana_ai_decrypts_total', { table: 'notes' }), metricValue(before, 'mana_ai_decrypts_total', { table: 'notes' }),
      'the record aborts as a whole: its good title is not counted either');
  };

  test('a field encrypted with the master key instead of the MDK (KI-2) → failed / ciphertext-tampered-or-wrong-key', async () => {
    await decryptFailCase('master', (_mdk, secret) => enc(master, secret), 'ciphertext-tampered-or-wrong-key');
  });

  test('a ciphertext with the "." removed → failed / ciphertext-malformed', async () => {
    await decryptFailCase('nodot', (mdk, secret) => enc(mdk, secret).replace('.', ''), 'ciphertext-malformed');
  });

  test('PEM unset (a second app instance) → every grant "not-configured"', async () => {
    await runner.stop();
    runner = await startRunner(db, llm, { env: { MANA_AI_PRIVATE_KEY_PEM: undefined }, worker: 'crypto-nokey' });
    const { mdk, grant } = grantFor({ missionId: 'm-nokey', tables: ['notes'], recordIds: ['notes:n-nokey'] });
    await skipCase('nokey', 'not-configured', grant, mdk, 'user-nokey', 'm-nokey');
  });

  test('the spec vectors through the listener (its RSA key as the listener key): grant, records and negatives', async () => {
    await runner.stop();
    runner = await startRunner(db, llm, { env: { MANA_AI_PRIVATE_KEY_PEM: vectors.rsa.privatePkcs8Pem }, worker: 'crypto-vectors' });
    const before = await scrape(runner.base);
    const mid = vectors.derivation.missionId;
    const n1 = vectors.records['notes:n1']!;
    const t1 = vectors.records['tasks:t1']!;
    const inputs = [{ module: 'notes', table: 'notes', id: 'n1' }, { module: 'tasks', table: 'tasks', id: 't1' }];
    const records = (u: string, note: Record<string, unknown> = n1.encrypted, task: Record<string, unknown> = t1.encrypted) => [
      recordRow(u, 'notes', 'notes', 'n1', note), recordRow(u, 'todo', 'tasks', 't1', task),
    ];

    // The vectors' own grant and records: both decrypt.
    const ok = await runMission('vec-ok', mid, records('vec-ok'), { inputs, grant: vectors.grant });
    assert.ok(ok.user.includes(`### notes/notes: ${String(n1.plaintext.title)}\n<user_data>\n${String(n1.plaintext.content)}\n</user_data>`), ok.user);
    assert.ok(ok.user.includes(`### tasks/tasks: ${String(t1.plaintext.title)}\n<user_data>\n${String(t1.plaintext.title)}\n</user_data>`), ok.user);
    assert.deepEqual(ok.audit.map((a) => `${a.table_name}:${a.record_id}:${a.status}:${a.reason}:${a.iteration_id === ok.run.iteration_id}`).sort(),
      ['notes:n1:ok:null:true', 'tasks:t1:ok:null:true']);

    // Tampered tag and a value under another key: the record fails as a whole.
    const bad = await runMission('vec-bad', mid,
      records('vec-bad', { ...n1.encrypted, content: vectors.negative.tamperedTag.value }, { ...t1.encrypted, title: vectors.negative.wrongKey.value }),
      { inputs, grant: vectors.grant });
    assert.deepEqual(bad.audit.map((a) => `${a.record_id}:${a.status}:${a.reason}`).sort(),
      ['n1:failed:ciphertext-tampered-or-wrong-key', 't1:failed:ciphertext-tampered-or-wrong-key']);
    assert.ok(!bad.user.includes(String(n1.plaintext.title)), 'a failed record shows none of its fields');

    // An unknown enc: version is plaintext to the runner: shown as is, the record audits ok.
    const prefix = await runMission('vec-prefix', mid,
      records('vec-prefix', { ...n1.encrypted, title: vectors.negative.wrongPrefix.value }), { inputs, grant: vectors.grant });
    assert.ok(prefix.user.includes(`### notes/notes: ${vectors.negative.wrongPrefix.value}\n<user_data>\n${String(n1.plaintext.content)}\n</user_data>`), prefix.user);
    assert.deepEqual(prefix.audit.map((a) => `${a.record_id}:${a.status}`).sort(), ['n1:ok', 't1:ok']);

    // The vectors' negative grants.
    for (const [u, g] of [['vec-expired', vectors.negative.expiredGrant.grant], ['vec-other', vectors.negative.otherMissionGrant.grant],
      ['vec-b64', vectors.negative.notBase64.grant]] as const) {
      const r = await runMission(u, mid, records(u), { inputs, grant: g });
      assert.equal(r.requests.length, 1);
      assert.ok(!r.user.includes(String(n1.plaintext.content)), `${u}: no plaintext`);
      assert.ok(r.user.includes('notes/notes/n1 (no-grant)'), `${u}: listed as unavailable`);
      assert.deepEqual(r.audit, []);
    }
    const after = await scrape(runner.base);
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.equal(delta('mana_ai_grant_skips_total', { reason: 'expired' }), 1);
    assert.equal(delta('mana_ai_grant_skips_total', { reason: 'malformed' }), 2);
    // ok: 2 + 2 fields; prefix: the note's content (title is enc:2) + 2 task fields.
    assert.equal(delta('mana_ai_decrypts_total', { table: 'notes' }), 3);
    assert.equal(delta('mana_ai_decrypts_total', { table: 'tasks' }), 4);
    assert.equal((await runsOf(db, 'vec-ok', mid)).length, 1);
  });
});
