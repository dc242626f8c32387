// PPO clipped surrogate with the dual clip, per token, and its exact gradient with respect to the current
// log-probabilities (ttrl has explicit backward passes, no autograd).
//   PPO: Schulman et al. 2017, arXiv 1707.06347, eq. 7.  Dual clip: Ye et al. 2020, "Mastering Complex
//   Control in MOBA Games with Deep RL", arXiv 1912.09729, eq. 5.  Asymmetric clip (clip-higher): DAPO,
//   arXiv 2503.14476.
// Reference: verl `core_algos.compute_policy_loss` (TTRL fork 3e2cc93), tested against
// shared/fixtures/verl-parity/policy_loss.json. B = rows, T = tokens; (B, T) arrays are row-major.
import { aggLoss, maskedMean, type AggMode, type AggNorm } from './agg.js';

export interface ClipConfig {
  /** ratio lower bound is 1 − clipLow (TTRL: 0.2). */
  clipLow: number;
  /** ratio upper bound is 1 + clipHigh (TTRL: 0.2). */
  clipHigh: number;
  /** dual-clip constant c > 1: a negative-advantage token's loss is capped at c·|A| (TTRL: 3.0). */
  clipRatioC: number;
}

export interface PolicyLossConfig extends ClipConfig {
  aggMode: AggMode;
}

export interface PolicyTokenTerms {
  /** per-token loss before masking, (B, T) — verl's pg_losses. */
  loss: Float64Array;
  /** d loss_token / d logp_token, (B, T). */
  dlogp: Float64Array;
  /** 1 where the standard clip made the token's loss larger (verl's pg_clipfrac indicator), (B, T). */
  clipped: Uint8Array;
  /** 1 where A < 0 and the dual clip capped the loss (verl's pg_clipfrac_lower indicator), (B, T). */
  dualClipped: Uint8Array;
}

/**
 * The per-token loss and its derivative. With r = exp(logp − oldLogp), A = adv:
 *   l1 = −A·r,  l2 = −A·clip(r, 1 − clipLow, 1 + clipHigh),  l = max(l1, l2)
 *   if A < 0:  l = min(l, −A·c)            (dual clip: never applied when A ≥ 0)
 * dl/dlogp = −A·r where the unclipped branch is the active one, else 0 (the clip is active: A > 0 with
 * r > 1 + clipHigh, or A < 0 with r < 1 − clipLow; or the dual clip fired: A < 0 and l > c·|A|).
 * Inside the clip range l1 = l2 exactly, and autograd's tie rule (half to each branch, and clamp passes
 * its gradient inside the range) adds up to the full −A·r, which is what we return. Exact ties at the
 * dual-clip cap (l = c·|A|) get the full gradient here and half of it in torch; that set has measure zero.
 * Values are computed in the same order as verl so the comparisons flip at the same inputs.
 */
export function policyTokenTerms(oldLogp: ArrayLike<number>, logp: ArrayLike<number>, adv: ArrayLike<number>, cfg: ClipConfig): PolicyTokenTerms {
  const n = logp.length;
  if (oldLogp.length !== n || adv.length !== n) {
    throw new Error(`policyTokenTerms: lengths differ (oldLogp ${oldLogp.length}, logp ${n}, adv ${adv.length})`);
  }
  if (!(cfg.clipRatioC > 1)) throw new Error(`policyTokenTerms: clipRatioC must be > 1, got ${cfg.clipRatioC}`);
  const lo = 1 - cfg.clipLow, hi = 1 + cfg.clipHigh;
  const loss = new Float64Array(n), dlogp = new Float64Array(n); // (B, T)
  const clipped = new Uint8Array(n), dualClipped = new Uint8Array(n); // (B, T)
  for (let i = 0; i < n; i++) {
    const A = adv[i]!;
    const r = Math.exp(logp[i]! - oldLogp[i]!);
    const l1 = -A * r;
    const l2 = -A * Math.min(Math.max(r, lo), hi);
    let l = Math.max(l1, l2);
    let g = l2 > l1 ? 0 : -A * r;
    if (l2 > l1) clipped[i] = 1;
    if (A < 0) {
      const l3 = -A * cfg.clipRatioC;
      if (l > l3) { l = l3; g = 0; dualClipped[i] = 1; }
    }
    loss[i] = l;
    dlogp[i] = g;
  }
  return { loss, dlogp, clipped, dualClipped };
}

export interface PolicyLossResult {
  /** the aggregated policy-gradient loss (verl pg_loss). */
  loss: number;
  /** d loss / d logp, (B, T); 0 on masked tokens. */
  gradLogp: Float64Array;
  /** share of valid tokens where the standard clip was active (verl pg_clipfrac). */
  clipFrac: number;
  /** share of valid tokens where the dual clip fired (verl pg_clipfrac_lower). */
  clipFracLower: number;
  /** masked mean of oldLogp − logp (verl ppo_kl, the k1 estimate of KL(old‖current)). */
  ppoKl: number;
}

/**
 * compute_policy_loss: per-token PPO loss (policyTokenTerms), aggregated with aggLoss, and its gradient
 * gradLogp[i] = aggWeight[i] · dl_i/dlogp_i. oldLogp, logp, adv, mask: (B, T).
 * The clip fractions are returned in float64; verl returns them as float32 (they differ by < 6e-8).
 */
export function policyLoss(
  oldLogp: ArrayLike<number>, logp: ArrayLike<number>, adv: ArrayLike<number>, mask: ArrayLike<number>,
  B: number, T: number, cfg: PolicyLossConfig, norm: AggNorm = {},
): PolicyLossResult {
  if (logp.length !== B * T || mask.length !== B * T) {
    throw new Error(`policyLoss: expected B*T = ${B * T} entries, got logp ${logp.length}, mask ${mask.length}`);
  }
  const terms = policyTokenTerms(oldLogp, logp, adv, cfg);
  const agg = aggLoss(terms.loss, mask, B, T, cfg.aggMode, norm);
  const gradLogp = agg.grad; // reuse: (B, T)
  for (let i = 0; i < B * T; i++) gradLogp[i] = gradLogp[i]! === 0 ? 0 : gradLogp[i]! * terms.dlogp[i]!;
  const negKl = new Float64Array(B * T); // (B, T) oldLogp − logp
  for (let i = 0; i < B * T; i++) negKl[i] = oldLogp[i]! - logp[i]!;
  return {
    loss: agg.loss,
    gradLogp,
    clipFrac: maskedMean(terms.clipped, mask),
    clipFracLower: maskedMean(terms.dualClipped, mask),
    ppoKl: maskedMean(negKl, mask),
  };
}
