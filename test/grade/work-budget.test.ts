// Grading is a pure function of its inputs: budgets count work (steps), never wall time, so the same
// answers get the same verdicts on a busy machine, cold or cached, and hostile input still stops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { isEquivalent, clearGradeCaches } from '../../src/grade/equivalence.js';
import { gradeGroup } from '../../src/grade/vote.js';
import { parsePairs } from './pairs.js';

const PAIRS = parsePairs().filter((_, i) => i % 2 === 0);

/** A whole grading run: every hand-written pair both ways, then 64-response votes. */
function gradingRun(): string[] {
  clearGradeCaches();
  const out = PAIRS.flatMap((c) => [isEquivalent(c.pred, c.gold), isEquivalent(c.gold, c.pred)].map((r) => `${r.equal}|${r.reason}`));
  for (let k = 0; k < 4; k++) {
    const responses = Array.from({ length: 64 }, (_, i) => `so the answer is $\\boxed{${['\\frac{1}{2}', '0.5', 'x^2+2x+1', '(x+1)^2', `${i % 7}\\sqrt{2}`][(i * (k + 3)) % 5]}}$`);
    const g = gradeGroup(responses);
    out.push(`${g.label}|${g.rewards.join('')}|${Array.from(g.classOf).join(',')}`);
  }
  return out;
}

test('the same grading run gives identical results with CPU hogs running alongside', async () => {
  const quiet = gradingRun();
  // Busy-looping threads compete for the cores while the same run repeats; a wall-clock budget would
  // time out some comparisons here and change their verdicts.
  const hogs = Array.from({ length: 3 }, () => new Worker('const end = Date.now() + 60000; while (Date.now() < end) {}', { eval: true }));
  try {
    await new Promise((r) => setTimeout(r, 50)); // let the hogs start
    const busy = gradingRun();
    assert.deepEqual(busy, quiet);
  } finally {
    await Promise.all(hogs.map((h) => h.terminate()));
  }
});

test('a clock that races ahead changes no verdict (no budget reads the time)', () => {
  const quiet = gradingRun();
  // Every read of the clock says 50 ms more have passed: any wall-clock budget would run out at once.
  const realNow = performance.now.bind(performance), realDate = Date.now;
  let skew = 0;
  performance.now = () => realNow() + (skew += 50);
  Date.now = () => realDate() + (skew += 50);
  try {
    assert.deepEqual(gradingRun(), quiet);
  } finally {
    performance.now = realNow;
    Date.now = realDate;
  }
});

test('a work budget verdict is the same cold and cached, and counts steps, not time', () => {
  const list = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join(', ');
  // 40 scalars the CAS must read on each side: past a 500-step budget, within a larger one.
  const pred = list(40, (i) => `\\sqrt{${i + 2}}+x`), gold = list(40, (i) => `x+\\sqrt{${i + 2}}`);
  clearGradeCaches();
  const cold = isEquivalent(pred, gold, { maxWork: 500 });
  assert.equal(cold.equal, false);
  assert.match(cold.reason ?? '', /work budget exceeded/);
  // Prime every scalar's CAS analysis, then ask again with a fresh pair cache: same verdict.
  assert.equal(isEquivalent(pred, gold, { maxWork: 20000 }).equal, true);
  const again = isEquivalent(pred, gold, { maxWork: 501 - 1 });
  assert.deepEqual(again, cold);
});

test('hostile structures stop at the work budget with a reason', () => {
  // 60 distinct CAS scalars a side, in opposite orders: the matching needs more than the default budget.
  const big = Array.from({ length: 60 }, (_, i) => `\\sqrt{${i + 2}}y`).join(', ');
  const reversed = Array.from({ length: 60 }, (_, i) => `\\sqrt{${61 - i}}y`).join(', ');
  assert.ok(big.length < 1000);
  const r = isEquivalent(big, reversed);
  assert.equal(r.equal, false);
  assert.match(r.reason ?? '', /work budget exceeded/);
  assert.equal(isEquivalent(big, reversed, { maxWork: 1e6 }).equal, true);
});
