import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGG_MODES, aggLoss } from '../../src/rl/agg.js';
import { klPenalty } from '../../src/rl/kl.js';
import { ppoObjective, type PpoObjectiveConfig, type PpoObjectiveInputs } from '../../src/rl/objective.js';
import { policyLoss } from '../../src/rl/policy-loss.js';
import { assertClose, assertCloseScalar, centralDiff, normals } from './helpers.js';

const B = 4, T = 5;
function inputs(): PpoObjectiveInputs {
  const old = normals(B * T, 41, 0.7).map((x) => -Math.abs(x) - 0.05);
  const noise = normals(B * T, 42, 0.3);
  return {
    oldLogp: old,
    logp: old.map((x, i) => x + noise[i]!),
    refLogp: old.map((x, i) => x + 0.5 * normals(B * T, 43)[i]!),
    adv: normals(B * T, 44),
    entropy: normals(B * T, 45).map((x) => Math.abs(x) + 0.1),
    mask: Array.from({ length: B * T }, (_, i) => (i % T <= ((i / T) | 0) + 1 ? 1 : 0)),
    B, T,
  };
}
const BASE: PpoObjectiveConfig = {
  clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3, aggMode: 'token-mean',
  klCoef: 0.05, klType: 'low_var_kl', entropyCoef: 0.01, lossScale: 0.5,
};

test('total = scale·(pg + klCoef·kl − entCoef·entropy), from the separately computed parts', () => {
  const x = inputs();
  for (const aggMode of AGG_MODES) {
    const cfg = { ...BASE, aggMode };
    const r = ppoObjective(x, cfg);
    const pg = policyLoss(x.oldLogp, x.logp, x.adv, x.mask, B, T, cfg).loss;
    const kl = aggLoss(klPenalty(x.logp, x.refLogp!, cfg.klType).value, x.mask, B, T, aggMode).loss;
    const ent = aggLoss(x.entropy!, x.mask, B, T, aggMode).loss;
    assertCloseScalar(r.loss, 0.5 * (pg + 0.05 * kl - 0.01 * ent), { atol: 1e-15 }, `${aggMode} total`);
    assert.equal(r.pgLoss, pg);
    assert.equal(r.klLoss, kl);
    assert.equal(r.entropyLoss, ent);
  }
});

test('gradLogp and gradEntropy match finite differences of the total loss', () => {
  const x = inputs();
  for (const aggMode of AGG_MODES) {
    const cfg = { ...BASE, aggMode };
    const r = ppoObjective(x, cfg);
    const logp = Float64Array.from(x.logp);
    const fdLogp = Array.from({ length: B * T }, (_, i) => centralDiff((z) => ppoObjective({ ...x, logp: z }, cfg).loss, logp, i, 1e-6));
    const md = assertClose(r.gradLogp, fdLogp, { atol: 1e-9 }, `${aggMode} d/dlogp`);
    const ent = Float64Array.from(x.entropy!);
    const fdEnt = Array.from({ length: B * T }, (_, i) => centralDiff((z) => ppoObjective({ ...x, entropy: z }, cfg).loss, ent, i, 1e-6));
    assertClose(r.gradEntropy!, fdEnt, { atol: 1e-10 }, `${aggMode} d/dentropy`);
    assert.ok(md < 1e-9);
  }
});

test('TTRL settings: no entropy gradient, KL term present; missing inputs are errors', () => {
  const x = inputs();
  const ttrl: PpoObjectiveConfig = { clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3, aggMode: 'token-mean', klCoef: 0.001, klType: 'low_var_kl', entropyCoef: 0 };
  const r = ppoObjective(x, ttrl);
  assert.equal(r.gradEntropy, null);
  assert.ok(r.entropyLoss !== null && r.entropyLoss > 0); // still logged
  const noKl = ppoObjective({ ...x, refLogp: null }, { ...ttrl, klCoef: 0 });
  assert.equal(noKl.klLoss, null);
  assert.equal(noKl.loss, noKl.pgLoss);
  assert.throws(() => ppoObjective({ ...x, refLogp: null }, ttrl), /needs refLogp/);
  assert.throws(() => ppoObjective({ ...x, entropy: null }, { ...ttrl, entropyCoef: 0.1 }), /needs per-token entropy/);
});
