/**
 * Leak guard, preloaded into every node:test process (`node --import ./test/support/leak-guard.ts`,
 * see the Makefile): a test file that leaves a pg client connected — its own, a pool's, or one inside
 * pg-listen or postgres-migrations — fails, naming where each leaked client connected. Every pg
 * connection is a `pg.Client` (pools and pg-listen create them through the same class), so the guard
 * tracks connect() and end on its prototype. After the file's tests and their describe-level `after`
 * hooks it reports what is still open and closes it, so a leak fails the file instead of hanging it.
 * A client whose end() was called, or whose connection ended (server gone), is not a leak.
 */
import { after } from 'node:test';
import pg from 'pg';

interface Tracked { stack: string; ending: boolean }

const open = new Map<pg.Client, Tracked>();
const proto = pg.Client.prototype as unknown as {
  connect: (...args: unknown[]) => unknown;
  end: (...args: unknown[]) => unknown;
};
const connect = proto.connect;
const end = proto.end;

proto.connect = function (this: pg.Client, ...args: unknown[]) {
  const stack = (new Error().stack ?? '').split('\n').slice(2)
    .filter((line) => !line.includes('node_modules') && !line.includes('node:internal')).slice(0, 4).join('\n');
  open.set(this, { stack, ending: false });
  this.once('end', () => open.delete(this));
  return connect.apply(this, args);
};
proto.end = function (this: pg.Client, ...args: unknown[]) {
  const tracked = open.get(this);
  if (tracked) tracked.ending = true;
  return end.apply(this, args);
};

/** Clients connected and not being ended, with where they connected. */
export function openClients(): string[] {
  return [...open.values()].filter((t) => !t.ending).map((t) => t.stack || '(no stack)');
}

// A root-level hook registered before the file loads: it runs after every describe-level `after` hook
// of the file (where the files here close their pools) but before the file's own root-level `after`
// hooks, so close pools and clients in a describe's `after`.
after(async () => {
  const leaked = openClients();
  if (leaked.length === 0) return;
  await Promise.all([...open.keys()].map((c) => Promise.resolve(end.call(c)).catch(() => undefined)));
  throw new Error(`leak guard: this test file left ${leaked.length} pg client(s) connected (end them or the pool in an after hook):\n` +
    leaked.map((s, i) => `  #${i + 1} connected at\n${s.replace(/^/gm, '    ')}`).join('\n'));
});
