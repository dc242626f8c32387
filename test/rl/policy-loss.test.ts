import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGG_MODES, aggLoss } from '../../src/rl/agg.js';
import { policyLoss, policyTokenTerms, type PolicyLossConfig } from '../../src/rl/policy-loss.js';
import { assertClose, assertCloseScalar, centralDiff, flat, normals, readFixture, shape2 } from './helpers.js';

const fx = readFixture('policy_loss.json');
const LOSS_TOL = { atol: 1e-12, rtol: 1e-10 };
const GRAD_TOL = { atol: 1e-13, rtol: 1e-10 };

function cfgOf(inputs: any, aggMode: PolicyLossConfig['aggMode']): PolicyLossConfig {
  return {
    clipLow: inputs.cliprange_low ?? inputs.cliprange,
    clipHigh: inputs.cliprange_high ?? inputs.cliprange,
    clipRatioC: inputs.clip_ratio_c,
    aggMode,
  };
}

for (const c of fx.cases) {
  const [B, T] = shape2(c.inputs.log_prob);
  const old = flat(c.inputs.old_log_prob), lp = flat(c.inputs.log_prob);
  const adv = flat(c.inputs.advantages), mask = flat(c.inputs.response_mask);

  test(`policy_loss.json ${c.name}: per-token losses and metrics`, () => {
    const terms = policyTokenTerms(old, lp, adv, cfgOf(c.inputs, 'token-mean'));
    assertClose(terms.loss, flat(c.outputs.pg_losses_per_token_unmasked), LOSS_TOL, `${c.name} per-token loss`);
    const r = policyLoss(old, lp, adv, mask, B, T, cfgOf(c.inputs, 'token-mean'));
    // clip fractions: verl's are float32; ours are float64 of the same count ratio
    assertCloseScalar(Math.fround(r.clipFrac), Math.fround(c.outputs.pg_clipfrac), { atol: 1e-7 }, 'pg_clipfrac');
    assertCloseScalar(Math.fround(r.clipFracLower), Math.fround(c.outputs.pg_clipfrac_lower), { atol: 1e-7 }, 'pg_clipfrac_lower');
    assertCloseScalar(r.ppoKl, c.outputs.ppo_kl, { atol: 1e-12 }, 'ppo_kl');
  });

  for (const mode of AGG_MODES) {
    test(`policy_loss.json ${c.name} ${mode}: loss and gradient match verl autograd`, () => {
      const want = c.outputs.by_mode[mode];
      const r = policyLoss(old, lp, adv, mask, B, T, cfgOf(c.inputs, mode));
      const wantGrad = flat(want.grad_log_prob);
      if (Number.isNaN(want.pg_loss)) {
        // fully masked row under seq-mean-token-mean: verl gives NaN; we give that row 0 on purpose.
        assert.equal(mode, 'seq-mean-token-mean');
        assertClose(r.gradLogp, wantGrad.map((g) => (Number.isNaN(g) ? 0 : g)), GRAD_TOL, `${c.name} grad (NaN → 0)`);
        const terms = policyTokenTerms(old, lp, adv, cfgOf(c.inputs, mode));
        assertCloseScalar(r.loss, aggLoss(terms.loss, mask, B, T, mode).loss, LOSS_TOL, 'guarded loss');
        assert.ok(Number.isFinite(r.loss));
        return;
      }
      assertCloseScalar(r.loss, want.pg_loss, LOSS_TOL, `${c.name} ${mode} pg_loss`);
      assertClose(r.gradLogp, wantGrad, GRAD_TOL, `${c.name} ${mode} grad_log_prob`);
    });
  }
}

