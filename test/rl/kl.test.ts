import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGG_MODES, aggLoss } from '../../src/rl/agg.js';
import { KL_TYPES, klPenalty } from '../../src/rl/kl.js';
import { assertClose, assertCloseScalar, centralDiff, flat, normals, readFixture, shape2 } from './helpers.js';

const fx = readFixture('kl_penalty.json');

for (const c of fx.cases) {
  for (const type of KL_TYPES) {
    test(`kl_penalty.json ${c.name} ${type}: values, aggregates and token-mean gradient match verl`, () => {
      const [B, T] = shape2(c.inputs.logprob);
      const lp = flat(c.inputs.logprob), ref = flat(c.inputs.ref_logprob), mask = flat(c.inputs.response_mask);
      const want = c.outputs[type];
      const r = klPenalty(lp, ref, type);
      // README: kl/abs/mse rtol 1e-12; low_var_kl atol 1e-12 (we use expm1, verl exp − 1: same to ~1e-16)
      const tol = type === 'low_var_kl' ? { atol: 1e-12 } : { atol: 1e-15, rtol: 1e-12 };
      assertClose(r.value, flat(want.kld), tol, `${c.name} ${type} kld`);
      for (const mode of AGG_MODES) {
        assertCloseScalar(aggLoss(r.value, mask, B, T, mode).loss, want.kl_loss_by_mode[mode], { atol: 1e-12, rtol: 1e-10 }, `${type} ${mode}`);
      }
      const agg = aggLoss(r.value, mask, B, T, 'token-mean');
      const grad = agg.grad.map((w, i) => w * r.grad[i]!);
      assertClose(grad, flat(want.grad_logprob_token_mean), { atol: 1e-13 }, `${c.name} ${type} grad`);
    });
  }
}

test('hand values: k3 at x = ref − logp = 1 is e − 2; clamp at 10 with zero gradient', () => {
  const r = klPenalty([0, 0, 0, 0], [1, 0, 3, -20], 'low_var_kl');
  assert.ok(Math.abs(r.value[0]! - (Math.E - 2)) < 1e-15);
  assert.ok(Math.abs(r.grad[0]! - (1 - Math.E)) < 1e-15);
  assert.equal(r.value[1], 0);
  assert.ok(r.grad[1] === 0); // −0 allowed
  assert.equal(r.value[2], 10); // e^3 − 4 = 16.1 → clamped
  assert.equal(r.grad[2], 0);
  assert.equal(r.value[3], 10); // e^−20 + 19 → clamped
  assert.equal(r.grad[3], 0);
  const a = klPenalty([1, 0, -1], [0, 0, 0], 'abs');
  assert.deepEqual(Array.from(a.grad), [1, 0, -1]);
  const m = klPenalty([0.5], [0], 'mse');
  assert.equal(m.value[0], 0.125);
});

test('gradients match central finite differences away from kinks', () => {
  const n = 40;
  const ref = normals(n, 21, 1);
  const lp = Float64Array.from(ref, (x, i) => x + normals(n, 22, 1.2)[i]!);
  for (const type of KL_TYPES) {
    const r = klPenalty(lp, ref, type);
    let maxdiff = 0;
    for (let i = 0; i < n; i++) {
      const d = lp[i]! - ref[i]!;
      if (Math.abs(d) < 1e-4) continue; // abs kink
      if (type === 'low_var_kl' && Math.abs(r.value[i]! - 10) < 1e-3) continue; // clamp edge
      const fd = centralDiff((x) => klPenalty(x, ref, type).value[i]!, lp, i, 1e-6);
      maxdiff = Math.max(maxdiff, Math.abs(fd - r.grad[i]!));
    }
    assert.ok(maxdiff < 1e-7, `${type}: maxdiff ${maxdiff}`);
  }
});
