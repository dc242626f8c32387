// Majority vote and rewards on crafted answer / response sets, and against a brute-force oracle that
// groups by a known value id instead of by the grader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeGroup, majorityVote, majorityReward, type RewardFn } from '../../src/grade/vote.js';
import { Rng } from '../../src/util/rng.js';

test('notations of one value form one class; label is its first occurrence', () => {
  const v = majorityVote(['\\frac12', '3', '0.5', '1/2', '3.0', '\\dfrac{1}{2}']);
  assert.equal(v.label, '\\frac12');
  assert.equal(v.labelIndex, 0);
  assert.equal(v.voteShare, 4 / 6);
  assert.equal(v.numClasses, 2);
  assert.deepEqual([...v.classOf], [0, 1, 0, 0, 1, 0]);
});

test('ties go to the class seen first, whatever comes later', () => {
  const v = majorityVote(['5', '3', '3', '5']);
  assert.equal(v.label, '5');
  assert.equal(v.labelIndex, 0);
  assert.equal(v.voteShare, 0.5);
  const w = majorityVote(['3', '5', '5', '3']);
  assert.equal(w.label, '3');
});

test('samples without an answer do not vote and get reward 0', () => {
  const v = majorityVote([null, '7', null, '7', '8']);
  assert.equal(v.label, '7');
  assert.equal(v.labelIndex, 1);
  assert.equal(v.voteShare, 2 / 3);
  assert.deepEqual([...v.classOf], [-1, 0, -1, 0, 1]);
  const none = majorityVote([null, null]);
  assert.deepEqual({ ...none, classOf: [...none.classOf] }, { label: null, labelIndex: -1, voteShare: 0, numClasses: 0, classOf: [-1, -1] });
  assert.equal(majorityVote([]).numClasses, 0);
});

test('structures vote too: ordered pairs, intervals, sets', () => {
  const v = majorityVote(['(1,2)', '\\left( 1, 2 \\right)', '(2,1)', '[1,2]', '(1, 2)']);
  assert.equal(v.label, '(1,2)');
  assert.equal(v.voteShare, 3 / 5);
  assert.equal(v.numClasses, 3);
  const s = majorityVote(['\\{1,2\\}', '2, 1', '1,2', '\\{1,3\\}']);
  assert.equal(s.voteShare, 3 / 4);
});

test('gradeGroup: extract, vote, reward on whole responses', () => {
  const responses = [
    'We compute ... so the answer is $\\boxed{\\frac{3}{4}}$.',
    'Thus the probability is \\boxed{0.75}.',
    'I think the answer is 3/4.',
    'Hmm, \\boxed{\\frac{4}{3}}',
    'I am not sure how to proceed with this one',
    '\\boxed{75\\%}',
  ];
  const g = gradeGroup(responses);
  assert.deepEqual(g.answers, ['\\frac{3}{4}', '0.75', '3/4', '\\frac{4}{3}', null, '75\\%']);
  assert.equal(g.label, '\\frac{3}{4}');
  assert.deepEqual(g.rewards, [1, 1, 1, 0, 0, 1]);
  assert.equal(g.voteShare, 4 / 5);
  assert.equal(g.numClasses, 2);
});

test('gradeGroup on multiple-choice responses', () => {
  const g = gradeGroup(['\\boxed{C}', 'The answer is (C).', 'Answer: B', 'so (C)'], { choices: true });
  assert.deepEqual(g.answers, ['C', 'C', 'B', 'C']);
  assert.equal(g.label, 'C');
  assert.deepEqual(g.rewards, [1, 1, 0, 1]);
});

test('a custom reward shape plugs in through RewardFn', () => {
  // Reward only when the vote is confident; otherwise nobody is rewarded.
  const confident: RewardFn = (ctx) => ctx.answers.map((_, i) => (ctx.vote.voteShare >= 0.6 && ctx.matchesLabel(i) ? 1 : 0));
  const weak = gradeGroup(['\\boxed{1}', '\\boxed{2}', '\\boxed{1}', '\\boxed{3}'], { reward: confident });
  assert.deepEqual(weak.rewards, [0, 0, 0, 0]);
  const strong = gradeGroup(['\\boxed{1}', '\\boxed{1}', '\\boxed{1}', '\\boxed{3}'], { reward: confident });
  assert.deepEqual(strong.rewards, [1, 1, 1, 0]);
  assert.deepEqual(gradeGroup(['\\boxed{1}', '\\boxed{1}', '\\boxed{3}'], { reward: majorityReward }).rewards, [1, 1, 0]);
});

/** Values, each in several notations the grader must treat as one. */
const POOL: string[][] = [
  ['\\frac{1}{2}', '0.5', '1/2', '\\dfrac12', '50\\%'],
  ['2\\sqrt{2}', '\\sqrt{8}', '2 \\sqrt 2', '\\sqrt{2}\\cdot 2'],
  ['(1,2)', '\\left(1, 2\\right)', '( 1 , 2 )'],
  ['x^2+2x+1', '(x+1)^2', '1+2x+x^2'],
  ['\\frac{\\pi}{2}', '\\pi/2', '0.5\\pi'],
  ['12', '012', '12.0', '\\$12'],
  ['[1,2]', '\\left[1,2\\right]'],
];

test('matches a brute-force oracle on random vote sets (value ids known)', () => {
  const rng = new Rng(2025, 7);
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + rng.int(24);
    const ids: number[] = [];
    const answers: (string | null)[] = [];
    for (let i = 0; i < n; i++) {
      if (rng.next() < 0.1) { ids.push(-1); answers.push(null); continue; }
      const id = rng.int(POOL.length);
      ids.push(id);
      answers.push(POOL[id]![rng.int(POOL[id]!.length)]!);
    }
    // Oracle: count by id; winner = max count, ties to earliest first occurrence.
    const counts = new Map<number, number>(), first = new Map<number, number>();
    ids.forEach((id, i) => { if (id >= 0) { counts.set(id, (counts.get(id) ?? 0) + 1); if (!first.has(id)) first.set(id, i); } });
    const voters = ids.filter((id) => id >= 0).length;
    const v = majorityVote(answers);
    if (voters === 0) { assert.equal(v.label, null); continue; }
    let best = -1;
    for (const [id, c] of counts) if (best < 0 || c > counts.get(best)! || (c === counts.get(best)! && first.get(id)! < first.get(best)!)) best = id;
    const ctx = `trial ${trial}: ${JSON.stringify(answers)}`;
    assert.equal(v.labelIndex, first.get(best), ctx);
    assert.equal(v.voteShare, counts.get(best)! / voters, ctx);
    assert.equal(v.numClasses, counts.size, ctx);
    // Same partition: i, j share a class iff they share an id.
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (ids[i]! < 0 || ids[j]! < 0) { assert.equal(v.classOf[i]! < 0, ids[i]! < 0, ctx); continue; }
      assert.equal(v.classOf[i] === v.classOf[j], ids[i] === ids[j], `${ctx} at ${i},${j}`);
    }
  }
});
