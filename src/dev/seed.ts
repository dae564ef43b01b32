/**
 * The demo data of `make run`, written the way devices write it: one `insert` row per record into
 * `public.sync_changes` (full record JSON with `createdAt`/`updatedAt`, empty `field_timestamps`,
 * the user's RLS scope set), never into projections: the projection trigger folds them like any sync.
 *
 * Idempotent by fixed ids: a record that already has a row is skipped, so a second run changes
 * nothing and the missions keep the schedule the runner advanced. Everything missing is written in
 * one transaction, which keeps the encrypted note and the mission holding its grant together (the
 * random master key behind both exists only during this call).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { encryptField, mintGrant } from '../issuer/mint.js';
import { AI_PROPOSABLE_TOOL_NAMES } from '../planner/tools.js';

/** The demo user (also the dev auth bypass user, so `/api/v1/me/ai-audit` answers without a JWT). */
export const DEMO_USER_ID = 'demo-user';
export const DEMO_AGENT_ID = 'demo-agent';
/** The device id on the seeded rows. */
export const DEMO_CLIENT_ID = 'mana-dev-seed';
/** Plaintext of the encrypted note; it appears in plans only if unwrap and decryption worked. */
export const DEMO_NOTE = { id: 'demo-note-1', title: 'Geburtstagsfeier Oma', content: 'Torte bestellen, Einladungen bis Freitag verschicken, Luftballons kaufen.' };

/** The seeded missions by role in the demo: ids and titles (tests and the output refer to them). */
export const DEMO_MISSIONS = {
  interval: { id: 'demo-mission-interval', title: 'Posteingang sichten' },
  daily: { id: 'demo-mission-daily', title: 'Tagesplanung' },
  cron: { id: 'demo-mission-cron', title: 'Vokabeln wiederholen' },
  paused: { id: 'demo-mission-paused', title: 'Urlaub planen' },
  encrypted: { id: 'demo-mission-notes', title: 'Notizen auswerten' },
} as const;

/** One record as a device would push it. */
interface SeedRecord { appId: string; table: string; id: string; data: Record<string, unknown> }

/** The plaintext records; the encrypted pair is added by {@link encryptedPair}. `at` = createdAt of all. */
function plainRecords(at: string): SeedRecord[] {
  const stamps = { createdAt: at, updatedAt: at, userId: DEMO_USER_ID };
  const mission = (key: keyof typeof DEMO_MISSIONS, fields: Record<string, unknown>): SeedRecord => ({
    appId: 'ai', table: 'aiMissions', id: DEMO_MISSIONS[key].id,
    data: {
      id: DEMO_MISSIONS[key].id, title: DEMO_MISSIONS[key].title, conceptMarkdown: '', state: 'active', inputs: [], iterations: [],
      agentId: DEMO_AGENT_ID, ...stamps, ...fields,
    },
  });
  return [
    {
      appId: 'ai', table: 'agents', id: DEMO_AGENT_ID,
      data: {
        id: DEMO_AGENT_ID, name: 'Mana Demo', role: 'Planungsassistent', state: 'active', maxConcurrentMissions: 2, maxTokensPerDay: 200_000,
        policy: { tools: Object.fromEntries(AI_PROPOSABLE_TOOL_NAMES.map((n) => [n, 'propose'])), defaultForAi: 'propose' },
        createdAt: at, updatedAt: at,
      },
    },
    mission('interval', {
      objective: 'Offene Anfragen aus dem Posteingang in Aufgaben verwandeln',
      cadence: { kind: 'interval', everyMinutes: 2 }, nextRunAt: at,
    }),
    mission('daily', {
      objective: 'Jeden Morgen die drei wichtigsten Aufgaben des Tages festlegen',
      cadence: { kind: 'daily', atHour: 7, atMinute: 30 }, nextRunAt: at,
    }),
    // No nextRunAt: the runner schedules a cron mission from its createdAt (docs/scheduling.md §5.1).
    mission('cron', {
      objective: 'Alle 15 Minuten eine kurze Wiederholungseinheit vorschlagen',
      cadence: { kind: 'cron', expression: '*/15 * * * *' },
    }),
    mission('paused', {
      objective: 'Flüge und Unterkunft für den Sommer vergleichen', state: 'paused',
      cadence: { kind: 'interval', everyMinutes: 1 }, nextRunAt: at,
    }),
  ];
}

