// Per-token KL penalty between the current policy and the frozen reference, and its derivative with
// respect to the current log-probability. TTRL puts it in the loss (use_kl_loss) with low_var_kl and
// coefficient 0.001. Estimators: Schulman 2020, "Approximating KL Divergence" (k1, k2, k3);
// k3 = low_var_kl as used by GRPO (DeepSeekMath, arXiv 2402.03300, eq. 4).
// Reference: verl `core_algos.kl_penalty` (TTRL fork 3e2cc93), tested against
// shared/fixtures/verl-parity/kl_penalty.json. Arrays are flat (B·T), any layout.

export type KlType = 'kl' | 'abs' | 'mse' | 'low_var_kl';

export const KL_TYPES: readonly KlType[] = ['kl', 'abs', 'mse', 'low_var_kl'];

/** verl clamps low_var_kl to [−10, 10] "for stability"; the gradient is 0 where the clamp is active. */
export const LOW_VAR_KL_CLAMP = 10;

interface KlEstimator {
  /** value at one token, given lp = current logp and ref = reference logp. */
  value(lp: number, ref: number): number;
  /** d value / d lp. */
  grad(lp: number, ref: number): number;
}

const KL: Record<KlType, KlEstimator> = {
  // k1: d = lp − ref.
  kl: { value: (lp, ref) => lp - ref, grad: () => 1 },
  // |d|; torch's abs backward is sign(d), which is 0 at d = 0.
  abs: { value: (lp, ref) => Math.abs(lp - ref), grad: (lp, ref) => Math.sign(lp - ref) },
  // k2: ½d².
  mse: { value: (lp, ref) => 0.5 * (lp - ref) ** 2, grad: (lp, ref) => lp - ref },
  // k3 with x = ref − lp: e^x − x − 1 ≥ 0, clamped above at 10 (fires for x > ≈2.528 or x < ≈−11.0).
  // expm1(x) − x instead of verl's exp(x) − x − 1: the same value, without the cancellation near x = 0.
  low_var_kl: {
    value: (lp, ref) => {
      const x = ref - lp;
      return Math.min(Math.max(Math.expm1(x) - x, -LOW_VAR_KL_CLAMP), LOW_VAR_KL_CLAMP);
    },
    grad: (lp, ref) => {
      const x = ref - lp;
      const v = Math.expm1(x) - x;
      return v > LOW_VAR_KL_CLAMP || v < -LOW_VAR_KL_CLAMP ? 0 : -Math.expm1(x); // d/dlp = 1 − e^x
    },
  },
};

export interface KlResult {
  /** per-token penalty, unmasked, same length as logp. */
  value: Float64Array;
  /** d value / d logp per token. */
  grad: Float64Array;
}

/**
 * kl_penalty(logp, refLogp, type) per token, plus its derivative. The direction is "current relative to
 * reference" (d = logp − refLogp). Masking and aggregation are the caller's (aggLoss). verl's type 'full'
 * raises NotImplementedError there and is not offered here.
 */
export function klPenalty(logp: ArrayLike<number>, refLogp: ArrayLike<number>, type: KlType): KlResult {
  if (refLogp.length !== logp.length) throw new Error(`klPenalty: logp has ${logp.length} entries, refLogp ${refLogp.length}`);
  const est = KL[type];
  const value = new Float64Array(logp.length), grad = new Float64Array(logp.length);
  for (let i = 0; i < logp.length; i++) {
    value[i] = est.value(logp[i]!, refLogp[i]!);
    grad[i] = est.grad(logp[i]!, refLogp[i]!);
  }
  return { value, grad };
}
