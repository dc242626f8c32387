import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/rl/config-io.js';
import { advantageOptionsOf, lrScheduleOf, ppoObjectiveConfigOf, totalTrainingSteps } from '../../src/rl/from-config.js';
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
