/**
 * The real listener as a child process: `node bench/.build/dist/cli/main.js serve` (the CLI compiled by
 * bench/run.ts from the current src/), connected as a LOGIN member of mana_ai_runner, its LLM the fake
 * in this process. A child process so its RSS and CPU are its own (/proc/<pid>/…).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { memoryKb, processCpuMs, sleep } from './common.js';
import type { TestDb } from './data.js';

export interface ListenerProcess {
  readonly pid: number;
  readonly base: string;
  /** Last lines of stderr/stdout (for error messages). */
  readonly output: string[];
  memoryKb(): { rss: number; hwm: number };
  cpuMs(): number;
  /** SIGTERM, wait for the exit (SIGKILL after 20 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface ListenerOptions {
  llmUrl: string;
  concurrency: number;
  llmTimeoutMs?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startListener(entry: string, db: TestDb, options: ListenerOptions): Promise<ListenerProcess> {
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    SYNC_DATABASE_URL: db.runnerUrl,
    MANA_LLM_URL: options.llmUrl,
    MANA_SERVICE_KEY: 'bench-service-key',
    PORT: String(port),
    TICK_ENABLED: 'false',
    MANA_AI_TIMEZONE: 'Europe/Berlin',
    MANA_AI_CONCURRENCY: String(options.concurrency),
    MANA_LLM_TIMEOUT_MS: String(options.llmTimeoutMs ?? 30_000),
    LOG_LEVEL: 'error',
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), entry, 'serve'], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    exited = code;
    resolve(code);
  }));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`listener exited with ${exited} at start: ${output.join(' | ')}`);
    try {
      const res = await fetch(`${base}/health`);
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`listener did not answer /health within 30 s: ${output.join(' | ')}`);
      }
      await sleep(50);
    }
  }
  const pid = child.pid!;
  return {
    pid, base, output,
    memoryKb: () => memoryKb(pid),
    cpuMs: () => processCpuMs(pid),
    async stop() {
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
