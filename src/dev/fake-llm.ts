/**
 * The built-in fake LLM of `make run`: an OpenAI-compatible `POST /v1/chat/completions` on
 * 127.0.0.1 and a free port, answering every plan request with a deterministic plan built from the
 * prompt's real tool list (fake-plan.ts). A dev aid only: `mana-ai serve` never starts it; the dev
 * entry (run.ts) does when MANA_LLM_URL is unset.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fakePlanText } from './fake-plan.js';

/** A running fake gateway. */
export interface DevFakeLlm {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:41234` (MANA_LLM_URL). */
  readonly url: string;
  /** Plan requests answered so far. */
  requests(): number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export interface DevFakeLlmOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Clock for dates inside plans (tests pin it). */
  now?: () => Date;
}

interface ChatMessage { role?: unknown; content?: unknown }

/** The content of the first message with `role`, or `''`. */
function messageOf(body: unknown, role: string): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  const found = (messages as ChatMessage[]).find((m) => m && m.role === role && typeof m.content === 'string');
  return (found?.content as string | undefined) ?? '';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** The gateway's `chat.completion` answer (docs/planner.md §5) carrying `content`. */
export function chatCompletionBody(content: string, model: string, created: Date): Record<string, unknown> {
  return {
    id: 'chatcmpl-mana-dev',
    object: 'chat.completion',
    created: Math.floor(created.getTime() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** Starts the fake on 127.0.0.1. */
export async function startDevFakeLlm(options: DevFakeLlmOptions = {}): Promise<DevFakeLlm> {
  const now = options.now ?? (() => new Date());
  const sockets = new Set<Socket>();
  let answered = 0;

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } });
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    const model = typeof (body as { model?: unknown }).model === 'string' ? (body as { model: string }).model : 'mana-dev-fake';
    const content = fakePlanText(messageOf(body, 'system'), messageOf(body, 'user'), now());
    answered += 1;
    send(res, 200, chatCompletionBody(content, model, now()));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => answered,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
