// Rollouts on `ttrl serve` processes (rollout.engine kind openai) against the same run with local rollouts:
// the same responses, hence the same rewards and (to float rounding: old log-probs are recomputed by the
// policy, not taken from the sampler) the same weights, even when one server is killed mid-run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/rl/config-io.js';
import { train } from '../../src/rl/trainer.js';
import { OpenAIEngine } from '../../src/rl/remote.js';
import { localEngine } from '../../src/rl/rollout.js';
import { loadModel } from '../../src/model/model.js';
import { readSafetensorsFile } from '../../src/model/safetensors.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { resolveSampling } from '../../src/sample/index.js';
import { TtrlError } from '../../src/util/errors.js';
import { tinyModelDir, taskData } from './tiny.js';
import { spawnServe, post, type Child } from '../serve/helpers.js';

const children: Child[] = [];
after(() => { for (const c of children) c.proc.kill('SIGKILL'); });

function cfgFor(modelDir: string, data: string, extra: Record<string, unknown> = {}) {
  return loadConfig(null, {
    'model.path': modelDir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 6, 'rollout.n_train': 4,
    'rollout.max_response_len': 12, 'optim.mini_batch': 4, 'optim.micro_batch': 2, 'optim.lr': 1e-3, 'optim.schedule': 'constant',
    'optim.warmup_ratio': 0, 'eval.every': 0, 'eval.at_start': false, 'run.episodes': 3, 'run.seed': 5,
    'model.precision': 'fp32', ...extra,  // as the servers (spawnServe): remote and local rollouts compared bit for bit
  });
}

const stepLines = (run: string): Record<string, number>[] =>
  fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'step');

function maxWeightDiff(a: string, b: string): number {
  const ma = loadModel(a), mb = loadModel(b);
  let d = 0;
  for (const [k, p] of ma.params) {
    const x = ma.be.read(p.buf), y = mb.be.read(mb.params.get(k)!.buf);
    for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  }
  return d;
}

test('TTRL with rollouts from two ttrl serve processes equals local rollouts, and survives one server killed mid-run', async () => {
  const dir = await tinyModelDir(3);
  const data = taskData(dir, 4);
  const servers = await Promise.all([0, 1].map(() => spawnServe(['--model', dir, '--max-slots', '8'])));
  children.push(...servers);
  await train(cfgFor(dir, data), { out: path.join(dir, 'local'), quiet: true, report: false });
  const remoteRun = path.join(dir, 'remote');
  const engine = { kind: 'openai', urls: servers.map((s) => `${s.url}/v1`), max_inflight: 2, retries: 8, timeout_s: 30 };
  // kill the second server once the first step is recorded
  let killedAfter = -1;
  const killer = setInterval(() => {
    const n = fs.existsSync(path.join(remoteRun, 'metrics.jsonl')) ? stepLines(remoteRun).length : 0;
    if (n >= 1) { servers[1]!.proc.kill('SIGKILL'); killedAfter = n; clearInterval(killer); }
  }, 5);
  try {
    await train(cfgFor(dir, data, { 'rollout.engine': engine }), { out: remoteRun, quiet: true, report: false });
  } finally {
    clearInterval(killer);
  }
  assert.ok(killedAfter >= 1 && killedAfter < 6, `the second server was killed mid-run (after step ${killedAfter})`);
  const local = stepLines(path.join(dir, 'local')), remote = stepLines(remoteRun);
  assert.equal(remote.length, 6);
  for (const f of ['reward_mean', 'label_acc', 'resp_len_mean', 'truncated_frac', 'vote_share']) {
    if (!(f in local[0]!)) continue;
    assert.deepEqual(remote.map((s) => s[f]), local.map((s) => s[f]), `${f} per step`);
  }
  const d = maxWeightDiff(path.join(dir, 'local', 'final'), path.join(remoteRun, 'final'));
  assert.ok(d < 1e-5, `final weights differ by ${d}`);
  process.stdout.write(`# remote vs local: server killed after step ${killedAfter}; final weights differ by at most ${d.toExponential(2)}\n`);
  assert.ok(maxWeightDiff(dir, path.join(remoteRun, 'final')) > 1e-3, 'the run trained');
  // the surviving server ends on the run's last weights
  assert.deepEqual(await (await fetch(`${servers[0]!.url}/get_weight_version`)).json(), { weight_version: 'step-6' });
});

