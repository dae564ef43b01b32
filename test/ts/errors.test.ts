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
