// Aggregating a per-token loss matrix into one scalar, and the (constant) gradient of that scalar with
// respect to each token's loss. Reference: verl `core_algos.agg_loss` (TTRL fork 3e2cc93), tested against
// shared/fixtures/verl-parity/agg_loss.json. Why the modes differ: Liu et al. 2025 (Dr.GRPO, arXiv
// 2503.20783) and Yu et al. 2025 (DAPO, arXiv 2503.14476) on length bias of per-sequence means.
// B = rows, T = tokens; (B, T) arrays are row-major; masks are 0/1 (any non-zero counts as valid).

export type AggMode = 'token-mean' | 'seq-mean-token-mean' | 'seq-mean-token-sum';

export const AGG_MODES: readonly AggMode[] = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum'];

/**
 * Optional normalisers that replace the counts of the rows passed in. Use the totals of a whole mini-batch
 * when it is processed in micro-batches: summing the micro-batch results then gives exactly the mini-batch
 * aggregate. Without it (verl's behaviour) each micro-batch is normalised by its own counts.
 */
export interface AggNorm {
  /** token-mean divisor: valid tokens in the mini-batch. */
  tokens?: number;
  /** seq-mean divisor: rows in the mini-batch (empty rows included, as verl counts them). */
  rows?: number;
}

export interface AggResult {
  loss: number;
  /** d loss / d lossMat, (B, T). Zero on masked tokens. */
  grad: Float64Array;
}

type WeightFn = (mask: ArrayLike<number>, B: number, T: number, norm: AggNorm) => Float64Array;

function validCount(mask: ArrayLike<number>, b: number, T: number): number {
  let n = 0;
  for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) n++;
  return n;
}

function fillRowWeights(w: Float64Array, mask: ArrayLike<number>, b: number, T: number, value: number): void {
  for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) w[b * T + t] = value;
}

/**
 * The weight of each token in each mode: the aggregate is Σ w·loss over valid tokens, so w is also the
 * gradient. Each mode is linear in the loss matrix, which is why the weights do not depend on it.
 */
const WEIGHTS: Record<AggMode, WeightFn> = {
  // One global mean over all valid tokens of the tensor passed in. verl divides by (count + 1e-8) with the
  // 1e-8 added in float32, where it rounds away for any count ≥ 1; an all-masked batch gives 0.
  'token-mean': (mask, B, T, norm) => {
    let count = norm.tokens;
    if (count === undefined) { count = 0; for (let b = 0; b < B; b++) count += validCount(mask, b, T); }
    const w = new Float64Array(B * T); // (B, T)
    if (count > 0) for (let b = 0; b < B; b++) fillRowWeights(w, mask, b, T, 1 / count);
    return w;
  },
  // Mean over rows of each row's token mean. verl gives NaN when a row has no valid token (0/0); we define
  // that row's mean as 0 and keep it in the row count B, so every finite verl value is unchanged.
  'seq-mean-token-mean': (mask, B, T, norm) => {
    const rows = norm.rows ?? B;
    const w = new Float64Array(B * T); // (B, T)
    for (let b = 0; b < B; b++) {
      const n = validCount(mask, b, T);
      if (n > 0) fillRowWeights(w, mask, b, T, 1 / (rows * n));
    }
    return w;
  },
  // Mean over rows (empty rows included) of each row's token sum.
  'seq-mean-token-sum': (mask, B, T, norm) => {
    const rows = norm.rows ?? B;
    const w = new Float64Array(B * T); // (B, T)
    if (rows > 0) for (let b = 0; b < B; b++) fillRowWeights(w, mask, b, T, 1 / rows);
    return w;
  },
};

/** Token weights of `mode` (the gradient of aggLoss with respect to the loss matrix), (B, T). */
export function aggWeights(mask: ArrayLike<number>, B: number, T: number, mode: AggMode, norm: AggNorm = {}): Float64Array {
  if (mask.length !== B * T) throw new Error(`aggWeights: mask has ${mask.length} entries, expected B*T = ${B * T}`);
  return WEIGHTS[mode](mask, B, T, norm);
}

/**
 * Σ over valid tokens of w·lossMat, in verl's order of operations (sum, then divide) so that results match
 * the reference to the last bits. Masked tokens are skipped, not multiplied by 0, so an inf or NaN in a
 * padded position (e.g. a ratio exp(60) there) cannot leak into the loss.
 */
function weightedSum(lossMat: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, mode: AggMode, norm: AggNorm): number {
  if (mode === 'token-mean') {
    let s = 0, count = 0;
    for (let i = 0; i < B * T; i++) if (mask[i] !== 0) { s += lossMat[i]!; count++; }
    const div = norm.tokens ?? count;
    return div > 0 ? s / div : 0;
  }
  const rows = norm.rows ?? B;
  let total = 0;
  for (let b = 0; b < B; b++) {
    let s = 0, n = 0;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) { s += lossMat[b * T + t]!; n++; }
    total += mode === 'seq-mean-token-mean' ? (n > 0 ? s / n : 0) : s;
  }
  return rows > 0 ? total / rows : 0;
}

/**
 * agg_loss(lossMat, mask, mode) → { loss, grad = d loss / d lossMat }.
 * lossMat, mask: (B, T). Edge cases: an all-masked batch gives loss 0 in every mode; a fully masked row
 * contributes 0 (verl: NaN for seq-mean-token-mean, see docs/rl.md).
 */
export function aggLoss(lossMat: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, mode: AggMode, norm: AggNorm = {}): AggResult {
  if (lossMat.length !== B * T) throw new Error(`aggLoss: lossMat has ${lossMat.length} entries, expected B*T = ${B * T}`);
  return { loss: weightedSum(lossMat, mask, B, T, mode, norm), grad: aggWeights(mask, B, T, mode, norm) };
}

/** Mean of values over valid tokens (verl masked_mean with an integer mask); 0 when nothing is valid. */
export function maskedMean(values: ArrayLike<number>, mask: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < values.length; i++) if (mask[i] !== 0) { s += values[i]!; n++; }
  return n > 0 ? s / n : 0;
}
