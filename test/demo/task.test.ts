// The demo's task generator and pretraining corpus, checked against an independent reading of the text:
// questions and solutions are parsed character by character and the arithmetic redone here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProblem, makeProblems, makeSplit, splitOf, LEVELS, type TaskProblem } from '../../src/demo/task.js';
import { corpusSolution, directAnswer, hasCarry, slippingWriter } from '../../src/demo/corpus.js';
import { Rng } from '../../src/util/rng.js';

/** Signed terms of "Compute: 7+5-3+9", read without the generator's code. */
function parseQuestion(q: string): number[] {
  assert.ok(q.startsWith('Compute: '), q);
  const out: number[] = [];
  let sign = 1, num = '';
  for (const ch of q.slice('Compute: '.length)) {
    if (ch >= '0' && ch <= '9') { num += ch; continue; }
    assert.ok(ch === '+' || ch === '-', `unexpected ${JSON.stringify(ch)} in ${q}`);
    out.push(sign * Number(num)); num = ''; sign = ch === '-' ? -1 : 1;
  }
  out.push(sign * Number(num));
  return out;
}

/** The lines "a±b=c" of a solution, and its boxed answer. */
function parseSolution(s: string): { steps: [number, number, number][]; boxed: string } {
  const lines = s.split('\n');
  const last = lines.pop()!;
  const m = /^Answer: \\boxed\{(-?\d+)\}$/.exec(last);
  assert.ok(m, `bad last line ${JSON.stringify(last)}`);
  const steps = lines.map((l): [number, number, number] => {
    const sm = /^(\d+)([+-])(\d+)=(-?\d+)$/.exec(l);
    assert.ok(sm, `bad step ${JSON.stringify(l)}`);
    return [Number(sm[1]), (sm[2] === '-' ? -1 : 1) * Number(sm[3]), Number(sm[4])];
  });
  return { steps, boxed: m[1]! };
}

const all = (): TaskProblem[] => Object.keys(LEVELS).flatMap((l) => Array.from({ length: 200 }, (_, i) => makeProblem(Number(l), 7, i)));

test('answers equal the sum of the question, computed independently; solutions are exact and chained', () => {
  for (const p of all()) {
    const signed = parseQuestion(p.prompt);
    const L = LEVELS[p.level]!;
    assert.equal(signed.length, L.terms, p.prompt);
    let total = 0;
    for (const [i, x] of signed.entries()) {
      assert.ok(Math.abs(x) >= 1 && Math.abs(x) <= L.maxTerm, `term ${x} out of range in ${p.prompt}`);
      total += x;
      assert.ok(total >= 0, `running total < 0 at term ${i} of ${p.prompt}`);
    }
    assert.equal(p.answer, String(total), p.prompt);
    const { steps, boxed } = parseSolution(p.solution);
    assert.equal(boxed, p.answer);
    assert.equal(steps.length, signed.length - 1);
    let acc = signed[0]!;
    steps.forEach(([a, b, c], i) => {
      assert.equal(a, acc, `step ${i} of ${p.id} starts from ${a}, not the running total ${acc}`);
      assert.equal(b, signed[i + 1], `step ${i} of ${p.id} uses term ${b}`);
      assert.equal(c, a + b, `step ${i} of ${p.id}: ${a}${b}=${c}`);
      acc = c;
    });
  }
});

test('problems are determined by the seed, and seeds differ', () => {
  assert.deepEqual(makeProblems(50, [1, 2, 3], 11), makeProblems(50, [1, 2, 3], 11));
  const a = makeProblems(50, [3], 11).map((p) => p.prompt), b = makeProblems(50, [3], 12).map((p) => p.prompt);
  assert.ok(a.filter((q, i) => q === b[i]).length < 5, 'two seeds gave mostly the same questions');
  // every level really uses both signs and several term values
  for (const l of Object.keys(LEVELS).map(Number)) {
    const ps = makeProblems(100, [l], 3);
    assert.ok(ps.some((p) => p.prompt.includes('-')), `level ${l} never subtracts`);
    assert.ok(new Set(ps.map((p) => p.answer)).size > 5, `level ${l} has few distinct answers`);
  }
});

test('makeSplit: only the asked split, held-out questions never appear in a train split, round-robin levels', () => {
  const train = makeSplit(3000, [1, 2, 3], 1, 'train');
  const testSet = makeSplit(300, [1, 2, 3], 99, 'test');
  assert.ok(train.every((p) => splitOf(p.prompt) === 'train'));
  assert.ok(testSet.every((p) => splitOf(p.prompt) === 'test'));
  const seen = new Set(train.map((p) => p.prompt));
  assert.equal(testSet.filter((p) => seen.has(p.prompt)).length, 0);
  assert.deepEqual(testSet.slice(0, 6).map((p) => p.level), [1, 2, 3, 1, 2, 3]);
  // the split is about half of the questions (a hash, not a rule that favours some sums)
  const share = makeProblems(2000, [3], 5).filter((p) => splitOf(p.prompt) === 'test').length / 2000;
  assert.ok(share > 0.45 && share < 0.55, `test share ${share}`);
});

