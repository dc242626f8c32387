// sampleBatch against Hugging Face's greedy generations and against brute-force sampling (a full forward per
// token, no KV cache, the naive policy, the same random streams).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModel, type Model } from '../../src/model/model.js';
import { sampleBatch, type Sample, type SampleRequest } from '../../src/sample/batch.js';
import type { SamplingParams } from '../../src/sample/params.js';
import { TtrlError } from '../../src/util/errors.js';
import { PARITY_DIR, PARITY_MODELS } from '../model/helpers.js';
import { logSoftmax, referenceSample, tinyModel, maxAbsDiff } from './oracle.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const reference = (name: string): any => JSON.parse(fs.readFileSync(path.join(PARITY_DIR, name, 'reference.json'), 'utf8'));

const GREEDY = { temperature: 0, topP: 1, topK: 0, minP: 0 };

for (const name of PARITY_MODELS) {
  test(`${name}: greedy sampling equals HF generate (single and left-padded batch), log-probs from HF's step logits`, () => {
    const model = loadModel(path.join(PARITY_DIR, name));
    const ref = reference(name), g = ref.generation, gb = ref.generation_left_padded_batch;
    const eosIds = g.eos_token_id === null ? [] : [g.eos_token_id];
    // the single prompt, drawn 3 times: greedy ignores the random stream
    const [single] = sampleBatch(model, [{ ids: g.prompt[0], n: 3 }], { ...GREEDY, maxNewTokens: 10, eosIds });
    for (const s of single!) {
      assert.deepEqual(s.ids, g.new_tokens[0]);
      assert.equal(s.finishReason, 'length');
      const want = s.ids.map((t, k) => logSoftmax(g.step_logits[k])[t]!);
      const d = maxAbsDiff(s.logprobs, want);
      assert.ok(d < 1e-4, `greedy logprobs maxdiff ${d}`);
    }
    // the batch fixture: two prompts of different lengths (HF left-pads the shorter one)
    const prompts = (gb.input_ids as number[][]).map((row, b) => row.filter((_, t) => gb.attention_mask[b][t] === 1));
    const T = gb.input_ids[0].length;
    const out = sampleBatch(model, prompts.map((ids) => ({ ids, n: 1 })), { ...GREEDY, maxNewTokens: 10, eosIds: [] }, { maxSlots: 2 });
    for (let b = 0; b < 2; b++) assert.deepEqual(out[b]![0]!.ids, gb.sequences[b].slice(T));
  });
}

const TEMP: Partial<SamplingParams>[] = [
  { temperature: 1, topP: 1 },
  { temperature: 0.7, topP: 0.9 },
  { temperature: 1.2, topP: 1, topK: 5 },
  { temperature: 0.8, topP: 0.95, minP: 0.1 },
];

function assertSameSamples(got: Sample[][], want: { ids: number[]; logprobs: number[]; finishReason: string }[][], what: string): void {
  let worst = 0;
  assert.equal(got.length, want.length);
  got.forEach((row, r) => {
    assert.equal(row.length, want[r]!.length);
    row.forEach((s, j) => {
      const w = want[r]![j]!;
      assert.deepEqual(s.ids, w.ids, `${what}: request ${r} sample ${j} tokens`);
      assert.equal(s.finishReason, w.finishReason, `${what}: request ${r} sample ${j} finish reason`);
      worst = Math.max(worst, maxAbsDiff(s.logprobs, w.logprobs));
    });
  });
  assert.ok(worst < 1e-4, `${what}: logprobs maxdiff ${worst}`);
}

test('shared-prefix sampling equals independent brute-force sampling with the same seeds (and naive N-fold prefill)', () => {
  const model = loadModel(path.join(PARITY_DIR, 'qwen2'));
  const prompts = [[77, 60, 9, 97, 30], [115, 32, 37], [5, 6, 7, 8, 9, 10, 11, 12]];
  for (const pol of TEMP) {
    const params = { ...pol, maxNewTokens: 8, eosIds: [1] };
    const reqs: SampleRequest[] = prompts.map((ids, r) => ({ ids, n: 3, key: 100 + r }));
    const shared = sampleBatch(model, reqs, params, { seed: 7 });
    const want = reqs.map((q) => Array.from({ length: q.n }, (_, j) =>
      referenceSample(model, q.ids, { temperature: 1, topP: 1, topK: 0, minP: 0, ...pol }, 8, [1], 7, q.key!, j)));
    assertSameSamples(shared, want, `shared ${JSON.stringify(pol)}`);
    assertSameSamples(sampleBatch(model, reqs, params, { seed: 7, sharePrefix: false }), want, `naive ${JSON.stringify(pol)}`);
  }
});

