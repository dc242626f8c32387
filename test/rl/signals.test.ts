// Ctrl-C and SIGTERM on a real `ttrl train` child process: the run stops at the next safe point (also in
// the middle of a long rollout), writes a checkpoint, names --resume, exits 130 / 143, and a resumed run
// ends with the weights of an uninterrupted one. A second signal exits at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { loadModel } from '../../src/model/model.js';
import { Interrupt } from '../../src/rl/interrupt.js';
import { tinyModelDir, taskData } from './tiny.js';
import { repoRoot } from '../shared.js';

const CLI = path.join(repoRoot, 'bin', 'ttrl.js');

function args(dir: string, data: string, out: string, extra: string[] = [], episodes = 3): string[] {
  return [CLI, 'train', '--model.path', dir, '--data.path', data, '--out', out,
    '--data.prompts_per_step', '2', '--rollout.n_votes', '6', '--rollout.n_train', '4', '--rollout.max_response_len', '12',
    '--optim.mini_batch', '4', '--optim.micro_batch', '2', '--optim.lr', '1e-3', '--optim.schedule', 'constant',
    '--optim.warmup_ratio', '0', '--eval.every', '0', '--eval.at_start', 'false', '--run.episodes', String(episodes), '--run.seed', '5', ...extra];
}

function assertSameWeights(a: string, b: string): void {
  const ma = loadModel(a), mb = loadModel(b);
  for (const [k, p] of ma.params) assert.deepEqual(mb.be.read(mb.params.get(k)!.buf), ma.be.read(p.buf), `${k} differs between ${a} and ${b}`);
}

interface Child { code: number | null; signal: NodeJS.Signals | null; stderr: string; msAfterSignal: number }

/** Runs the CLI, sends `signals` once `ready(stderr, out)` holds, and waits for the exit. */
function runAndSignal(argv: string[], signals: NodeJS.Signals[], ready: (stderr: string) => boolean): Promise<Child> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '', sentAt = 0;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const poll = setInterval(() => {
      if (sentAt || !ready(stderr)) return;
      sentAt = performance.now();
      for (const s of signals) child.kill(s);
    }, 10);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stderr, msAfterSignal: sentAt ? performance.now() - sentAt : NaN });
    });
  });
}

const stepLines = (out: string): number[] => {
  const f = path.join(out, 'metrics.jsonl');
  if (!fs.existsSync(f)) return [];
  return fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.kind === 'step').map((r) => r.step);
};

test('Ctrl-C mid-run: checkpoint, one line naming --resume, exit 130; --resume ends bit-identical to an uninterrupted run', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  // 20 short steps, so the signal lands mid-run even on a busy machine
  execFileSync(process.execPath, args(dir, data, path.join(dir, 'full'), ['--quiet'], 10), { stdio: 'pipe' });
  const out = path.join(dir, 'stopped');
  const r = await runAndSignal(args(dir, data, out, ['--quiet'], 10), ['SIGINT'], () => stepLines(out).length >= 1);
  assert.equal(r.signal, null, 'the child handled the signal itself');
  assert.equal(r.code, 130, r.stderr);
  const done = stepLines(out);
  assert.ok(done.length >= 1 && done.length < 20, `stopped mid-run, after steps ${done}`);
  const lines = r.stderr.split('\n').filter((l) => l.includes('--resume'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`stopped by SIGINT after step ${done.at(-1)}: checkpoint .*step-${done.at(-1)}`));
  process.stderr.write(`# SIGINT: stopped after step ${done.at(-1)}, exited ${r.msAfterSignal.toFixed(0)} ms after the signal\n`);
  execFileSync(process.execPath, [...args(dir, data, out, ['--quiet'], 10), '--resume'], { stdio: 'pipe' });
  assertSameWeights(path.join(dir, 'full', 'final'), path.join(out, 'final'));
  assert.deepEqual(stepLines(out), Array.from({ length: 20 }, (_, i) => i + 1));
});

test('SIGTERM in the middle of a long rollout drops the rollout, checkpoints step 0 and exits 143', async () => {
  const dir = await tinyModelDir();
  const data = taskData(dir, 4);
  const out = path.join(dir, 'term');
  // one step of 2 prompts × 512 votes × 200 tokens: several seconds of sampling
  const long = args(dir, data, out, ['--rollout.n_votes', '512', '--rollout.max_response_len', '200', '--max-steps', '1']);
  const r = await runAndSignal(long, ['SIGTERM'], (e) => /step 1\/1 rollout \d+\/1024 [1-9]\d?%/.test(e));
  assert.equal(r.code, 143, r.stderr);
  assert.deepEqual(stepLines(out), [], 'the interrupted step left no record');
  assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'step-0', 'state.json')));
  assert.match(r.stderr, /stopped by SIGTERM after step 0: .*--resume/);
  assert.doesNotMatch(r.stderr, /rollout 1024\/1024/, 'the rollout did not run to its end');
  process.stderr.write(`# SIGTERM mid-rollout: exited ${r.msAfterSignal.toFixed(0)} ms after the signal\n`);
});

test('a second signal exits at once with 128 + n (real signals to this process)', async () => {
  const exits: number[] = [];
  const realExit = process.exit;
  process.exit = ((code?: number) => { exits.push(code ?? 0); }) as typeof process.exit;
  const notes: string[] = [];
  const intr = new Interrupt((s) => notes.push(s)).install();
  try {
    process.kill(process.pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(intr.signal, 'SIGINT');
    assert.deepEqual(exits, [], 'the first signal only asks to stop');
    process.kill(process.pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(exits, [130]);
    process.kill(process.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(exits, [130, 143]);
    assert.deepEqual(notes, ['SIGINT']);
  } finally {
    intr.uninstall();
    process.exit = realExit;
  }
});
