import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGG_MODES, aggLoss, maskedMean } from '../../src/rl/agg.js';
import { assertClose, assertCloseScalar, centralDiff, flat, normals, readFixture, shape2 } from './helpers.js';

const fx = readFixture('agg_loss.json');
const TOL = { atol: 1e-12, rtol: 1e-10 };

/** Independent brute force of our guarded semantics: empty rows contribute 0 and still count in B. */
function bruteForce(loss: number[], mask: number[], B: number, T: number, mode: string): number {
  const rows: { s: number; n: number }[] = [];
  for (let b = 0; b < B; b++) {
    let s = 0, n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t]) { s += loss[b * T + t]!; n++; }
    rows.push({ s, n });
  }
  if (mode === 'token-mean') {
    const n = rows.reduce((a, r) => a + r.n, 0);
    return n ? rows.reduce((a, r) => a + r.s, 0) / n : 0;
  }
  if (mode === 'seq-mean-token-sum') return rows.reduce((a, r) => a + r.s, 0) / B;
  return rows.reduce((a, r) => a + (r.n ? r.s / r.n : 0), 0) / B;
}

for (const c of fx.cases) {
  for (const mode of AGG_MODES) {
    test(`agg_loss.json ${c.name} ${mode}: matches verl`, () => {
      const [B, T] = shape2(c.inputs.loss_mat);
      const loss = flat(c.inputs.loss_mat), mask = flat(c.inputs.loss_mask);
      const got = aggLoss(loss, mask, B, T, mode);
      const want = c.outputs[mode];
      const wantGrad = flat(want.grad_loss_mat);
      if (Number.isNaN(want.loss)) {
        // verl's 0/0 on a fully masked row. We guard on purpose: that row's gradient is 0, every finite
        // verl gradient is reproduced, and the loss is the brute-force value with the empty row as 0.
        assert.equal(mode, 'seq-mean-token-mean');
        const expGrad = wantGrad.map((g) => (Number.isNaN(g) ? 0 : g));
        assertClose(got.grad, expGrad, TOL, `${c.name} ${mode} grad (NaN → 0)`);
        assertCloseScalar(got.loss, bruteForce(loss, mask, B, T, mode), TOL, `${c.name} ${mode} guarded loss`);
        assert.ok(Number.isFinite(got.loss));
        return;
      }
      assertCloseScalar(got.loss, want.loss, TOL, `${c.name} ${mode} loss`);
      assertClose(got.grad, wantGrad, TOL, `${c.name} ${mode} grad`);
    });
  }
}

test('aggLoss on random masks: brute force and finite differences of the loss', () => {
  const B = 5, T = 9;
  const loss = normals(B * T, 3);
  const mask = Array.from({ length: B * T }, (_, i) => (i % T < 2 + ((i / T) | 0) ? 1 : 0));
  for (let t = 0; t < T; t++) mask[2 * T + t] = 0; // an empty row
  for (const mode of AGG_MODES) {
    const r = aggLoss(loss, mask, B, T, mode);
    assertCloseScalar(r.loss, bruteForce(Array.from(loss), mask, B, T, mode), { atol: 1e-14 }, `${mode} brute force`);
    const fd = Array.from({ length: B * T }, (_, i) => centralDiff((x) => aggLoss(x, mask, B, T, mode).loss, loss, i, 1e-4));
    const md = assertClose(r.grad, fd, { atol: 1e-9 }, `${mode} grad vs finite differences`);
    assert.ok(md < 1e-9);
  }
});

test('micro-batch norm: summing micro-batch aggregates with mini-batch totals gives the mini-batch aggregate', () => {
  const B = 6, T = 7;
  const loss = normals(B * T, 5);
  const mask = Array.from({ length: B * T }, (_, i) => ((i * 7919) % 5 !== 0 ? 1 : 0) as number);
  const tokens = mask.reduce((a: number, b) => a + b, 0);
  for (const mode of AGG_MODES) {
    const full = aggLoss(loss, mask, B, T, mode).loss;
    let sum = 0;
    for (let b0 = 0; b0 < B; b0 += 2) {
      sum += aggLoss(loss.subarray(b0 * T, (b0 + 2) * T), mask.slice(b0 * T, (b0 + 2) * T), 2, T, mode, { tokens, rows: B }).loss;
    }
    assertCloseScalar(sum, full, { atol: 1e-14 }, `${mode} micro-batch sum`);
  }
});

test('inf or NaN at masked positions does not leak into the loss', () => {
  const r = aggLoss([1, Infinity, 3, NaN], [1, 0, 1, 0], 2, 2, 'token-mean');
  assert.equal(r.loss, 2);
  assert.equal(maskedMean([2, NaN, 4], [1, 0, 1]), 3);
  assert.equal(maskedMean([2, 4], [0, 0]), 0);
});
