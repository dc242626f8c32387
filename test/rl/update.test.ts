// policyUpdate: the PPO/KL objective's gradient reaches the weights correctly (finite differences through
// the whole model), and gradient accumulation over micro-batches equals one micro-batch per mini-batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initModel, type Model } from '../../src/model/model.js';
import { parseConfig } from '../../src/model/config.js';
import { Optimizer } from '../../src/train/optim.js';
import { policyUpdate, packSamples, type TrainSample } from '../../src/rl/update.js';
import { ppoObjective, type PpoObjectiveConfig } from '../../src/rl/objective.js';

const cfg = parseConfig({ model_type: 'qwen2', vocab_size: 13, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 1, tie_word_embeddings: true });
const samples: TrainSample[] = [
  { promptIds: [1, 2, 3], respIds: [4, 5], oldLogp: [-2.4, -2.7], advantage: 1.2 },
  { promptIds: [1, 2, 3], respIds: [6, 7, 8], oldLogp: [-2.5, -2.6, -2.2], advantage: -0.8 },
  { promptIds: [9], respIds: [10, 11, 12, 2], oldLogp: [-2.6, -2.5, -2.4, -2.7], advantage: 0.5 },
  { promptIds: [9], respIds: [3], oldLogp: [-2.5], advantage: -0.9 },
];
const objCfg: PpoObjectiveConfig = { clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3, aggMode: 'token-mean', klCoef: 0.1, klType: 'low_var_kl', entropyCoef: 0.01 };

/** The same objective computed from a plain forward: an independent path to the loss. */
function objectiveOf(policy: Model, ref: Model): number {
  const { batch, starts, R } = packSamples(samples);
  const st = policy.forward(batch, { entropy: true }), rl = ref.forward(batch).logprobs;
  const B = samples.length, T = batch.T;
  const g = (x: Float32Array) => { const o = new Float64Array(B * R); samples.forEach((s, b) => s.respIds.forEach((_, j) => { o[b * R + j] = x[b * T + starts[b]! + j]!; })); return o; };
  const mask = new Float64Array(B * R), old = new Float64Array(B * R), adv = new Float64Array(B * R);
  samples.forEach((s, b) => s.respIds.forEach((_, j) => { mask[b * R + j] = 1; old[b * R + j] = s.oldLogp[j]!; adv[b * R + j] = s.advantage; }));
  return ppoObjective({ oldLogp: old, logp: g(st.logprobs), adv, mask, refLogp: g(rl), entropy: g(st.entropy!), B, T: R }, objCfg).loss;
}

test('one SGD step of policyUpdate moves each weight by −lr · d(objective)/dw (finite differences)', async () => {
  const policy = initModel(cfg, 4, undefined, 0.5), ref = initModel(cfg, 5, undefined, 0.5);
  ref.trainable = false;
  const before = new Map([...policy.params].map(([k, p]) => [k, policy.be.read(p.buf).slice()]));
  const lr = 1e-2;
  const opt = new Optimizer(policy.params, { kind: 'sgd', beta1: 0, beta2: 0, eps: 0, weightDecay: 0 }, policy.be);
  await policyUpdate(policy, ref, opt, samples, { objective: (mini) => ({ ...objCfg, norm: { tokens: mini.tokens, rows: mini.rows } }),
    miniBatch: 4, microBatch: 2, gradClip: 0, temperature: 1, lr });
  const after = new Map([...policy.params].map(([k, p]) => [k, policy.be.read(p.buf).slice()]));
  // restore and differentiate numerically
  for (const [k, p] of policy.params) policy.be.upload(p.buf, before.get(k)!);
  for (const [k, p] of policy.params) {
    const w = policy.be.read(p.buf);
    for (const i of [0, Math.floor(w.length / 2), w.length - 1]) {
      const h = 1e-2, old = w[i]!;
      w[i] = old + h; const lp = objectiveOf(policy, ref);
      w[i] = old - h; const lm = objectiveOf(policy, ref);
      w[i] = old;
      const fd = (lp - lm) / (2 * h);
      const step = (before.get(k)![i]! - after.get(k)![i]!) / lr;
      assert.ok(Math.abs(step - fd) < 2e-3 + 3e-2 * Math.abs(fd), `${k}[${i}]: update/lr ${step} vs fd ${fd}`);
    }
  }
});

test('micro-batch accumulation: micro 1 and micro 4 give the same update (mini-batch normalisation)', async () => {
  const run = async (micro: number) => {
    const policy = initModel(cfg, 4, undefined, 0.5), ref = initModel(cfg, 5, undefined, 0.5);
    const opt = new Optimizer(policy.params, { kind: 'sgd', beta1: 0, beta2: 0, eps: 0, weightDecay: 0 }, policy.be);
    const st = await policyUpdate(policy, ref, opt, samples, { objective: (mini) => ({ ...objCfg, norm: { tokens: mini.tokens, rows: mini.rows } }),
      miniBatch: 4, microBatch: micro, gradClip: 0, temperature: 1, lr: 0.1 });
    return { w: policy.be.read(policy.params.get('model.embed_tokens.weight')!.buf).slice(), st };
  };
  const a = await run(1), b = await run(4);
  let md = 0;
  for (let i = 0; i < a.w.length; i++) md = Math.max(md, Math.abs(a.w[i]! - b.w[i]!));
  assert.ok(md < 1e-6, `maxdiff ${md}`);
  assert.ok(Math.abs(a.st.loss - b.st.loss) < 1e-6, `loss ${a.st.loss} vs ${b.st.loss}`);
  assert.equal(a.st.optimizerSteps, 1);
});

test('ppo_epochs: epochs = 2 is two passes over the same mini-batches with the rollout log-probs (AdamW, bit-identical)', async () => {
  const adamw = { kind: 'adamw' as const, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  const upd = (epochs: number) => ({ objective: (mini: { tokens: number; rows: number }) => ({ ...objCfg, norm: { tokens: mini.tokens, rows: mini.rows } }),
    miniBatch: 2, microBatch: 1, gradClip: 1, temperature: 1, lr: 0.05, epochs });
  const weightsOf = (m: Model) => [...m.params].map(([k, p]) => [k, m.be.read(p.buf).slice()] as const);
  const twoPass = initModel(cfg, 4, undefined, 0.5), ref = initModel(cfg, 5, undefined, 0.5);
  const stTwo = await policyUpdate(twoPass, ref, new Optimizer(twoPass.params, adamw, twoPass.be), samples, upd(2));
  // the independent path: one pass, then the same call again (old log-probs are the samples' own both times)
  const onePass = initModel(cfg, 4, undefined, 0.5);
  const opt = new Optimizer(onePass.params, adamw, onePass.be);
  await policyUpdate(onePass, ref, opt, samples, upd(1));
  await policyUpdate(onePass, ref, opt, samples, upd(1));
  assert.equal(stTwo.optimizerSteps, 4, '2 mini-batches × 2 epochs');
  const a = weightsOf(twoPass), b = new Map(weightsOf(onePass));
  for (const [k, w] of a) assert.deepEqual(w, b.get(k), `${k} differs`);
  // and a second pass does move the weights further than one
  const once = initModel(cfg, 4, undefined, 0.5);
  await policyUpdate(once, ref, new Optimizer(once.params, adamw, once.be), samples, upd(1));
  assert.notDeepEqual(weightsOf(once), a);
});