test('a server that serves other weights is re-synced before its samples are used; no server: a clear error', async () => {
  const dir = await tinyModelDir(4);
  const s = await spawnServe(['--model', dir]);
  children.push(s);
  const policy = loadModel(dir), tok = await loadTokenizer(dir);
  const decode = (ids: number[]): string => tok.decode(ids, { skipSpecial: true });
  const settings = { urls: [`${s.url}/v1`], model: dir, weightSync: 'disk' as const, maxInflight: 2, timeoutMs: 30_000, retries: 3 };
  const logs: string[] = [];
  const eng = new OpenAIEngine(settings, policy, path.join(dir, 'w'), dir, (l) => logs.push(l));
  await eng.sync(policy, 7);
  // behind the engine's back the server loads other weights under another version
  const other = await tinyModelDir(9);
  assert.equal((await post(`${s.url}/update_weights_from_disk`, { model_path: other, weight_version: 'stale' })).status, 200);
  const sampling = resolveSampling({ temperature: 1, topP: 1, maxNewTokens: 10, eosIds: tok.eosIds });
  const reqs = [{ ids: tok.encode('3+4=', { addSpecial: true }), n: 4, key: 11 }, { ids: tok.encode('1+1=', { addSpecial: true }), n: 3, key: 2 }];
  const got = await eng.generate(reqs, sampling, 1234, {});
  const want = (await localEngine(policy, decode).generate(reqs, sampling, 1234, {}))!;
  assert.deepEqual(got.map((g) => g.map((r) => r.ids)), want.map((g) => g.map((r) => r.ids)));
  assert.deepEqual(got.map((g) => g.map((r) => r.text)), want.map((g) => g.map((r) => r.text)));
  const lpDiff = Math.max(...got.flatMap((g, i) => g.flatMap((r, j) => r.logprobs.map((x, t) => Math.abs(x - want[i]![j]!.logprobs[t]!)))));
  assert.ok(lpDiff < 1e-4, `recomputed log-probs differ from the sampler's by ${lpDiff}`);
  // the rescoring forward's entropies equal the sampler's per-token entropies (token_level_entropy on remote rollouts)
  const entDiff = Math.max(...got.flatMap((g, i) => g.flatMap((r, j) => r.entropies.map((x, t) => Math.abs(x - want[i]![j]!.entropies[t]!)))));
  assert.ok(entDiff < 1e-4 && got[0]![0]!.entropies.length === got[0]![0]!.ids.length, `recomputed entropies differ by ${entDiff}`);
  assert.ok(logs.some((l) => /weight_version stale/.test(l)), `the stale server was noticed: ${logs.join(' | ')}`);
  assert.deepEqual(await (await fetch(`${s.url}/get_weight_version`)).json(), { weight_version: 'step-7' });
  // nothing listening: the run stops with one clear error naming the URL
  const dead = new OpenAIEngine({ ...settings, urls: ['http://127.0.0.1:9/v1'], weightSync: 'none', retries: 1 }, policy, dir, dir, () => {});
  await assert.rejects(dead.generate(reqs, sampling, 1, {}), (e: unknown) => e instanceof TtrlError && /no server answered.*127\.0\.0\.1:9/.test((e as Error).message));
});

test('a LoRA run: weight_sync lora (the adapter) and disk (merged weights) on ttrl serve match local rollouts', async () => {
  const dir = await tinyModelDir(5);
  const data = taskData(dir, 4);
  const lora = { 'model.lora': { r: 4, alpha: 8, target_modules: ['q_proj', 'v_proj', 'gate_proj'] }, 'optim.lr': 1e-2, 'run.episodes': 2 };
  const s = await spawnServe(['--model', dir]);
  children.push(s);
  await train(cfgFor(dir, data, lora), { out: path.join(dir, 'local'), quiet: true, report: false });
  const local = stepLines(path.join(dir, 'local'));
  const adapter = (run: string): Map<string, Float32Array> =>
    new Map([...readSafetensorsFile(path.join(run, 'final', 'adapter_model.safetensors'))].map(([k, t]) => [k, t.data as Float32Array]));
  const want = adapter(path.join(dir, 'local'));
  for (const sync of ['lora', 'disk']) {
    const run = path.join(dir, sync);
    await train(cfgFor(dir, data, { ...lora, 'rollout.engine': { kind: 'openai', urls: [`${s.url}/v1`], weight_sync: sync } }), { out: run, quiet: true, report: false });
    assert.deepEqual(stepLines(run).map((l) => l.reward_mean), local.map((l) => l.reward_mean), `${sync}: rewards per step`);
    let d = 0;
    for (const [k, x] of adapter(run)) x.forEach((v, i) => { d = Math.max(d, Math.abs(v - want.get(k)![i]!)); });
    assert.ok(d < 1e-5, `${sync}: final adapters differ by ${d}`);
    assert.deepEqual(await (await fetch(`${s.url}/get_weight_version`)).json(), { weight_version: 'step-4' });
  }
  assert.ok(local.some((l) => l.reward_mean > 0) && local.some((l) => l.reward_mean < 1), 'rewards vary, so the samples matter');
});
