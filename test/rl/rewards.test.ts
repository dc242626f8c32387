// The reward family against brute-force computations on hand-made logits, and the diagnostics against
// their textbook formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawToken, KernelScratch } from '../../src/sample/kernel.js';
import { entropyFromLogits, selfCertaintyFromLogits } from '../../src/rl/entropy.js';
import { certaintyReward, hybridGtRewards, type CertaintyMode } from '../../src/rl/rewards.js';
import { evolRewards, similarityMatrix } from '../../src/rl/evol.js';
import { fillVerifyTemplate, parseVerdict, DEFAULT_VERIFY_TEMPLATE } from '../../src/rl/verify.js';
import { pointBiserial, pseudoLabelAccuracy, collapseSignal, COLLAPSE_DEFAULTS } from '../../src/rl/diagnostics.js';
import { rewardStep } from '../../src/rl/reward.js';
import { Rng } from '../../src/util/rng.js';
import { cpu } from '../../src/tensor/cpu.js';

/** softmax(row / T) by definition, float64. */
function probs(row: ArrayLike<number>, T: number): number[] {
  const z = Array.from(row, (x) => x / T), e = z.map((x) => Math.exp(x));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

// The sampler's weights are float32 (src/sample/kernel.ts): its sums are within 5e-7 relative of float64's
// (test/sample/kernel.test.ts derives the bound); the other functions here are float64 throughout.
const SAMPLER = 5e-7;
const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('sampler: per-token entropy and self-certainty equal their definitions on logits / T', () => {
  const V = 50, s = new KernelScratch(V), rng = new Rng(11);
  for (const T of [1, 0.6, 1.7, 0]) {
    for (let k = 0; k < 20; k++) {
      const row = Float32Array.from({ length: V }, () => rng.normal() * [0.3, 2, 8][k % 3]!);
      const d = drawToken(row, { temperature: T, topP: k % 2 ? 0.9 : 1, topK: k % 5 === 0 ? 3 : 0, minP: 0 }, rng.next(), s);
      const p = probs(row, T || 1);
      const H = -p.reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0);
      const kl = p.reduce((a, x) => a + (1 / V) * Math.log((1 / V) / x), 0);  // KL(U || p) term by term
      close(d.entropy, H, SAMPLER, `entropy T=${T}`);
      close(d.certainty, kl, SAMPLER, `self-certainty T=${T}`);
    }
  }
});

test('backend sampleRows (the native sampling kernel): per-row entropy and self-certainty equal the definitions', () => {
  const V = 300, B = 6, rng = new Rng(21), be = cpu();
  const logits = Float32Array.from({ length: B * V }, (_, i) => rng.normal() * [0.5, 3, 9][Math.floor(i / V) % 3]!);
  for (const T of [1, 0.7, 0]) {
    const out = { tokens: new Int32Array(B), logprobs: new Float64Array(B), entropies: new Float64Array(B), certainties: new Float64Array(B) };
    be.sampleRows(be.fromHost(logits), V, B, null, { temperature: T, topP: 0.9, topK: 0, minP: 0 }, Float64Array.from({ length: B }, () => rng.next()), out);
    for (let b = 0; b < B; b++) {
      const p = probs(logits.subarray(b * V, (b + 1) * V), T || 1);
      close(out.entropies[b]!, -p.reduce((a, x) => a + (x > 0 ? x * Math.log(x) : 0), 0), SAMPLER, `entropy row ${b} T=${T}`);
      close(out.certainties[b]!, p.reduce((a, x) => a - Math.log(V * x) / V, 0), SAMPLER, `self-certainty row ${b} T=${T}`);
    }
  }
});

test('selfCertaintyFromLogits and entropyFromLogits equal the definitions (and 0 / log V for a uniform row)', () => {
  const rng = new Rng(3), M = 4, V = 30;
  const logits = Float64Array.from({ length: M * V }, () => rng.normal() * 4);
  const sc = selfCertaintyFromLogits(logits, M, V), H = entropyFromLogits(logits, M, V);
  for (let m = 0; m < M; m++) {
    const p = probs(logits.subarray(m * V, (m + 1) * V), 1);
    close(sc[m]!, p.reduce((a, x) => a - Math.log(V * x) / V, 0), 1e-10, `sc row ${m}`);
    close(H[m]!, -p.reduce((a, x) => a + x * Math.log(x), 0), 1e-10, `H row ${m}`);
  }
  const flat = new Float64Array(V).fill(2.5);
  close(selfCertaintyFromLogits(flat, 1, V)[0]!, 0, 1e-12, 'uniform sc');
});

