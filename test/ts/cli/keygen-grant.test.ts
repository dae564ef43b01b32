/**
 * `mana-ai keygen` and `mana-ai grant`: the key pair loads with node:crypto and is never overwritten;
 * a minted grant unwraps with the runner's unwrapGrant to the MDK that deriveMdk computes.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KEY_FILES } from '../../../src/cli/keygen.js';
import { unwrapGrant, loadPrivateKey } from '../../../src/crypto/grant.js';
import { deriveMdk, type Grant } from '../../../src/issuer/mint.js';
import { cli } from './support.js';

describe('mana-ai keygen and grant', () => {
  let dir: string;
  let keys: { privateKey: string; publicKey: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mana-ai-keys-'));
    const { code, stdout, stderr } = await cli(['keygen', '--out-dir', join(dir, 'keys'), '--json']);
    assert.equal(code, 0, stderr);
    keys = JSON.parse(stdout);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('keygen writes a PKCS#8 private and an SPKI public RSA-2048 PEM that node:crypto loads', () => {
    assert.equal(keys.privateKey, join(dir, 'keys', KEY_FILES.privateKey));
    assert.equal(keys.publicKey, join(dir, 'keys', KEY_FILES.publicKey));
    const privatePem = readFileSync(keys.privateKey, 'utf8');
    const publicPem = readFileSync(keys.publicKey, 'utf8');
    assert.match(privatePem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const priv = createPrivateKey(privatePem);
    const pub = createPublicKey(publicPem);
    assert.equal(priv.asymmetricKeyType, 'rsa');
    assert.equal(priv.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(pub.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(createPublicKey(priv).export({ type: 'spki', format: 'pem' }), publicPem, 'the two halves belong together');
    assert.equal(statSync(keys.privateKey).mode & 0o777, 0o600, 'the private key is readable by its owner only');
  });

  test('keygen refuses to overwrite and leaves the files as they were', async () => {
    const before = [readFileSync(keys.privateKey, 'utf8'), readFileSync(keys.publicKey, 'utf8')];
    const again = await cli(['keygen', '--out-dir', join(dir, 'keys')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists: refusing to overwrite/);
    assert.match(again.stderr, /\[KEY_FILE_EXISTS\]/);
    assert.deepEqual([readFileSync(keys.privateKey, 'utf8'), readFileSync(keys.publicKey, 'utf8')], before);

    const half = join(dir, 'half');
    const firstRun = await cli(['keygen', '--out-dir', half]);
    assert.equal(firstRun.code, 0);
    assert.match(firstRun.stdout, /private key .*mana-ai-private\.pem/);
    rmSync(join(half, KEY_FILES.privateKey));
    const onlyPublicLeft = await cli(['keygen', '--out-dir', half]);
    assert.equal(onlyPublicLeft.code, 1, 'an existing public key alone also stops it');
    assert.throws(() => statSync(join(half, KEY_FILES.privateKey)), /ENOENT/, 'and no private key is written');
  });

  test('a minted grant unwraps with unwrapGrant, and the MDK equals deriveMdk', async () => {
    const masterKey = randomBytes(32);
    const { code, stdout, stderr } = await cli(['grant', '--mission', 'mission-1', '--public-key', keys.publicKey,
      '--master-key', masterKey.toString('hex'), '--tables', 'tasks,notes', '--record-ids', 'tasks:t1,notes:n1',
      '--ttl-ms', String(2 * 3600_000), '--json']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim().split('\n').length, 1, '--json is one line');
    const grant = JSON.parse(stdout) as Grant;
    assert.deepEqual(grant.derivation, { version: 'v1', missionId: 'mission-1', tables: ['notes', 'tasks'], recordIds: ['notes:n1', 'tasks:t1'] });
    assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.issuedAt), 2 * 3600_000);

    const result = unwrapGrant(grant, 'mission-1', new Date(), loadPrivateKey(readFileSync(keys.privateKey, 'utf8')));
    assert.ok(result.ok, `unwrap failed: ${result.ok ? '' : result.reason}`);
    const expected = deriveMdk(masterKey, { missionId: 'mission-1', tables: ['tasks', 'notes'], recordIds: ['tasks:t1', 'notes:n1'] });
    assert.deepEqual(result.mdk.export(), expected);
    assert.deepEqual([...result.recordIds].sort(), ['notes:n1', 'tasks:t1']);
  });

  test('the master key may come from a file (32 raw bytes or hex); the default output is indented JSON', async () => {
    const masterKey = randomBytes(32);
    const rawFile = join(dir, 'master.bin');
    const hexFile = join(dir, 'master.hex');
    writeFileSync(rawFile, masterKey);
    writeFileSync(hexFile, `${masterKey.toString('hex')}\n`);
    const expected = deriveMdk(masterKey, { missionId: 'm2', tables: ['notes'], recordIds: ['notes:n9'] });
    const privateKey = loadPrivateKey(readFileSync(keys.privateKey, 'utf8'));
    for (const file of [rawFile, hexFile]) {
      const { code, stdout } = await cli(['grant', '--mission', 'm2', '--public-key', keys.publicKey, '--master-key', file,
        '--tables', 'notes', '--record-ids', 'notes:n9']);
      assert.equal(code, 0);
      assert.match(stdout, /^{\n  "wrappedKey": /);
      const grant = JSON.parse(stdout) as Grant;
      assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.issuedAt), 7 * 24 * 3600_000, 'TTL defaults to 7 days');
      const result = unwrapGrant(grant, 'm2', new Date(), privateKey);
      assert.ok(result.ok);
      assert.deepEqual(result.mdk.export(), expected);
    }
  });

  test('bad grant requests: usage errors exit 2, requests the auth service would refuse exit 1', async () => {
    const base = ['grant', '--mission', 'm', '--public-key', keys.publicKey, '--tables', 'notes', '--record-ids', 'notes:n1'];
    const shortKey = await cli([...base, '--master-key', 'abcd']);
    assert.equal(shortKey.code, 2);
    assert.match(shortKey.stderr, /--master-key must be 64 hex characters/);
    const noTables = await cli(['grant', '--mission', 'm', '--public-key', keys.publicKey, '--master-key', '00'.repeat(32), '--record-ids', 'notes:n1']);
    assert.equal(noTables.code, 2);
    assert.match(noTables.stderr, /--tables is required/);
    const badTtl = await cli([...base, '--master-key', '00'.repeat(32), '--ttl-ms', '1h']);
    assert.equal(badTtl.code, 2);
    const tooMany = await cli(['grant', '--mission', 'm', '--public-key', keys.publicKey, '--master-key', '00'.repeat(32),
      '--tables', 'notes', '--record-ids', Array.from({ length: 1001 }, (_, i) => `notes:n${i}`).join(',')]);
    assert.equal(tooMany.code, 1);
    assert.match(tooMany.stderr, /at most 1000 recordIds \[BAD_REQUEST\]/);
  });
});
