import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { presetEpisodes } from '../../src/rl/config.js';
import { CONFIG_KEYS, configArgOptions, describeConfig, dumpConfig, loadConfig, overridesFromArgs, parseConfig } from '../../src/rl/config-io.js';
import { TtrlError } from '../../src/util/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-config-'));
const write = (name: string, text: string) => { const f = path.join(tmp, name); fs.writeFileSync(f, text); return f; };
const REQUIRED = ['model.path=/models/qwen', 'data.path=/data/AIME-TTT.json'];

test('defaults reproduce the TTRL.md reference table', () => {
  const c = loadConfig(null, REQUIRED);
  // hand-copied from shared/TTRL.md "One training step (reference settings)" and "Evaluation"
  assert.equal(c.data.prompts_per_step, 8);
  assert.equal(c.data.shuffle, true);
  assert.equal(c.data.drop_last, true);
  assert.equal(c.rollout.n_votes, 64);
  assert.equal(c.rollout.n_train, 32);
  assert.equal(c.rollout.train_select, 'first');
  assert.equal(c.rollout.temperature, 1.0);
  assert.equal(c.rollout.top_p, 1.0);
  assert.equal(c.rollout.max_response_len, 3072);
  assert.equal(c.reward.mode, 'ttrl');
  assert.equal(c.reward.min_vote_share, 0);
  assert.equal(c.algorithm.adv, 'grpo');
  assert.equal(c.algorithm.adv_eps, 1e-6);
  assert.equal(c.algorithm.clip_low, 0.2);
  assert.equal(c.algorithm.clip_high, 0.2);
  assert.equal(c.algorithm.clip_ratio_c, 3.0);
  assert.equal(c.algorithm.loss_agg, 'token-mean');
  assert.equal(c.algorithm.kl_type, 'low_var_kl');
  assert.equal(c.algorithm.kl_coef, 0.001);
  assert.equal(c.algorithm.entropy_coeff, 0);
  assert.equal(c.algorithm.ppo_epochs, 1);
  assert.deepEqual([c.optim.name, c.optim.lr, c.optim.betas, c.optim.weight_decay, c.optim.grad_clip], ['adamw', 5e-7, [0.9, 0.999], 0.01, 1.0]);
  assert.deepEqual([c.optim.schedule, c.optim.warmup_ratio, c.optim.min_lr, c.optim.mini_batch], ['cosine', 0.03, 0, 32]);
  assert.deepEqual([c.eval.every, c.eval.k, c.eval.temperature, c.eval.top_p, c.eval.at_start], [2, 16, 0.6, 0.95, true]);
  assert.equal(c.run.episodes, 80); // AIME preset
  assert.equal(CONFIG_KEYS.length, describeConfig().length);
});

test('episode presets: AIME 80, AMC 30, MATH-500 10; others must say run.episodes', () => {
  assert.equal(presetEpisodes('/x/AIME-TTT.json'), 80);
  assert.equal(presetEpisodes('AMC-TTT.parquet'), 30);
  assert.equal(presetEpisodes('data/MATH-TTT.json'), 10);
  assert.equal(presetEpisodes('math500.jsonl'), 10);
  assert.equal(presetEpisodes('MATH-L3-TTT.json'), null);
  assert.equal(presetEpisodes('GPQA-TTT.json'), null);
  assert.throws(() => loadConfig(null, ['model.path=m', 'data.path=GPQA-TTT.json']), /run\.episodes: no preset for data file 'GPQA-TTT\.json'.*set run\.episodes/);
  assert.equal(loadConfig(null, ['model.path=m', 'data.path=GPQA-TTT.json', 'run.episodes=5']).run.episodes, 5);
  assert.equal(loadConfig(null, [...REQUIRED, 'run.episodes=3']).run.episodes, 3); // explicit beats the preset
});

test('unknown keys are rejected with their path, in files and overrides', () => {
  const f = write('unknown.yaml', 'model: {path: m}\ndata: {path: AIME.json}\nrollout:\n  n_vote: 16\nfoo: 1\n');
  assert.throws(() => loadConfig(f, []), (e: Error) => e instanceof TtrlError
    && /rollout\.n_vote: unknown key \(did you mean n_votes\?\)/.test(e.message) && /foo: unknown key/.test(e.message) && e.message.includes(f));
  assert.throws(() => loadConfig(null, [...REQUIRED, 'optim.learning_rate=1']), /override 'optim\.learning_rate': unknown key/);
  assert.throws(() => loadConfig(null, [...REQUIRED, 'optimizer.lr=1']), /unknown section 'optimizer' \(did you mean optim\?\)/);
  assert.throws(() => loadConfig(null, ['data.path=AIME.json']), /model: required section \(it needs model\.path\)/);
  assert.throws(() => loadConfig(null, ['model.path=m', 'data.format=json']), /data\.path: required/);
  assert.throws(() => loadConfig(null, [...REQUIRED, 'algorithm.loss_agg=seq-mean']), /algorithm\.loss_agg: Invalid option/);
  assert.throws(() => loadConfig(null, [...REQUIRED, 'algorithm.clip_ratio_c=1']), /algorithm\.clip_ratio_c: Too small/);
});

