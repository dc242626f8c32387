// The sampling kernel against the by-definition oracle (full sorts over float64 probabilities).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawToken, tokenDistribution, kthLargestInPlace, topLogprobs, KernelScratch } from '../../src/sample/kernel.js';
import type { TokenPolicy } from '../../src/sample/params.js';
import { Rng } from '../../src/util/rng.js';
import { logSoftmax, naiveDistribution, pickByU, maxAbsDiff, POLICIES } from './oracle.js';


// The kernel's weights are float32: w = expF(fl32(x)) with x = (l − max)/T carries fl32's relative 2^-24 on x
// (so |x|·2^-24 relative on w) and expF's ≤ 2 ulp (2^-22); p = w / Σw and log Σw then differ from float64 by at
// most 2·2^-22 + max_x e^x·|x|·2^-24 < 5e-7 (observed ~2e-8). The draw itself is exact given the weights.
const FLOAT_WEIGHTS = 5e-7;

/** Random rows: gaussian logits at a few scales, plus integer logits (exact ties at every boundary). */
function rows(V: number, count: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const scale = [0.5, 2, 6][i % 3]!;
    return Float32Array.from({ length: V }, () => (i % 4 === 3 ? Math.round(rng.normal() * 2) : rng.normal() * scale));
  });
}

test('top-k / top-p / min-p truncation is exact: kept set and renormalised probabilities equal the oracle', () => {
  let worst = 0, checked = 0;
  for (const V of [7, 64, 1000]) {
    for (const row of rows(V, 12, V)) {
      for (const pol of POLICIES) {
        const got = tokenDistribution(row, pol), want = naiveDistribution(row, pol);
        for (let i = 0; i < V; i++) {
          assert.equal(got[i]! > 0, want[i]! > 0, `V=${V} ${JSON.stringify(pol)} token ${i}: kept ${got[i]! > 0}, oracle ${want[i]! > 0}`);
        }
        worst = Math.max(worst, maxAbsDiff(got, want));
        checked++;
      }
    }
  }
  assert.ok(worst < FLOAT_WEIGHTS, `probability maxdiff ${worst} over ${checked} rows`);
});

test('top-k keeps exactly k tokens without ties, and all tied tokens at the boundary', () => {
  const row = Float32Array.from([3, 1, 2, 2, 0, 2, -1]);
  const keptOf = (k: number) => Array.from(tokenDistribution(row, { temperature: 1, topP: 1, topK: k, minP: 0 })).flatMap((p, i) => (p > 0 ? [i] : []));
  assert.deepEqual(keptOf(1), [0]);
  assert.deepEqual(keptOf(2), [0, 2, 3, 5]);  // the 2nd largest value (2) is shared by three tokens
  assert.deepEqual(keptOf(5), [0, 1, 2, 3, 5]);
  assert.deepEqual(keptOf(7), [0, 1, 2, 3, 4, 5, 6]);
});

test('top-p by hand: probabilities 0.5, 0.3, 0.15, 0.05', () => {
  const row = Float32Array.from([0.5, 0.3, 0.15, 0.05].map(Math.log));
  const keptOf = (p: number) => Array.from(tokenDistribution(row, { temperature: 1, topP: p, topK: 0, minP: 0 })).flatMap((x, i) => (x > 0 ? [i] : []));
  // float32 weights put each boundary within ~1e-7 of its exact place, so the cuts sit 1e-6 inside
  assert.deepEqual(keptOf(0.5 - 1e-6), [0]);  // mass 0.5 reaches it
  assert.deepEqual(keptOf(0.51), [0, 1]);
  assert.deepEqual(keptOf(0.8 - 1e-6), [0, 1]);  // 0.5 + 0.3 = 0.8
  assert.deepEqual(keptOf(0.81), [0, 1, 2]);
  assert.deepEqual(keptOf(0.96), [0, 1, 2, 3]);
  const d = tokenDistribution(row, { temperature: 1, topP: 0.81, topK: 0, minP: 0 });
  assert.ok(maxAbsDiff(d, [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0]) < 1e-7, `renormalised ${Array.from(d)}`);
});

test('drawToken: inverse CDF in vocabulary order picks the oracle token for every u; one call per token', () => {
  for (const V of [7, 300]) {
    const s = new KernelScratch(V), rng = new Rng(9, V);
    for (const row of rows(V, 6, 100 + V)) {
      for (const pol of POLICIES) {
        const dist = naiveDistribution(row, pol);
        for (let k = 0; k < 50; k++) {
          const u = rng.next();
          const d = drawToken(row, pol, u, s);
          assert.equal(d.token, pickByU(dist, u), `V=${V} ${JSON.stringify(pol)} u=${u}`);
        }
      }
    }
  }
});

test('log-prob is log softmax(logits / T) over the full vocabulary, before truncation (plain at T = 0)', () => {
  const V = 500, s = new KernelScratch(V), rng = new Rng(3);
  let worst = 0;
  for (const row of rows(V, 6, 77)) {
    for (const pol of POLICIES) {
      const d = drawToken(row, pol, rng.next(), s);
      const want = logSoftmax(row, pol.temperature > 0 ? pol.temperature : 1)[d.token]!;
      worst = Math.max(worst, Math.abs(d.logprob - want));
    }
  }
  assert.ok(worst < FLOAT_WEIGHTS, `logprob maxdiff ${worst}`);
});

test('kthLargestInPlace equals sorting, with many duplicates', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(300), levels = 1 + rng.int(20);
    const a = Float64Array.from({ length: n }, () => rng.int(levels) / levels);
    const sorted = Array.from(a).sort((x, y) => y - x);
    const k = 1 + rng.int(n);
    assert.equal(kthLargestInPlace(Float64Array.from(a), n, k), sorted[k - 1], `n=${n} k=${k}`);
  }
});

test('a full-size row (V = 151936): every policy agrees with the oracle distribution', () => {
  const V = 151936, rng = new Rng(11);
  // an LM-like row: a few strong candidates over a long gaussian tail
  const row = Float32Array.from({ length: V }, () => rng.normal() * 2);
  for (let i = 0; i < 30; i++) row[rng.int(V)] = 12 + rng.normal() * 2;
  for (const pol of POLICIES.slice(0, 8)) {
    const got = tokenDistribution(row, pol), want = naiveDistribution(row, pol);
    const d = maxAbsDiff(got, want);
    assert.ok(d < FLOAT_WEIGHTS, `${JSON.stringify(pol)}: maxdiff ${d}`);
  }
});

test('topLogprobs: the k largest of log softmax(row / T) by a full sort, ties in vocabulary order', () => {
  const rng = new Rng(4);
  for (const [T, k] of [[1, 5], [0.6, 3], [0, 2], [1.3, 40]] as const) {
    const row = Float32Array.from({ length: 40 }, () => Math.round(rng.normal() * 4) / 2);  // many ties
    const lp = logSoftmax(Array.from(row, (x) => x / (T > 0 ? T : 1)));
    const want = lp.map((logprob, token) => ({ token, logprob })).sort((a, b) => b.logprob - a.logprob || a.token - b.token).slice(0, k);
    const got = topLogprobs(row, T, k);
    assert.deepEqual(got.map((t) => t.token), want.map((t) => t.token));
    assert.ok(maxAbsDiff(got.map((t) => t.logprob), want.map((t) => t.logprob)) < FLOAT_WEIGHTS);
  }
});
