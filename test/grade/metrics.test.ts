// Metrics against brute force (pass@k by enumerating subsets) and hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { avgAtK, goldRewards, labelAccuracy, passAtK, rewardAccuracy } from '../../src/grade/metrics.js';
import { majorityVote } from '../../src/grade/vote.js';

/** Share of k-subsets of n samples (c correct) that contain a correct one, by enumeration. */
function bruteForcePassAtK(n: number, c: number, k: number): number {
  let hit = 0, all = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0, anyCorrect = false;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) { bits++; if (i < c) anyCorrect = true; }
    if (bits !== k) continue;
    all++;
    if (anyCorrect) hit++;
  }
  return hit / all;
}

test('passAtK equals the subset enumeration for every n <= 12', () => {
  let maxdiff = 0;
  for (let n = 1; n <= 12; n++) for (let c = 0; c <= n; c++) for (let k = 1; k <= n; k++) {
    maxdiff = Math.max(maxdiff, Math.abs(passAtK(n, c, k) - bruteForcePassAtK(n, c, k)));
  }
  assert.ok(maxdiff < 1e-12, `maxdiff ${maxdiff}`);
});

test('passAtK: k = 1 is c/n; edge cases; bad input throws', () => {
  for (let c = 0; c <= 64; c++) assert.ok(Math.abs(passAtK(64, c, 1) - c / 64) < 1e-15, `c=${c}: ${passAtK(64, c, 1)}`);
  assert.equal(passAtK(10, 0, 5), 0);
  assert.equal(passAtK(10, 6, 5), 1);
  assert.ok(passAtK(64, 1, 32) > 0.49 && passAtK(64, 1, 32) < 0.51);
  assert.throws(() => passAtK(4, 1, 5), RangeError);
  assert.throws(() => passAtK(4, 5, 1), RangeError);
  assert.throws(() => passAtK(4, 1, 0), RangeError);
});

test('avgAtK is the mean of per-problem means', () => {
  assert.equal(avgAtK([[true, false, false, false], [true, true]]), (0.25 + 1) / 2);
  assert.equal(avgAtK([[], [false]]), 0);
  assert.ok(Number.isNaN(avgAtK([])));
});

test('maj@N and label accuracy use equivalence, not string equality', () => {
  const answers = [
    ['\\frac12', '0.5', '3'], // majority 1/2, gold 0.5 → correct
    ['3', '4', '4'], // majority 4, gold 3 → wrong
    [null, null], // no vote → wrong
  ];
  const golds = ['0.5', '3', '1'];
  // maj@N is the label accuracy of the majority votes
  assert.equal(labelAccuracy(answers.map((a) => majorityVote(a).label), golds), 1 / 3);
  assert.equal(labelAccuracy([majorityVote(answers[0]!).label], ['1/2']), 1);
  assert.equal(labelAccuracy(['\\frac12', '4', null], golds), 1 / 3);
  assert.throws(() => labelAccuracy(['1'], golds), RangeError);
});

test('reward accuracy: a wrong label still gives right zeros', () => {
  // Label 4 (wrong, gold 3): majority rewards [0,1,1,0,0], gold rewards [1,0,0,0,0] → agree on 2 of 5.
  const answers = ['3', '4', '4.0', '5', null];
  const majority = [0, 1, 1, 0, 0];
  const gold = goldRewards(answers, '3');
  assert.deepEqual(gold, [1, 0, 0, 0, 0]);
  assert.equal(rewardAccuracy(majority, gold), 2 / 5);
  assert.equal(rewardAccuracy([1, 0], [1, 0]), 1);
  assert.ok(Number.isNaN(rewardAccuracy([], [])));
});
