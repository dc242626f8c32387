// `ttrl serve` over raw HTTP: every kind of bad request gets a 4xx in OpenAI's error shape and the server
// keeps serving; many concurrent clients share the batch with nothing lost or mixed; weights swap between
// requests without dropping any.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { initModel, type Model } from '../../src/model/model.js';
import { saveParams, copySideFiles } from '../../src/model/params.js';
import type { Tok } from '../../src/tokenizer/index.js';
import type { Server } from '../../src/serve/server.js';
import { demo, serve, offline, post, DEMO_BASE, NAME } from './helpers.js';

let model: Model, tok: Tok, server: Server, url: string;
before(async () => {
  ({ model, tok } = await demo());
  server = await serve(model, tok);
  url = server.url;
});
after(async () => { await server.close(); });

const ok = { model: NAME, prompt: [5, 6, 7], max_tokens: 4, seed: 1 };

test('bad requests get 4xx JSON errors in the OpenAI shape, naming the field; the server keeps serving', async () => {
  const cases: [string, string | object, number, RegExp, string | null][] = [
    ['/v1/completions', '{"prompt": [1, 2', 400, /malformed JSON/, null],
    ['/v1/completions', '[1, 2]', 400, /JSON object/, null],
    ['/v1/completions', { ...ok, n: '2' }, 400, /^n: "2" is invalid/, 'n'],
    ['/v1/completions', { ...ok, n: 65 }, 400, /limit of 64/, 'n'],
    ['/v1/completions', { ...ok, max_tokens: 300 }, 400, /context limit of 256/, 'max_tokens'],
    ['/v1/completions', { ...ok, temperature: -1 }, 400, /temperature/, 'temperature'],
    ['/v1/completions', { ...ok, stream: 'yes' }, 400, /stream/, 'stream'],
    ['/v1/completions', { ...ok, prompt: [1, 285] }, 400, /token id 285 is outside the vocabulary \[0, 285\)/, 'prompt'],
    ['/v1/completions', { ...ok, prompt: [1, -1] }, 400, /token id -1/, 'prompt'],
    ['/v1/completions', { ...ok, prompt: [1.5] }, 400, /token id 1.5/, 'prompt'],
    ['/v1/completions', { ...ok, prompt: [] }, 400, /prompt/, 'prompt'],
    ['/v1/completions', { ...ok, prompt: 7 }, 400, /prompt/, 'prompt'],
    ['/v1/completions', { ...ok, logprobs: 21 }, 400, /logprobs/, 'logprobs'],
    ['/v1/completions', { ...ok, stop: [''] }, 400, /stop/, 'stop'],
    ['/v1/completions', { ...ok, stop_token_ids: [3, 999] }, 400, /token id 999/, 'stop_token_ids'],
    ['/v1/completions', { ...ok, top_p: 0 }, 400, /top_p/, 'top_p'],
    ['/v1/completions', { ...ok, model: 'gpt-4' }, 404, /`gpt-4` does not exist/, 'model'],
    ['/v1/chat/completions', { model: NAME, messages: [] }, 400, /messages/, 'messages'],
    ['/v1/chat/completions', { model: NAME, messages: [{ role: 'user', content: 3 }] }, 400, /content/, 'messages[0].content'],
    ['/v1/chat/completions', { model: NAME, messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 }, 400, /needs "logprobs": true/, 'top_logprobs'],
    ['/v1/completions', { ...ok, prompt: 'x'.repeat(70 * 1024) }, 413, /limit of 65536 bytes/, null],
    ['/v1/nothing', ok, 404, /no route/, null],
    ['/v1/load_lora_adapter', { lora_name: 'a', lora_path: '/x' }, 501, /LoRA/, null],
    ['/update_weights_from_disk', {}, 400, /model_path/, 'model_path'],
  ];
  for (const [route, body, status, re, param] of cases) {
    const r = await post(url + route, body);
    const what = `${route} ${JSON.stringify(body).slice(0, 60)}`;
    assert.equal(r.status, status, what);
    assert.match(r.json.error.message, re, what);
    assert.equal(r.json.error.param, param, what);
    assert.equal(typeof r.json.error.type, 'string');
  }
  assert.equal((await fetch(`${url}/v1/completions`)).status, 405);
  // bad weights on disk: a clear 400, and the old weights keep serving
  const r = await post(`${url}/update_weights_from_disk`, { model_path: '/no/such/model' });
  assert.equal(r.status, 400);
  assert.equal(r.json.success, false);
  const good = await post(`${url}/v1/completions`, ok);
  assert.equal(good.status, 200);
  assert.deepEqual(good.json.choices[0].text, offline(model, tok, ok.prompt, 1, { temperature: 1, topP: 1, maxNewTokens: 4 }, 1)[0]!.text);
});

