import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggLoss, aggWeights } from '../../src/rl/agg.js';
import { entropyBackward, entropyFromLogits, logprobsFromLogits } from '../../src/rl/entropy.js';
import { assertClose, assertCloseScalar, centralDiff, flat, normals, readFixture } from './helpers.js';

const fx = readFixture('entropy.json');

for (const c of fx.cases) {
  test(`entropy.json ${c.name}: entropy, entropy_loss, its logits gradient and log_probs match verl`, () => {
    const logits3 = c.inputs.logits as number[][][];
    const B = logits3.length, T = logits3[0]!.length, V = logits3[0]![0]!.length;
    const logits = flat(logits3), mask = flat(c.inputs.response_mask), labels = flat(c.inputs.labels);
    const tol = { atol: c.name === 'offset_1000' ? 1e-10 : 1e-12 };
    const H = entropyFromLogits(logits, B * T, V);
    assertClose(H, flat(c.outputs.entropy), tol, `${c.name} entropy`);
    const agg = aggLoss(H, mask, B, T, 'token-mean');
    assertCloseScalar(agg.loss, c.outputs.entropy_loss, tol, `${c.name} entropy_loss`);
    const dlogits = new Float64Array(B * T * V); // (B·T, V)
    entropyBackward(dlogits, aggWeights(mask, B, T, 'token-mean'), logits, B * T, V);
    assertClose(dlogits, flat(c.outputs.grad_logits_entropy_loss), { atol: 1e-12 }, `${c.name} grad logits`);
    assertClose(logprobsFromLogits(logits, labels, B * T, V), flat(c.outputs.log_probs), tol, `${c.name} log_probs`);
  });
}

test('hand values: uniform is log V, one-hot limit is 0, two-way split', () => {
  assert.ok(Math.abs(entropyFromLogits([3, 3, 3, 3], 1, 4)[0]! - Math.log(4)) < 1e-15);
  assert.ok(entropyFromLogits([1000, 0, 0], 1, 3)[0]! < 1e-300 + 1e-15);
  const a = Math.log(3); // p = (3/4, 1/4)
  const h = entropyFromLogits([a, 0], 1, 2)[0]!;
  assert.ok(Math.abs(h - -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25))) < 1e-15);
  assert.ok(Math.abs(logprobsFromLogits([a, 0], [1], 1, 2)[0]! - Math.log(0.25)) < 1e-15);
  assert.throws(() => logprobsFromLogits([0, 0], [2], 1, 2), /label 2 at row 0 outside/);
});

test('entropyBackward matches finite differences and accumulates with +=', () => {
  const M = 3, V = 7;
  const logits = normals(M * V, 31, 2);
  const dH = [0.5, -1.25, 2];
  const f = (z: Float64Array) => { const H = entropyFromLogits(z, M, V); return H.reduce((s, h, m) => s + dH[m]! * h, 0); };
  const d = new Float64Array(M * V).fill(1);
  entropyBackward(d, dH, logits, M, V);
  const fd = Array.from({ length: M * V }, (_, i) => 1 + centralDiff(f, logits, i, 1e-5));
  const md = assertClose(d, fd, { atol: 1e-9 }, 'entropy grad vs finite differences (+1 accumulated)');
  assert.ok(md < 1e-9);
});
