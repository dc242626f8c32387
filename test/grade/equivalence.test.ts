// Equivalence on hand-written pairs (pairs.ts), both directions, and the API's contract (cache, options).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEquivalent, clearGradeCaches } from '../../src/grade/equivalence.js';
import { parsePairs } from './pairs.js';

const PAIRS = parsePairs();

test(`${PAIRS.length} hand-written pairs grade as expected, in both directions`, () => {
  const failures: string[] = [];
  for (const c of PAIRS) {
    const r = isEquivalent(c.pred, c.gold);
    if (r.equal !== c.equal) failures.push(`[${c.section}] ${c.pred}  vs  ${c.gold}: got ${r.equal} (${r.reason}), want ${c.equal}`);
    if (c.symmetric) {
      const s = isEquivalent(c.gold, c.pred);
      if (s.equal !== c.equal) failures.push(`[${c.section}] swapped ${c.gold}  vs  ${c.pred}: got ${s.equal} (${s.reason}), want ${c.equal}`);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${PAIRS.length} pairs wrong:\n${failures.join('\n')}`);
});

test('the pair table covers both verdicts in every section', () => {
  const sections = new Map<string, Set<boolean>>();
  for (const c of PAIRS) sections.set(c.section, (sections.get(c.section) ?? new Set()).add(c.equal));
  const oneSided = [...sections].filter(([s, v]) => v.size < 2 && !/^text answers$/.test(s)).map(([s]) => s);
  assert.deepEqual(oneSided, []);
  assert.ok(PAIRS.length >= 300, `only ${PAIRS.length} pairs`);
});

test('every result carries a reason; not-equal results say why', () => {
  for (const c of PAIRS.slice(0, 60)) {
    const r = isEquivalent(c.pred, c.gold);
    assert.equal(typeof r.reason, 'string');
    assert.ok(r.reason!.length > 0);
  }
});

test('cached results are identical to fresh ones', () => {
  const sample = PAIRS.filter((_, i) => i % 7 === 0);
  const first = sample.map((c) => isEquivalent(c.pred, c.gold));
  clearGradeCaches();
  const fresh = sample.map((c) => isEquivalent(c.pred, c.gold));
  assert.deepEqual(fresh, first);
  const t0 = performance.now();
  for (let k = 0; k < 10; k++) for (const c of sample) isEquivalent(c.pred, c.gold);
  const perCall = (performance.now() - t0) / (10 * sample.length);
  assert.ok(perCall < 0.5, `cached call took ${perCall.toFixed(3)} ms`);
});

test('options: relTol, minSigDigits and choices change verdicts as documented', () => {
  assert.equal(isEquivalent('0.3333', '\\frac13').equal, false);
  assert.equal(isEquivalent('0.3333', '\\frac13', { minSigDigits: 4 }).equal, true);
  assert.equal(isEquivalent('0.333', '\\frac13', { minSigDigits: 4 }).equal, false);
  // relTol applies to values the CAS computes: sqrt(2)·(1 + 1e-7) vs sqrt(2).
  assert.equal(isEquivalent('\\sqrt{2}\\cdot 1.0000001', '\\sqrt{2}').equal, false);
  assert.equal(isEquivalent('\\sqrt{2}\\cdot 1.0000001', '\\sqrt{2}', { relTol: 1e-6 }).equal, true);
  assert.equal(isEquivalent('The answer is (B).', 'B', { choices: true }).equal, true);
  assert.equal(isEquivalent('\\boxed{C}', '(B)', { choices: true }).equal, false);
});

test('empty answers are never equal, not even to each other', () => {
  assert.equal(isEquivalent('', '').equal, false);
  assert.equal(isEquivalent('$ $', '5').equal, false);
  assert.equal(isEquivalent('5', '\\text{ }').equal, false);
});
