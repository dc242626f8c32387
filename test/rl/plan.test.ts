import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/rl/config-io.js';
import { advantageOptionsOf, buildRunPlan, evalSeedOf, lrScheduleOf, ppoObjectiveConfigOf, totalTrainingSteps } from '../../src/rl/plan.js';
import { ppoObjective } from '../../src/rl/objective.js';
import { lrAt, warmupStepsOf } from '../../src/rl/schedule.js';
import { assertClose, normals } from './helpers.js';

const REQ = ['model.path=m', 'data.path=AIME-TTT.json'];

test('AIME defaults: 3 steps × 80 episodes = 240 steps, 7 warmup, grpo', () => {
  const c = loadConfig(null, REQ);
  const total = totalTrainingSteps(c, 30);
  assert.equal(total, 240);
  const s = lrScheduleOf(c, total);
  assert.equal(warmupStepsOf(s), 7);
  assert.equal(lrAt(7, s), 5e-7);
  assert.deepEqual(advantageOptionsOf(c), { normByStd: true });
  assert.equal(warmupStepsOf(lrScheduleOf(loadConfig(null, [...REQ, 'optim.warmup_steps=2']), total)), 2);
});

test('loss_norm: mini-batch micro-batches add up to the whole mini-batch; micro-batch reproduces verl scaling', () => {
  const B = 8, T = 6, micro = 2;
  const oldLogp = normals(B * T, 61, 0.5).map((x) => -Math.abs(x) - 0.1);
  const logp = oldLogp.map((x, i) => x + 0.2 * normals(B * T, 62)[i]!);
  const refLogp = oldLogp.map((x, i) => x + 0.3 * normals(B * T, 63)[i]!);
  const adv = normals(B * T, 64);
  const mask = Array.from({ length: B * T }, (_, i) => (i % T < 1 + (((i / T) | 0) % T) ? 1 : 0));
  const tokens = mask.reduce((a: number, b) => a + b, 0);
  for (const norm of ['mini-batch', 'micro-batch'] as const) {
    const c = loadConfig(null, [...REQ, `algorithm.loss_norm=${norm}`, 'optim.micro_batch=2']);
    const mini = { tokens, rows: B, microBatches: B / micro };
    let loss = 0;
    const grad = new Float64Array(B * T);
    for (let b0 = 0; b0 < B; b0 += micro) {
      const sl = (x: ArrayLike<number>) => Array.from(x).slice(b0 * T, (b0 + micro) * T);
      const r = ppoObjective({ oldLogp: sl(oldLogp), logp: sl(logp), refLogp: sl(refLogp), adv: sl(adv), mask: sl(mask), B: micro, T }, ppoObjectiveConfigOf(c, mini));
      loss += r.loss;
      grad.set(r.gradLogp, b0 * T);
    }
    const whole = ppoObjective({ oldLogp, logp, refLogp, adv, mask, B, T }, ppoObjectiveConfigOf(c, { ...mini, microBatches: 1 }));
    if (norm === 'mini-batch') {
      assert.ok(Math.abs(loss - whole.loss) < 1e-14, `${loss} vs ${whole.loss}`);
      assertClose(grad, whole.gradLogp, { atol: 1e-15 }, 'accumulated gradient');
    } else {
      // verl: the mean of per-micro-batch token means, which differs when token counts differ
      assert.ok(Math.abs(loss - whole.loss) > 1e-6, 'micro-batch normalisation should differ here');
    }
  }
});

test('buildRunPlan: each section from its keys; stop ids from tokenizer and model; eval seed shared', () => {
  const c = loadConfig(null, [...REQ, 'rollout.temperature=0.7', 'rollout.top_k=5', 'eval.k=4', 'algorithm.ppo_epochs=3',
    'run.seed=9', 'optim.betas=[0.8,0.95]', 'model.system_prompt=be brief', 'model.prompt_suffix=!',
    'model.enable_thinking=false', 'model.lora={r: 16, rslora: true, target_modules: [q_proj, down_proj]}']);
  const p = buildRunPlan(c, { tok: { eosIds: [7, 3] }, model: { eosIds: [3, 11] } }, 30, 5);
  assert.deepEqual(p.steps, { perEpoch: 3, total: 240, last: 5 });
  assert.deepEqual(p.rollout.sampling.eosIds, [7, 3, 11]);
  assert.deepEqual(p.eval.settings.eosIds, [7, 3, 11]);
  assert.equal(p.rollout.sampling.temperature, 0.7);
  assert.equal(p.rollout.sampling.topK, 5);
  assert.equal(p.update.temperature, 0.7);
  assert.equal(p.update.epochs, 3);
  assert.equal(p.eval.settings.k, 4);
  assert.equal(p.eval.settings.seed, evalSeedOf(9));
  assert.notEqual(evalSeedOf(9), evalSeedOf(10));
  assert.deepEqual(p.optimizer, { kind: 'adamw', beta1: 0.8, beta2: 0.95, eps: 1e-8, weightDecay: 0.01 });
  assert.deepEqual(p.prompt.options, { mode: 'chat', system: 'be brief', suffix: '!', thinking: false });
  assert.deepEqual(p.lora, { r: 16, alpha: 8, dropout: 0, targetModules: ['q_proj', 'down_proj'], rslora: true });
  assert.equal(p.reference, true);
  assert.equal(p.reward.trains, true);
  // no reference model without KL or without updates; greedy rollouts are scored at temperature 1
  const noKl = buildRunPlan(loadConfig(null, [...REQ, 'algorithm.kl_coef=0']), { tok: { eosIds: [1] }, model: { eosIds: [] } }, 30);
  assert.equal(noKl.reference, false);
  assert.equal(noKl.lora, null);
  assert.equal(noKl.prompt.options.thinking, null);
  assert.throws(() => loadConfig(null, [...REQ, 'model.lora={dropout: 0.1}']), /model\.lora\.dropout/);
  assert.throws(() => loadConfig(null, [...REQ, 'model.lora={target_modules: [lm_head]}']), /model\.lora\.target_modules/);
  const none = buildRunPlan(loadConfig(null, [...REQ, 'reward.mode=none', 'rollout.temperature=0']), { tok: { eosIds: [1] }, model: { eosIds: [] } }, 30);
  assert.equal(none.reference, false);
  assert.equal(none.reward.trains, false);
  assert.equal(none.update.temperature, 1);
});

test('sampling settings are checked by one rule: config keys and sampler agree', () => {
  assert.throws(() => loadConfig(null, [...REQ, 'rollout.temperature=-1']), /rollout\.temperature/);
  assert.throws(() => loadConfig(null, [...REQ, 'eval.top_p=0']), /eval\.top_p/);
  assert.throws(() => loadConfig(null, [...REQ, 'rollout.top_k=1.5']), /rollout\.top_k/);
});
