import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADVANTAGE_OPTIONS, broadcastToTokens, grpoAdvantages, rowScores } from '../../src/rl/advantage.js';
import { assertClose, flat, readFixture, shape2 } from './helpers.js';

const fx = readFixture('grpo_advantage.json');

for (const c of fx.cases) {
  test(`grpo_advantage.json ${c.name}: matches verl (float64 tolerance)`, () => {
    const [B, T] = shape2(c.inputs.token_level_rewards);
    const mask = flat(c.inputs.response_mask);
    const scores = rowScores(flat(c.inputs.token_level_rewards), B, T);
    const adv = grpoAdvantages(scores, c.inputs.index, c.inputs.epsilon);
    const tok = broadcastToTokens(adv, mask, B, T);
    const tol = { atol: 1e-12, rtol: 1e-10 };
    const md = assertClose(tok, flat(c.outputs.advantages), tol, `${c.name} advantages`);
    assertClose(tok, flat(c.outputs.returns), tol, `${c.name} returns`);
    if (c.name === 'zero_variance_inexact_float32') {
      // float64 group statistics must give exactly 0, not the −0.0074 of verl's float32 run.
      for (const v of tok) assert.equal(v, 0);
    }
    assert.ok(md <= 1e-12, `maxdiff ${md}`);
  });
}

test('hand-computed GRPO values', () => {
  // pair (0, 1): mean 0.5, sample std sqrt(0.5) → ±0.5 / (0.70710678... + 1e-6)
  const a = grpoAdvantages([0, 1], ['p', 'p']);
  const want = 0.5 / (Math.SQRT1_2 + 1e-6);
  assert.ok(Math.abs(a[1]! - want) < 1e-15 && Math.abs(a[0]! + want) < 1e-15, `${a}`);
  assert.ok(Math.abs(a[1]! - 0.70710578) < 1e-8);
  // singletons: score / float32(1 + 1e-6), the documented quirk
  const s = grpoAdvantages([0.7, 1, 0], ['a', 'b', 'c']);
  assert.equal(s[0], 0.7 / 1.00000095367431640625);
  assert.equal(s[1], 0.9999990463265931);
  assert.equal(s[2], 0);
  // 4 samples 1,0,1,0: mean 0.5, std sqrt(1/3)
  const q = grpoAdvantages([1, 0, 1, 0], [7, 7, 7, 7]);
  assert.ok(Math.abs(q[0]! - 0.5 / (Math.sqrt(1 / 3) + 1e-6)) < 1e-15);
  // zero-variance groups of many identical non-dyadic values: exactly 0
  const z = grpoAdvantages(new Array(64).fill(0.1), new Array(64).fill('g'));
  assert.ok(z.every((v) => v === 0));
  // numeric and string ids are distinct groups
  const m = grpoAdvantages([1, 0], [1, '1']);
  assert.equal(m[0], 1 / Math.fround(1 + 1e-6));
});

test('Dr.GRPO: mean-centred scores without std division', () => {
  const d = grpoAdvantages([1, 0, 0, 0, 5], ['g', 'g', 'g', 'g', 'h'], 1e-6, ADVANTAGE_OPTIONS.drgrpo);
  assert.deepEqual(Array.from(d), [0.75, -0.25, -0.25, -0.25, 5]);
  // property: group advantages sum to 0 for both kinds
  const scores = [0.3, 1, 0, 0.25, 1, 1, 0];
  const ids = ['a', 'b', 'a', 'b', 'a', 'b', 'a'];
  for (const kind of ['grpo', 'drgrpo'] as const) {
    const v = grpoAdvantages(scores, ids, 1e-6, ADVANTAGE_OPTIONS[kind]);
    for (const g of ['a', 'b']) {
      const s = ids.reduce((acc, id, i) => (id === g ? acc + v[i]! : acc), 0);
      assert.ok(Math.abs(s) < 1e-12, `${kind} group ${g} sums to ${s}`);
    }
  }
});

test('length mismatch is an error', () => {
  assert.throws(() => grpoAdvantages([1, 2], ['a']), /2 scores but 1 group ids/);
});
