// LoRA against PEFT's own outputs (../shared/fixtures/lora-parity), tolerances from its README: logits /
// log-probs atol 1e-4, loss 1e-5, LoRA grads atol 1e-5 or 1e-4 of the tensor's largest |grad|, AdamW params
// atol 1e-6 where |grad| >= 1e-5 (1e-4 elsewhere), merged weights atol 1e-6, generated tokens exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, type Model, type Batch } from '../../src/model/model.js';
import { greedyGenerate } from '../../src/model/generate.js';
import { loadAdapter, saveAdapter, readAdapterSpec } from '../../src/model/lora-io.js';
import { LoraAdapter } from '../../src/model/lora.js';
import { readSafetensors, readSafetensorsFile } from '../../src/model/safetensors.js';
import { Optimizer, DEFAULT_OPTIM } from '../../src/train/optim.js';
import { cpu } from '../../src/tensor/cpu.js';
import { SHARED_DIR } from '../shared.js';
import { PARITY_DIR, flat, maxDiff } from './helpers.js';

const LORA_DIR = path.join(SHARED_DIR, 'fixtures', 'lora-parity');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref = (name: string): any => JSON.parse(fs.readFileSync(path.join(LORA_DIR, name, 'reference.json'), 'utf8'));

function lmBatch(ids: number[][]): Batch {
  const B = ids.length, T = ids[0]!.length;
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = ids[b]![t + 1]!;
  return { B, T, ids: Int32Array.from(ids.flat()), mask: new Float32Array(B * T).fill(1), targets };
}

/** Mean next-token NLL; with grad, its gradient accumulates into the adapter. */
function meanNll(model: Model, batch: Batch, grad: boolean): number {
  const st = model.forward(batch);
  const n = st.rows.length, dlp = new Float32Array(st.logprobs.length);
  let loss = 0;
  for (const m of st.rows) { loss -= st.logprobs[m]! / n; dlp[m] = -1 / n; }
  if (grad) model.backward(st, dlp);
  return loss;
}

function adapted(name: string): Model {
  const model = loadModel(path.join(PARITY_DIR, 'llama'));
  model.adapter = loadAdapter(path.join(LORA_DIR, name), model.params, model.be);
  model.trainable = false;
  return model;
}

for (const name of ['llama-lora', 'llama-rslora']) {
  test(`${name}: config, logits, log-probs and loss match PEFT`, () => {
    const r = ref(name), model = adapted(name);
    const spec = readAdapterSpec(path.join(LORA_DIR, name));
    assert.equal(model.adapter!.scaling, r.lora.scaling);
    assert.equal(spec.targetModules.length, 7);
    assert.equal(model.adapter!.params.size, 28);
    const b = lmBatch(r.input_ids);
    assert.ok(maxDiff(model.forwardLogits(b), flat(r.logits)) < 1e-4);
    const st = model.forward(b);
    const lp: number[] = [];
    for (let i = 0; i < 2; i++) for (let t = 0; t < 11; t++) lp.push(st.logprobs[i * 12 + t]!);
    assert.ok(maxDiff(lp, flat(r.target_logprobs)) < 1e-4);
    assert.ok(Math.abs(meanNll(model, b, false) - r.loss) < 1e-5);
  });

  test(`${name}: adapter gradients match PEFT, the base gets none; one AdamW step on the adapter only`, () => {
    const r = ref(name), model = adapted(name), ad = model.adapter!;
    const b = lmBatch(r.input_ids);
    const before = new Map([...model.params].map(([n, p]) => [n, model.be.read(p.buf).slice()]));
    ad.zeroGrad();
    meanNll(model, b, true);
    for (const p of model.params.values()) assert.equal(p.grad, null, `${p.name} got a gradient`);
    assert.deepEqual(Object.keys(r.grads).sort(), [...ad.params.keys()].sort());
    for (const [pname, g] of Object.entries(r.grads)) {
      const want = flat(g), got = model.be.read(ad.params.get(pname)!.grad!);
      const scale = Math.max(...want.map(Math.abs)), d = maxDiff(got, want);
      assert.ok(d < 1e-5 || d < 1e-4 * scale, `${pname}: grad maxdiff ${d}`);
    }
    const opt = new Optimizer(ad.params, { ...DEFAULT_OPTIM, weightDecay: 0.01 }, model.be);
    opt.step(0.01);
    for (const [pname, want] of Object.entries(r.adamw.params_after_step)) {
      const w = flat(want), got = model.be.read(ad.params.get(pname)!.buf), g = flat(r.grads[pname]);
      for (let i = 0; i < w.length; i++) {
        const tol = Math.abs(g[i]!) >= 1e-5 ? 1e-6 : 1e-4;
        assert.ok(Math.abs(got[i]! - w[i]!) <= tol, `${pname}[${i}]: ${got[i]} vs ${w[i]}`);
      }
    }
    for (const [n, p] of model.params) assert.deepEqual(model.be.read(p.buf), before.get(n), `${n} changed`);
    assert.ok(Math.abs(meanNll(model, b, false) - r.adamw.loss_after_step) < 1e-5);
  });

  test(`${name}: greedy generation through the KV cache (tokens exact, step logits)`, () => {
    const g = ref(name).generation, model = adapted(name);
    const res = greedyGenerate(model, g.prompt, 10, { eosIds: [], keepLogits: true });
    assert.deepEqual(res.tokens[0], g.new_tokens[0]);
    assert.ok(maxDiff(res.stepLogits!.flatMap((x) => Array.from(x)), flat(g.step_logits)) < 1e-4);
  });
}

