// Probe for test/ts/support/leak-guard.test.ts: connects a client and a pool and closes both.
import { after, describe, test } from 'node:test';
import pg from 'pg';

const url = `postgresql://${process.env.PGUSER ?? 'postgres'}@localhost/postgres?host=${encodeURIComponent(process.env.PGHOST ?? '')}`;

describe('tidy', () => {
  const client = new pg.Client({ connectionString: url });
  const pool = new pg.Pool({ connectionString: url });
  after(async () => { await client.end(); await pool.end(); });

  test('closes what it opens', async () => {
    await client.connect();
    await pool.query('select 1');
  });
});
