/**
 * The readable console of `make run`: a sink for the listener's JSON log lines that turns the events
 * a developer watches for (`iteration written back`, `grant not usable…`, `run failed`, `plan did not
 * parse`, ticks that enqueued work) into short blocks. Mission title, cadence and the plan are looked
 * up in the database by `run_id` (the ledger and the folded record, as a superuser) rather than
 * added to production log lines, which stay free of user data. Output stays in event order.
 */
import type pg from 'pg';

/** Options of {@link createPrettyPrinter}. */
export interface PrettyPrinterOptions {
  /** Receives finished text (with newlines). */
  out: (text: string) => void;
  /** Superuser access to the dev database, for look-ups. */
  db: Pick<pg.Pool, 'query'>;
  /** Zone for displayed times (MANA_AI_TIMEZONE). */
  timezone: string;
  /** Also print every other log line as it is. */
  verbose?: boolean;
  /** Bold headers (a terminal). */
  color?: boolean;
  /** Called with the fields of `mana-ai listener started` (port, worker, …). */
  onStarted?: (fields: Record<string, unknown>) => void;
  now?: () => Date;
}

/** A log sink plus a way to wait until every queued block is printed. */
export interface PrettyPrinter {
  /** Takes one or more JSON lines as the logger writes them. */
  write(text: string): void;
  /** Resolves when everything written so far has been printed. */
  flush(): Promise<void>;
}

type Fields = Record<string, unknown>;
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: unknown) => String(n).padStart(2, '0');

/** `every 2 min`, `daily at 07:30`, `weekly on Mon at 09:00`, `cron "*\/15 * * * *"`. */
export function describeCadence(cadence: unknown): string {
  const c = (cadence ?? {}) as Fields;
  switch (c['kind']) {
    case 'interval': return `interval: every ${String(c['everyMinutes'])} min`;
    case 'daily': return `daily at ${pad(c['atHour'])}:${pad(c['atMinute'])}`;
    case 'weekly': return `weekly on ${DAYS[Number(c['dayOfWeek'])] ?? '?'} at ${pad(c['atHour'])}:00`;
    case 'cron': return `cron "${String(c['expression'])}"`;
    case 'manual': return 'manual';
    default: return `cadence ${JSON.stringify(cadence)}`;
  }
}

/** `title: "Foo", priority: "high"`, each value cut to 72 characters. */
export function describeParams(params: unknown): string {
  const entries = Object.entries((params ?? {}) as Fields);
  if (entries.length === 0) return '(no parameters)';
  return entries.map(([k, v]) => {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return `${k}: ${JSON.stringify(text.length > 72 ? `${text.slice(0, 71)}…` : text)}`;
  }).join(', ');
}

