// The model against Hugging Face transformers' own outputs (../shared/fixtures/hf-parity), tolerances from
// its README: logits / log-probs atol 1e-4, loss 1e-5, generated tokens exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, type Model } from '../../src/model/model.js';
import { greedyGenerate } from '../../src/model/generate.js';
import { KVCache } from '../../src/model/kvcache.js';
import { ropeInvFreq } from '../../src/model/config.js';
import { PARITY_DIR, PARITY_MODELS, reference, flat, maxDiff } from './helpers.js';

function batchOf(ids: number[][], mask?: number[][]) {
  const B = ids.length, T = ids[0]!.length;
  return { B, T, ids: Int32Array.from(ids.flat()), mask: Float32Array.from(mask ? mask.flat() : new Array(B * T).fill(1)) };
}

function nextTokenTargets(ids: number[][], mask?: number[][]): Int32Array {
  const B = ids.length, T = ids[0]!.length, tg = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
    if (!mask || (mask[b]![t] && mask[b]![t + 1])) tg[b * T + t] = ids[b]![t + 1]!;
  }
  return tg;
}

for (const name of PARITY_MODELS) {
  const dir = path.join(PARITY_DIR, name);
  const ref = reference(name);
  let model: Model;

  test(`${name}: loads`, () => {
    model = loadModel(dir);
    assert.equal(model.cfg.nLayers, 2);
  });

  test(`${name}: logits, target log-probs and loss`, () => {
    const b = batchOf(ref.input_ids);
    const logits = model.forwardLogits(b);
    const d = maxDiff(logits, flat(ref.logits));
    assert.ok(d < 1e-4, `logits maxdiff ${d}`);
    const st = model.forward({ ...b, targets: nextTokenTargets(ref.input_ids) });
    const T = b.T;
    const lp: number[] = [];
    for (let r = 0; r < b.B; r++) for (let t = 0; t < T - 1; t++) lp.push(st.logprobs[r * T + t]!);
    const dl = maxDiff(lp, flat(ref.target_logprobs));
    assert.ok(dl < 1e-4, `target logprobs maxdiff ${dl}`);
    const loss = -lp.reduce((a, x) => a + x, 0) / lp.length;
    assert.ok(Math.abs(loss - ref.loss) < 1e-5, `loss ${loss} vs ${ref.loss}`);
  });

  test(`${name}: left padding (logits where mask==1, log-probs, loss)`, () => {
    const lpRef = ref.left_padded;
    const b = batchOf(lpRef.input_ids, lpRef.attention_mask);
    const m = flat(lpRef.attention_mask), V = model.cfg.vocabSize;
    const logits = model.forwardLogits(b);
    const d = maxDiff(logits, flat(lpRef.logits), (i) => m[Math.floor(i / V)] === 1);
    assert.ok(d < 1e-4, `padded logits maxdiff ${d}`);
    const st = model.forward({ ...b, targets: nextTokenTargets(lpRef.input_ids, lpRef.attention_mask) });
    const want = flat(lpRef.target_logprobs);
    let sum = 0, sumRef = 0, n = 0, md = 0;
    for (let r = 0; r < b.B; r++) for (let t = 0; t < b.T - 1; t++) {
      const w = want[r * (b.T - 1) + t];
      if (w === null || w === undefined) continue;
      md = Math.max(md, Math.abs(st.logprobs[r * b.T + t]! - (w as number)));
      sum += st.logprobs[r * b.T + t]!; sumRef += w as number; n++;
    }
    assert.ok(md < 1e-4, `padded target logprobs maxdiff ${md}`);
    // ttrl scores a position only when both it and its target are real tokens. HF's own padded loss also
    // counts the last pad predicting the first real token, from a pad query whose logits the fixture's
    // README calls implementation-dependent; so the loss is compared over the real→real positions.
    assert.equal(n, 11 + 8);
    assert.ok(Math.abs(-sum / n - -sumRef / n) < 1e-5, `padded loss ${-sum / n} vs ${-sumRef / n}`);
  });

  test(`${name}: greedy generation with KV cache (tokens exact, step logits)`, () => {
    const g = ref.generation;
    const res = greedyGenerate(model, g.prompt, 10, { eosIds: [g.eos_token_id], keepLogits: true });
    assert.deepEqual(res.tokens[0], g.new_tokens[0]);
    const d = maxDiff(res.stepLogits!.flatMap((x) => Array.from(x)), flat(g.step_logits));
    assert.ok(d < 1e-4, `step logits maxdiff ${d}`);
  });

  test(`${name}: batched left-padded greedy generation`, () => {
    const g = ref.generation_left_padded_batch;
    const prompts = (g.input_ids as number[][]).map((row, b) => row.filter((_, t) => g.attention_mask[b][t] === 1));
    const res = greedyGenerate(model, prompts, 10, { eosIds: [], keepLogits: true });
    const T = g.input_ids[0].length;
    for (let b = 0; b < 2; b++) assert.deepEqual(res.tokens[b], g.sequences[b].slice(T));
    const V = model.cfg.vocabSize;
    // step_logits is [B][steps][V]; ours is [steps][B·V]
    let d = 0;
    for (let b = 0; b < 2; b++) for (let s = 0; s < 10; s++) {
      d = Math.max(d, maxDiff(res.stepLogits![s]!.subarray(b * V, (b + 1) * V), g.step_logits[b][s]));
    }
    assert.ok(d < 1e-4, `batched step logits maxdiff ${d}`);
  });

  test(`${name}: KV-cache prefill + single steps equal the full forward`, () => {
    const ids: number[] = name === 'llama3' ? ref.long.input_ids[0] : ref.input_ids[0];
    const full = model.forwardLogits(batchOf([ids]));
    const V = model.cfg.vocabSize, T = ids.length, pre = Math.floor(T / 3);
    const cache = new KVCache(model.cfg, model.be, 1, T);
    const slots = Int32Array.of(0);
    let d = maxDiff(model.step(cache, slots, Int32Array.from(ids.slice(0, pre)), pre), full.subarray((pre - 1) * V, pre * V));
    for (let t = pre; t < T; t++) {
      const lg = model.step(cache, slots, Int32Array.of(ids[t]!), 1);
      d = Math.max(d, maxDiff(lg, full.subarray(t * V, (t + 1) * V)));
    }
    assert.ok(d < 1e-4, `cache vs full maxdiff ${d}`);
  });

  test(`${name}: save → reload gives identical logits`, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-save-'));
    try {
      model.save(tmp);
      const files = fs.readdirSync(tmp).sort();
      assert.deepEqual(files, ['config.json', 'model.safetensors']);
      const again = loadModel(tmp);
      if (model.cfg.tieEmbeddings) assert.ok(!again.params.has('lm_head.weight'));
      const b = batchOf(ref.input_ids);
      assert.equal(maxDiff(model.forwardLogits(b), again.forwardLogits(b)), 0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('llama3: RoPE inverse frequencies with Llama-3.1 scaling', () => {
  const ref = reference('llama3');
  const model = loadModel(path.join(PARITY_DIR, 'llama3'));
  const inv = ropeInvFreq(model.cfg);
  const d = maxDiff(inv, ref.rope.inv_freq);
  assert.ok(d < 1e-7 * 1.0 + 1e-6 * Math.max(...ref.rope.inv_freq), `inv_freq maxdiff ${d}`);
  const st = model.forward({ ...batchOf(ref.long.input_ids), targets: nextTokenTargets(ref.long.input_ids) });
  const lp = Array.from(st.logprobs.subarray(0, 99));
  const dl = maxDiff(lp, flat(ref.long.target_logprobs));
  assert.ok(dl < 1e-4, `long target logprobs maxdiff ${dl}`);
  const dlog = maxDiff(model.forwardLogits(batchOf(ref.long.input_ids)), flat(ref.long.logits));
  assert.ok(dlog < 1e-4, `long logits maxdiff ${dlog}`);
});
