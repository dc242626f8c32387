// Drawing one token from one logits row: temperature, top-k, top-p, min-p, inverse-CDF with one uniform.
// This is the reference: the sampler draws through Backend.sampleRows (native/cpu/sample.cc), which must
// return the same token and log-prob bit for bit (test/sample/native.test.ts). So that the native kernel can
// vectorize, the weights are float32 (expF, the CPU kernels' exp repeated op for op) and every sum over the
// vocabulary runs in double in 8 lanes (laneSum's order); the draw's running sum goes by blocks of 8 tokens.
//
// V = vocabulary size. Everything here is a pure function of (row, policy, u) plus reusable scratch, so a
// sample's tokens depend only on its logits and its own random stream, never on the rest of the batch.
//
// The policy, in Hugging Face's warper order (temperature → top-k → top-p → min-p), on the weights
// w_i = expF(fl32((l_i − max l) · (1/T))), so the most probable token has w = 1 exactly:
//   top-k  keeps w_i ≥ the k-th largest weight (ties at the boundary are all kept, as HF's TopK does);
//   top-p  keeps, among the top-k survivors in decreasing order, every token whose preceding mass is below
//          topP × the survivors' mass: the smallest head with mass ≥ topP (HF's TopP; exact ties at the
//          boundary are all kept so the set does not depend on a sort order);
//   min-p  keeps w_i ≥ minP (p_i ≥ minP · p_max; this ratio test is unchanged by renormalisation, so its
//          place in the order does not matter).
// Each of the three keeps a set of the form {w ≥ threshold}, so the kept set is {w ≥ max of thresholds}
// and the draw is one pass: the first kept token, in vocabulary order, whose cumulative weight exceeds
// u × the kept mass. One uniform per token, whatever the settings, keeps random streams aligned.
//
// The returned log-prob is log softmax(l / T)[token] over the FULL vocabulary, before truncation: that is
// what verl recomputes as old_log_prob for the PPO ratio (logits / temperature, no top-k/top-p), so the
// ratio starts at exactly 1 on the first PPO step. At T = 0 it is the plain log-softmax of the argmax.
// The same pass yields the row's entropy and self-certainty at that temperature (the label-free rewards'
// per-token inputs, as verl computes them on logits / T): two more sums in the loop that already takes exp.
import type { TokenPolicy } from './params.js';

const f32 = Math.fround;
const EXP_LO = f32(-87.3365448), EXP_HI = f32(88.3762626), LOG2E = f32(1.44269504088896341);
const LN2_HI = f32(0.693359375), LN2_LO = f32(2.12194440e-4), ROUND = 12582912;  // 1.5·2^23
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(f32);

/**
 * e^x for a float32 x, rounded exactly as native/cpu/math.h's ExpF without fused multiply-adds (every float
 * operation is a double operation then fround: exact for + − ×, since double holds 2·24 + 2 bits). Relative
 * error ≤ 2 ulp; 0 below −87.34.
 */
export function expF(x: number): number {
  let xc = x < EXP_LO ? EXP_LO : x;
  xc = xc > EXP_HI ? EXP_HI : xc;
  const n = f32(f32(f32(xc * LOG2E) + ROUND) - ROUND);
  let r = f32(xc - f32(n * LN2_HI));
  r = f32(r + f32(n * LN2_LO));
  let y = EXP_POLY[0]!;
  for (let k = 1; k < EXP_POLY.length; k++) y = f32(f32(y * r) + EXP_POLY[k]!);
  y = f32(f32(f32(y * f32(r * r)) + r) + 1);
  y = f32(y * 2 ** n);
  return x < EXP_LO ? 0 : y;
}

const LANES = 8;
/** Lanes of a vocabulary-wide sum combined in this fixed order (the native kernel's). */
const combine = (a: Float64Array): number => ((a[0]! + a[1]!) + (a[2]! + a[3]!)) + ((a[4]! + a[5]!) + (a[6]! + a[7]!));

/** Σ w[i] over i < n with w[i] ≥ c, in 8 lanes: lane j adds the i ≡ j (mod 8) in order, then combine. */
export function laneSum(w: Float64Array, n: number, c: number): number {
  const acc = new Float64Array(LANES);
  for (let i = 0; i < n; i++) acc[i & 7]! += w[i]! >= c ? w[i]! : 0;
  return combine(acc);
}

/** Reusable per-sampler buffers: (V) weights and (V) values for selection / sorting. */
export class KernelScratch {
  readonly w: Float64Array;
  readonly sel: Float64Array;
  /** Σ l_i and Σ w_i·(l_i − max l) of the last fillWeights call. */
  sumL = 0;
  sumWD = 0;
  constructor(readonly V: number) {
    this.w = new Float64Array(V);
    this.sel = new Float64Array(V);
  }
}

