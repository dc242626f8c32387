// Adaptive voting through the rollout step, with an engine whose answers are a function of the sample's
// stream (key, index): every response must be the one fixed voting draws, and each prompt must stop at the
// first wave boundary where the stop rule allows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, parseConfig } from '../../src/rl/config-io.js';
import { buildRunPlan } from '../../src/rl/plan.js';
import { rollout, type Response, type RolloutEngine } from '../../src/rl/rollout.js';
import { keptIndices } from '../../src/rl/learn.js';
import { voteStopReason } from '../../src/rl/vote-stop.js';
import { gradeGroup } from '../../src/grade/index.js';
import { deriveSeed } from '../../src/util/rng.js';

/** Prompt key k answers a: agreement grows with k (key 0 is unanimous, higher keys split more). */
function answerOf(key: number, j: number, seed: number): string {
  const h = deriveSeed(seed, key, j) % 100;
  return String(h < 100 - 12 * key ? 7 : h % (2 + key));
}

const fakeEngine = (calls: number[][]): RolloutEngine => ({
  async generate(reqs, _s, seed) {
    calls.push(reqs.map((q) => q.n));
    return reqs.map((q) => Array.from({ length: q.n }, (_, j): Response => {
      const idx = (q.first ?? 0) + j;
      return { ids: [q.key, idx], text: `so the answer is \\boxed{${answerOf(q.key, idx, seed)}}`, logprobs: [0, 0], entropies: [0, 0], certainties: [0, 0], truncated: false };
    }));
  },
});

test('adaptive voting draws a prefix of the fixed rollout and stops each prompt at its first allowed wave', async () => {
  const keys = [0, 1, 2, 3, 4, 5, 6, 7];
  for (const [select, wave] of [['first', 8], ['random', 8], ['first', 4]] as const) {
    const cfg = (adaptive: boolean) => loadConfig(null, ['model.path=m', 'data.path=AIME-TTT.json', 'rollout.n_votes=32', 'rollout.n_train=16',
      `rollout.train_select=${select}`, `rollout.adaptive_votes=${adaptive}`, `rollout.vote_wave=${wave}`, 'optim.mini_batch=16', 'optim.micro_batch=16']);
    const eos = { tok: { eosIds: [1] }, model: { eosIds: [] } };
    const promptIds = keys.map((k) => [k]);
    const fixed = (await rollout(fakeEngine([]), promptIds, keys, buildRunPlan(cfg(false), eos, 30), 3))!;
    const calls: number[][] = [], plan = buildRunPlan(cfg(true), eos, 30);
    assert.equal(plan.rollout.voteWave, wave);
    const adaptive = (await rollout(fakeEngine(calls), promptIds, keys, plan, 3))!;
    let drawn = 0;
    keys.forEach((k, p) => {
      const got = adaptive[p]!, n = got.length;
      drawn += n;
      assert.deepEqual(got, fixed[p]!.slice(0, n), `prompt ${k}: a prefix of the fixed rollout`);
      const classes = gradeGroup(fixed[p]!.map((r) => r.text)).classOf;
      const mustDraw = Math.max(...keptIndices(plan, 3, k)) + 1;
      const reasonAt = (m: number) => voteStopReason(classes.slice(0, m), 32, mustDraw, plan.rollout.voteWave);
      for (let m = plan.rollout.voteWave; m < n; m += plan.rollout.voteWave) assert.equal(reasonAt(m), null, `prompt ${k} could stop at ${m}`);
      assert.ok(n === 32 || reasonAt(n) !== null, `prompt ${k} stopped at ${n} without a reason`);
      assert.equal(n % plan.rollout.voteWave, 0);
    });
    assert.equal(calls[0]!.length, keys.length);
    assert.ok(drawn < keys.length * 32, `${select}: drew ${drawn} of ${keys.length * 32}`);
    assert.ok(adaptive[0]!.length === plan.rollout.voteWave, 'the unanimous prompt stops after one wave');
  }
});

test('config: adaptive_votes needs reward.mode=ttrl', () => {
  const base = ['model.path=m', 'data.path=AIME-TTT.json', 'rollout.adaptive_votes=true'];
  assert.throws(() => loadConfig(null, [...base, 'reward.mode=oracle']), /rollout\.adaptive_votes/);
  const remote = { model: { path: 'm' }, data: { path: 'AIME-TTT.json' },
    rollout: { adaptive_votes: true, engine: { kind: 'openai', urls: ['http://127.0.0.1:8000/v1'] } } };
  assert.throws(() => parseConfig(remote, 'remote.yaml'), /rollout\.adaptive_votes: needs rollout\.engine\.kind=local/);
  assert.equal(loadConfig(null, base).rollout.adaptive_votes, true);
});
