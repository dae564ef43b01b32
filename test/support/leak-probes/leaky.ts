// Probe for test/ts/support/leak-guard.test.ts: connects a client and a pool and closes neither.
import { test } from 'node:test';
import pg from 'pg';

const url = `postgresql://${process.env.PGUSER ?? 'postgres'}@localhost/postgres?host=${encodeURIComponent(process.env.PGHOST ?? '')}`;

test('leaves a client and a pool connected', async () => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const pool = new pg.Pool({ connectionString: url, idleTimeoutMillis: 100 });
  await pool.query('select 1');
});