test('a body cut off mid-request, or a client that hangs up mid-stream, does not disturb others', async () => {
  await new Promise<void>((resolve) => {
    const u = new URL(url), s = net.connect(Number(u.port), u.hostname, () => {
      s.write('POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"prompt": [1,');
      s.destroy();
      resolve();
    });
  });
  const ac = new AbortController();
  const res = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify({ ...ok, max_tokens: 200, stream: true, ignore_eos: true }), signal: ac.signal });
  await res.body!.getReader().read();
  ac.abort();
  const r = await post(`${url}/v1/completions`, ok);
  assert.equal(r.status, 200);
  await server.engine.drained();
  assert.equal(server.engine.stats().running, 0, 'the abandoned request no longer holds slots');
});

test('the API key is checked on every request', async () => {
  const s = await serve(model, tok, { apiKey: 'sesame' });
  try {
    assert.equal((await post(`${s.url}/v1/completions`, ok)).status, 401);
    assert.equal((await fetch(`${s.url}/health`)).status, 401);
    assert.equal((await post(`${s.url}/v1/completions`, ok, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post(`${s.url}/v1/completions`, ok, { authorization: 'Bearer sesame' })).status, 200);
  } finally {
    await s.close();
  }
});

test('load: 24 concurrent clients × 3 requests (streamed and not) each get exactly their own samples', async () => {
  const clients = 24, per = 3, P = { temperature: 1, topP: 1, maxNewTokens: 24 };
  const job = (c: number, k: number): { ids: number[]; seed: number; n: number; stream: boolean } =>
    ({ ids: tok.encode(`${c}+${k}=`, { addSpecial: true }), seed: 1000 * c + k, n: 1 + ((c + k) % 3), stream: (c + k) % 2 === 0 });
  const t0 = performance.now();
  const got = await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const out: string[][] = [];
    for (let k = 0; k < per; k++) {
      const j = job(c, k);
      const body = { model: NAME, prompt: j.ids, n: j.n, seed: j.seed, max_tokens: P.maxNewTokens, temperature: 1, top_p: 1, stream: j.stream };
      const res = await fetch(`${url}/v1/completions`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
      assert.equal(res.status, 200);
      const texts = new Array<string>(j.n).fill('');
      if (j.stream) {
        const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]');
        for (const e of events) for (const ch of JSON.parse(e.slice(6)).choices) texts[ch.index] += ch.text;
      } else {
        for (const ch of (await res.json()).choices) texts[ch.index] = ch.text;
      }
      out.push(texts);
    }
    return out;
  }));
  const secs = (performance.now() - t0) / 1000;
  for (let c = 0; c < clients; c++) {
    for (let k = 0; k < per; k++) {
      const j = job(c, k);
      assert.deepEqual(got[c]![k], offline(model, tok, j.ids, j.n, P, j.seed).map((s) => s.text), `client ${c} request ${k}`);
    }
  }
  assert.equal(server.engine.stats().running, 0);
  process.stdout.write(`# load: ${clients * per} requests from ${clients} clients in ${secs.toFixed(1)} s\n`);
});

test('update_weights_from_disk waits for requests in flight (old weights), then serves the new version', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-serve-w-'));
  try {
    const other = initModel(model.cfg, 9);
    saveParams(dir, model.cfg, other.params, other.be);
    copySideFiles(DEMO_BASE, dir);
    const body = { model: NAME, prompt: [5, 6, 7], n: 4, max_tokens: 40, seed: 3, temperature: 1, top_p: 1, ignore_eos: true, return_token_ids: true };
    const P = { temperature: 1, topP: 1, maxNewTokens: 40, eosIds: [] };
    const inflight = post(`${url}/v1/completions`, body);
    while (server.engine.stats().running === 0) await new Promise((r) => setImmediate(r));  // it has started
    const update = post(`${url}/update_weights_from_disk`, { model_path: dir });
    while (!server.engine.swapPending) await new Promise((r) => setImmediate(r));
    const queued = post(`${url}/v1/completions`, body);  // arrives during the swap: waits, then uses the new weights
    const [a, u, b] = await Promise.all([inflight, update, queued]);
    assert.equal(u.status, 200);
    assert.equal(u.json.weight_version, '1');
    assert.equal(a.json.weight_version, '0');
    assert.equal(b.json.weight_version, '1');
    const ids = (r: typeof a): number[][] => r.json.choices.map((c: { token_ids: number[] }) => c.token_ids);
    assert.deepEqual(ids(a), offline(model, null, body.prompt, 4, P, 3).map((s) => s.ids));
    assert.deepEqual(ids(b), offline(other, null, body.prompt, 4, P, 3).map((s) => s.ids));
    assert.deepEqual((await (await fetch(`${url}/get_weight_version`)).json()), { weight_version: '1' });
    // and back, with a version named by the caller
    const back = await post(`${url}/update_weights_from_disk`, { model_path: DEMO_BASE, weight_version: 'base' });
    assert.equal(back.json.weight_version, 'base');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