/** The note encrypted under the mission's MDK and the weekly mission holding the grant for it. */
function encryptedPair(at: string, publicPem: string): SeedRecord[] {
  const missionId = DEMO_MISSIONS.encrypted.id;
  const masterKey = randomBytes(32);
  try {
    const { grant, mdk } = mintGrant({
      missionId, tables: ['notes'], recordIds: [`notes:${DEMO_NOTE.id}`], publicKeyPem: publicPem, masterKey, ttlMs: 30 * 24 * 3600_000,
    });
    return [
      {
        appId: 'notes', table: 'notes', id: DEMO_NOTE.id,
        data: {
          id: DEMO_NOTE.id, title: encryptField(DEMO_NOTE.title, mdk), content: encryptField(DEMO_NOTE.content, mdk),
          createdAt: at, updatedAt: at, userId: DEMO_USER_ID,
        },
      },
      {
        appId: 'ai', table: 'aiMissions', id: missionId,
        data: {
          id: missionId, title: DEMO_MISSIONS.encrypted.title, conceptMarkdown: 'Die verknüpfte Notiz ist Ende-zu-Ende verschlüsselt.',
          objective: 'Aus der verknüpften Notiz konkrete nächste Schritte ableiten', state: 'active',
          cadence: { kind: 'weekly', dayOfWeek: 1, atHour: 9 }, nextRunAt: at,
          inputs: [{ module: 'notes', table: 'notes', id: DEMO_NOTE.id }], iterations: [], grant, agentId: DEMO_AGENT_ID,
          createdAt: at, updatedAt: at, userId: DEMO_USER_ID,
        },
      },
    ];
  } finally {
    masterKey.fill(0);
  }
}

/** What {@link seedDemo} did. */
export interface SeedResult {
  readonly inserted: readonly string[];
  readonly present: readonly string[];
}

/**
 * Inserts the demo records that have no row yet, as device `insert` rows, in one transaction.
 * `now` dates the records an hour back, so they are due at once (the cron mission's first fire time
 * after its createdAt has passed too).
 */
export async function seedDemo(db: pg.Pool, publicPem: string, now = new Date()): Promise<SeedResult> {
  const at = new Date(now.getTime() - 3600_000).toISOString();
  const client = await db.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('app.current_user_id', $1, true)`, [DEMO_USER_ID]);
    const exists = async (r: { appId: string; table: string; id: string }) => (await client.query(
      'select 1 from public.sync_changes where user_id = $1 and app_id = $2 and table_name = $3 and record_id = $4 limit 1',
      [DEMO_USER_ID, r.appId, r.table, r.id])).rowCount !== 0;
    const records = plainRecords(at);
    const noteThere = await exists({ appId: 'notes', table: 'notes', id: DEMO_NOTE.id });
    const missionThere = await exists({ appId: 'ai', table: 'aiMissions', id: DEMO_MISSIONS.encrypted.id });
    // A half-present pair cannot be completed: the master key behind the other half is gone.
    if (!noteThere && !missionThere) records.push(...encryptedPair(at, publicPem));
    const inserted: string[] = [];
    const present: string[] = noteThere || missionThere ? [`notes/${DEMO_NOTE.id}`, `aiMissions/${DEMO_MISSIONS.encrypted.id}`] : [];
    for (const r of records) {
      if (await exists(r)) {
        present.push(`${r.table}/${r.id}`);
        continue;
      }
      await client.query(
        `insert into public.sync_changes (app_id, table_name, record_id, user_id, op, data, field_timestamps, client_id, schema_version)
         values ($1, $2, $3, $4, 'insert', $5, '{}', $6, 1)`,
        [r.appId, r.table, r.id, DEMO_USER_ID, JSON.stringify(r.data), DEMO_CLIENT_ID],
      );
      inserted.push(`${r.table}/${r.id}`);
    }
    await client.query('commit');
    return { inserted, present };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