test('continuous batching: any slot budget gives the same samples as one-at-a-time generation', () => {
  const model = tinyModel(40, 3, 0.5);
  // varied prompt lengths and sample counts; EOS ends samples at different lengths so slots turn over
  const reqs: SampleRequest[] = [
    { ids: [1, 2, 3], n: 5 }, { ids: [4], n: 1 }, { ids: [5, 6, 7, 8, 9, 10], n: 0 }, { ids: [11, 12], n: 4 }, { ids: [13, 14, 15, 16], n: 2 },
  ];
  const params = { temperature: 1, topP: 1, maxNewTokens: 12, eosIds: [0, 1, 2] };
  const alone = reqs.map((q, r) => Array.from({ length: q.n }, (_, j) =>
    sampleBatch(model, [{ ...q, n: j + 1, key: r }], params, { seed: 3, maxSlots: 1 })[0]![j]!));
  const lengths = alone.flat().map((s) => s.ids.length);
  assert.ok(new Set(lengths).size >= 3 && lengths.includes(12), `want varied lengths, got ${lengths}`);
  for (const maxSlots of [1, 2, 3, 5, 64]) {
    assertSameSamples(sampleBatch(model, reqs, params, { seed: 3, maxSlots }), alone, `maxSlots ${maxSlots}`);
  }
  // batch composition: a request's samples do not change when other requests join or leave
  const sub = sampleBatch(model, [{ ...reqs[3]!, key: 3 }], params, { seed: 3, maxSlots: 2 });
  assertSameSamples(sub, [alone[3]!], 'request 3 alone');
  // `first`: samples 2..4 of request 0 drawn in a call of their own are its samples 2..4
  const tail = sampleBatch(model, [{ ...reqs[0]!, n: 3, key: 0, first: 2 }], params, { seed: 3, maxSlots: 2 });
  assertSameSamples(tail, [alone[0]!.slice(2)], 'request 0 from sample 2');
});

test('a prompt whose samples fill every slot decodes them in one batch per step (none waits for a free slot)', () => {
  const model = tinyModel(30, 4), widths: number[] = [];
  let prev = 0;
  const out = sampleBatch(model, [{ ids: [1, 2], n: 4 }, { ids: [3], n: 4 }], { temperature: 1, topP: 1, maxNewTokens: 9, eosIds: [] }, {
    maxSlots: 4, onProgress: (p) => { widths.push(p.newTokens - prev); prev = p.newTokens; },
  });
  assert.deepEqual(out.map((r) => r.map((s) => s.ids.length)), [[9, 9, 9, 9], [9, 9, 9, 9]]);
  // per prompt: the 4 first tokens come from its prefill (counted with the first step), then 8 steps of 4 rows
  // (sampleBatch reports once more at the end, with no new token)
  assert.deepEqual(widths.slice(0, -1), [8, 4, 4, 4, 4, 4, 4, 4, 8, 4, 4, 4, 4, 4, 4, 4], `tokens per decode step: ${widths}`);
});

test('progress reports count every sample and token; the time split adds up', () => {
  const model = tinyModel(30, 4);
  const seen: number[] = [];
  let last = null as null | Parameters<NonNullable<Parameters<typeof sampleBatch>[3]>['onProgress'] & object>[0];
  const out = sampleBatch(model, [{ ids: [1, 2], n: 6 }, { ids: [3], n: 2 }], { temperature: 1, topP: 1, maxNewTokens: 9, eosIds: [] }, {
    maxSlots: 4, onProgress: (p) => { seen.push(p.samplesDone); last = p; },
  });
  assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]!), 'samplesDone never decreases');
  assert.equal(last!.samplesDone, 8);
  assert.equal(last!.samplesTotal, 8);
  assert.equal(last!.newTokens, out.flat().reduce((a, s) => a + s.ids.length, 0));
  assert.equal(last!.prefillTokens, 2 + 1);  // each prompt once (no padding: one prefill per round here)
  assert.ok(last!.prefillMs + last!.decodeMs + last!.sampleMs <= last!.elapsedMs + 1e-6);
});

test('finish reasons: EOS is kept in ids; length stops at maxNewTokens; maxNewTokens 0 and n 0', () => {
  const model = tinyModel(12, 5, 0.5);
  const out = sampleBatch(model, [{ ids: [3, 4], n: 40 }], { temperature: 1, topP: 1, maxNewTokens: 6, eosIds: [0] }, { seed: 1 });
  const eos = out[0]!.filter((s) => s.finishReason === 'eos'), len = out[0]!.filter((s) => s.finishReason === 'length');
  assert.ok(eos.length > 0 && len.length > 0, `want both reasons, got ${eos.length} eos / ${len.length} length`);
  for (const s of eos) { assert.equal(s.ids.at(-1), 0); assert.ok(!s.ids.slice(0, -1).includes(0)); assert.equal(s.text, null); }
  for (const s of len) { assert.equal(s.ids.length, 6); assert.ok(!s.ids.includes(0)); }
  for (const s of out[0]!) assert.equal(s.logprobs.length, s.ids.length);
  const none = sampleBatch(model, [{ ids: [1], n: 2 }, { ids: [], n: 0 }], { maxNewTokens: 0 });
  assert.deepEqual(none, [[{ ids: [], text: null, logprobs: [], entropies: [], certainties: [], finishReason: 'length' }, { ids: [], text: null, logprobs: [], entropies: [], certainties: [], finishReason: 'length' }], []]);
});

test('bad requests and settings are TtrlErrors naming the field', () => {
  const model = tinyModel(10, 6);
  const bad = (reqs: SampleRequest[], params: Partial<SamplingParams>, re: RegExp) =>
    assert.throws(() => sampleBatch(model, reqs, params), (e: unknown) => e instanceof TtrlError && re.test((e as Error).message));
  bad([{ ids: [], n: 1 }], {}, /request 0: empty prompt/);
  bad([{ ids: [1, 10], n: 1 }], {}, /token id 10 is outside/);
  bad([{ ids: [1], n: -1 }], {}, /n = -1/);
  bad([{ ids: [1], n: 1 }], { topP: 0 }, /topP/);
  bad([{ ids: [1], n: 1 }], { temperature: -1 }, /temperature/);
  bad([{ ids: [1], n: 1 }], { topK: 1.5 }, /topK/);
  bad([{ ids: [1], n: 1 }], { stopStrings: ['x'] }, /stop strings need a decoder/);
});

export type { Model };