export interface Drawn {
  token: number;
  /** log softmax(logits / T)[token] over the whole vocabulary (T = 1 when greedy). */
  logprob: number;
  /** H(softmax(logits / T)) over the whole vocabulary. */
  entropy: number;
  /** Self-certainty KL(U ‖ softmax(logits / T)) = logsumexp(z) − mean(z) − log V, z = logits / T. */
  certainty: number;
}

/** Index of the first maximum (torch.argmax / HF greedy pick the first on ties). */
export function argmaxRow(row: Float32Array): number {
  let best = 0, bv = row[0]!;
  for (let i = 1; i < row.length; i++) if (row[i]! > bv) { bv = row[i]!; best = i; }
  return best;
}

/** Draw one token from `row` (V logits) with uniform `u` in [0, 1). */
export function drawToken(row: Float32Array, pol: TokenPolicy, u: number, s: KernelScratch): Drawn {
  const V = row.length;
  if (V !== s.V) throw new RangeError(`logits row has ${V} entries, scratch was made for ${s.V}`);
  const top = argmaxRow(row), mx = row[top]!;
  if (!Number.isFinite(mx)) throw new RangeError(`logits row has a non-finite maximum (${mx})`);
  const T = pol.temperature > 0 ? pol.temperature : 1;
  const total = fillWeights(row, mx, T, s.w, s);
  const logTotal = Math.log(total);
  // log p_i = (l_i − mx)/T − log Σw, so H = log Σw − Σ w_i (l_i − mx) / (T Σw); logsumexp(z) = mx/T + log Σw
  const entropy = logTotal - s.sumWD / (T * total);
  const certainty = logTotal + (mx - s.sumL / V) / T - Math.log(V);
  if (pol.temperature === 0) return { token: top, logprob: -logTotal, entropy, certainty };
  const thr = keepThreshold(s.w, total, pol, s.sel);
  const token = inverseCdf(s.w, thr, thr > 0 ? keptMass(s.w, thr) : total, u);
  return { token, logprob: (row[token]! - mx) / T - logTotal, entropy, certainty };
}

/**
 * The exact sampling distribution (V probabilities, 0 outside the kept set) that drawToken samples from.
 * For tests and diagnostics; at T = 0 a one-hot on the argmax.
 */
export function tokenDistribution(row: Float32Array, pol: TokenPolicy): Float64Array {
  const s = new KernelScratch(row.length);
  const top = argmaxRow(row);
  if (pol.temperature === 0) { const p = new Float64Array(row.length); p[top] = 1; return p; }
  const total = fillWeights(row, row[top]!, pol.temperature, s.w);
  const thr = keepThreshold(s.w, total, pol, s.sel);
  const mass = keptMass(s.w, thr);
  const p = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) if (s.w[i]! >= thr) p[i] = s.w[i]! / mass;
  return p;
}

/**
 * w[i] = expF(fl32((row[i] − mx) · (1/T))); returns Σ w (the softmax normaliser relative to the max). With
 * `stats`, also leaves Σ row[i] and Σ w[i]·(row[i] − mx) there (for the entropy and self-certainty). All
 * three sums in laneSum's order.
 */
function fillWeights(row: Float32Array, mx: number, T: number, w: Float64Array, stats?: KernelScratch): number {
  const invT = 1 / T, sw = new Float64Array(LANES), sl = new Float64Array(LANES), swd = new Float64Array(LANES);
  for (let i = 0; i < row.length; i++) {
    const d = row[i]! - mx, e = expF(f32(d * invT)), j = i & 7;  // d exact in double
    w[i] = e;
    sw[j]! += e;
    sl[j]! += row[i]!;
    swd[j]! += d > -Infinity ? e * d : 0;  // a −∞ logit adds 0, not 0·(−∞)
  }
  if (stats) { stats.sumL = combine(sl); stats.sumWD = combine(swd); }
  return combine(sw);
}

/**
 * The weight threshold of the kept set {w ≥ thr} for top-k, then top-p over the top-k survivors, then
 * min-p. 0 when nothing truncates (a weight that underflowed to 0 can still never be drawn).
 */
export function keepThreshold(w: Float64Array, total: number, pol: TokenPolicy, sel: Float64Array): number {
  const V = w.length;
  let thr = 0, mass = total;
  if (pol.topK > 0 && pol.topK < V) {
    sel.set(w);
    thr = kthLargestInPlace(sel, V, pol.topK);
    mass = laneSum(w, V, thr);
  }
  if (pol.topP < 1) thr = Math.max(thr, nucleusThreshold(w, thr, pol.topP * mass, sel));
  if (pol.minP > 0) thr = Math.max(thr, pol.minP);
  return thr;
}

