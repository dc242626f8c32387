// The TTRL loop end to end on a tiny model: metrics fields, reward modes, resume bit-identity (clean stop
// and SIGKILL). Signals: signals.test.ts; run folders and disk errors: run-dir.test.ts; no leak: no-leak.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/rl/config-io.js';
import { train, STEP_FIELDS } from '../../src/rl/trainer.js';
import { REWARD_MODES, rewardStep } from '../../src/rl/reward.js';
import { loadModel } from '../../src/model/model.js';
import { tinyModelDir, taskData } from './tiny.js';
import { repoRoot } from '../shared.js';

const CLI = path.join(repoRoot, 'bin', 'ttrl.js');

function cfgFor(modelDir: string, data: string, extra: Record<string, unknown> = {}) {
  return loadConfig(null, {
    'model.path': modelDir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 6, 'rollout.n_train': 4,
    'rollout.max_response_len': 12, 'optim.mini_batch': 4, 'optim.micro_batch': 2, 'optim.lr': 1e-3, 'optim.schedule': 'constant',
    'optim.warmup_ratio': 0, 'eval.every': 2, 'eval.k': 2, 'eval.max_response_len': 12, 'run.episodes': 2, 'run.seed': 5, ...extra,
  });
}

function weights(dir: string): Map<string, Float32Array> {
  const m = loadModel(dir);
  return new Map([...m.params].map(([k, p]) => [k, m.be.read(p.buf).slice()]));
}

function assertSameWeights(a: string, b: string): void {
  const wa = weights(a), wb = weights(b);
  for (const [k, x] of wa) assert.deepEqual(wb.get(k), x, `${k} differs between ${a} and ${b}`);
}

test('a short TTRL run writes every metric, config.yaml, final/ and checkpoints', async () => {
  const dir = await tinyModelDir();
  const out = path.join(dir, 'run');
  const res = await train(cfgFor(dir, taskData(dir, 4)), { out, quiet: true, report: false });
  assert.equal(res.steps, 4);
  const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const steps = lines.filter((l) => l.kind === 'step'), evals = lines.filter((l) => l.kind === 'eval');
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3, 4]);
  assert.deepEqual(evals.map((e) => e.step), [0, 2, 4]);
  for (const s of steps) for (const f of STEP_FIELDS) assert.ok(f in s && s[f] !== undefined, `step record lacks ${f}`);
  for (const s of steps) for (const f of ['label_acc', 'reward_acc', 'rollout_pass1', 'entropy', 'grad_norm', 'loss', 'kl']) {
    assert.equal(typeof s[f], 'number', `${f} should be a number, got ${s[f]}`);
  }
  for (const e of evals) for (const f of ['pass1', 'maj', 'best', 'greedy']) assert.equal(typeof e[f], 'number');
  assert.ok(fs.existsSync(path.join(out, 'config.yaml')));
  assert.ok(fs.existsSync(path.join(out, 'final', 'model.safetensors')));
  assert.ok(fs.existsSync(path.join(out, 'final', 'tokenizer.json')));
  // the resolved config is a valid input to --config
  const again = loadConfig(path.join(out, 'config.yaml'));
  assert.equal(again.rollout.n_votes, 6);
  // training changed the weights
  assert.throws(() => assertSameWeights(dir, path.join(out, 'final')));
});

test('oracle rewards follow the given label; ttrl rewards follow the vote; only oracle and hybrid_gt read gold', () => {
  const texts = ['\\boxed{3}', '\\boxed{3}', '\\boxed{5}', 'no answer'];
  const resp = (ts: string[]) => [ts.map((text) => ({ ids: [], text, logprobs: [], entropies: [], certainties: [], truncated: false }))];
  const [t] = rewardStep(resp(texts), 'ttrl', { minVoteShare: 0 }, null);
  assert.deepEqual(t!.rewards, [1, 1, 0, 0]);
  assert.equal(t!.label, '3');
  const [o] = rewardStep(resp(texts), 'oracle', { minVoteShare: 0 }, () => '5');
  assert.deepEqual(o!.rewards, [0, 0, 1, 0]);
  assert.throws(() => rewardStep(resp(texts), 'oracle', { minVoteShare: 0 }, null), /needs gold/);
  const [skipped] = rewardStep(resp(['\\boxed{1}', '\\boxed{2}', '\\boxed{3}']), 'ttrl', { minVoteShare: 0.5 }, null);
  assert.equal(skipped!.used, false, 'vote share 1/3 < min_vote_share 0.5');
  assert.deepEqual(Object.entries(REWARD_MODES).filter(([, m]) => m.usesGold).map(([k]) => k), ['oracle', 'hybrid_gt']);
});

for (const precision of ['fp32', 'bf16']) test(`resume after a clean stop ends bit-identical to an uninterrupted run (${precision})`, async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  const cfg = cfgFor(dir, data, { 'eval.every': 0, 'eval.at_start': false, 'run.save_every': 1, 'model.precision': precision });
  await train(cfg, { out: path.join(dir, 'full'), quiet: true, report: false });
  await train(cfg, { out: path.join(dir, 'part'), quiet: true, report: false, maxSteps: 2 });
  await train(cfg, { out: path.join(dir, 'part'), quiet: true, report: false, resume: true });
  assertSameWeights(path.join(dir, 'full', 'final'), path.join(dir, 'part', 'final'));
  const steps = fs.readFileSync(path.join(dir, 'part', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'step').map((r) => r.step);
  assert.deepEqual(steps, [1, 2, 3, 4]);
});

test('SIGKILL mid-run, then --resume: weights bit-identical to an uninterrupted run', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  const args = (out: string) => [CLI, 'train', '--model.path', dir, '--data.path', data, '--out', out, '--quiet',
    '--data.prompts_per_step', '2', '--rollout.n_votes', '6', '--rollout.n_train', '4', '--rollout.max_response_len', '12',
    '--optim.mini_batch', '4', '--optim.micro_batch', '2', '--optim.lr', '1e-3', '--optim.schedule', 'constant',
    '--optim.warmup_ratio', '0', '--eval.every', '0', '--eval.at_start', 'false', '--run.episodes', '3', '--run.seed', '5', '--save-every', '1'];
  execFileSync(process.execPath, args(path.join(dir, 'full')), { stdio: 'pipe' });
  const killed = path.join(dir, 'killed');
  const child = spawn(process.execPath, args(killed), { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // kill at an arbitrary moment after the step-2 checkpoint exists (mid-step 3, or mid-checkpoint write)
  const poll = setInterval(() => {
    if (fs.existsSync(path.join(killed, 'checkpoints', 'step-2'))) child.kill('SIGKILL');
  }, 5);
  const signal = await exited;
  clearInterval(poll);
  assert.equal(signal, 'SIGKILL', 'the child must die by the kill, not finish first');
  execFileSync(process.execPath, [...args(killed), '--resume'], { stdio: 'pipe' });
  assertSameWeights(path.join(dir, 'full', 'final'), path.join(killed, 'final'));
});
