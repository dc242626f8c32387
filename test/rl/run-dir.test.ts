// Run folders are never silently reused; disk and permission failures keep the last checkpoint resumable;
// bad eval paths and answerless data are reported as the user needs to hear them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../../src/rl/config-io.js';
import { train, lastCheckpoint } from '../../src/rl/trainer.js';
import { loadModel } from '../../src/model/model.js';
import { TtrlError } from '../../src/util/errors.js';
import { trainingChanges } from '../../src/rl/run-dir.js';
import { tinyModelDir, taskData } from './tiny.js';

function cfgFor(modelDir: string, data: string, extra: Record<string, unknown> = {}) {
  return loadConfig(null, {
    'model.path': modelDir, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 6, 'rollout.n_train': 4,
    'rollout.max_response_len': 12, 'optim.mini_batch': 4, 'optim.micro_batch': 2, 'optim.lr': 1e-3, 'optim.schedule': 'constant',
    'optim.warmup_ratio': 0, 'eval.every': 0, 'eval.at_start': false, 'run.episodes': 2, 'run.seed': 5, 'run.save_every': 1, ...extra,
  });
}
const quiet = { quiet: true, report: false } as const;

function assertSameWeights(a: string, b: string): void {
  const ma = loadModel(a), mb = loadModel(b);
  for (const [k, p] of ma.params) assert.deepEqual(mb.be.read(mb.params.get(k)!.buf), ma.be.read(p.buf), `${k} differs`);
}

const ttrlError = (re: RegExp) => (e: unknown) => e instanceof TtrlError && re.test(e.message);

test('a folder holding a run is refused without --resume; --overwrite replaces the old run', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4), out = path.join(dir, 'run');
  await train(cfgFor(dir, data), { out, ...quiet });
  assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-4')));
  await assert.rejects(train(cfgFor(dir, data), { out, ...quiet }), ttrlError(/already holds a run .*--resume.*--out.*--overwrite/));
  assert.ok(fs.existsSync(path.join(out, 'final')), 'the refused run touched nothing');
  await train(cfgFor(dir, data), { out, overwrite: true, maxSteps: 1, ...quiet });
  // only the new run is left: its one step and its own checkpoint, no old step-4
  const steps = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.deepEqual(steps, [1]);
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')), ['step-1']);
  assertSameWeights(path.join(out, 'final'), path.join(out, 'checkpoints', 'step-1'));
  await assert.rejects(train(cfgFor(dir, data), { out, resume: true, overwrite: true, ...quiet }), ttrlError(/exclude each other/));
});

test('--resume refuses changed training settings and names them; --force accepts; eval settings may change', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4), out = path.join(dir, 'run');
  await train(cfgFor(dir, data), { out, maxSteps: 2, ...quiet });
  await assert.rejects(train(cfgFor(dir, data, { 'optim.lr': 2e-3, 'rollout.n_votes': 8 }), { out, resume: true, ...quiet }),
    ttrlError(/rollout\.n_votes 6 → 8.*optim\.lr 0\.001 → 0\.002.*--force/));
  const r = await train(cfgFor(dir, data, { 'eval.k': 3, 'run.save_every': 2 }), { out, resume: true, maxSteps: 3, ...quiet });
  assert.equal(r.steps, 3, 'eval.* and run.save_every do not block a resume');
  const f = await train(cfgFor(dir, data, { 'optim.lr': 2e-3 }), { out, resume: true, force: true, ...quiet });
  assert.equal(f.steps, 4);
});

test('stale temporary files of dead processes are removed at start; a live process keeps its own', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4), out = path.join(dir, 'run');
  await train(cfgFor(dir, data), { out, maxSteps: 1, ...quiet });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;  // exited: its pid runs nothing of ours
  const stale = [path.join(out, 'checkpoints', `step-2.tmp-${dead}`), path.join(out, `final.tmp-${dead}`)];
  for (const d of stale) { fs.mkdirSync(d, { recursive: true }); fs.writeFileSync(path.join(d, 'model.safetensors'), Buffer.alloc(1024)); }
  fs.writeFileSync(path.join(out, `metrics.jsonl.tmp-${dead}`), 'x');
  const live = path.join(out, 'checkpoints', `step-3.tmp-${process.ppid}`);  // the test runner: alive
  fs.mkdirSync(live);
  await train(cfgFor(dir, data), { out, resume: true, maxSteps: 2, ...quiet });
  for (const d of stale) assert.ok(!fs.existsSync(d), `${d} should be gone`);
  assert.ok(!fs.existsSync(path.join(out, `metrics.jsonl.tmp-${dead}`)));
  assert.ok(fs.existsSync(live), 'a running process keeps its temporary folder');
});

