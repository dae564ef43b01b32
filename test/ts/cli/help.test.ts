/**
 * Every `mana-ai` command answers `--help` with its usage (exit 0, nothing on stderr, no database
 * needed); the top-level help lists the operator commands; an unknown command exits 2.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cli } from './support.js';

const COMMANDS = ['serve', 'migrate', 'status', 'explain', 'tick', 'rebuild', 'keygen', 'grant', 'detach'];

describe('mana-ai --help', () => {
  for (const name of COMMANDS) {
    test(`${name} --help prints its usage`, async () => {
      const { code, stdout, stderr } = await cli([name, '--help']);
      assert.equal(code, 0);
      assert.equal(stderr, '');
      assert.match(stdout, new RegExp(`^mana-ai ${name}\\b`));
    });
  }

  test('-h works after other options too', async () => {
    const { code, stdout } = await cli(['explain', 'some-mission', '--user', 'u1', '-h']);
    assert.equal(code, 0);
    assert.match(stdout, /^mana-ai explain <missionId>/);
  });

  test('the top-level help lists every command', async () => {
    const { code, stdout } = await cli(['--help']);
    assert.equal(code, 0);
    for (const name of COMMANDS) assert.match(stdout, new RegExp(`^  ${name} `, 'm'));
  });

  test('an unknown command exits 2 and shows the help', async () => {
    const { code, stdout, stderr } = await cli(['frobnicate']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.match(stderr, /unknown command "frobnicate"/);
    assert.match(stderr, /usage: mana-ai <command>/);
  });

  test('the help of the admin commands names the admin connection', async () => {
    for (const name of ['status', 'explain', 'tick', 'rebuild', 'detach']) {
      assert.match((await cli([name, '--help'])).stdout, /MANA_AI_ADMIN_DATABASE_URL/, name);
    }
    assert.match((await cli(['rebuild', '--help'])).stdout, /BYPASSRLS/);
  });
});
