// `npm run bench -- --only serve`: tokens/s of `ttrl serve` with 1, 8 and 32 concurrent clients on the
// Qwen2.5-0.5B shape, next to in-process sampling (sampleBatch) of exactly the same work in the same run.
// Each client sends one /v1/completions request (a 32-token prompt, n = 1, max_tokens new tokens, EOS
// ignored so every request decodes the same count) over loopback HTTP from a worker thread (serve-clients.ts);
// the ratio includes HTTP, JSON and the server's event-loop scheduling on top of the sampler.
import { Worker } from 'node:worker_threads';
import type { Model } from '../src/model/model.js';
import { sampleBatch } from '../src/sample/index.js';
import { startServer } from '../src/serve/server.js';
import type { SectionContext } from './section.js';

const CLIENTS = [1, 8, 32];
const PROMPT_LEN = 32;

function prompts(count: number, V: number): number[][] {
  return Array.from({ length: count }, (_, c) => Array.from({ length: PROMPT_LEN }, (_, t) => (c * 7919 + t * 104729) % V));
}

async function viaServer(model: Model, ps: number[][], maxNew: number): Promise<number> {
  const server = await startServer({
    model, tok: null, servedName: 'bench', slots: 32, contextLimit: PROMPT_LEN + maxNew,
    limits: { maxN: 64, maxLogprobs: 0 }, maxBodyBytes: 1 << 20, apiKey: null, version: '0', load: () => model,
  }, '127.0.0.1', 0);
  try {
    const worker = new Worker(new URL('./serve-clients.js', import.meta.url), { workerData: { url: server.url, prompts: ps, maxNew } });
    return await new Promise<number>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  } finally {
    await server.close();
  }
}

function inProcess(model: Model, ps: number[][], maxNew: number): number {
  const t0 = performance.now();
  sampleBatch(model, ps.map((ids, c) => ({ ids, n: 1, seed: c, key: 0 })), { temperature: 1, topP: 1, maxNewTokens: maxNew, eosIds: [] }, { maxSlots: 32 });
  return (performance.now() - t0) / 1000;
}

export async function benchServe(ctx: SectionContext): Promise<object> {
  const model = ctx.model(), maxNew = ctx.quick ? 8 : 32;
  const rows = [];
  for (const clients of CLIENTS) {
    const ps = prompts(clients, model.cfg.vocabSize), tokens = clients * maxNew;
    ctx.log(`serve: ${clients} client(s) × ${maxNew} new tokens, in process then over HTTP`);
    const local = inProcess(model, ps, maxNew);
    const http = await viaServer(model, ps, maxNew);
    rows.push({
      clients, newTokens: tokens,
      inProcess: { seconds: local, tokensPerS: tokens / local },
      server: { seconds: http, tokensPerS: tokens / http },
      ratio: local / http,
    });
  }
  return { promptLen: PROMPT_LEN, maxNewTokens: maxNew, note: 'ratio = server tokens/s ÷ in-process tokens/s for the same work (1 = no overhead)', rows };
}
