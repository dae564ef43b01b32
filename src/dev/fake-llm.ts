/**
 * The one fake mana-llm gateway, used by `make run` (the demo) and by the tests and benchmarks: a real
 * HTTP server on 127.0.0.1 (port 0 unless given). Queue replies with `reply(spec)`, or set a default
 * (a fixed spec or a script computed from the request), run the code under test, then inspect
 * `requests`. Knobs: status, JSON or raw body, chat content, delay before headers, a dripping body,
 * hang, socket destroy. The demo's default is {@link devPlanReply}: deterministic plans built from the
 * prompt's real tool list (fake-plan.ts), answered only on `POST /v1/chat/completions`.
 * A dev and test aid only: `mana-ai serve` never starts it.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fakePlanText } from './fake-plan.js';

/** One request as the fake received it. */
export interface FakeLlmRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly body: unknown;
  /** `perf` = performance.now() (for intervals), `date` = wall clock. */
  readonly receivedAt: { readonly perf: number; readonly date: Date };
}

/** How to answer one request. Fields combine: delay, then destroy/hang, else headers and body. */
export interface FakeLlmReplySpec {
  /** Default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Model output, wrapped into the `chat.completion` shape. */
  readonly content?: string;
  /** A JSON body sent as-is (wins over `content`). */
  readonly json?: unknown;
  /** A raw text body sent as-is (wins over `json` and `content`). */
  readonly text?: string;
  /** Wait this long before sending headers. */
  readonly delayMs?: number;
  /** After headers, send `chunk` (default one space) every `everyMs` forever. */
  readonly drip?: { readonly everyMs: number; readonly chunk?: string };
  /** Never answer. */
  readonly hang?: boolean;
  /** Destroy the socket (after `delayMs`) without answering. */
  readonly destroy?: boolean;
}

/** A fixed spec or a script deriving one from the request (e.g. a plan from the prompt). */
export type FakeLlmReply =
  | FakeLlmReplySpec
  | ((request: FakeLlmRequest) => FakeLlmReplySpec | Promise<FakeLlmReplySpec>);

/** A running fake gateway. */
export interface FakeLlm {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly requests: FakeLlmRequest[];
  /** Queues a reply for the next unanswered request (FIFO); `times` queues it repeatedly. */
  reply(spec: FakeLlmReply, times?: number): void;
  /** The reply used when the queue is empty. Initially `options.defaultReply` or an empty plan. */
  setDefault(spec: FakeLlmReply): void;
  /** Destroys open sockets (hanging or dripping ones too), clears timers and stops listening. */
  close(): Promise<void>;
}

/** Fields of a {@link chatCompletion} answer besides its content. */
export interface ChatCompletionOptions {
  /** Default `gpt-4o-mini`. */
  readonly model?: string;
  /** Default the epoch (0). */
  readonly created?: Date;
  /** `usage.total_tokens`; default 2 (one prompt and one completion token). */
  readonly totalTokens?: number;
}

/** The gateway's answer `{id, object: 'chat.completion', created, model, choices: [{message: {content}}], usage}`. */
export function chatCompletion(content: string, options: ChatCompletionOptions = {}): Record<string, unknown> {
  const total = options.totalTokens ?? 2;
  const completion = Math.floor(total / 2);
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor((options.created?.getTime() ?? 0) / 1000),
    model: options.model ?? 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: total - completion, completion_tokens: completion, total_tokens: total },
  };
}

/** A plan as the model would write it: one fenced json block. */
export function planText(plan: unknown): string {
  return `\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\``;
}

const EMPTY_PLAN: FakeLlmReplySpec = { content: planText({ summary: 'Nichts zu tun', steps: [] }) };

/** Where {@link startFakeLlm} listens and what it answers by default. */
export interface FakeLlmOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default 127.0.0.1; e.g. a Docker bridge address that containers reach (test/docker). */
  readonly host?: string;
  /** The reply when the queue is empty; default an empty plan. */
  readonly defaultReply?: FakeLlmReply;
}

interface ChatMessage { role?: unknown; content?: unknown }

/** The content of the first message with `role` in a chat request body, or `''`. */
function messageOf(body: unknown, role: string): string {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return '';
  const found = (messages as ChatMessage[]).find((m) => m && m.role === role && typeof m.content === 'string');
  return (found?.content as string | undefined) ?? '';
}

/**
 * The demo's script: on `POST /v1/chat/completions` a deterministic plan from the prompt's tool list
 * (fake-plan.ts), with the request's model and a token count of about a quarter of the characters of
 * prompt and answer (so the demo's token budget has something to count); 404 for other routes, 400
 * for a body that is not JSON. `now` dates the plans (tests pin it).
 */
export function devPlanReply(now: () => Date = () => new Date()): FakeLlmReply {
  return (request) => {
    const path = request.path.split('?')[0];
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      return { status: 404, json: { error: { message: `no route ${request.method} ${path}`, type: 'not_found' } } };
    }
    if (request.body === undefined) return { status: 400, json: { error: { message: 'body is not JSON', type: 'invalid_request_error' } } };
    const model = (request.body as { model?: unknown }).model;
    const [system, user] = [messageOf(request.body, 'system'), messageOf(request.body, 'user')];
    const content = fakePlanText(system, user, now());
    const totalTokens = Math.ceil((system.length + user.length + content.length) / 4);
    return { json: chatCompletion(content, { model: typeof model === 'string' ? model : 'mana-dev-fake', created: now(), totalTokens }) };
  };
}

/** Starts the fake on 127.0.0.1 or `options.host` (an ephemeral port unless `options.port`). */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const queue: FakeLlmReply[] = [];
  let fallback: FakeLlmReply = options.defaultReply ?? EMPTY_PLAN;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const send = (res: ServerResponse, spec: FakeLlmReplySpec): void => {
    if (closed || res.destroyed) return;
    if (spec.destroy) return void res.socket?.destroy();
    if (spec.hang) return;
    const json = spec.json !== undefined ? spec.json : spec.content !== undefined ? chatCompletion(spec.content) : undefined;
    const body = spec.text ?? (json !== undefined ? JSON.stringify(json) : '');
    const isJson = spec.text === undefined && json !== undefined;
    // A complete body is sent with its length, a dripping one chunked (it never ends).
    const length = spec.drip ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const type = { 'content-type': isJson ? 'application/json' : 'text/plain' };
    res.writeHead(spec.status ?? 200, { ...type, ...length, ...spec.headers });
    if (!spec.drip) return void res.end(body);
    res.write(body);
    const chunk = spec.drip.chunk ?? ' ';
    const every = setInterval(() => (res.destroyed ? clearInterval(every) : res.write(chunk)), spec.drip.everyMs);
    timers.add(every);
    res.on('close', () => {
      clearInterval(every);
      timers.delete(every);
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const request: FakeLlmRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body,
        receivedAt: { perf: performance.now(), date: new Date() },
      };
      requests.push(request);
      const reply = queue.shift() ?? fallback;
      Promise.resolve(typeof reply === 'function' ? reply(request) : reply).then(
        (spec) => (spec.delayMs ? later(spec.delayMs, () => send(res, spec)) : send(res, spec)),
        (error: unknown) => send(res, { status: 500, text: `fake-llm script failed: ${String(error)}` }),
      );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    reply(spec, times = 1) {
      for (let i = 0; i < times; i += 1) queue.push(spec);
    },
    setDefault(spec) {
      fallback = spec;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await done;
    },
  };
}
