// The no-leak rule, with a model that can tell: the demo's shipped base votes the gold answer on most demo
// problems, so a TTRL run on true answers and one on wrong answers would part ways as soon as gold touched
// the reward, the choice of prompts that train, or when training stops. They must end bit-identical, and
// training must really have changed the weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/rl/config-io.js';
import { train } from '../../src/rl/trainer.js';
import { loadModel } from '../../src/model/model.js';
import { makeSplit } from '../../src/demo/task.js';
import { repoRoot } from '../shared.js';

const BASE = path.join(repoRoot, 'assets', 'demo-base');

function weights(dir: string): Map<string, Float32Array> {
  const m = loadModel(dir);
  return new Map([...m.params].map(([k, p]) => [k, m.be.read(p.buf).slice()]));
}

test('no leak: true and wrong gold answers give bit-identical TTRL training, and training changes the weights', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-noleak-'));
  const problems = makeSplit(8, [3], 11, 'test');
  const write = (name: string, poison: boolean): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, problems.map((p) => JSON.stringify({ id: p.id, prompt: p.prompt, answer: poison ? String(Number(p.answer) + 1000) : p.answer })).join('\n') + '\n');
    return file;
  };
  const run = async (data: string, out: string) => {
    const cfg = loadConfig(null, {
      'model.path': BASE, 'data.path': data, 'data.prompts_per_step': 4, 'data.max_prompt_len': 64,
      'rollout.n_votes': 8, 'rollout.n_train': 4, 'rollout.max_response_len': 64, 'reward.min_vote_share': 0.5,
      'optim.lr': 1e-4, 'optim.mini_batch': 4, 'optim.micro_batch': 4, 'optim.schedule': 'constant', 'optim.warmup_ratio': 0,
      'eval.every': 0, 'eval.at_start': false, 'run.episodes': 2, 'run.seed': 3,
    });
    const r = await train(cfg, { out: path.join(dir, out), quiet: true, report: false });
    const steps = fs.readFileSync(path.join(dir, out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.kind === 'step');
    return { r, steps };
  };
  const clean = await run(write('clean.jsonl', false), 'clean');
  const poisoned = await run(write('poisoned.jsonl', true), 'poisoned');
  // the setting can reveal a leak: the vote matches the true answer often, and never the wrong one
  const labelAcc = clean.steps.reduce((a, s) => a + s.label_acc, 0) / clean.steps.length;
  process.stderr.write(`# no-leak: label accuracy on true answers ${labelAcc.toFixed(3)}; prompts trained per step ${clean.steps.map((s) => s.prompts_used)}\n`);
  assert.ok(labelAcc > 0.5, `label accuracy ${labelAcc}: too low to reveal a selection leak`);
  assert.ok(poisoned.steps.every((s) => s.label_acc === 0));
  // no early stop either way, the same prompts trained, and the same weights at the end
  assert.equal(clean.r.steps, 4);
  assert.equal(poisoned.r.steps, 4);
  assert.deepEqual(poisoned.steps.map((s) => s.prompts_used), clean.steps.map((s) => s.prompts_used));
  const a = weights(path.join(dir, 'clean', 'final')), b = weights(path.join(dir, 'poisoned', 'final')), base = weights(BASE);
  for (const [k, w] of a) assert.deepEqual(b.get(k), w, `${k} differs between the runs on true and on wrong answers`);
  let moved = 0;
  for (const [k, w] of a) moved = Math.max(moved, ...w.map((x, i) => Math.abs(x - base.get(k)![i]!)));
  assert.ok(moved > 1e-6, `training did not change the weights (max change ${moved})`);
});
