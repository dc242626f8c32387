// The actor's whole per-micro-batch objective, as verl's dp_actor.update_policy builds it (TTRL fork
// 3e2cc93):  loss = scale · ( pg_loss − entCoef · agg(entropy) + klCoef · agg(kl(logp, refLogp)) )
// with every term aggregated in the same mode over the same mask. It returns the loss and the gradient
// per token, which the trainer hands to the model's backward pass: d loss / d logp (flows into the
// log-softmax of the sampled token) and d loss / d entropy (flows into entropyBackward).
// B = rows, T = tokens; (B, T) arrays are row-major.
import { aggLoss, aggWeights, type AggMode, type AggNorm } from './agg.js';
import { klPenalty, type KlType } from './kl.js';
import { policyLoss, type ClipConfig } from './policy-loss.js';

export interface PpoObjectiveConfig extends ClipConfig {
  aggMode: AggMode;
  /** KL-in-loss coefficient (TTRL: 0.001). 0 switches the term off and refLogp may be omitted. */
  klCoef: number;
  klType: KlType;
  /** entropy bonus coefficient (TTRL: 0). Non-zero requires per-token entropy. */
  entropyCoef: number;
  /** multiplies the whole loss: verl passes 1 / gradient_accumulation_steps. Default 1. */
  lossScale?: number;
  /** mini-batch totals, to make micro-batch results add up to the mini-batch aggregate (see AggNorm). */
  norm?: AggNorm;
}

export interface PpoObjectiveInputs {
  oldLogp: ArrayLike<number>; // (B, T) behaviour policy at rollout time
  logp: ArrayLike<number>; // (B, T) current policy
  adv: ArrayLike<number>; // (B, T) advantages, already broadcast over tokens
  mask: ArrayLike<number>; // (B, T) 0/1 response mask
  refLogp?: ArrayLike<number> | null; // (B, T) frozen reference; needed when klCoef ≠ 0
  entropy?: ArrayLike<number> | null; // (B, T) per-token entropy; needed when entropyCoef ≠ 0
  B: number;
  T: number;
}

export interface PpoObjectiveResult {
  /** the scaled total loss. */
  loss: number;
  /** unscaled parts, for logging. klLoss is null without refLogp, entropyLoss null without entropy. */
  pgLoss: number;
  klLoss: number | null;
  entropyLoss: number | null;
  /** d loss / d logp per token, (B, T), scale included. */
  gradLogp: Float64Array;
  /** d loss / d entropy per token, (B, T), or null when entropyCoef = 0 (no gradient flows into entropy). */
  gradEntropy: Float64Array | null;
  clipFrac: number;
  clipFracLower: number;
  ppoKl: number;
}

/** pg + klCoef·kl − entropyCoef·entropy, aggregated, with per-token gradients. See the file comment. */
export function ppoObjective(x: PpoObjectiveInputs, cfg: PpoObjectiveConfig): PpoObjectiveResult {
  const { B, T, mask } = x;
  const scale = cfg.lossScale ?? 1;
  const norm = cfg.norm ?? {};
  if (cfg.klCoef !== 0 && !x.refLogp) throw new Error('ppoObjective: klCoef ≠ 0 needs refLogp (the reference policy log-probs)');
  if (cfg.entropyCoef !== 0 && !x.entropy) throw new Error('ppoObjective: entropyCoef ≠ 0 needs per-token entropy');

  const pg = policyLoss(x.oldLogp, x.logp, x.adv, mask, B, T, cfg, norm);
  const gradLogp = pg.gradLogp; // (B, T), scaled below
  let total = pg.loss;

  let klLoss: number | null = null;
  if (x.refLogp) {
    const kl = klPenalty(x.logp, x.refLogp, cfg.klType);
    const agg = aggLoss(kl.value, mask, B, T, cfg.aggMode, norm);
    klLoss = agg.loss;
    if (cfg.klCoef !== 0) {
      total += cfg.klCoef * agg.loss;
      for (let i = 0; i < B * T; i++) if (agg.grad[i] !== 0) gradLogp[i]! += cfg.klCoef * agg.grad[i]! * kl.grad[i]!;
    }
  }

  let entropyLoss: number | null = null;
  let gradEntropy: Float64Array | null = null;
  if (x.entropy) {
    entropyLoss = aggLoss(x.entropy, mask, B, T, cfg.aggMode, norm).loss;
    if (cfg.entropyCoef !== 0) {
      total -= cfg.entropyCoef * entropyLoss;
      gradEntropy = aggWeights(mask, B, T, cfg.aggMode, norm); // (B, T)
      for (let i = 0; i < B * T; i++) gradEntropy[i] = -cfg.entropyCoef * scale * gradEntropy[i]!;
    }
  }

  if (scale !== 1) for (let i = 0; i < B * T; i++) gradLogp[i] = gradLogp[i]! * scale;
  return {
    loss: scale * total, pgLoss: pg.loss, klLoss, entropyLoss, gradLogp, gradEntropy,
    clipFrac: pg.clipFrac, clipFracLower: pg.clipFracLower, ppoKl: pg.ppoKl,
  };
}
