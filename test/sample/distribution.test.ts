// Statistical check of the whole sampler on a tiny model (V = 7): empirical frequencies of seeded draws
// against the probabilities computed by brute force (full forward, softmax(logits / T), the naive policy).
//
// N = 20000 draws. First token: Pearson chi-square over the kept tokens, compared with the chi-square
// quantile at 1 − 1e-4 (a correct sampler fails one policy with probability 1e-4; the seeds are fixed, so
// the test is deterministic either way). A wrong distribution is caught easily: a probability off by 0.01
// adds about N·0.01²/p ≈ 10–20 to the statistic per token. Tokens outside the kept set must never appear.
// First two tokens (49 cells, many small): each cell's count is Binomial(N, p); we require
// |count − N·p| ≤ 5σ + 3 (5σ: 6e-7 two-sided per cell, < 3e-5 over 49 cells; +3 covers tiny cells).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleBatch } from '../../src/sample/batch.js';
import type { TokenPolicy } from '../../src/sample/params.js';
import { lastLogits, naiveDistribution, tinyModel } from './oracle.js';

/** scipy.stats.chi2.ppf(1 − 1e-4, df) for df = 1..6. */
const CHI2_CRIT = [NaN, 15.137, 18.421, 21.108, 23.513, 25.745, 27.856];

const N = 20000, V = 7;
const PROMPT = [2, 5, 1];
const POLICIES: TokenPolicy[] = [
  { temperature: 1, topP: 1, topK: 0, minP: 0 },
  { temperature: 0.6, topP: 1, topK: 0, minP: 0 },
  { temperature: 1.5, topP: 0.8, topK: 0, minP: 0 },
  { temperature: 1, topP: 1, topK: 3, minP: 0 },
  { temperature: 1, topP: 1, topK: 0, minP: 0.3 },
  { temperature: 0.9, topP: 0.9, topK: 5, minP: 0.1 },
];

const model = tinyModel(V, 21, 0.45);

test('the test model has a spread-out next-token distribution', () => {
  const p = naiveDistribution(lastLogits(model, PROMPT), POLICIES[0]!);
  assert.ok(Math.min(...p) > 0.02 && Math.max(...p) < 0.6, `first-token probabilities ${p.map((x) => x.toFixed(3))}`);
});

for (const pol of POLICIES) {
  test(`first token frequencies match softmax(logits / T) truncated: ${JSON.stringify(pol)}`, () => {
    const want = naiveDistribution(lastLogits(model, PROMPT), pol);
    const [samples] = sampleBatch(model, [{ ids: PROMPT, n: N }], { ...pol, maxNewTokens: 1, eosIds: [] }, { seed: 1234 });
    const counts = new Array<number>(V).fill(0);
    for (const s of samples!) counts[s.ids[0]!]!++;
    let chi2 = 0, kept = 0;
    for (let i = 0; i < V; i++) {
      if (want[i] === 0) { assert.equal(counts[i], 0, `token ${i} is outside the kept set but was drawn ${counts[i]} times`); continue; }
      kept++;
      chi2 += (counts[i]! - N * want[i]!) ** 2 / (N * want[i]!);
    }
    const maxdiff = Math.max(...counts.map((c, i) => Math.abs(c / N - want[i]!)));
    if (kept > 1) assert.ok(chi2 < CHI2_CRIT[kept - 1]!, `chi2 ${chi2.toFixed(2)} (df ${kept - 1}, crit ${CHI2_CRIT[kept - 1]}), maxdiff ${maxdiff.toFixed(4)}, counts ${counts}`);
  });
}

test('first two tokens (prefix copied to every sample, then one decode step): joint frequencies', () => {
  const pol = POLICIES[5]!;
  const p1 = naiveDistribution(lastLogits(model, PROMPT), pol);
  const joint: number[] = [];
  for (let a = 0; a < V; a++) {
    const p2 = p1[a]! > 0 ? naiveDistribution(lastLogits(model, [...PROMPT, a]), pol) : new Array<number>(V).fill(0);
    for (let b = 0; b < V; b++) joint.push(p1[a]! * p2[b]!);
  }
  const [samples] = sampleBatch(model, [{ ids: PROMPT, n: N }], { ...pol, maxNewTokens: 2, eosIds: [] }, { seed: 99, maxSlots: 64 });
  const counts = new Array<number>(V * V).fill(0);
  for (const s of samples!) counts[s.ids[0]! * V + s.ids[1]!]!++;
  let worst = 0;
  for (let c = 0; c < V * V; c++) {
    const e = N * joint[c]!, sd = Math.sqrt(e * (1 - joint[c]!));
    const z = Math.abs(counts[c]! - e) / (5 * sd + 3);
    worst = Math.max(worst, z);
    assert.ok(z <= 1, `cell (${Math.floor(c / V)}, ${c % V}): count ${counts[c]}, expected ${e.toFixed(1)} ± ${sd.toFixed(1)}`);
  }
  assert.ok(worst > 0, 'some deviation is expected');
});