test('certainty-family rewards of a response drawn from hand-made logits equal brute force', () => {
  // a 3-token response over V = 4: each step's logits written by hand
  const rows = [[2, 0, -1, 0.5], [0, 0, 0, 3], [1, 1, -2, -2]].map((r) => Float32Array.from(r));
  for (const T of [1, 0.7]) {
    const s = new KernelScratch(4);
    const drawn = rows.map((r, t) => drawToken(r, { temperature: T, topP: 1, topK: 0, minP: 0 }, [0.1, 0.95, 0.5][t]!, s));
    const stats = { logprobs: drawn.map((d) => d.logprob), entropies: drawn.map((d) => d.entropy), certainties: drawn.map((d) => d.certainty) };
    const ps = rows.map((r) => probs(r, T));
    const lp = drawn.map((d, t) => Math.log(ps[t]![d.token]!));
    const want: Record<CertaintyMode, number> = {
      self_certainty: ps.reduce((a, p) => a + p.reduce((b, x) => b - Math.log(4 * x) / 4, 0), 0) / 3,
      token_level_entropy: -ps.reduce((a, p) => a - p.reduce((b, x) => b + x * Math.log(x), 0), 0) / 3,
      trajectory_level_entropy: lp.reduce((a, b) => a + b, 0) / 3,
      probability: drawn.reduce((a, d, t) => a * ps[t]![d.token]!, 1),
    };
    for (const mode of Object.keys(want) as CertaintyMode[]) close(certaintyReward(mode, stats), want[mode], SAMPLER, `${mode} T=${T}`);
  }
  // an empty response scores 0 (mean) and 1 (probability of the empty product)
  const empty = { logprobs: [], entropies: [], certainties: [] };
  assert.equal(certaintyReward('self_certainty', empty), 0);
  assert.equal(certaintyReward('probability', empty), 1);
});

test('hybrid_gt: gold when some response is correct, else the majority, else gold', () => {
  assert.deepEqual(hybridGtRewards([0, 1, 0], [1, 0, 1], [true, true, true]), [0, 1, 0]);
  assert.deepEqual(hybridGtRewards([0, 0, 0], [1, 0, 1], [true, true, false]), [1, 0, 1]);
  assert.deepEqual(hybridGtRewards([0, 0], [0, 0], [false, false]), [0, 0]);
  const resp = [['\\boxed{3}', '\\boxed{3}', '\\boxed{4}'].map((text) => ({ ids: [], text, logprobs: [], entropies: [], certainties: [], truncated: false }))];
  assert.deepEqual(rewardStep(resp, 'hybrid_gt', { minVoteShare: 0 }, () => '9')[0]!.rewards, [1, 1, 0], 'nobody right: the majority decides');
  assert.deepEqual(rewardStep(resp, 'hybrid_gt', { minVoteShare: 0 }, () => '4')[0]!.rewards, [0, 0, 1]);
  assert.throws(() => rewardStep(resp, 'hybrid_gt', { minVoteShare: 0 }, null), /needs gold/);
});

/** EVOL-RL written out the slow way, loop by loop from the reward manager's description. */
function evolBrute(agrees: (boolean | null)[], emb: number[][]): number[] {
  const n = agrees.length, out = new Array<number>(n).fill(-1);
  const valid: number[] = [];
  for (let i = 0; i < n; i++) if (agrees[i] !== null) valid.push(i);
  if (valid.length < 2) return out;
  const cos = (a: number[], b: number[]) => {
    let d = 0, na = 0, nb = 0;
    for (let k = 0; k < a.length; k++) { d += a[k]! * b[k]!; na += a[k]! ** 2; nb += b[k]! ** 2; }
    return Math.min(1, Math.max(0, d / (Math.sqrt(na) * Math.sqrt(nb))));
  };
  const nov = new Map<number, number>();
  for (const i of valid) {
    const same = valid.filter((j) => j !== i && agrees[j] === agrees[i]), others = valid.filter((j) => j !== i);
    const pool = same.length ? same : others;
    let avg = 0;
    for (const j of pool) avg += cos(emb[i]!, emb[j]!) / pool.length;
    let mx = -Infinity;
    for (const j of others) mx = Math.max(mx, cos(emb[i]!, emb[j]!));
    nov.set(i, 1 - 0.5 * avg - 0.5 * mx);
  }
  for (const [good, lo, single] of [[true, 0.5, 1], [false, -1, -0.5]] as const) {
    const band = valid.filter((i) => agrees[i] === good);
    if (band.length === 1) out[band[0]!] = single;
    if (band.length < 2) continue;
    const vals = band.map((i) => nov.get(i)!), mn = Math.min(...vals), mx = Math.max(...vals);
    for (const i of band) out[i] = mx === mn ? lo + 0.25 : lo + 0.5 * (nov.get(i)! - mn) / (mx - mn);
  }
  return out;
}

