import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { startFakeLlm } from '../../../src/dev/fake-llm.js';

describe('fake LLM server', () => {
  test('scripted replies see the request; queue before default; receivedAt is recorded', async () => {
    const llm = await startFakeLlm();
    try {
      llm.reply((req) => ({ content: `echo ${(req.body as { n: number }).n}` }));
      llm.setDefault({ status: 418, text: 'teapot' });
      const first = await request(`${llm.url}/v1/chat/completions`, { method: 'POST', body: '{"n":7}' });
      assert.deepEqual(await first.body.json(), {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 0,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'echo 7' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      const second = await request(`${llm.url}/x`, { method: 'POST', body: 'not json' });
      assert.equal(second.statusCode, 418);
      assert.equal(await second.body.text(), 'teapot');
      assert.equal(llm.requests.length, 2);
      assert.equal(llm.requests[1]?.body, undefined);
      assert.equal(llm.requests[1]?.rawBody, 'not json');
      assert.ok(llm.requests[0]?.receivedAt.date instanceof Date);
      assert.ok((llm.requests[1]?.receivedAt.perf ?? 0) >= (llm.requests[0]?.receivedAt.perf ?? Infinity));
    } finally {
      await llm.close();
    }
  });

  test('close() does not hang on hanging, delayed or dripping requests', async () => {
    const llm = await startFakeLlm();
    llm.reply({ hang: true });
    llm.reply({ delayMs: 60_000, content: 'never' });
    llm.reply({ content: 'x', drip: { everyMs: 5 } });
    const pending = [0, 1, 2].map(() =>
      request(`${llm.url}/v1/chat/completions`, { method: 'POST', body: '{}' }).then((r) => r.body.text()).catch(() => 'closed'),
    );
    while (llm.requests.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await llm.close();
    assert.ok(performance.now() - started < 500);
    assert.deepEqual(await Promise.all(pending), ['closed', 'closed', 'closed']);
  });
});