/**
 * The weight of the last token of the smallest head (in decreasing weight) of {w ≥ lo} whose mass reaches
 * `need`. Sorts only candidates above a cut that is lowered by 2^-10 until their mass reaches `need`:
 * every token above the cut outweighs every token below it, so the head lies among the candidates.
 * For a peaked LM distribution the first cut (w ≥ 2^-10 of the top) already holds the nucleus.
 */
function nucleusThreshold(w: Float64Array, lo: number, need: number, sel: Float64Array): number {
  let cut = 2 ** -10, n = 0;
  for (;;) {
    const c = Math.max(cut, lo);
    n = 0;
    for (let i = 0; i < w.length; i++) if (w[i]! >= c) sel[n++] = w[i]!;
    if (laneSum(sel, n, c) >= need || c <= lo) break;
    cut = cut > 2 ** -60 ? cut * 2 ** -10 : 0;
  }
  const cand = sel.subarray(0, n).sort();  // ascending (typed-array sort is numeric)
  let cum = 0;
  for (let i = n - 1; i >= 0; i--) {
    cum += cand[i]!;
    if (cum >= need) return cand[i]!;
  }
  return cand[0]!;  // rounding left the sum a hair short of `need`: keep every candidate
}

/** The k-th largest of a[0..n) for 1 ≤ k ≤ n; reorders a. Quickselect, median-of-three pivot, expected O(n). */
export function kthLargestInPlace(a: Float64Array, n: number, k: number): number {
  const target = n - k;  // its position in ascending order
  let lo = 0, hi = n - 1;
  while (hi > lo) {
    const x = a[lo]!, y = a[(lo + hi) >>> 1]!, z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { const t = a[i]!; a[i] = a[j]!; a[j] = t; i++; j--; }
    }
    // now a[lo..j] ≤ pivot ≤ a[i..hi], and anything strictly between j and i equals the pivot
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return pivot;
  }
  return a[target]!;
}

/** Σ w[i] over w[i] ≥ thr, in laneSum's order. */
function keptMass(w: Float64Array, thr: number): number {
  return laneSum(w, w.length, thr);
}

/**
 * First index i with w[i] ≥ thr (and w[i] > 0) whose cumulative weight exceeds u × mass (the kept mass). The
 * running sum adds whole blocks of 8 tokens (each block's kept weights in combine's order) while the sum stays
 * ≤ the target, then token by token inside the block that crosses it (the native kernel's order).
 */
function inverseCdf(w: Float64Array, thr: number, mass: number, u: number): number {
  const target = u * mass, V = w.length, k = new Float64Array(LANES);
  let cum = 0, i = 0;
  for (; i + LANES <= V; i += LANES) {
    for (let j = 0; j < LANES; j++) { const x = w[i + j]!; k[j] = x >= thr && x > 0 ? x : 0; }
    const block = combine(k);
    if (cum + block > target) break;
    cum += block;
  }
  let last = -1;  // the block (or tail) that crosses; rounding may leave it a hair short: its last kept token
  for (const end = Math.min(i + LANES, V); i < end; i++) {
    const x = w[i]!;
    if (x >= thr && x > 0) { cum += x; last = i; if (cum > target) return i; }
  }
  for (let j = V - 1; last < 0 && j >= 0; j--) if (w[j]! >= thr && w[j]! > 0) last = j;  // u·mass rounded up
  return last;
}

export interface TopLogprob { token: number; logprob: number }

let topScratch = new Float64Array(0);  // fillWeights' weights for topLogprobs, reused: it runs once per token

/**
 * The k most likely tokens of `row` with log softmax(row / T) over the full vocabulary (T = 1 when 0, as
 * drawToken reports log-probs), most likely first; ties in vocabulary order. For the server's logprobs.
 */
export function topLogprobs(row: Float32Array, temperature: number, k: number): TopLogprob[] {
  const T = temperature > 0 ? temperature : 1, V = row.length;
  const mx = row[argmaxRow(row)]!;
  if (topScratch.length < V) topScratch = new Float64Array(V);
  const total = fillWeights(row, mx, T, topScratch.subarray(0, V));  // the normaliser drawToken's log-probs use
  const best: number[] = [];  // ids of the best so far, sorted by decreasing logit (insertion, k is small)
  for (let i = 0; i < V && k > 0; i++) {
    if (best.length === k && row[i]! <= row[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && row[best[at - 1]!]! < row[i]!) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  const lz = Math.log(total);
  return best.map((token) => ({ token, logprob: (row[token]! - mx) / T - lz }));
}