test('evol: bands, novelty ranking and edge cases equal the slow implementation', () => {
  // by hand: two agreeing responses identical (low novelty), one agreeing orthogonal (novel), one wrong, one unanswered
  const emb = [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [5, 5, 5]];
  const agrees = [true, true, true, false, null];
  const r = evolRewards(agrees, emb);
  assert.equal(r[4], -1, 'no answer: -1');
  assert.equal(r[3], -0.5, 'alone in the wrong band: its top');
  assert.equal(r[2], 1, 'the orthogonal agreeing response is the most novel');
  assert.equal(r[0], 0.5); assert.equal(r[1], 0.5);
  assert.deepEqual(r, evolBrute(agrees, emb));
  const rng = new Rng(9);
  for (let k = 0; k < 30; k++) {
    const n = 2 + (k % 7);
    const a = Array.from({ length: n }, () => { const u = rng.next(); return u < 0.15 ? null : u < 0.6; });
    const e = Array.from({ length: n }, () => Array.from({ length: 5 }, () => rng.normal()));
    const got = evolRewards(a, e), want = evolBrute(a, e);
    got.forEach((x, i) => close(x, want[i]!, 1e-12, `case ${k} response ${i}`));
  }
  assert.deepEqual(evolRewards([true, null], [[1], [1]]), [-1, -1], 'one valid answer beside an invalid one: all -1');
  const sim = similarityMatrix([[1, 0], [-1, 0]]);
  assert.equal(sim[0]![1], 0, 'negative cosine clipped to 0');
});

test('self_verify: template filling and verdict parsing', () => {
  assert.equal(fillVerifyTemplate('Q: {question} A: {response} {other}', '1+1', '\\boxed{2}'), 'Q: 1+1 A: \\boxed{2} {other}');
  assert.ok(DEFAULT_VERIFY_TEMPLATE.includes('{question}') && DEFAULT_VERIFY_TEMPLATE.includes('{response}'));
  assert.equal(parseVerdict('It checks out. \\boxed{True}'), 1);
  assert.equal(parseVerdict('\\boxed{ false }'), 0);
  assert.equal(parseVerdict('output \\boxed{True} or \\boxed{False}... so \\boxed{False}'), 0, 'the last verdict wins');
  assert.equal(parseVerdict('I think it is TRUE'), 1, 'keyword fallback');
  assert.equal(parseVerdict('true or false?'), 0, 'both keywords: 0');
  assert.equal(parseVerdict(''), 0);
});

test('point-biserial equals the textbook formula (M1 - M0) / s_n * sqrt(p q)', () => {
  const rng = new Rng(5);
  for (let k = 0; k < 10; k++) {
    const n = 6 + k;
    const gold = Array.from({ length: n }, (_, i) => (i % 3 === 0 || rng.next() < 0.3 ? 1 : 0));
    const proxy = gold.map((g) => rng.normal() + g);
    const ones = proxy.filter((_, i) => gold[i] === 1), zeros = proxy.filter((_, i) => gold[i] === 0);
    const m = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mu = m(proxy), sn = Math.sqrt(proxy.reduce((a, x) => a + (x - mu) ** 2, 0) / n);
    const want = (m(ones) - m(zeros)) / sn * Math.sqrt((ones.length / n) * (zeros.length / n));
    close(pointBiserial(proxy, gold), want, 1e-10, `case ${k}`);
  }
  assert.equal(pointBiserial([1, 2, 3], [1, 1, 1]), 0, 'constant gold: 0');
  assert.equal(pointBiserial([2, 2, 2], [0, 1, 1]), 0, 'constant proxy: 0');
});

test('pseudo-label accuracy: gold of the top-proxy response per prompt, first on ties', () => {
  assert.equal(pseudoLabelAccuracy([[0.1, 0.9, 0.5], [3, 3, 1]], [[0, 1, 0], [0, 1, 1]]), 0.5);
});

test('collapse signal: fires only when entropy and diversity fall together while the vote saturates', () => {
  const base = [{ entropy: 1, distinct: 5, voteShare: 0.4 }, { entropy: 1, distinct: 5, voteShare: 0.45 }];
  assert.equal(collapseSignal(base).fired, false, 'no verdict during the baseline');
  const sharpen = [...base, { entropy: 0.4, distinct: 3.5, voteShare: 0.7 }];
  assert.equal(collapseSignal(sharpen).fired, false, 'sharpening with answers still diverse is not collapse');
  const lowEntOnly = [...base, { entropy: 0.3, distinct: 4, voteShare: 0.95 }];
  assert.equal(collapseSignal(lowEntOnly).fired, false, 'diversity kept');
  const collapsed = [...base, { entropy: 0.2, distinct: 1.4, voteShare: 0.97 }];
  const c = collapseSignal(collapsed);
  assert.equal(c.fired, true);
  assert.match(c.reason!, /entropy at 20%/);
  assert.equal(collapseSignal(collapsed, { ...COLLAPSE_DEFAULTS, minVoteShare: 0.99 }).fired, false);
});
