// `ttrl generate` end to end (a child process), on the HF parity fixtures (which have no tokenizer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, SHARED_DIR } from '../shared.js';

const DIR = path.join(SHARED_DIR, 'fixtures', 'hf-parity');
const ttrl = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'generate', ...args], { encoding: 'utf8' });

test('--ids --temperature 0 --json prints one line {"ids": HF greedy tokens, ...}', () => {
  for (const name of ['qwen2', 'llama']) {
    const g = JSON.parse(fs.readFileSync(path.join(DIR, name, 'reference.json'), 'utf8')).generation;
    const r = ttrl('--model', path.join(DIR, name), '--ids', g.prompt[0].join(','), '--max-new-tokens', '10', '--temperature', '0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!);
    assert.deepEqual(out.ids, g.new_tokens[0]);
    assert.deepEqual(Object.keys(out), ['ids', 'text', 'logprobs', 'finish_reason']);
    assert.equal(out.text, null);
    assert.equal(out.logprobs.length, 10);
    assert.equal(out.finish_reason, 'length');
  }
});

test('-n 4 --json prints 4 reproducible samples; the readable form names each sample', () => {
  const args = ['--model', path.join(DIR, 'qwen2'), '--ids', '5,6,7', '--max-new-tokens', '6', '-n', '4', '--seed', '3'];
  const a = ttrl(...args, '--json'), b = ttrl(...args, '--json', '--max-slots', '2');
  assert.equal(a.status, 0, a.stderr);
  const la = a.stdout.trim().split('\n').map((l) => JSON.parse(l).ids);
  assert.equal(la.length, 4);
  assert.deepEqual(b.stdout.trim().split('\n').map((l) => JSON.parse(l).ids), la, 'same seed, other slot budget');
  const human = ttrl(...args);
  assert.equal(human.status, 0, human.stderr);
  assert.equal((human.stdout.match(/=== sample \d\/4/g) ?? []).length, 4);
  assert.ok(human.stdout.includes(`ids: ${la[0].join(' ')}`));
});

test('bad input exits 2 with a one-line message naming the flag', () => {
  const m = ['--model', path.join(DIR, 'qwen2')];
  for (const [args, re] of [
    [[...m, '--ids', '3,x'], /--ids 3,x/],
    [[...m, '--ids', '3', '--top-p', '1.5'], /--top-p 1.5/],
    [[...m, '--ids', '3', '--nope'], /nope/],
    [[...m, '--prompt', 'hi'], /tokenizer\.json: not found/],
    [[...m], /exactly one of --prompt/],
    [['--model', '/nonexistent', '--ids', '3'], /not found/],
  ] as [string[], RegExp][]) {
    const r = ttrl(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