test('slipping writer: rate 0 is exact; slips happen at the configured rate and are a dropped carry or ±1, ±2', () => {
  const p = makeProblem(4, 3, 0);
  assert.equal(corpusSolution(p, { rate: 0, carryShare: 0.5 }, new Rng(1)), p.solution);
  const w = slippingWriter(new Rng(5), { rate: 0.2, carryShare: 0.5 });
  let slips = 0, carrySlips = 0, n = 0;
  const offs = new Map<number, number>();
  for (let acc = 0; acc < 60; acc++) {
    for (let t = 1; t <= 19; t++) {
      for (const sign of [1, -1]) {
        if (acc + sign * t < 0) continue;
        const exact = acc + sign * t, got = w(acc, sign, t);
        n++;
        if (got === exact) continue;
        slips++;
        assert.ok(got >= 0);
        if (Math.abs(got - exact) === 10) {
          assert.ok(hasCarry(acc, sign, t), `${acc}${sign > 0 ? '+' : '-'}${t}: off by 10 without a carry`);
          assert.equal(got, exact - sign * 10, 'a dropped carry lowers a sum and raises a difference');
          carrySlips++;
        } else {
          assert.ok([1, 2].includes(Math.abs(got - exact)), `${acc}${sign > 0 ? '+' : '-'}${t}=${got}`);
          offs.set(got - exact, (offs.get(got - exact) ?? 0) + 1);
        }
      }
    }
  }
  // binomial: n ≈ 2000, rate 0.2 → sd ≈ 0.009; 5 sd bounds
  assert.ok(Math.abs(slips / n - 0.2) < 0.045, `slip rate ${slips / n}`);
  assert.ok(carrySlips > 0.1 * slips, `only ${carrySlips} of ${slips} slips dropped a carry`);
  // every small offset occurs, in both directions
  for (const d of [-2, -1, 1, 2]) assert.ok((offs.get(d) ?? 0) > 10, `offset ${d} seen ${offs.get(d) ?? 0} times`);
  // hand-checked carries
  assert.equal(hasCarry(17, 1, 5), true);
  assert.equal(hasCarry(12, 1, 5), false);
  assert.equal(hasCarry(12, -1, 5), true);
  assert.equal(hasCarry(15, -1, 3), false);
});

test('a slipped corpus solution stays internally consistent: later steps continue from the written value', () => {
  const rng = new Rng(2);
  let wrong = 0;
  for (const p of makeProblems(300, [3, 4, 5], 2)) {
    const sol = corpusSolution(p, { rate: 0.3, carryShare: 0.5 }, rng);
    const { steps, boxed } = parseSolution(sol);
    const signed = parseQuestion(p.prompt);
    let acc = signed[0]!;
    steps.forEach(([a, b, c], i) => {
      assert.equal(a, acc);
      assert.equal(b, signed[i + 1]);
      assert.ok([0, 1, 2, 10].includes(Math.abs(c - (a + b))), `${a}${b}=${c}`);
      assert.ok(c >= 0, `negative running total in ${JSON.stringify(sol)}`);
      acc = c;
    });
    assert.equal(boxed, String(acc));
    if (boxed !== p.answer) wrong++;
  }
  assert.ok(wrong > 100, `only ${wrong} of 300 slipped solutions end wrong`);
});

test('answers at once: the share asked for, off by 1 to 3 either way at the rate asked for, never below 0', () => {
  const rng = new Rng(4);
  const problems = makeProblems(3000, [1, 2, 3], 4);
  let direct = 0, off = 0, directN = 0;
  const offs = new Map<number, number>();
  for (const p of problems) {
    const sol = corpusSolution(p, { rate: 0, carryShare: 0.5, directShare: 0.6, directError: 0.5 }, rng);
    const { steps, boxed } = parseSolution(sol);
    const total = parseQuestion(p.prompt).reduce((a, b) => a + b, 0);
    if (steps.length > 0) { assert.equal(boxed, String(total)); continue; }  // worked out, rate 0: exact
    direct++;
    assert.equal(sol, `Answer: \\boxed{${boxed}}`);
    const d = Number(boxed) - total;
    assert.ok(Number(boxed) >= 0, sol);
    if (d !== 0) { off++; offs.set(d, (offs.get(d) ?? 0) + 1); assert.ok(Math.abs(d) <= 3, `${p.prompt} answered ${boxed}`); }
  }
  directN = direct;
  // binomial, n = 3000 (share) and ≈ 1800 (error): 5 sd bounds
  assert.ok(Math.abs(direct / problems.length - 0.6) < 0.05, `direct share ${direct / problems.length}`);
  assert.ok(Math.abs(off / directN - 0.5) < 0.06, `direct error rate ${off / directN}`);
  for (const d of [-3, -2, -1, 1, 2, 3]) assert.ok((offs.get(d) ?? 0) > 20, `offset ${d} seen ${offs.get(d) ?? 0} times`);
  // share 0 never answers at once; error 0 is exact; a small answer is reflected, never negative
  const p = makeProblem(3, 1, 0);
  assert.equal(corpusSolution(p, { rate: 0, carryShare: 0.5, directShare: 0 }, new Rng(1)), p.solution);
  assert.equal(directAnswer(p, 0, new Rng(1)), `Answer: \\boxed{${p.answer}}`);
  const zero = { ...p, answer: '0' };
  for (let i = 0; i < 50; i++) assert.match(directAnswer(zero, 1, new Rng(i)), /^Answer: \\boxed\{[123]\}$/);
});