test('cross-field checks name the key to change', () => {
  const bad: [string[], RegExp][] = [
    [['rollout.n_votes=16'], /rollout\.n_train: must be ≤ rollout\.n_votes \(32 > 16\)/],
    [['optim.mini_batch=48'], /optim\.mini_batch: must divide data\.prompts_per_step × rollout\.n_train = 256/],
    [['optim.micro_batch=5'], /optim\.micro_batch: must divide optim\.mini_batch = 32/],
    [['optim.schedule=constant'], /optim\.warmup_ratio: schedule 'constant' has no warmup/],
    [['optim.min_lr=1e-6'], /optim\.min_lr: must be ≤ optim\.lr/],
    [['optim.schedule=linear-warmup', 'optim.min_lr=1e-8'], /optim\.min_lr: applies only to optim\.schedule=cosine/],
    [['rollout.temperature=0'], /rollout\.temperature: greedy rollouts make all votes identical/],
  ];
  for (const [o, re] of bad) assert.throws(() => loadConfig(null, [...REQUIRED, ...o]), re, o.join(' '));
  // the fixes are accepted
  loadConfig(null, [...REQUIRED, 'optim.schedule=constant', 'optim.warmup_ratio=0']);
  loadConfig(null, [...REQUIRED, 'rollout.temperature=0', 'reward.mode=none']);
  loadConfig(null, [...REQUIRED, 'optim.micro_batch=8']);
});

test('YAML and JSON files; overrides beat the file; values are typed by their key', () => {
  const y = write('a.yaml', 'model:\n  path: /m\n  system_prompt: "You are careful."\ndata:\n  path: AMC-TTT.json\noptim:\n  lr: 1.0e-6\n  betas: [0.9, 0.95]\n');
  const j = write('a.json', JSON.stringify({ model: { path: '/m', system_prompt: 'You are careful.' }, data: { path: 'AMC-TTT.json' }, optim: { lr: 1e-6, betas: [0.9, 0.95] } }));
  assert.deepEqual(loadConfig(y), loadConfig(j));
  const c = loadConfig(y, ['optim.lr=5e-7', 'run.name=123', 'model.system_prompt=null', 'eval.at_start=false', 'model.prompt_suffix=Answer: \\boxed{}']);
  assert.equal(c.optim.lr, 5e-7);
  assert.equal(c.run.name, '123'); // a string key keeps the text
  assert.equal(c.model.system_prompt, null);
  assert.equal(c.eval.at_start, false);
  assert.equal(c.model.prompt_suffix, 'Answer: \\boxed{}');
  assert.deepEqual(c.optim.betas, [0.9, 0.95]);
  assert.equal(c.run.episodes, 30);
  assert.deepEqual(loadConfig(y, { 'optim.lr': 2e-7 }).optim.lr, 2e-7);
  assert.throws(() => loadConfig(write('bad.yaml', 'model: [\n'), []), /config .*bad\.yaml: not valid YAML/);
  assert.throws(() => loadConfig(write('bad.json', '{"model": '), []), /bad\.json: not valid JSON/);
  assert.throws(() => loadConfig(path.join(tmp, 'missing.yaml'), []), /missing\.yaml: cannot read \(ENOENT\)/);
  assert.throws(() => loadConfig(write('list.yaml', '- 1\n'), []), /top level must be a mapping/);
});

test('dumpConfig is commented YAML that loadConfig reads back to the same config', () => {
  const c = loadConfig(null, [...REQUIRED, 'optim.lr=3e-7', 'optim.betas=[0.9, 0.99]', 'model.prompt_suffix=  # not a comment: x', 'eval.path=/e.parquet', 'optim.warmup_steps=4', 'algorithm.adv=drgrpo']);
  const text = dumpConfig(c);
  assert.match(text, /n_votes: 64 # responses sampled per prompt.*\[TTRL\.md: N\]/);
  const back = loadConfig(write('dump.yaml', text));
  assert.deepEqual(back, c);
  assert.deepEqual(parseConfig(JSON.parse(JSON.stringify(c)), 'json copy'), c);
});

test('every key is a parseArgs flag: --rollout.n_votes 16 --optim.lr=1e-6', () => {
  const { values } = parseArgs({
    args: ['--model.path', '/m', '--data.path=AIME.json', '--rollout.n_votes', '16', '--rollout.n_train=8', '--optim.lr=1e-6', '--config', 'x'],
    options: { ...configArgOptions(), config: { type: 'string' } },
    strict: true,
  });
  const c = loadConfig(null, overridesFromArgs(values));
  assert.deepEqual([c.rollout.n_votes, c.rollout.n_train, c.optim.lr, c.run.episodes], [16, 8, 1e-6, 80]);
  assert.throws(() => parseArgs({ args: ['--rollout.nvotes', '3'], options: configArgOptions(), strict: true }), /Unknown option/);
});
