/**
 * Scenario 7b: slow clients against the real `mana-ai serve` process (make test-chaos only: it waits for
 * the server's own timeouts). Headers trickling a byte every 500 ms, a body trickling, an idle keep-alive
 * socket, and 40 slowloris sockets at once: each must be closed by the server within its timeouts
 * (src/http/limits.ts: headers 10 s, request 15 s, keep-alive 5 s, checked every 1 s), and a normal
 * client must be served promptly meanwhile. Every socket gives up after 20–25 s, so the test is bounded.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { killAll, recordResult, serveEnv, spawnServe, terminate, type ServeProcess } from '../support/chaos-kit.js';
import { freshDatabase, type TestDb } from '../support/db.js';
import { startFakeLlm, type FakeLlm } from '../../src/dev/fake-llm.js';

const KEY = 'chaos-slow-client-key';

/** Opens a socket, writes `head`, then `drip` one byte every `everyMs`; resolves when the server closes it. */
function slowClient(port: number, head: string, drip: string, everyMs: number, giveUpMs: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server kept a slow client open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.writable) return;
        socket.write(drip[i % drip.length]!);
        i += 1;
      }, everyMs);
    });
    socket.on('data', (d: Buffer) => { answer += d.toString('utf8'); });
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, answer: answer.split('\r\n')[0] ?? '' });
    });
  });
}

describe('scenario 7b: slow HTTP clients', () => {
  let db: TestDb;
  let llm: FakeLlm;
  let serve: ServeProcess;
  let port: number;
  const results: string[] = [];

  before(async () => {
    db = await freshDatabase();
    llm = await startFakeLlm();
    serve = spawnServe('http-slow', serveEnv(db.runnerUrl, llm.url, { MANA_SERVICE_KEY: KEY, TICK_INTERVAL_MS: '600000' }));
    port = await serve.started();
  });
  after(async () => {
    if (serve) await terminate(serve).catch(() => undefined);
    await killAll();
    await llm?.close();
    await db?.drop();
    recordResult({
      scenario: '7b HTTP slow clients',
      inputs: 'headers trickling 1 byte/500 ms, body trickling 1 byte/500 ms, idle keep-alive, 40 slowloris sockets at once',
      outcome: results.join('; '),
      lost: 'n/a',
      duplicated: 'n/a',
    });
  });

  test('slow clients are closed within the server\'s timeouts while /health keeps answering', async () => {
    const t0 = Date.now();
    const headers = slowClient(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: aaaaaaaaaa\r\n', 500, 20_000);
    const body = slowClient(port, `POST /internal/tick HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Service-Key: ${KEY}\r\nContent-Length: 1000\r\n\r\n`, 'x', 500, 25_000);
    const idle = slowClient(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '', 60_000, 20_000);
    const loris = Array.from({ length: 40 }, () => slowClient(port, 'GET /health HTTP/1.1\r\n', 'a', 1_000, 20_000));
    // While 43 connections dangle, a normal client is served promptly.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const h0 = Date.now();
    const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3_000) });
    const healthMs = Date.now() - h0;
    assert.equal(health.status, 200);
    const [h, b, i, ...l] = await Promise.all([headers, body, idle, ...loris]);
    const worstLoris = Math.max(...l.map((x) => x.closedAfterMs));
    assert.ok(h!.closedAfterMs <= 12_500, `trickling headers closed after ${h!.closedAfterMs} ms (headersTimeout 10 s)`);
    assert.ok(worstLoris <= 12_500, `slowloris sockets closed after at most ${worstLoris} ms`);
    assert.ok(b!.closedAfterMs <= 17_500, `a trickling body closed after ${b!.closedAfterMs} ms (requestTimeout 15 s)`);
    assert.ok(i!.closedAfterMs <= 7_500, `an idle keep-alive socket closed after ${i!.closedAfterMs} ms (keepAliveTimeout 5 s)`);
    assert.match(i!.answer, /^HTTP\/1\.1 200/, 'the idle client got its answer first');
    results.push(`headers trickle closed ${(h!.closedAfterMs / 1000).toFixed(1)} s (${h!.answer || 'no answer'}), body trickle ${(b!.closedAfterMs / 1000).toFixed(1)} s, idle ${(i!.closedAfterMs / 1000).toFixed(1)} s, 40 slowloris <= ${(worstLoris / 1000).toFixed(1)} s; /health ${healthMs} ms meanwhile; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

});