/** Makes fs[name] throw an errno error for paths matching `where` while fn runs. */
async function failing<T>(name: 'openSync' | 'appendFileSync', where: RegExp, code: string, fn: () => Promise<T>): Promise<T> {
  const real = fs[name] as (...a: unknown[]) => unknown;
  (fs as unknown as Record<string, unknown>)[name] = (p: unknown, ...rest: unknown[]) => {
    if (typeof p === 'string' && where.test(p)) throw Object.assign(new Error(`${code}: injected, ${name} '${p}'`), { code, path: p, syscall: 'open' });
    return real.call(fs, p, ...rest);
  };
  try { return await fn(); } finally { (fs as unknown as Record<string, unknown>)[name] = real; }
}

test('a full disk while writing a checkpoint: one line naming path and cause; the last checkpoint stays resumable', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  await train(cfgFor(dir, data), { out: path.join(dir, 'full'), ...quiet });
  const out = path.join(dir, 'run');
  await assert.rejects(failing('openSync', /step-3\.tmp-/, 'ENOSPC', () => train(cfgFor(dir, data), { out, ...quiet })), (e: unknown) => {
    assert.ok(e instanceof TtrlError, String(e));
    assert.match(e.message, /step-3\.tmp-\d+.*no space left on device \(ENOSPC\).*checkpoints\/step-2.*--resume/);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
  assert.equal(lastCheckpoint(out), path.join(out, 'checkpoints', 'step-2'));
  assert.deepEqual(fs.readdirSync(path.join(out, 'checkpoints')).sort(), ['step-1', 'step-2'], 'no half-written step-3 left');
  await train(cfgFor(dir, data), { out, resume: true, ...quiet });
  assertSameWeights(path.join(dir, 'full', 'final'), path.join(out, 'final'));
});

test('a permission error on the metrics log names the file; EROFS on config.yaml too', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  await assert.rejects(failing('appendFileSync', /metrics\.jsonl$/, 'EACCES', () => train(cfgFor(dir, data), { out: path.join(dir, 'a'), ...quiet })),
    ttrlError(/metrics\.jsonl: permission denied \(EACCES\)|cannot write .*metrics\.jsonl: permission denied \(EACCES\)/));
  await assert.rejects(failing('openSync', /config\.yaml\.tmp-/, 'EROFS', () => train(cfgFor(dir, data), { out: path.join(dir, 'b'), ...quiet })),
    ttrlError(/config\.yaml\.tmp-\d+: read-only file system \(EROFS\)/));
});

test('a missing eval.path is an error naming the key; data without answers trains and says so once', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  await assert.rejects(train(cfgFor(dir, data, { 'eval.path': path.join(dir, 'nope.jsonl') }), { out: path.join(dir, 'a'), ...quiet }),
    ttrlError(/^eval\.path: .*nope\.jsonl does not exist/));
  const bare = path.join(dir, 'bare.jsonl');
  fs.writeFileSync(bare, fs.readFileSync(data, 'utf8').trim().split('\n').map((l) => { const { answer: _, ...r } = JSON.parse(l); return JSON.stringify(r); }).join('\n') + '\n');
  await assert.rejects(train(cfgFor(dir, data, { 'eval.path': bare }), { out: path.join(dir, 'b'), ...quiet }), ttrlError(/^eval\.path: .*no field 'answer'/));
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => { said.push(String(s)); return true; }) as typeof process.stderr.write;
  let r;
  try { r = await train(cfgFor(dir, bare, { 'eval.every': 1 }), { out: path.join(dir, 'c'), ...quiet }); } finally { process.stderr.write = write; }
  assert.equal(r.steps, 4);
  assert.equal(r.lastEval, null);
  const notes = said.filter((s) => /no gold answers/.test(s));
  assert.equal(notes.length, 1, said.join(''));
  assert.match(notes[0]!, /Training needs none; evaluation and the label diagnostics do/);
});

test('trainingChanges: eval and bookkeeping keys are free; a path named two ways is the same', () => {
  const base = loadConfig(null, { 'model.path': 'models/m', 'data.path': 'd.jsonl', 'run.episodes': 1 });
  const same = loadConfig(null, { 'model.path': path.resolve('models/m'), 'data.path': './d.jsonl', 'run.episodes': 1,
    'eval.k': 4, 'run.save_every': 3, 'run.name': 'other', 'run.out_dir': 'elsewhere' });
  assert.deepEqual(trainingChanges(base, same), []);
  const other = loadConfig(null, { 'model.path': 'models/m', 'data.path': 'd.jsonl', 'run.episodes': 2, 'algorithm.ppo_epochs': 2 });
  assert.deepEqual(trainingChanges(base, other), ['algorithm.ppo_epochs 1 → 2', 'run.episodes 1 → 2']);
});
