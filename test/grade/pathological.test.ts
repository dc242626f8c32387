// Hostile inputs: every comparison returns "not equal" with a reason, never throws, never hangs.
// Time bounds are generous (2 s, against a ~100 ms design budget) so the test cannot flake on a busy
// machine; the worst times measured are printed for the record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEquivalent } from '../../src/grade/equivalence.js';
import { extractAnswer } from '../../src/grade/extract.js';
import { gradeGroup } from '../../src/grade/vote.js';
import { Rng } from '../../src/util/rng.js';

function garbage(n: number, seed: number): string {
  const rng = new Rng(seed);
  const alphabet = '{}()[]\\^_$,.=+-*/0123456789abcxyz \\frac\\sqrt\\left\\right\\boxed&%';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

const HOSTILE: [string, string][] = [
  ['huge exponent tower', '10^{10^{10}}'],
  ['taller tower', '9^{9^{9^{9}}}'],
  ['tower with a variable', 'x^{10^{10^{10}}}'],
  ['huge factorial', '(10^{10})!'],
  ['huge binomial', '\\binom{10^{9}}{5\\cdot 10^8}'],
  ['long sum', '\\sum_{n=1}^{10^9} n'],
  ['long product', '\\prod_{k=1}^{100000} k'],
  ['limit', '\\lim_{x\\to 0} \\frac{\\sin x}{x}'],
  ['integral', '\\int_0^1 e^{-x^2} dx'],
  ['100th derivative', '\\frac{d^{100}}{dx^{100}} x^{200}'],
  ['deep braces', '{'.repeat(500) + '1' + '}'.repeat(500)],
  ['deep roots', '\\sqrt{'.repeat(200) + '2' + '}'.repeat(200)],
  ['deep parentheses', '('.repeat(300) + 'x' + ')'.repeat(300)],
  ['unbalanced', '\\frac{1}{2'.repeat(50)],
  ['long sum of terms', 'x+'.repeat(2500) + '1'],
  ['many variables', Array.from({ length: 400 }, (_, i) => `x_{${i}}`).join('+')],
  ['5000 chars of garbage', garbage(5000, 1)],
  ['5000 more chars of garbage', garbage(5000, 2)],
  ['a long list', Array.from({ length: 2000 }, (_, i) => String(i)).join(',')],
  ['a big matrix', `\\begin{pmatrix}${Array.from({ length: 30 }, () => Array.from({ length: 30 }, (_, j) => `\\sqrt{${j + 2}}`).join('&')).join('\\\\')}\\end{pmatrix}`],
  ['one megabyte', '1'.repeat(1 << 20)],
  ['huge literal', '9'.repeat(5000)],
  ['nested pm', '1\\pm2\\pm3\\pm4\\pm5\\pm6\\pm7\\pm8'],
  ['regex bait', 'a'.repeat(3000) + '!'],
  ['only commands', '\\left\\right\\left\\right'.repeat(200)],
];

test('hostile answers: not equal to a plain answer, with a reason, quickly; never a throw', (t) => {
  isEquivalent('x^2', 'y'); // load the CAS first: its one-time load is not a comparison's cost
  const times: [string, number][] = [];
  for (const [name, s] of HOSTILE) {
    for (const [pred, gold] of [[s, '1'], ['1', s], [s, 'x+1'], [s, s + '+1']] as const) {
      const t0 = performance.now();
      const r = isEquivalent(pred, gold);
      const ms = performance.now() - t0;
      times.push([`${name} (${pred === s ? 'pred' : 'gold'})`, ms]);
      assert.equal(r.equal, false, `${name}: ${String(r.reason)}`);
      assert.ok(typeof r.reason === 'string' && r.reason.length > 0, `${name}: no reason`);
      assert.ok(ms < 2000, `${name} took ${ms.toFixed(0)} ms`);
    }
  }
  times.sort((a, b) => b[1] - a[1]);
  t.diagnostic(`worst hostile comparisons: ${times.slice(0, 5).map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join('; ')}`);
});

test('hostile responses: extraction and a whole vote stay fast and total', (t) => {
  const responses = HOSTILE.map(([, s]) => `Therefore the answer is $\\boxed{${s}}$.`).concat(['\\boxed{1}', '\\boxed{1}']);
  const t0 = performance.now();
  for (const r of responses) extractAnswer(r);
  const g = gradeGroup(responses);
  const ms = performance.now() - t0;
  assert.equal(g.rewards.length, responses.length);
  assert.ok(g.rewards.every((x) => x === 0 || x === 1));
  assert.ok(ms < 20000, `vote over hostile responses took ${ms.toFixed(0)} ms`);
  t.diagnostic(`vote over ${responses.length} hostile responses: ${ms.toFixed(0)} ms, label ${JSON.stringify(g.label?.slice(0, 20))}`);
});

/** Inputs near the 20,000-char cap that made earlier regexes quadratic (each found by measurement). */
const N = 19000;
const BAIT: [string, string][] = [
  ['long zero run', '1.' + '0'.repeat(N) + '1'],
  ['long space run', '1' + ' '.repeat(N) + 'x'],
  ['unclosed boxes', '\\boxed{'.repeat(N / 7)],
  ['unclosed fracs', '\\frac{'.repeat(N / 6)],
  ['repeated units', '5' + ' miles'.repeat(N / 6)],
  ['repeated answer phrases', 'the answer is '.repeat(N / 14)],
  ['relation chain', 'x<'.repeat(N / 2)],
  ['separators', '1,000'.repeat(N / 5)],
  ['answer headings', '# Answer\n'.repeat(N / 9)],
  ['joined math spans', '$1$ and '.repeat(N / 8)],
  ['joined boxes', '\\boxed{1} and '.repeat(N / 14)],
  ['verdict sentences', 'the answer is correct. '.repeat(N / 23)],
  ['shorthand numbers', '2\\sqrt{3}+4i\\frac12 '.repeat(N / 20)],
];

test('regex bait near the input cap: normalisation, extraction and comparison stay linear', (t) => {
  let worst = 0, worstName = '';
  for (const [name, s] of BAIT) {
    const t0 = performance.now();
    extractAnswer(s);
    const r = isEquivalent(s, '1');
    const ms = performance.now() - t0;
    if (ms > worst) { worst = ms; worstName = name; }
    assert.equal(r.equal, false, name);
    assert.ok(ms < 2000, `${name} took ${ms.toFixed(0)} ms`);
  }
  t.diagnostic(`worst bait: ${worstName} ${worst.toFixed(1)} ms`);
});

test('identical hostile strings are equal by string (no CAS needed)', () => {
  for (const [name, s] of HOSTILE.slice(0, 10)) {
    const r = isEquivalent(s, s);
    assert.equal(r.equal, true, name);
  }
});
