import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError, coerceError, errorFields, fromPgError, LeaseLostError, SqlApiError } from '../../src/errors.js';

test('our SQLSTATEs map to classes with stable codes', () => {
  const pgError = Object.assign(new Error('lease lost'), { code: 'MA102' });
  const lost = fromPgError(pgError);
  assert.ok(lost instanceof LeaseLostError);
  assert.equal((lost as LeaseLostError).code, 'LEASE_LOST');
  assert.equal((lost as LeaseLostError).sqlState, 'MA102');
  assert.equal((lost as Error).cause, pgError);
  assert.ok(fromPgError(Object.assign(new Error('x'), { code: 'MA201' })) instanceof LeaseLostError);
  const invalid = fromPgError(Object.assign(new Error('bad'), { code: 'MA103' }));
  assert.ok(invalid instanceof SqlApiError && !(invalid instanceof LeaseLostError));
  assert.equal((invalid as SqlApiError).code, 'INVALID_ITERATION');
});

test('other errors pass through unchanged', () => {
  const other = Object.assign(new Error('permission denied'), { code: '42501' });
  assert.equal(fromPgError(other), other);
});

test('anything thrown becomes an Error with a code for logs', () => {
  assert.deepEqual(errorFields('boom'), { code: 'NON_ERROR_THROWN', message: 'boom' });
  assert.deepEqual(errorFields({ a: 1 }), { code: 'NON_ERROR_THROWN', message: '{"a":1}' });
  assert.deepEqual(errorFields(new AppError('X_Y', 'm')), { code: 'X_Y', message: 'm' });
  assert.equal(coerceError(undefined).message, 'undefined');
});

test('the SQLSTATE catalogue, the README table and the raise sites under sql/ agree', async () => {
  const { readFile, readdir } = await import('node:fs/promises');
  const { SQLSTATES } = await import('../../src/errors.js');
  const root = new URL('../../', import.meta.url);
  const readme = await readFile(new URL('README.md', root), 'utf8');
  const section = /### Errors raised on purpose \(SQLSTATE\)\n([\s\S]*?)\n#/.exec(readme)?.[1] ?? '';
  const documented = [...section.matchAll(/^\| `(MA\d{3})` \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!]);
  assert.deepEqual(documented, Object.entries(SQLSTATES).map(([state, e]) => [state, e.meaning]),
    'README rows = SQLSTATES entries, in order, same words');
  const raised = new Set<string>();
  for (const file of await readdir(new URL('sql/', root), { recursive: true })) {
    if (!file.endsWith('.sql')) continue;
    const text = await readFile(new URL(`sql/${file}`, root), 'utf8');
    for (const m of text.matchAll(/errcode\s*=\s*'(MA\d{3})'/g)) raised.add(m[1]!);
  }
  assert.deepEqual([...raised].sort(), Object.keys(SQLSTATES).sort(), 'every state raised under sql/ is catalogued, and every catalogued one is raised');
});
