// `ttrl demo` end to end, on a configuration small enough for the test suite but through the same code path
// as the CLI (runDemo → train → report → table and JSON line): output layout, every JSON field, numbers that
// agree between summary.json, the runs' own metrics and the JSON line, the shipped base, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { runDemo, SHIPPED_BASE, type DemoSummary } from '../../src/demo/run.js';
import { DEMO_PRESETS, type DemoPreset } from '../../src/demo/config.js';
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

const evalsOf = (runDir: string): { step: number; pass1: number; maj: number }[] =>
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
      runDemo({ out, seed: 3, preset: TINY, pretrain: false, quiet: true, log: (l) => lines.push(l) });
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
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as DemoSummary;
    for (const mode of ['ttrl', 'oracle'] as const) {
      const last = evalsOf(path.join(out, mode)).at(-1)!;
      assert.equal(last.step, 1);
      assert.equal(summary[mode].pass1, last.pass1);
      assert.equal(summary[mode].maj, last.maj);
    }
    assert.ok(summary.seconds > 0 && summary.seconds <= seconds + 1, `seconds ${summary.seconds} vs measured ${seconds}`);
    assert.ok(seconds < 120, `tiny demo took ${seconds.toFixed(0)} s`);

    // the JSON line: every field of the shape, numbers in range, equal to the summary (rounded)
    const j = JSON.parse(jsonLine(a));
    assert.deepEqual(Object.keys(j), ['base', 'ttrl', 'oracle', 'seconds']);
    assert.deepEqual(Object.keys(j.base), ['pass1', 'maj']);
    assert.deepEqual(Object.keys(j.ttrl), ['pass1', 'maj', 'label_acc']);
    assert.deepEqual(Object.keys(j.oracle), ['pass1', 'maj']);
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
