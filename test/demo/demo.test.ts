// `ttrl demo` end to end, on a configuration small enough for the test suite but through the same code path
// as the CLI (runDemo → train → report → table and JSON line): output layout, every JSON field, numbers that
// agree between summary.json, the runs' own metrics and the JSON line, the shipped base, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { runDemo, resolveMethods, SHIPPED_BASE, type DemoSummary } from '../../src/demo/run.js';
import { DEMO_PRESETS, DEFAULT_METHODS, type DemoPreset } from '../../src/demo/config.js';
import { TtrlError } from '../../src/util/errors.js';
import { formatTable, jsonLine } from '../../src/cli/demo.js';
import { readConfig } from '../../src/model/config.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { repoRoot } from '../shared.js';

const CLI = path.join(repoRoot, 'bin', 'ttrl.js');

/** The quick preset shrunk: 8 problems, one step per run, 4 votes, 4 eval samples. */
const TINY: DemoPreset = {
  ...DEMO_PRESETS.quick, testSize: 8, episodes: 1, evalEvery: 0,
  rl: { ...DEMO_PRESETS.quick.rl, 'rollout.n_votes': 4, 'rollout.n_train': 4, 'optim.mini_batch': 4, 'optim.micro_batch': 4, 'eval.k': 4 },
};

const evalsOf = (runDir: string): { step: number; pass1: number; maj: number; greedy: number }[] =>
  fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'eval');

test('the shipped base is a small Hugging Face model directory with its own tokenizer', async () => {
  const files = fs.readdirSync(SHIPPED_BASE);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
    assert.ok(files.includes(f), `${SHIPPED_BASE} lacks ${f}`);
  }
  const bytes = files.reduce((a, f) => a + fs.statSync(path.join(SHIPPED_BASE, f)).size, 0);
  assert.ok(bytes < 4 * 2 ** 20, `shipped base is ${bytes} bytes`);
  const cfg = readConfig(SHIPPED_BASE);
  const tok = await loadTokenizer(SHIPPED_BASE);
  assert.equal(cfg.modelType, 'llama');
  assert.equal(cfg.vocabSize, tok.vocabSize);
  assert.deepEqual(cfg.eosIds, tok.eosIds);
  assert.equal(tok.idToToken(tok.eosIds[0]!), '<|im_end|>');
  // digits are single tokens (Qwen2 style)
  assert.deepEqual(tok.encode('2025').map((id) => tok.decode([id])), ['2', '0', '2', '5']);
});

