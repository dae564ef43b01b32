import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../../src/log.js';
import { createLlmClient, type LlmAttemptOutcome, type LlmClient, type LlmClientOptions } from '../../../src/llm/client.js';
import {
  LlmAbortedError,
  LlmBadJsonError,
  LlmCircuitOpenError,
  LlmConnectError,
  LlmError,
  LlmHttpError,
  LlmTimeoutError,
  LlmTooLargeError,
} from '../../../src/llm/errors.js';
import { planText, startFakeLlm, type FakeLlm } from '../../../src/dev/fake-llm.js';

const PROMPT = { system: 'System-Text', user: 'Nutzer-Text' };

describe('llm client against the fake gateway', () => {
  let llm: FakeLlm;
  let clients: LlmClient[];
  let attempts: [number, LlmAttemptOutcome][];

  beforeEach(async () => {
    llm = await startFakeLlm();
    clients = [];
    attempts = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await llm.close();
  });

  const make = (overrides: Partial<LlmClientOptions> = {}): LlmClient => {
    const client = createLlmClient({
      baseUrl: `${llm.url}/`,
      serviceKey: 'svc-key',
      model: 'gpt-4o-mini',
      timeoutMs: 200,
      maxAttempts: 3,
      backoffBaseMs: 1,
      backoffMaxMs: 5,
      breaker: { failureThreshold: 100, cooldownMs: 1000 },
      logger: silentLogger,
      onAttempt: (seconds, outcome) => attempts.push([seconds, outcome]),
      ...overrides,
    });
    clients.push(client);
    return client;
  };
  const rejection = async (promise: Promise<unknown>): Promise<LlmError> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(error instanceof LlmError, `not an LlmError: ${String(error)}`);
      return error;
    }
    assert.fail('expected a rejection');
  };
  const outcomes = () => attempts.map(([, o]) => o);

  test('onUsage gets usage.total_tokens of each received answer (0 when absent or not a number >= 0)', async () => {
    const answer = (usage: unknown) => ({ json: { choices: [{ message: { content: 'x' } }], ...(usage === undefined ? {} : { usage }) } });
    llm.reply(answer({ total_tokens: 600 }));
    llm.reply(answer(undefined));
    llm.reply(answer({ total_tokens: -3 }));
    llm.reply(answer({ total_tokens: '70' }));
    llm.reply(answer({ total_tokens: 12.7 }));
    const seen: number[] = [];
    const client = make({ timeoutMs: 10_000 }); // no timeout retry on a busy machine: one answer per call
    for (let i = 0; i < 5; i += 1) assert.equal(await client.complete(PROMPT, { onUsage: (n) => seen.push(n) }), 'x');
    assert.deepEqual(seen, [600, 0, 0, 0, 12]);
    // a 5xx (no plan) is retried; only the answer that was received with a plan reports usage
    llm.reply({ status: 503, text: 'busy' });
    llm.reply(answer({ total_tokens: 40 }));
    assert.equal(await client.complete(PROMPT, { onUsage: (n) => seen.push(n) }), 'x');
    assert.deepEqual(seen.slice(5), [40]);
  });

  test('sends exactly the specified request and returns choices[0].message.content', async () => {
    llm.reply({ content: planText({ summary: 's', steps: [] }) });
    const text = await make().complete(PROMPT);
    assert.equal(text, planText({ summary: 's', steps: [] }));
    assert.equal(llm.requests.length, 1);
    const [req] = llm.requests;
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['authorization'], 'Bearer svc-key');
    assert.equal(req.headers['x-api-key'], undefined);
    assert.equal(
      req.rawBody,
      '{"model":"gpt-4o-mini","temperature":0.3,"messages":[{"role":"system","content":"System-Text"},{"role":"user","content":"Nutzer-Text"}]}',
    );
    assert.deepEqual(outcomes(), ['ok']);
  });

  test('x-api-key only when set; no authorization without a service key', async () => {
    await make({ serviceKey: undefined, apiKey: 'gw-key', model: 'openai/gpt-4o-mini' }).complete(PROMPT);
    const req = llm.requests[0];
    assert.equal(req?.headers['x-api-key'], 'gw-key');
    assert.equal(req?.headers['authorization'], undefined);
    assert.equal((req?.body as { model: string }).model, 'openai/gpt-4o-mini');
  });

  test('missing or non-string content → ""', async () => {
    llm.reply({ json: { choices: [] } });
    llm.reply({ json: { choices: [{ message: { content: null } }] } });
    const client = make();
    assert.equal(await client.complete(PROMPT), '');
    assert.equal(await client.complete(PROMPT), '');
  });

  test('a hanging gateway → LlmTimeoutError "mana-llm timeout" at the deadline', async () => {
    llm.reply({ hang: true });
    const started = performance.now();
    const error = await rejection(make({ timeoutMs: 100, maxAttempts: 1 }).complete(PROMPT));
    const elapsed = performance.now() - started;
    assert.ok(error instanceof LlmTimeoutError);
    assert.equal(error.message, 'mana-llm timeout');
    assert.equal(error.code, 'LLM_TIMEOUT');
    assert.ok(elapsed >= 90 && elapsed < 600, `elapsed ${elapsed}`);
    assert.deepEqual(outcomes(), ['timeout']);
  });

  test('timeouts are retried within the bound', async () => {
    llm.setDefault({ delayMs: 1000, content: 'zu spät' });
    const error = await rejection(make({ timeoutMs: 60, maxAttempts: 3 }).complete(PROMPT));
    assert.equal(error.message, 'mana-llm timeout');
    // three attempts, each timed out; on a loaded machine an attempt can time out before the fake
    // server has read its request, so the server may have seen fewer
    assert.deepEqual(outcomes(), ['timeout', 'timeout', 'timeout']);
    assert.ok(llm.requests.length >= 1 && llm.requests.length <= 3, `${llm.requests.length} requests reached the server`);
  });

  test('500 then 200 → retried, succeeds', async () => {
    llm.reply({ status: 500, text: 'kaputt' });
    llm.reply({ content: 'ok' });
    assert.equal(await make().complete(PROMPT), 'ok');
    assert.equal(llm.requests.length, 2);
    assert.deepEqual(outcomes(), ['http-5xx', 'ok']);
  });

  test('429 → retried, Retry-After honoured up to the cap', async () => {
    const sleeps: number[] = [];
    llm.reply({ status: 429, text: 'slow down', headers: { 'retry-after': '30' } });
    llm.reply({ status: 429, text: 'slow down', headers: { 'retry-after': '0' } });
    llm.reply({ content: 'ok' });
    const client = make({ backoffMaxMs: 40, sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(await client.complete(PROMPT), 'ok');
    assert.deepEqual(sleeps, [40, 0]);
    assert.deepEqual(outcomes(), ['http-429', 'http-429', 'ok']);
  });

  test('backoff is full jitter on the exponential ceiling', async () => {
    const sleeps: number[] = [];
    llm.setDefault({ status: 502, text: 'bad gateway' });
    const client = make({ maxAttempts: 4, backoffBaseMs: 100, backoffMaxMs: 250, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) });
    await rejection(client.complete(PROMPT));
    assert.deepEqual(sleeps, [50, 100, 125]);
  });

  test('400 is not retried; the message carries status and body', async () => {
    llm.setDefault({ status: 400, text: 'bad request body' });
    const error = await rejection(make().complete(PROMPT));
    assert.ok(error instanceof LlmHttpError);
    assert.equal(error.message, 'mana-llm 400: bad request body');
    assert.equal(error.kind, 'http-4xx');
    assert.equal(llm.requests.length, 1);
  });

  test('the retry bound is respected (always 503)', async () => {
    llm.setDefault({ status: 503, json: { error: 'down' } });
    const error = await rejection(make({ maxAttempts: 4 }).complete(PROMPT));
    assert.equal(error.message, 'mana-llm 503: {"error":"down"}');
    assert.equal(error.code, 'LLM_HTTP_5XX');
    assert.equal(llm.requests.length, 4);
    assert.equal(attempts.length, 4);
  });

  test('a huge error body is truncated to a few KB', async () => {
    llm.reply({ status: 500, text: 'e'.repeat(200_000) });
    const error = await rejection(make({ maxAttempts: 1 }).complete(PROMPT));
    assert.ok(error.message.startsWith('mana-llm 500: eeee'));
    assert.ok(error.message.length <= 'mana-llm 500: '.length + 4096 + 1, `length ${error.message.length}`);
    assert.ok(error.message.endsWith('…'));
  });

  test('a dripping body is aborted at the per-attempt deadline', async () => {
    llm.reply({ content: 'x', drip: { everyMs: 10 } });
    const started = performance.now();
    const error = await rejection(make({ timeoutMs: 150, maxAttempts: 1 }).complete(PROMPT));
    const elapsed = performance.now() - started;
    assert.ok(error instanceof LlmTimeoutError);
    assert.ok(elapsed >= 140 && elapsed < 700, `elapsed ${elapsed}`);
  });

  test('an oversized body is rejected (declared length, and streamed without length)', async () => {
    llm.reply({ content: 'x'.repeat(5000) });
    llm.reply({ text: '{"choices":', drip: { everyMs: 2, chunk: 'y'.repeat(700) } });
    const client = make({ maxResponseBytes: 2048, timeoutMs: 2000 });
    const declared = await rejection(client.complete(PROMPT));
    assert.ok(declared instanceof LlmTooLargeError);
    assert.equal(declared.kind, 'too-large');
    const started = performance.now();
    const streamed = await rejection(client.complete(PROMPT));
    assert.ok(streamed instanceof LlmTooLargeError);
    assert.ok(performance.now() - started < 1000);
    assert.equal(llm.requests.length, 2, 'too-large is not retried');
  });

  test('a 2xx body that is not JSON → bad-json, not retried', async () => {
    llm.reply({ text: '<html>proxy</html>' });
    const error = await rejection(make().complete(PROMPT));
    assert.ok(error instanceof LlmBadJsonError);
    assert.equal(llm.requests.length, 1);
  });

  test('a destroyed socket is a connection error and is retried', async () => {
    llm.reply({ destroy: true });
    llm.reply({ content: 'wieder da' });
    assert.equal(await make().complete(PROMPT), 'wieder da');
    assert.deepEqual(outcomes(), ['connect', 'ok']);
  });

  test('connection refused → LlmConnectError after the bounded attempts', async () => {
    const gone = await startFakeLlm();
    await gone.close();
    const error = await rejection(make({ baseUrl: gone.url, maxAttempts: 2 }).complete(PROMPT));
    assert.ok(error instanceof LlmConnectError);
    assert.equal(error.kind, 'connect');
    assert.deepEqual(outcomes(), ['connect', 'connect']);
  });

  test('the caller’s signal aborts a call without retrying', async () => {
    llm.setDefault({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await rejection(make({ timeoutMs: 5000 }).complete(PROMPT, { signal: controller.signal }));
    assert.ok(error instanceof LlmAbortedError);
    assert.equal(llm.requests.length, 1);
    assert.deepEqual(outcomes(), ['aborted']);
    const again = await rejection(make().complete(PROMPT, { signal: controller.signal }));
    assert.ok(again instanceof LlmAbortedError);
    assert.equal(llm.requests.length, 1);
  });

  test('the breaker opens after N failures and then fails fast without a request', async () => {
    llm.setDefault({ status: 500, text: 'down' });
    const client = make({ maxAttempts: 1, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    await rejection(client.complete(PROMPT));
    assert.equal(client.isOpen(), false);
    await rejection(client.complete(PROMPT));
    assert.equal(client.isOpen(), true);
    assert.equal(client.breakerState(), 'open');
    const fast = await rejection(client.complete(PROMPT));
    assert.ok(fast instanceof LlmCircuitOpenError);
    assert.equal(fast.message, 'mana-llm circuit open');
    assert.equal(fast.code, 'LLM_CIRCUIT_OPEN');
    assert.equal(llm.requests.length, 2);
    assert.equal(attempts.length, 2, 'a fast failure is no attempt');
  });

  test('an opening breaker stops the retries of the failing call', async () => {
    llm.setDefault({ status: 500, text: 'down' });
    const client = make({ maxAttempts: 5, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    const error = await rejection(client.complete(PROMPT));
    assert.equal(error.message, 'mana-llm 500: down');
    assert.equal(llm.requests.length, 2);
  });

  test('half-open: one probe goes through; success closes, failure reopens', async () => {
    let clock = 0;
    const client = make({ maxAttempts: 1, now: () => clock, breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    llm.reply({ status: 503, text: 'down' });
    await rejection(client.complete(PROMPT));
    assert.equal(client.breakerState(), 'open');
    clock += 1000;
    assert.equal(client.breakerState(), 'half-open');
    assert.equal(client.isOpen(), false);
    // A failing probe reopens at once.
    llm.reply({ status: 503, text: 'still down' });
    await rejection(client.complete(PROMPT));
    assert.equal(client.breakerState(), 'open');
    assert.ok((await rejection(client.complete(PROMPT))) instanceof LlmCircuitOpenError);
    clock += 1000;
    // A slow successful probe: a concurrent call fails fast while it is in flight.
    llm.reply({ delayMs: 80, content: 'probe ok' });
    const probe = client.complete(PROMPT);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.isOpen(), true);
    assert.ok((await rejection(client.complete(PROMPT))) instanceof LlmCircuitOpenError);
    assert.equal(await probe, 'probe ok');
    assert.equal(client.breakerState(), 'closed');
    assert.equal(await client.complete(PROMPT), planText({ summary: 'Nichts zu tun', steps: [] }));
    assert.equal(llm.requests.length, 4);
  });

  test('onAttempt gets each attempt’s duration in seconds', async () => {
    llm.reply({ status: 500, text: 'x', delayMs: 30 });
    llm.reply({ content: 'ok', delayMs: 30 });
    await make().complete(PROMPT);
    assert.deepEqual(outcomes(), ['http-5xx', 'ok']);
    for (const [seconds] of attempts) assert.ok(seconds >= 0.025 && seconds < 1, `seconds ${seconds}`);
  });
});
