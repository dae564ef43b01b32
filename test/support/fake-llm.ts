/**
 * A fake mana-llm gateway: a real HTTP server on 127.0.0.1:0 (undici tests against real servers on
 * port 0). Queue replies with `reply(spec)`, run the code under test, then inspect `requests`.
 * Knobs: status, JSON or raw body, chat content, delay before headers, a dripping body, hang,
 * socket destroy, and scripted replies computed from the request.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

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
  /** The reply used when the queue is empty. Initially an empty plan. */
  setDefault(spec: FakeLlmReply): void;
  /** Destroys open sockets (hanging or dripping ones too), clears timers and stops listening. */
  close(): Promise<void>;
}

/** The `chat.completion` answer of the gateway (docs/planner.md §5) carrying `content`. */
export function chatCompletion(content: string): unknown {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

/** A plan as the model would write it: one fenced json block. */
export function planText(plan: unknown): string {
  return `\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\``;
}

const EMPTY_PLAN: FakeLlmReplySpec = { content: planText({ summary: 'Nichts zu tun', steps: [] }) };

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const queue: FakeLlmReply[] = [];
  let fallback: FakeLlmReply = EMPTY_PLAN;
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
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