/** Creates the printer. */
export function createPrettyPrinter(options: PrettyPrinterOptions): PrettyPrinter {
  const now = options.now ?? (() => new Date());
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone: options.timezone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const dated = new Intl.DateTimeFormat('en-GB', {
    timeZone: options.timezone, weekday: 'short', day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false,
  });
  const bold = (s: string) => (options.color ? `\u001b[1m${s}\u001b[22m` : s);
  const indent = ' '.repeat(10);
  let chain: Promise<void> = Promise.resolve();

  const print = (lines: string[]) => (lines.length > 0 ? options.out(`${lines.join('\n')}\n`) : undefined);
  const stamp = (f: Fields) => clock.format(typeof f['ts'] === 'string' ? new Date(f['ts']) : now());
  const later = (task: () => Promise<string[]>, fallback: () => string[]) => {
    chain = chain.then(task).catch(() => fallback()).then(print);
  };
  const relative = (iso: string) => {
    const minutes = Math.round((new Date(iso).getTime() - now().getTime()) / 60_000);
    if (minutes < 1) return 'now';
    return minutes < 120 ? `in ${minutes} min` : `in ${Math.round(minutes / 60)} h`;
  };

  /** The run's user, mission id and folded mission record. */
  const lookup = async (runId: unknown) => {
    const { rows } = await options.db.query<{ user_id: string; mission_id: string; mission: Fields | null }>(
      `select r.user_id, r.mission_id, mana_ai_private.record_json(r.user_id, 'aiMissions', r.mission_id) as mission
         from mana_ai.runs r where r.run_id = $1`, [String(runId)]);
    if (!rows[0]) throw new Error('run not found');
    return rows[0];
  };
  const titleOf = (m: Fields | null, id: string) => JSON.stringify(String(m?.['title'] ?? id));

  const writtenBack = async (f: Fields): Promise<string[]> => {
    const { user_id, mission_id, mission } = await lookup(f['run_id']);
    const iterations = Array.isArray(mission?.['iterations']) ? (mission['iterations'] as Fields[]) : [];
    const it = iterations.find((i) => i['id'] === f['iteration_id']) ?? {};
    const plan = Array.isArray(it['plan']) ? (it['plan'] as Fields[]) : [];
    const lines = [
      `${stamp(f)}  ${bold(`✔ written back  ${titleOf(mission, mission_id)}`)}  (${describeCadence(mission?.['cadence'])})  run ${String(f['run_id'])}`,
      `${indent}plan: ${String(it['summary'] ?? '')} (${plan.length} step${plan.length === 1 ? '' : 's'})`,
    ];
    plan.forEach((step, i) => {
      const intent = (step['intent'] ?? {}) as Fields;
      lines.push(`${indent}  ${i + 1}. ${String(intent['toolName'] ?? intent['kind']).padEnd(14)} ${describeParams(intent['params'])}`);
    });
    const audit = await options.db.query<{ table_name: string; record_id: string; status: string; reason: string | null }>(
      'select table_name, record_id, status, reason from mana_ai.decrypt_audit where user_id = $1 and iteration_id = $2 order by id',
      [user_id, String(f['iteration_id'])]);
    for (const a of audit.rows) {
      lines.push(`${indent}input ${a.table_name}/${a.record_id}: decrypt ${a.status}${a.reason ? ` (${a.reason})` : ''}`);
    }
    const next = typeof f['next_run_at'] === 'string' ? f['next_run_at'] : null;
    lines.push(`${indent}next run: ${next ? `${dated.format(new Date(next))} ${options.timezone} (${relative(next)})  [${next}]` : 'none'}`);
    return lines;
  };

  const aboutMission = (f: Fields, text: (title: string) => string) => later(
    async () => {
      const { mission, mission_id } = await lookup(f['run_id']);
      return [`${stamp(f)}  ${text(titleOf(mission, mission_id))}`];
    },
    () => [`${stamp(f)}  ${text(JSON.stringify(String(f['mission_id'] ?? '?')))}`],
  );

  const handle = (f: Fields, raw: string) => {
    const msg = String(f['msg'] ?? '');
    if (msg === 'iteration written back') {
      return later(() => writtenBack(f), () => [`${stamp(f)}  ✔ written back  mission ${String(f['mission_id'])}, next run ${String(f['next_run_at'])}`]);
    }
    if (msg.startsWith('grant not usable')) {
      return aboutMission(f, (t) => `⚠ grant not usable for ${t}: ${String(f['reason'])}; planning without its encrypted inputs`);
    }
    if (msg === 'run failed') return aboutMission(f, (t) => `✖ run failed for ${t}: ${String(f['message'])} [${String(f['code'])}]`);
    if (msg === 'plan did not parse') return aboutMission(f, (t) => `✖ plan did not parse for ${t}: ${String(f['reason'])}`);
    if (msg === 'mana-ai listener started') {
      chain = chain.then(() => options.onStarted?.(f)).catch(() => undefined);
      return;
    }
    if (msg === 'tick' && Number(f['enqueued']) > 0) {
      return later(async () => [`${stamp(f)}  · tick (${String(f['source'])}): ${String(f['enqueued'])} due slot(s) enqueued`], () => []);
    }
    if (msg === 'stopping') return later(async () => [`${stamp(f)}  stopping (${String(f['signal'])}): finishing in-flight runs …`], () => []);
    if (msg === 'mana-ai listener stopped') return later(async () => [`${stamp(f)}  listener stopped`], () => []);
    if (f['level'] === 'warn' || f['level'] === 'error') {
      const { ts: _ts, level, msg: _m, service: _s, component, ...rest } = f;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      return later(async () => [`${stamp(f)}  ${String(level)} ${component ? `${String(component)}: ` : ''}${msg}${extra}`], () => []);
    }
    if (options.verbose) later(async () => [raw], () => []);
  };

  return {
    write(text) {
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        let fields: Fields;
        try {
          fields = JSON.parse(raw) as Fields;
        } catch {
          later(async () => [raw], () => []);
          continue;
        }
        handle(fields, raw);
      }
    },
    flush: () => chain,
  };
}
