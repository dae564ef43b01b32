/**
 * The resolver registry (docs/resolvers.md §3): module key → resolver. `goals` is plaintext and read
 * under the fixed app `companion`; every other module is encrypted and passes the grant checks,
 * decryption and audit of docs/crypto.md §5 (see encrypted.ts) before it is formatted.
 */
import { loadEncryptedRecord } from './encrypted.js';
import {
  CONTENT_LIMIT, contentOrEmpty, contentOrJson, eventLine, goalLine, goalTitle, stringTitle, taskLine, truncate,
} from './format.js';
import type { InputRef, Resolver, ResolveOutcome } from './types.js';

type Rec = Record<string, unknown>;

/** How an encrypted module reads and renders its record. */
interface EncryptedSpec {
  appId: string;
  title: (record: Rec) => string;
  content: (record: Rec) => string;
  limit: number;
}

const done = (ref: InputRef, title: string, content: string): ResolveOutcome =>
  ({ ok: true, input: { id: ref.id, module: ref.module, table: ref.table, title, content } });

/** Builds an encrypted resolver from its app id, title rule, content rule and cap. */
function encrypted(spec: EncryptedSpec): Resolver {
  return async (ref, ctx, deps) => {
    const loaded = await loadEncryptedRecord(spec.appId, ref, ctx, deps);
    if (!loaded.ok) return loaded;
    return done(ref, spec.title(loaded.record), truncate(spec.content(loaded.record), spec.limit));
  };
}

/** Goals: plaintext, no grant, no audit; a throwing replay propagates (the registry logs and drops). */
const goals: Resolver = async (ref, _ctx, deps) => {
  const record = await deps.replayRecord('companion', ref.table, ref.id);
  if (record === null || typeof record !== 'object' || record.deletedAt) return { ok: false, reason: 'missing' };
  return done(ref, goalTitle(record), goalLine(record));
};

const todo = encrypted({
  appId: 'todo', title: (r) => stringTitle(r, 'Task'), content: taskLine, limit: CONTENT_LIMIT.default,
});

/** Creates the registry of docs/resolvers.md §3. A fresh map per call: no module-level mutable state. */
export function createResolverRegistry(): ReadonlyMap<string, Resolver> {
  return new Map<string, Resolver>([
    ['goals', goals],
    ['notes', encrypted({
      appId: 'notes', title: (r) => stringTitle(r, 'Notiz'), content: contentOrJson, limit: CONTENT_LIMIT.default,
    })],
    ['tasks', todo],
    ['todo', todo],
    ['calendar', encrypted({
      appId: 'calendar', title: (r) => stringTitle(r, 'Termin'), content: eventLine, limit: CONTENT_LIMIT.default,
    })],
    ['journal', encrypted({
      appId: 'journal', title: (r) => stringTitle(r, 'Journal-Eintrag'), content: contentOrEmpty, limit: CONTENT_LIMIT.default,
    })],
    ['kontext', encrypted({
      appId: 'kontext', title: () => 'Mana-Kontext', content: contentOrJson, limit: CONTENT_LIMIT.kontext,
    })],
  ]);
}