test('hand-computed per-token losses: clip, dual clip and their zero gradients', () => {
  const cfg = { clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3 };
  const L = Math.log;
  // [logp − old, A] → [loss, dloss/dlogp]
  const rows: [number, number, number, number][] = [
    [L(1.1), 2, -2.2, -2.2], // inside: −A·r, gradient −A·r
    [L(1.5), 2, -2.4, 0], // A > 0, r > 1.2: clipped at −A·1.2, no gradient
    [L(0.5), 2, -1.0, -1.0], // A > 0, r < 0.8: unclipped branch is the max
    [L(0.5), -1, 0.8, 0], // A < 0, r < 0.8: clipped at |A|·0.8
    [L(2), -1, 2, 2], // A < 0, 1.2 < r < 3: unclipped, gradient −A·r
    [L(5), -1, 3, 0], // A < 0, r > 3: dual clip caps at 3|A|
    [L(5), 1, -1.2, 0], // A > 0, r > 3: the dual clip never applies to A ≥ 0
    [L(7), 0, 0, 0], // A = 0: zero loss and gradient
  ];
  const t = policyTokenTerms(rows.map(() => 0), rows.map((r) => r[0]), rows.map((r) => r[1]), cfg);
  rows.forEach(([, , l, g], i) => {
    assert.ok(Math.abs(t.loss[i]! - l) < 1e-12, `row ${i} loss ${t.loss[i]} want ${l}`);
    assert.ok(Math.abs(t.dlogp[i]! - g) < 1e-12, `row ${i} grad ${t.dlogp[i]} want ${g}`);
  });
  assert.deepEqual(Array.from(t.clipped), [0, 1, 0, 1, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(t.dualClipped), [0, 0, 0, 0, 0, 1, 0, 0]);
});

test('gradient matches central finite differences on random off-policy batches, every mode', () => {
  const B = 4, T = 6;
  const old = normals(B * T, 11, 0.5).map((x) => -Math.abs(x) - 0.1);
  const logp = Float64Array.from(old, (x, i) => x + normals(B * T, 12, 0.4)[i]!);
  const adv = normals(B * T, 13);
  const mask = Array.from({ length: B * T }, (_, i) => (i % T < 3 + (((i / T) | 0) % 3) ? 1 : 0));
  const cfgBase = { clipLow: 0.2, clipHigh: 0.28, clipRatioC: 3 };
  const h = 1e-6;
  for (const aggMode of AGG_MODES) {
    const cfg = { ...cfgBase, aggMode };
    const r = policyLoss(old, logp, adv, mask, B, T, cfg);
    const lo = 1 - cfg.clipLow, hi = 1 + cfg.clipHigh;
    let maxdiff = 0;
    for (let i = 0; i < B * T; i++) {
      const ratio = Math.exp(logp[i]! - old[i]!);
      // skip points within h of a kink, where the one-sided slopes differ
      const near = (k: number) => Math.abs(Math.log(ratio / k)) < 10 * h;
      if (near(lo) || near(hi) || near(cfg.clipRatioC)) continue;
      const fd = centralDiff((x) => policyLoss(old, x, adv, mask, B, T, cfg).loss, logp, i, h);
      maxdiff = Math.max(maxdiff, Math.abs(fd - r.gradLogp[i]!));
    }
    assert.ok(maxdiff < 1e-8, `${aggMode}: maxdiff ${maxdiff}`);
  }
});

test('raising logp of an unclipped positive-advantage token lowers the loss; of a negative one raises it', () => {
  const B = 1, T = 2;
  const old = [-1, -1], logp = [-1.05, -0.95], adv = [1.5, -0.5], mask = [1, 1];
  const cfg = { clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3, aggMode: 'token-mean' as const };
  const r = policyLoss(old, logp, adv, mask, B, T, cfg);
  assert.ok(r.gradLogp[0]! < 0 && r.gradLogp[1]! > 0, `${r.gradLogp}`);
  const up = policyLoss(old, [-1.04, -0.95], adv, mask, B, T, cfg).loss;
  assert.ok(up < r.loss, `loss ${r.loss} → ${up}`);
  // on policy (ratio 1) the gradient is −A / (valid tokens): the REINFORCE direction
  const on = policyLoss(old, old, adv, mask, B, T, cfg);
  assert.deepEqual(Array.from(on.gradLogp), [-0.75, 0.25]);
  assert.equal(on.clipFrac, 0);
});

test('bad config and shapes are errors', () => {
  const cfg = { clipLow: 0.2, clipHigh: 0.2, clipRatioC: 1, aggMode: 'token-mean' as const };
  assert.throws(() => policyLoss([0], [0], [1], [1], 1, 1, cfg), /clipRatioC must be > 1/);
  assert.throws(() => policyLoss([0], [0, 0], [1], [1], 1, 1, { ...cfg, clipRatioC: 3 }), /expected B\*T/);
});