test('llama-lora: switched off (and the base view) gives the base model; merged weights match PEFT merged/', () => {
  const r = ref('llama-lora'), model = adapted('llama-lora');
  const base = loadModel(path.join(PARITY_DIR, 'llama')), b = lmBatch(r.input_ids);
  const want = base.forwardLogits(b);
  assert.equal(maxDiff(model.baseView().forwardLogits(b), want), 0);
  model.adapter!.enabled = false;
  assert.equal(maxDiff(model.forwardLogits(b), want), 0);
  model.adapter!.enabled = true;
  assert.ok(maxDiff(model.forwardLogits(b), want) > 0.5, 'the adapter changes the logits');
  const merged = readSafetensors(path.join(LORA_DIR, 'llama-lora', 'merged'));
  let changed = 0;
  for (const [n, p] of model.params) {
    const w = model.be.read(p.buf), got = model.adapter!.pairOf(n) ? model.adapter!.mergedWeight(n, w) : w;
    if (model.adapter!.pairOf(n)) changed++;
    assert.ok(maxDiff(got, merged.get(n)!.data) <= 1e-6, `${n}: merged weight`);
  }
  assert.equal(changed, 14);
});

test('saveAdapter → loadAdapter is exact; PEFT names and config; a fresh adapter is a no-op', () => {
  const model = adapted('llama-lora'), b = lmBatch(ref('llama-lora').input_ids);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-lora-'));
  try {
    saveAdapter(tmp, model.adapter!, '../llama');
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'adapter_config.json'), 'utf8'));
    assert.equal(cfg.peft_type, 'LORA'); assert.equal(cfg.r, 4); assert.equal(cfg.lora_alpha, 8); assert.equal(cfg.use_rslora, false);
    const names = [...readSafetensorsFile(path.join(tmp, 'adapter_model.safetensors')).keys()];
    assert.ok(names.includes('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'));
    const again = loadModel(path.join(PARITY_DIR, 'llama'));
    again.adapter = loadAdapter(tmp, again.params, again.be);
    assert.equal(maxDiff(again.forwardLogits(b), model.forwardLogits(b)), 0);
    const base = loadModel(path.join(PARITY_DIR, 'llama'));
    const want = base.forwardLogits(b);
    base.adapter = LoraAdapter.init({ r: 2, alpha: 16, dropout: 0, targetModules: ['q_proj', 'down_proj'], rslora: false }, base.params.values(), base.be, 1);
    assert.equal(base.adapter.params.size, 8);
    assert.equal(maxDiff(base.forwardLogits(b), want), 0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('bf16 precision: the frozen base in bf16 under an fp32 adapter stays within the base\'s own bf16 effect', () => {
  const r = ref('llama-lora'), b = lmBatch(r.input_ids), bf = cpu('bf16');
  const f32 = adapted('llama-lora');
  const half = loadModel(path.join(PARITY_DIR, 'llama'), bf);
  half.freeze();  // as a LoRA run holds its base: matrices in bf16 only
  half.adapter = loadAdapter(path.join(LORA_DIR, 'llama-lora'), half.params, bf);
  const baseEffect = maxDiff(half.baseView().forwardLogits(b), loadModel(path.join(PARITY_DIR, 'llama')).forwardLogits(b));
  assert.ok(baseEffect > 0, 'the base really is in bf16');
  const d = maxDiff(half.forwardLogits(b), f32.forwardLogits(b));
  assert.ok(d <= 3 * baseEffect, `adapted logits bf16 vs fp32 ${d}, base's bf16 effect ${baseEffect}`);
  for (const m of [f32, half]) { m.zeroGrad(); meanNll(m, b, true); }
  for (const [n, p] of f32.adapter!.params) {
    const want = f32.be.read(p.grad!), got = bf.read(half.adapter!.params.get(n)!.grad!);
    const scale = Math.max(...Array.from(want, Math.abs));
    assert.ok(maxDiff(got, want) <= 0.1 * scale, `${n}: bf16 adapter grad off by ${maxDiff(got, want)} (max ${scale})`);
  }
});
