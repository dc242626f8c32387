// `ttrl grade FILE.jsonl` end to end: one line out per line in, in order; malformed lines named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../shared.js';

function grade(lines: string[], args: string[] = []): { code: number | null; out: Record<string, unknown>[]; err: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-grade-'));
  const file = path.join(dir, 'in.jsonl');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'grade', file, ...args], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { code: r.status, out: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>), err: r.stderr };
}

test('grades each line in order, with extracted answers and a summary on stderr', () => {
  const lines = [
    JSON.stringify({ gold: '\\frac{1}{2}', pred: 'So the answer is $\\boxed{0.5}$.' }),
    JSON.stringify({ gold: '(1,2)', pred: 'We get \\boxed{[1,2]}' }),
    JSON.stringify({ gold: 'C', pred: 'The answer is (C).', choices: true }),
    JSON.stringify({ gold: '$28\\%$', pred: '28' }),
    JSON.stringify({ gold: '025', pred: 'Final Answer: The final answer is 25. I hope it is correct.' }),
  ];
  const r = grade(lines);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.map((o) => o.equal), [true, false, true, true, true]);
  assert.deepEqual(r.out.map((o) => o.line), [1, 2, 3, 4, 5]);
  assert.deepEqual(r.out.map((o) => o.pred_answer), ['0.5', '[1,2]', 'C', '28', '25']);
  assert.deepEqual(r.out.map((o) => o.gold_answer), ['\\frac{1}{2}', '(1,2)', 'C', '28\\%', '025']);
  assert.match(r.err, /5 graded, 4 equal/);
});

test('a malformed line is reported with its line number; the rest are still graded', () => {
  const lines = [
    JSON.stringify({ gold: '3', pred: '3' }),
    '{"gold": "3", "pred": ',
    JSON.stringify({ gold: 3, pred: '3' }),
    '',
    JSON.stringify({ gold: 'x^2', pred: 'x^3' }),
  ];
  const r = grade(lines);
  assert.equal(r.code, 1);
  assert.equal(r.out.length, 4); // the blank line is not an input
  assert.deepEqual(r.out.map((o) => o.line), [1, 2, 3, 5]);
  assert.equal(r.out[0]!.equal, true);
  assert.match(String(r.out[1]!.error), / line 2: malformed JSON/);
  assert.match(String(r.out[2]!.error), / line 3: bad line: field "gold" must be a string/);
  assert.equal(r.out[3]!.equal, false);
  assert.match(r.err, / line 2: malformed JSON/);
  assert.match(r.err, /2 graded, 1 equal \(50\.0%\), 1 not equal, 2 malformed/);
});

test('flags: --no-number-fallback, --help, unknown flag, missing file', () => {
  const line = JSON.stringify({ gold: '5', pred: 'we counted 5 of them in total I think' });
  assert.equal(grade([line]).out[0]!.equal, true);
  const off = grade([line], ['--no-number-fallback']);
  assert.equal(off.out[0]!.equal, false);
  assert.equal(off.out[0]!.pred_answer, null);
  const help = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'grade', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: ttrl grade FILE\.jsonl/);
  const bad = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'grade', '--bogus', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  const missing = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'grade', '/nonexistent/file.jsonl'], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /file not found/);
});

test('--max-work: a smaller work budget gives up on a long list, with the reason; a bad value is refused', () => {
  const list = Array.from({ length: 12 }, (_, i) => `\\sqrt{${i + 2}}x`);
  const line = JSON.stringify({ gold: list.join(', '), pred: [...list].reverse().join(', ') });
  assert.equal(grade([line]).out[0]!.equal, true);
  const small = grade([line], ['--max-work', '50']).out[0]!;
  assert.equal(small.equal, false);
  assert.match(String(small.reason), /work budget exceeded/);
  const bad = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ttrl.js'), 'grade', '/dev/null', '--max-work', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--max-work must be a positive number/);
});
