// Every label-free reward mode through the trainer on a tiny model: none reads gold (poisoned gold answers
// give bit-identical weights), each moves the weights, and the diagnostics are logged. (The label-using
// modes' use of gold is tested on rewardGroup in rewards.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../src/rl/config-io.js';
import { train } from '../../src/rl/trainer.js';
import { REWARD_MODE_NAMES } from '../../src/rl/rewards.js';
import { REWARD_MODES } from '../../src/rl/reward.js';
import { loadModel } from '../../src/model/model.js';
import { tinyModelDir, taskData } from './tiny.js';

function cfgFor(modelDir: string, data: string, mode: string) {
  return loadConfig(null, {
    'model.path': modelDir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 4, 'rollout.n_train': 4,
    'rollout.max_response_len': 10, 'optim.mini_batch': 4, 'optim.micro_batch': 4, 'optim.lr': 1e-3, 'optim.schedule': 'constant',
    'optim.warmup_ratio': 0, 'eval.every': 0, 'eval.at_start': false, 'run.episodes': 1, 'run.seed': 5, 'reward.mode': mode,
    // the tiny model's context is 256 positions: a short judge prompt and verdict
    'reward.verify_template': '{question} {response} =', 'reward.verify_max_len': 4,
  });
}

const weights = (dir: string): Float32Array[] => { const m = loadModel(dir); return [...m.params.values()].map((p) => m.be.read(p.buf).slice()); };
const steps = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'step');

test('no leak: every label-free mode trains bit-identically with poisoned gold', async () => {
  const dir = await tinyModelDir();
  const clean = taskData(dir, 2), poisoned = taskData(dir, 2, true);
  for (const mode of REWARD_MODE_NAMES.filter((m) => REWARD_MODES[m].trains && !REWARD_MODES[m].usesGold)) {
    const a = path.join(dir, `${mode}-a`), b = path.join(dir, `${mode}-b`);
    await train(cfgFor(dir, clean, mode), { out: a, quiet: true, report: false });
    await train(cfgFor(dir, poisoned, mode), { out: b, quiet: true, report: false });
    const wa = weights(path.join(a, 'final')), wb = weights(path.join(b, 'final'));
    assert.ok(wa.every((x, i) => x.every((v, k) => v === wb[i]![k])), `${mode}: weights depend on the gold answers`);
    // and the run learned something: some reward varied within a prompt, so the update moved the weights
    const w0 = weights(dir);
    assert.ok(w0.some((x, i) => x.some((v, k) => v !== wa[i]![k])), `${mode}: the weights did not move`);
    // diagnostics against gold are logged for every mode (the clean run has gold)
    const s = steps(a)[0];
    for (const f of ['pb_corr', 'pseudo_label_acc', 'rollout_pass1', 'rollout_entropy', 'self_certainty', 'vote_share', 'num_classes']) {
      assert.equal(typeof s[f], 'number', `${mode}: ${f} = ${s[f]}`);
    }
    assert.equal(s.collapse, false);
  }
});

test('stop_on_collapse: the firing step is not trained, later checkpoints are dropped, the earlier one is kept', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 8);
  const cfg = loadConfig(null, {
    'model.path': dir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 4, 'rollout.n_train': 4,
    'rollout.max_response_len': 8, 'optim.mini_batch': 4, 'optim.micro_batch': 4, 'optim.lr': 1e-3, 'eval.every': 0,
    'eval.at_start': false, 'run.episodes': 1, 'run.seed': 5, 'run.save_every': 1, 'run.stop_on_collapse': true,
  });
  // thresholds that any run meets once the 2-step baseline is set: the signal fires at step 3
  const always = { baselineSteps: 2, entropyFrac: 1e9, distinctFrac: 1e9, minVoteShare: 0 };
  const out = path.join(dir, 'run');
  const res = await train(cfg, { out, quiet: true, report: false, collapse: always });
  assert.equal(res.collapseStep, 3);
  assert.equal(res.stopped, false, 'not stopped by a signal');
  const recs = steps(out);
  assert.deepEqual(recs.map((r) => [r.step, r.collapse]), [[1, false], [2, false], [3, true]]);
  assert.equal(recs[2].loss, null, 'no update at the firing step');
  // the weights after step 2 drew the collapsed rollouts: only step-1 is kept, and no final/
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')), ['step-1']);
  assert.ok(!fs.existsSync(path.join(out, 'final')));
  // without stop_on_collapse the same signal only marks the steps
  const keepGoing = loadConfig(null, {
    'model.path': dir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 4, 'rollout.n_train': 4,
    'rollout.max_response_len': 8, 'optim.mini_batch': 4, 'optim.micro_batch': 4, 'eval.every': 0, 'eval.at_start': false,
    'run.episodes': 1, 'run.seed': 5,
  });
  const cont = await train(keepGoing, { out: path.join(dir, 'cont'), quiet: true, report: false, collapse: always });
  assert.equal(cont.collapseStep, undefined);
  assert.deepEqual(steps(path.join(dir, 'cont')).map((r) => r.collapse), [false, false, true, true]);
});

test('self_certainty with remote rollouts is refused at config time (no full logits there)', () => {
  const raw = (mode: string) => ({ model: { path: 'm' }, data: { path: 'd.jsonl' }, run: { episodes: 1 }, reward: { mode },
    rollout: { engine: { kind: 'openai', urls: ['http://127.0.0.1:1/v1'] } } });
  assert.throws(() => parseConfig(raw('self_certainty'), 'test'), /reward\.mode.*self_certainty needs the full logits/s);
  assert.doesNotThrow(() => parseConfig(raw('token_level_entropy'), 'test'));
});