test('runDemo (tiny preset): run directories, summary, report, JSON line, determinism', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-demo-'));
  try {
    const lines: string[] = [];
    const go = (out: string): Promise<DemoSummary> =>
      runDemo({ out, seed: 3, preset: TINY, pretrain: false, quiet: true, methods: ['ttrl', 'oracle'], log: (l) => lines.push(l) });
    const t0 = performance.now();
    const a = await go(path.join(root, 'a'));
    const seconds = (performance.now() - t0) / 1000;
    const out = path.join(root, 'a');

    for (const f of ['base/config.json', 'base/model.safetensors', 'base/tokenizer.json', 'test.json', 'summary.json', 'report.html',
      'ttrl/config.yaml', 'ttrl/metrics.jsonl', 'ttrl/final/model.safetensors', 'ttrl/final/tokenizer.json',
      'oracle/config.yaml', 'oracle/metrics.jsonl', 'oracle/final/model.safetensors']) {
      assert.ok(fs.existsSync(path.join(out, f)), `missing ${f}`);
    }
    assert.match(fs.readFileSync(path.join(out, 'ttrl', 'config.yaml'), 'utf8'), /mode: ttrl/);
    assert.match(fs.readFileSync(path.join(out, 'oracle', 'config.yaml'), 'utf8'), /mode: oracle/);
    const problems = JSON.parse(fs.readFileSync(path.join(out, 'test.json'), 'utf8')) as { prompt: string; answer: string }[];
    assert.equal(problems.length, 8);

    // the summary's run numbers are the runs' own final evaluations
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Record<string, Record<string, number>>;
    for (const mode of ['ttrl', 'oracle'] as const) {
      const last = evalsOf(path.join(out, mode)).at(-1)!;
      assert.equal(last.step, 1);
      for (const k of ['pass1', 'maj', 'greedy'] as const) {
        assert.equal(summary[mode]![k], last[k]);
        assert.equal(a.runs[mode]![k], last[k]);
      }
    }
    const took = summary.seconds as unknown as number;
    assert.ok(took > 0 && took <= seconds + 1, `seconds ${took} vs measured ${seconds}`);
    assert.ok(seconds < 120, `tiny demo took ${seconds.toFixed(0)} s`);

    // the JSON line: every field of the shape, numbers in range, equal to the summary (rounded)
    const j = JSON.parse(jsonLine(a));
    assert.deepEqual(Object.keys(j), ['base', 'ttrl', 'oracle', 'methods', 'seconds']);
    assert.deepEqual(Object.keys(j.base), ['pass1', 'maj', 'greedy']);
    assert.deepEqual(Object.keys(j.ttrl), ['pass1', 'maj', 'greedy', 'label_acc']);
    assert.deepEqual(Object.keys(j.oracle), ['pass1', 'maj', 'greedy']);
    assert.deepEqual(j.methods, {});
    for (const [row, v] of [['base', j.base], ['ttrl', j.ttrl], ['oracle', j.oracle]] as const) {
      for (const [k, x] of Object.entries(v as Record<string, number>)) {
        assert.ok(typeof x === 'number' && x >= 0 && x <= 1, `${row}.${k} = ${x}`);
        assert.ok(Math.abs(x - (summary as unknown as Record<string, Record<string, number>>)[row]![k]!) < 1e-4, `${row}.${k}`);
      }
    }
    // avg@4 over 8 problems: multiples of 1/32; maj over 8 problems: multiples of 1/8
    assert.equal(Math.round(a.base.pass1 * 32), a.base.pass1 * 32);
    assert.equal(Math.round(a.base.maj * 8), a.base.maj * 8);
    assert.match(formatTable(a), /TTRL \(no labels\)/);

    // deterministic for a seed (all but the time)
    const b = await go(path.join(root, 'b'));
    assert.deepEqual({ ...b, seconds: 0 }, { ...a, seconds: 0 });
    assert.ok(lines.some((l) => l.includes('base: pass@1')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('ttrl demo: --help, and a bad flag or seed is a one-line error', () => {
  const help = execFileSync(process.execPath, [CLI, 'demo', '--help'], { encoding: 'utf8' });
  assert.match(help, /--quick/);
  const bad = spawnSync(process.execPath, [CLI, 'demo', '--fast'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  const seed = spawnSync(process.execPath, [CLI, 'demo', '--seed', 'x'], { encoding: 'utf8' });
  assert.equal(seed.status, 2);
  assert.match(seed.stderr, /--seed must be a non-negative integer/);
});

test('methods: the asked ones in order, each checked; by default the default ones this build has', () => {
  const notes: string[] = [];
  const valid = (m: string) => ['ttrl', 'oracle', 'self_certainty'].includes(m);
  assert.deepEqual(resolveMethods(['oracle', 'ttrl'], valid, (l) => notes.push(l)), ['oracle', 'ttrl']);
  assert.throws(() => resolveMethods(['ttrl', 'nope'], valid, () => {}), (e: unknown) => e instanceof TtrlError && /nope is not a reward mode/.test(e.message));
  assert.throws(() => resolveMethods(['ttrl', 'ttrl'], valid, () => {}), /named twice/);
  assert.throws(() => resolveMethods([], valid, () => {}), /at least one/);
  assert.deepEqual(resolveMethods(undefined, valid, (l) => notes.push(l)), DEFAULT_METHODS.filter(valid));
  assert.equal(notes.length, DEFAULT_METHODS.filter((m) => !valid(m)).length);
});

test('the JSON line: ttrl and oracle on top, the other methods under "methods", greedy everywhere', () => {
  const sc = (x: number) => ({ pass1: x, maj: x + 0.1, greedy: x - 0.1, label_acc: x + 0.2 });
  const s: DemoSummary = { base: { pass1: 0.3, maj: 0.6, greedy: 0.2 }, runs: { ttrl: sc(0.5), self_certainty: sc(0.4), oracle: sc(0.7) },
    seconds: 12.34, seed: 1, n_problems: 8, k: 4, steps: 3 };
  assert.deepEqual(JSON.parse(jsonLine(s)), {
    base: { pass1: 0.3, maj: 0.6, greedy: 0.2 },
    ttrl: { pass1: 0.5, maj: 0.6, greedy: 0.4, label_acc: 0.7 },
    oracle: { pass1: 0.7, maj: 0.8, greedy: 0.6 },
    methods: { self_certainty: { pass1: 0.4, maj: 0.5, greedy: 0.3 } },
    seconds: 12.3,
  });
  const table = formatTable(s);
  assert.match(table, /self_certainty \(no labels\)\s+40\.0\s+50\.0\s+30\.0/);
  assert.match(table, /base\s+30\.0\s+60\.0\s+20\.0/);
});
