// Gradients of the mean next-token loss against Hugging Face's autograd (fixture `grads`), with the
// README's tolerance: atol 1e-5, or 1e-4 relative to each tensor's largest |grad|. Plus finite differences
// for every parameter the fixture does not list, with and without activation checkpointing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModel, initModel, type Model, type Batch } from '../../src/model/model.js';
import { parseConfig } from '../../src/model/config.js';
import { PARITY_DIR, PARITY_MODELS, reference, flat } from './helpers.js';

function lmBatch(ids: number[][], mask?: number[][]): Batch {
  const B = ids.length, T = ids[0]!.length;
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
    if (!mask || (mask[b]![t] && mask[b]![t + 1])) targets[b * T + t] = ids[b]![t + 1]!;
  }
  return { B, T, ids: Int32Array.from(ids.flat()), mask: Float32Array.from(mask ? mask.flat() : new Array(B * T).fill(1)), targets };
}

/** Mean NLL over the scored positions and its gradient: the loss `ttrl sft` trains. */
function meanNll(model: Model, batch: Batch, checkpoint = false): number {
  const st = model.forward(batch, { checkpoint });
  const n = st.rows.length;
  const dlp = new Float32Array(st.logprobs.length);
  let loss = 0;
  for (const m of st.rows) { loss -= st.logprobs[m]! / n; dlp[m] = -1 / n; }
  model.backward(st, dlp);
  return loss;
}

for (const name of PARITY_MODELS) {
  for (const checkpoint of [false, true]) {
    test(`${name}: gradients match HF (checkpoint=${checkpoint})`, () => {
      const ref = reference(name);
      const model = loadModel(path.join(PARITY_DIR, name));
      model.zeroGrad();
      const loss = meanNll(model, lmBatch(ref.input_ids), checkpoint);
      assert.ok(Math.abs(loss - ref.loss) < 1e-5, `loss ${loss} vs ${ref.loss}`);
      for (const [pname, g] of Object.entries(ref.grads)) {
        const want = flat(g);
        const p = model.params.get(pname) ?? (pname === 'lm_head.weight' ? model.head : undefined);
        assert.ok(p, `no parameter ${pname}`);
        const got = model.be.read(p.grad!);
        const scale = Math.max(...want.map(Math.abs));
        let md = 0;
        for (let i = 0; i < want.length; i++) md = Math.max(md, Math.abs(got[i]! - want[i]!));
        assert.ok(md < 1e-5 || md < 1e-4 * scale, `${pname}: grad maxdiff ${md} (tensor max ${scale})`);
      }
    });
  }
}

// Finite differences on a tiny model, for every parameter tensor (few entries each). float32 forward, so
// a central difference with h=1e-2 on a loss of O(1) is good to ~1e-3 relative.
function fdCheck(model: Model, batch: Batch, label: string): void {
  model.zeroGrad();
  meanNll(model, batch);
  const lossAt = (): number => {
    const st = model.forward(batch);
    let l = 0;
    for (const m of st.rows) l -= st.logprobs[m]! / st.rows.length;
    return l;
  };
  for (const p of model.params.values()) {
    const w = model.be.read(p.buf), g = model.be.read(p.grad!);
    const idxs = [0, Math.floor(w.length / 3), Math.floor((2 * w.length) / 3), w.length - 1];
    for (const i of idxs) {
      const h = 1e-2, old = w[i]!;
      w[i] = old + h; const lp = lossAt();
      w[i] = old - h; const lm = lossAt();
      w[i] = old;
      const fd = (lp - lm) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) < 2e-3 + 2e-2 * Math.abs(fd), `${label} ${p.name}[${i}]: analytic ${g[i]} vs fd ${fd}`);
    }
  }
}

test('finite differences: every parameter of a tiny Qwen2 (biases, tied head) with left padding', () => {
  const cfg = parseConfig({ model_type: 'qwen2', vocab_size: 23, hidden_size: 12, intermediate_size: 20,
    num_hidden_layers: 2, num_attention_heads: 3, num_key_value_heads: 1, rope_theta: 10000, rms_norm_eps: 1e-6,
    tie_word_embeddings: true, max_position_embeddings: 64 });
  const model = initModel(cfg, 3, undefined, 0.4);
  for (const p of model.params.values()) if (p.name.endsWith('.bias') || p.name.includes('norm')) {
    const w = model.be.read(p.buf);
    for (let i = 0; i < w.length; i++) w[i] = (p.name.includes('norm') ? 1 : 0) + 0.3 * Math.sin(7 * i + 1);
  }
  fdCheck(model, lmBatch([[1, 5, 7, 2, 9, 11, 4], [0, 0, 3, 8, 13, 17, 21]], [[1, 1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]]), 'qwen2');
});

test('finite differences: every parameter of a tiny Llama (untied head, GQA 4:2, odd sizes)', () => {
  const cfg = parseConfig({ model_type: 'llama', vocab_size: 19, hidden_size: 16, intermediate_size: 13,
    num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 500000, rms_norm_eps: 1e-5,
    tie_word_embeddings: false, max_position_embeddings: 64 });
  const model = initModel(cfg, 5, undefined, 0.4);
  fdCheck(model, lmBatch([[3, 1, 4, 1, 5, 9, 2, 6, 5]]), 'llama');
});

test('finite differences: a GRPO-like loss on log-probs AND entropies at temperature 0.7', () => {
  const cfg = parseConfig({ model_type: 'qwen2', vocab_size: 17, hidden_size: 8, intermediate_size: 12,
    num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true });
  const model = initModel(cfg, 11, undefined, 0.5);
  const batch = lmBatch([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
  const M = batch.B * batch.T;
  const w = Float32Array.from({ length: M }, (_, m) => Math.sin(m + 1));   // per-token weights (advantages)
  const u = Float32Array.from({ length: M }, (_, m) => 0.3 * Math.cos(m)); // entropy coefficients
  const opts = { entropy: true, temperature: 0.7 };
  const lossAt = (): number => {
    const st = model.forward(batch, opts);
    let l = 0;
    for (const m of st.rows) l += w[m]! * st.logprobs[m]! + u[m]! * st.entropy![m]!;
    return l;
  };
  model.zeroGrad();
  const st = model.forward(batch, opts);
  model.backward(st, w, u);
  for (const p of model.params.values()) {
    const wt = model.be.read(p.buf), g = model.be.read(p.grad!);
    for (const i of [0, Math.floor(wt.length / 2), wt.length - 1]) {
      const h = 1e-2, old = wt[i]!;
      wt[i] = old + h; const lp = lossAt();
      wt[i] = old - h; const lm = lossAt();
      wt[i] = old;
      const fd = (lp - lm) / (2 * h);
      assert.ok(Math.abs(fd - g[i]!) < 2e-3 + 2e-2 * Math.abs(fd), `${p.name}[${i}]: analytic ${g[i]} vs fd ${fd}`);
    }
  }
});
