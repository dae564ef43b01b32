/**
 * Scenario 5: crypto abuse against the real listener process holding a private key (docs/crypto.md).
 * Broken grants, one mission each: truncated, 100 KB, non-base64 in several ways, wrapped for another
 * key, a flipped byte in the wrapped key, a 16-byte key, expired, unparseable expiry, another mission,
 * version v2, not an object. Broken records under one valid grant: out-of-grant table and id, flipped
 * ciphertext and tag bytes, a wrong key, `enc:2:`, IVs of 8 and 16 bytes, a non-base64 IV, a payload
 * shorter than the tag, `enc:1:` alone, no dot, a plaintext that is not JSON.
 *
 * Each must give its named reason: grant failures `mana_ai_grant_skips_total{reason}` and no audit row
 * (docs/crypto.md §3, §5 step 1); record failures one audit row with status and reason (§5 steps 2 and 4),
 * out-of-grant records also `mana_ai_grant_scope_violations_total{table}`. Decrypt failures have no
 * metric of their own in the spec: `mana_ai_decrypts_total` must simply not count them. Every mission
 * still plans (KI-15), the process never crashes, and no secret of a record the runner must not use
 * (encrypted or plain field) appears in any request body the fake LLM received.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { deriveMdk, enc, flip, grant, rsaPair, seal, wrapKey } from '../../support/chaos-crypto.js';
import { insertRows, killAll, recordResult, serveEnv, spawnServe, terminate, until, type RawRow } from '../../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../../support/db.js';
import { metricValue, missionRow, recordRow, userMessage } from '../../support/e2e-kit.js';
import { startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const USER = 'crypto-abuse';
const secret = (label: string) => `SECRET-${label}-${randomBytes(6).toString('hex')}`;

describe('scenario 5: crypto abuse', () => {
  let db: TestDb;
  let llm: FakeLlm;
  const mine = rsaPair();
  const stranger = rsaPair();
  const master = randomBytes(32);

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
  });
  after(async () => {
    await killAll();
    await llm?.close();
    await db?.drop();
  });

  test('broken grants and broken records: named reasons, audit rows, metrics, no crash, no plaintext leak', async (t) => {
    const listener = spawnServe('crypto', serveEnv(db.runnerUrl, llm.url, { MANA_AI_PRIVATE_KEY_PEM: mine.privateKey, TICK_INTERVAL_MS: '2000' }));
    const port = await listener.started();
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const before = await scrape();

    const rows: RawRow[] = [];
    /** Secrets that must never reach the LLM, and ones that must (controls). */
    const forbidden: string[] = [];
    const required: string[] = [];

    // ---- broken grants: one mission each, one encrypted input ----
    type GrantCase = [label: string, reason: string | 'ok', make: (g: Record<string, unknown>, mdk: Buffer, m: string) => unknown];
    const b64 = (g: Record<string, unknown>) => g.wrappedKey as string;
    const grantCases: GrantCase[] = [
      ['wrappedKey truncated to 256 base64 chars', 'wrap-rejected', (g) => ({ ...g, wrappedKey: b64(g).slice(0, 256) })],
      ['wrappedKey truncated mid-group', 'malformed', (g) => ({ ...g, wrappedKey: b64(g).slice(0, 101) })],
      ['grant JSON truncated (a string)', 'malformed', (g) => JSON.stringify(g).slice(0, 60)],
      ['grant without derivation', 'malformed', (g) => ({ ...g, derivation: undefined })],
      ['grant cut after wrappedKey', 'expired', (g) => ({ wrappedKey: g.wrappedKey })],
      ['wrappedKey of 100 KB', 'wrap-rejected', (g) => ({ ...g, wrappedKey: randomBytes(75 * 1024).toString('base64') })],
      ['wrappedKey in the url-safe alphabet', 'malformed', (g) => ({ ...g, wrappedKey: `-_${b64(g).slice(2)}` })],
      ['wrappedKey with a line break', 'malformed', (g) => ({ ...g, wrappedKey: `${b64(g).slice(0, 64)}\n${b64(g).slice(64)}` })],
      ['wrappedKey without padding', 'malformed', (g) => ({ ...g, wrappedKey: b64(g).replace(/=+$/, '') })],
      ['wrappedKey with a non-zero pad bit', 'malformed', (g) => ({ ...g, wrappedKey: `${b64(g).slice(0, -3)}B==` })],
      ['MDK wrapped for another public key', 'wrap-rejected', (g, mdk) => ({ ...g, wrappedKey: wrapKey(stranger.publicKey, mdk) })],
      ['wrapped key with one byte flipped', 'wrap-rejected', (g) => ({ ...g, wrappedKey: flip(Buffer.from(b64(g), 'base64'), 100).toString('base64') })],
      ['a 16-byte key wrapped', 'malformed', (g) => ({ ...g, wrappedKey: wrapKey(mine.publicKey, randomBytes(16)) })],
      ['expired a second ago', 'expired', (g) => ({ ...g, expiresAt: new Date(Date.now() - 1_000).toISOString() })],
      ['expiresAt "tomorrow"', 'expired', (g) => ({ ...g, expiresAt: 'tomorrow' })],
      ['derivation for another mission', 'malformed', (g) => ({ ...g, derivation: { ...(g.derivation as object), missionId: 'someone-else' } })],
      ['derivation version v2', 'malformed', (g) => ({ ...g, derivation: { ...(g.derivation as object), version: 'v2' } })],
      ['grant is an array', 'malformed', (g) => [g]],
      ['valid grant padded to 100 KB', 'ok', (g) => ({ ...g, padding: 'p'.repeat(100 * 1024) })],
    ];
    const grantMissions: { label: string; reason: string; missionId: string; title: string }[] = [];
    grantCases.forEach(([label, reason, make], i) => {
      const missionId = `cr-grant-${i}`;
      const recordId = `n-grant-${i}`;
      const mdk = deriveMdk(master, missionId, ['notes'], [`notes:${recordId}`]);
      const good = grant(wrapKey(mine.publicKey, mdk), missionId, ['notes'], [`notes:${recordId}`]);
      const [plainTitle, hidden] = [secret(`g${i}-title`), secret(`g${i}-content`)];
      (reason === 'ok' ? required : forbidden).push(plainTitle, hidden);
      const title = `Grant ${i}`;
      rows.push(recordRow(USER, 'notes', 'notes', recordId, { title: plainTitle, content: enc(mdk, hidden) }));
      rows.push(missionRow(USER, missionId, { title, inputs: [{ module: 'notes', table: 'notes', id: recordId }], grant: make(good, mdk, missionId) }));
      grantMissions.push({ label, reason, missionId, title });
    });

    // ---- broken records under one valid grant ----
    const recMission = 'cr-records';
    const inGrant = ['good', 'tamper-ct', 'tamper-tag', 'wrong-key', 'enc2', 'iv8', 'iv16', 'iv-b64', 'short', 'empty', 'nodot', 'notjson'];
    const recordIds = inGrant.map((x) => `notes:n-${x}`);
    const mdk = deriveMdk(master, recMission, ['notes'], recordIds);
    const other = randomBytes(32);
    const sealed = (value: unknown, key = mdk) => seal(key, Buffer.from(JSON.stringify(value)));
    const field = (iv: Buffer | string, body: Buffer | string) =>
      `enc:1:${typeof iv === 'string' ? iv : iv.toString('base64')}.${typeof body === 'string' ? body : body.toString('base64')}`;
    /** record label → [content field value given the hidden secret, expected audit status, reason]. */
    const recordCases: Record<string, [(s: string) => string, string, string | null]> = {
      good: [(s) => enc(mdk, s), 'ok', null],
      'tamper-ct': [(s) => { const [iv, b] = sealed(s); return field(iv, flip(b, 0)); }, 'failed', 'ciphertext-tampered-or-wrong-key'],
      'tamper-tag': [(s) => { const [iv, b] = sealed(s); return field(iv, flip(b, -1)); }, 'failed', 'ciphertext-tampered-or-wrong-key'],
      'wrong-key': [(s) => enc(other, s), 'failed', 'ciphertext-tampered-or-wrong-key'],
      enc2: [(s) => enc(mdk, s).replace('enc:1:', 'enc:2:'), 'ok', null],
      iv8: [(s) => { const [, b] = sealed(s); return field(randomBytes(8), b); }, 'failed', 'ciphertext-malformed'],
      iv16: [(s) => { const iv = randomBytes(16); const [, b] = seal(mdk, Buffer.from(JSON.stringify(s)), iv); return field(iv, b); }, 'failed', 'ciphertext-malformed'],
      'iv-b64': [(s) => { const [, b] = sealed(s); return field('not*base64!!', b); }, 'failed', 'ciphertext-malformed'],
      short: [() => field(randomBytes(12), randomBytes(10)), 'failed', 'ciphertext-malformed'],
      empty: [() => 'enc:1:', 'failed', 'ciphertext-malformed'],
      nodot: [(s) => enc(mdk, s).replace('.', ''), 'failed', 'ciphertext-malformed'],
      notjson: [(s) => { const [iv, b] = seal(mdk, Buffer.from(`not json ${s}`)); return field(iv, b); }, 'failed', 'decrypt-failed'],
    };
    const inputs: { module: string; table: string; id: string }[] = [];
    for (const [label, [content, status]] of Object.entries(recordCases)) {
      const [plainTitle, hidden] = [secret(`${label}-title`), secret(`${label}-content`)];
      if (label === 'good') required.push(plainTitle, hidden);
      else if (status === 'failed') forbidden.push(plainTitle, hidden); // a failed record shows none of its fields
      else forbidden.push(hidden); // enc:2: is plaintext to the runner: its value shows, the sealed secret cannot
      rows.push(recordRow(USER, 'notes', 'notes', `n-${label}`, { title: label === 'good' ? enc(mdk, plainTitle) : plainTitle, content: content(hidden) }));
      inputs.push({ module: 'notes', table: 'notes', id: `n-${label}` });
    }
    // Outside the grant, although encrypted under the same MDK: only the allowlist keeps them out.
    const outside = [['notes', 'notes', 'notes', 'n-out'], ['todo', 'tasks', 'todo', 't-out']] as const;
    for (const [app, table, module, id] of outside) {
      const [plainTitle, hidden] = [secret(`${id}-title`), secret(`${id}-content`)];
      forbidden.push(plainTitle, hidden);
      rows.push(recordRow(USER, app, table, id, { title: plainTitle, content: enc(mdk, hidden), description: enc(mdk, hidden) }));
      inputs.push({ module, table, id });
    }
    rows.push(missionRow(USER, recMission, {
      title: 'Records', inputs, grant: grant(wrapKey(mine.publicKey, mdk), recMission, ['notes'], recordIds),
    }));

    await insertRows(db.admin, rows, 25);
    const missions = grantMissions.length + 1;
    const done = async () => (await db.admin.query<{ n: number }>(
      `select count(*)::int n from mana_ai.runs where user_id = $1 and status = 'done'`, [USER])).rows[0]!.n;
    await until(async () => (await done()) === missions, 60_000, async () => `${await done()} of ${missions} done`);
    assert.ok(listener.alive(), 'the listener is still running');
    assert.deepEqual(listener.logs().filter((l) => l.msg === 'run crashed' || l.level === 'error').map((l) => l.msg), [], 'no run crashed');

    // Grant failures: the named skip reason, no audit row, the input listed as unavailable.
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    const { rows: audit } = await db.admin.query<{ mission_id: string; iteration_id: string; table_name: string; record_id: string; status: string; reason: string | null }>(
      'select mission_id, iteration_id, table_name, record_id, status, reason from mana_ai.decrypt_audit where user_id = $1', [USER]);
    const prompts = new Map(llm.requests.map((r) => [/^# Mission: (.*)$/m.exec(userMessage(r))?.[1], userMessage(r)]));
    const expectedSkips: Record<string, number> = {};
    for (const g of grantMissions) {
      const prompt = prompts.get(g.title) ?? '';
      const rowsOf = audit.filter((a) => a.mission_id === g.missionId);
      if (g.reason === 'ok') {
        assert.deepEqual(rowsOf.map((a) => a.status), ['ok'], `${g.label}: decrypts and audits ok`);
        continue;
      }
      expectedSkips[g.reason] = (expectedSkips[g.reason] ?? 0) + 1;
      assert.deepEqual(rowsOf, [], `${g.label}: no audit row`);
      assert.match(prompt, /Nicht verfügbare Eingaben: notes\/notes\/n-grant-\d+ \(no-grant\)/, `${g.label}: planned without the input`);
    }
    const skips = Object.fromEntries(['not-configured', 'expired', 'malformed', 'wrap-rejected'].map((r) => [r, delta('mana_ai_grant_skips_total', { reason: r })]));
    assert.deepEqual(skips, { 'not-configured': 0, expired: 0, malformed: 0, 'wrap-rejected': 0, ...expectedSkips });

    // Record failures: one audit row each with its reason, under the iteration that was written.
    const { rows: [recRun] } = await db.admin.query<{ iteration_id: string }>(
      'select iteration_id from mana_ai.runs where user_id = $1 and mission_id = $2', [USER, recMission]);
    const got = Object.fromEntries(audit.filter((a) => a.mission_id === recMission).map((a) => [`${a.table_name}:${a.record_id}`, [a.status, a.reason, a.iteration_id === recRun!.iteration_id]]));
    const want = Object.fromEntries([
      ...Object.entries(recordCases).map(([label, [, status, reason]]) => [`notes:n-${label}`, [status, reason, true]]),
      ['notes:n-out', ['scope-violation', 'record-not-in-grant-allowlist', true]],
      ['tasks:t-out', ['scope-violation', 'record-not-in-grant-allowlist', true]],
    ]);
    assert.deepEqual(got, want);
    assert.equal(delta('mana_ai_grant_scope_violations_total', { table: 'notes' }), 1);
    assert.equal(delta('mana_ai_grant_scope_violations_total', { table: 'tasks' }), 1);
    // good: title and content; the padded valid grant: content. Nothing for any failed record.
    assert.equal(delta('mana_ai_decrypts_total', { table: 'notes' }), 3, 'only successful fields are counted');

    // No plaintext of a record the runner must not use reaches the LLM; the controls do.
    const bodies = llm.requests.map((r) => r.rawBody).join('\n');
    assert.deepEqual(forbidden.filter((s) => bodies.includes(s)), [], 'no forbidden secret in any request body');
    assert.deepEqual(required.filter((s) => !bodies.includes(s)), [], 'the controls decrypted');
    t.diagnostic(`${llm.requests.length} requests (${(bodies.length / 1024).toFixed(0)} KB) scanned for ${forbidden.length} secrets; skips ${JSON.stringify(skips)}`);
    assert.equal(await terminate(listener), 0);

    recordResult({
      scenario: '5 crypto abuse',
      inputs: `${grantCases.length} broken/odd grants + ${Object.keys(recordCases).length - 1} broken records + 2 out-of-grant records (table, id) + controls`,
      outcome: `grant skips ${Object.entries(expectedSkips).map(([k, v]) => `${k} ${v}`).join(', ')}, no audit row; record audit ${Object.entries(
        Object.values(got).reduce<Record<string, number>>((n, g) => ({ ...n, [String(g[1] ?? g[0])]: (n[String(g[1] ?? g[0])] ?? 0) + 1 }), {}))
        .map(([k, v]) => `${k} ${v}`).join(', ')}; scope-violation metric notes 1, tasks 1; decrypts counted only for the controls; 0 of ${forbidden.length} secrets in ${llm.requests.length} request bodies; no crash`,
      lost: 'n/a',
      duplicated: 'n/a',
    });
  });
});
