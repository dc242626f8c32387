// `ttrl serve` through the official openai npm client: every answer is compared with offline sampling of
// the same prompt and seed (sampleBatch, i.e. what `ttrl generate --seed S` draws).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { Model } from '../../src/model/model.js';
import type { Tok } from '../../src/tokenizer/index.js';
import type { Server } from '../../src/serve/server.js';
import { sampleBatch } from '../../src/sample/index.js';
import { demo, serve, offline, NAME } from './helpers.js';

let model: Model, tok: Tok, server: Server, client: OpenAI;
before(async () => {
  ({ model, tok } = await demo());
  server = await serve(model, tok);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server.close(); });

const P = { temperature: 1, topP: 0.9 };

/** Log-probs agree to float rounding (the server's KV cache is longer, so its matmuls round differently). */
function near(got: number[], want: number[]): void {
  assert.equal(got.length, want.length);
  const d = Math.max(0, ...got.map((x, i) => Math.abs(x - want[i]!)));
  assert.ok(d < 1e-4, `logprobs differ by ${d}`);
}

test('models lists the served name', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [NAME]);
});

test('completions: text and token-id prompts, n, seed, logprobs and return_token_ids equal offline sampling', async () => {
  const prompt = '23+19=';
  const ids = tok.encode(prompt, { addSpecial: true });
  const want = offline(model, tok, ids, 3, { ...P, maxNewTokens: 12 }, 41);
  const extra = { return_token_ids: true };
  const r = await client.completions.create({ model: NAME, prompt, n: 3, max_tokens: 12, temperature: 1, top_p: 0.9, seed: 41, logprobs: 3, ...extra });
  assert.equal(r.choices.length, 3);
  r.choices.forEach((c, j) => {
    const w = want[j]!, cx = c as unknown as { token_ids: number[]; prompt_token_ids: number[] };
    assert.equal(c.index, j);
    assert.equal(c.text, w.text);
    assert.deepEqual(cx.token_ids, w.ids);
    assert.deepEqual(cx.prompt_token_ids, ids);
    assert.equal(c.finish_reason, w.finishReason === 'length' ? 'length' : 'stop');
    near(c.logprobs!.token_logprobs!, w.logprobs);
    assert.equal(c.logprobs!.tokens!.join(''), tok.decode(w.ids));
    // the top 3 hold the most likely tokens, in order, as log-probs of one distribution
    for (const row of c.logprobs!.top_logprobs!) {
      const v = Object.values(row).sort((x, y) => y - x);  // integer-like keys ("1", "9") reorder a JSON object
      assert.equal(v.length, 3);
      assert.ok(v.every((x, i) => i === 0 || x <= v[i - 1]!) && v.reduce((a, x) => a + Math.exp(x), 0) <= 1 + 1e-9);
    }
  });
  assert.equal(r.usage!.completion_tokens, want.reduce((a, s) => a + s.ids.length, 0));
  // the same prompt as token ids, two prompts in one request: prompt p uses key p (sampleBatch's default)
  const r2 = await client.completions.create({ model: NAME, prompt: [ids, ids], n: 3, max_tokens: 12, temperature: 1, top_p: 0.9, seed: 41, ...extra });
  assert.equal(r2.choices.length, 6);
  const want2 = sampleBatch(model, [{ ids, n: 3 }, { ids, n: 3 }], { ...P, maxNewTokens: 12, eosIds: tok.eosIds }, { seed: 41 }).flat();
  assert.deepEqual(r2.choices.map((c) => (c as unknown as { token_ids: number[] }).token_ids), want2.map((s) => s.ids));
});

test('completions stream: the deltas of each choice add up to the unstreamed answer', async () => {
  const ids = tok.encode('8+5=', { addSpecial: true });
  const want = offline(model, tok, ids, 2, { ...P, maxNewTokens: 20, stopStrings: ['\n\n'] }, 7);
  const stream = await client.completions.create({ model: NAME, prompt: ids, n: 2, max_tokens: 20, stop: '\n\n', temperature: 1, top_p: 0.9, seed: 7, stream: true });
  const text = ['', ''], finish: (string | null)[] = [null, null];
  for await (const ch of stream) for (const c of ch.choices) { text[c.index] += c.text; if (c.finish_reason) finish[c.index] = c.finish_reason; }
  assert.deepEqual(text, want.map((s) => s.text));
  assert.deepEqual(finish, want.map((s) => (s.finishReason === 'length' ? 'length' : 'stop')));
});

test('chat: the chat template, n, logprobs/top_logprobs, and a stream with usage give the offline samples', async () => {
  const messages = [{ role: 'user' as const, content: 'What is 31+4?' }];
  const ids = tok.encode(tok.renderChat(messages, { addGenerationPrompt: true }), { addSpecial: false });
  const want = offline(model, tok, ids, 2, { ...P, maxNewTokens: 30 }, 5);
  const r = await client.chat.completions.create({ model: NAME, messages, n: 2, max_tokens: 30, temperature: 1, top_p: 0.9, seed: 5, logprobs: true, top_logprobs: 2 });
  r.choices.forEach((c, j) => {
    assert.equal(c.message.role, 'assistant');
    assert.equal(c.message.content, want[j]!.text);
    near(c.logprobs!.content!.map((t) => t.logprob), want[j]!.logprobs);
    for (const t of c.logprobs!.content!) {
      assert.equal(t.top_logprobs.length, 2);
      assert.ok(t.top_logprobs[0]!.logprob >= t.top_logprobs[1]!.logprob && t.top_logprobs[0]!.logprob >= t.logprob - 1e-12);
    }
  });
  assert.equal(r.usage!.prompt_tokens, ids.length);
  const stream = await client.chat.completions.create({
    model: NAME, messages, n: 2, max_tokens: 30, temperature: 1, top_p: 0.9, seed: 5, stream: true, stream_options: { include_usage: true },
  });
  const text = ['', ''];
  let usage = null as null | { completion_tokens: number };
  for await (const ch of stream) {
    for (const c of ch.choices) text[c.index] += c.delta.content ?? '';
    if (ch.usage) usage = ch.usage;
  }
  assert.deepEqual(text, want.map((s) => s.text));
  assert.equal(usage!.completion_tokens, want.reduce((a, s) => a + s.ids.length, 0));
});

test('the openai client sees errors as its typed exceptions: unknown model 404, bad n 400', async () => {
  await assert.rejects(client.completions.create({ model: 'other', prompt: 'x', max_tokens: 2 }), (e: unknown) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.completions.create({ model: NAME, prompt: 'x', max_tokens: 2, n: 1000 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && /limit of 64/.test((e as Error).message));
});
