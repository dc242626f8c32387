// Adaptive voting's stop rule against brute force: every way the remaining votes could fall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelDecided, shareDecided, voteStopReason } from '../../src/rl/vote-stop.js';
import { majorityVote } from '../../src/grade/vote.js';

/** The winning class by counting: most votes, ties to the class whose first vote came first; -1 if none. */
function winner(classOf: number[]): number {
  const count = new Map<number, number>();
  classOf.forEach((c) => { if (c >= 0) count.set(c, (count.get(c) ?? 0) + 1); });
  let best = -1;
  for (const c of classOf) if (c >= 0 && (best < 0 || count.get(c)! > count.get(best)!)) best = c;
  return best;
}

/** Every continuation of `prefix` by n votes: each a drawn class, a new class (first-seen numbering) or -1. */
function continuations(prefix: number[], n: number): number[][] {
  if (n === 0) return [prefix];
  const next = Math.max(-1, ...prefix) + 1;
  return Array.from({ length: next + 2 }, (_, v) => continuations([...prefix, v - 1], n - 1)).flat();
}
const sequences = (n: number): number[][] => continuations([], n);

test('winner() is majorityVote on distinct answers (the oracle counts like the real vote)', () => {
  for (const s of sequences(6)) {
    const v = majorityVote(s.map((c) => (c < 0 ? null : String(c + 10))));
    assert.equal(v.labelIndex < 0 ? -1 : s[v.labelIndex], winner(s), JSON.stringify(s));
  }
});

test('labelDecided is true exactly when no completion of the remaining votes changes the winner', () => {
  let decided = 0, open = 0;
  for (let k = 0; k <= 6; k++) {
    for (const drawn of sequences(k)) {
      for (let r = 0; r <= 4; r++) {
        // the remaining votes may go to any drawn class, to new classes, or to no answer
        const now = winner(drawn);
        const brute = continuations(drawn, r).every((s) => winner(s) === now);
        assert.equal(labelDecided(drawn, r), brute, `drawn ${JSON.stringify(drawn)} remaining ${r}`);
        if (brute) decided++; else open++;
      }
    }
  }
  assert.ok(decided > 100 && open > 100, `${decided} decided, ${open} open cases`);
});

test('shareDecided (given a decided label) is true exactly when every completion gives the same min_vote_share verdict', () => {
  const share = (s: number[]): number => {
    const w = winner(s), voters = s.filter((c) => c >= 0).length;
    return w < 0 ? 0 : s.filter((c) => c === w).length / voters;
  };
  let fixed = 0, open = 0;
  for (const minShare of [0.5, 0.6, 0.75]) {
    for (let k = 1; k <= 6; k++) {
      for (const drawn of sequences(k)) {
        for (let r = 0; r <= 3; r++) {
          if (!labelDecided(drawn, r)) continue;
          const verdicts = new Set(continuations(drawn, r).map((s) => share(s) >= minShare));
          assert.equal(shareDecided(drawn, r, minShare), verdicts.size === 1, `drawn ${JSON.stringify(drawn)} remaining ${r} minShare ${minShare}`);
          if (verdicts.size === 1) fixed++; else open++;
        }
      }
    }
  }
  assert.ok(fixed > 50 && open > 20, `${fixed} fixed, ${open} open cases`);
  assert.equal(shareDecided([0, 1], 5, 0), true);
});

test('voteStopReason: decided only once the kept responses are drawn; unanimous after a full wave', () => {
  // 10 votes, the update keeps the first 4, waves of 3
  assert.equal(voteStopReason([0, 0, 0], 10, 4, 3), 'unanimous');
  assert.equal(voteStopReason([0, 0], 10, 4, 3), null);           // not a full wave yet
  assert.equal(voteStopReason([0, 0, -1], 10, 4, 3), null);       // a response without an answer gets reward 0
  assert.equal(voteStopReason([0, 1, 0, 0, 0, 0, 0], 10, 4, 3), 'decided');  // 6 vs 1 + 3 remaining
  assert.equal(voteStopReason([0, 1, 0, 0, 0, 0], 10, 4, 3), 'decided');     // 5 vs 1 + 4: a tie, won by the class seen first
  assert.equal(voteStopReason([1, 0, 0, 0, 0, 0], 10, 4, 3), null);         // 5 vs 1 + 4, and the runner-up was seen first
  assert.equal(voteStopReason([0, 1, 0, 0, 0], 10, 4, 3), null);             // 4 vs 1 + 5
  assert.equal(voteStopReason([0, 1, 0, 0, 0, 0, 0], 10, 8, 3), null);       // kept responses not all drawn
  assert.equal(voteStopReason([1, 0, 1, 0], 4, 4, 3), 'decided');           // all drawn
});
